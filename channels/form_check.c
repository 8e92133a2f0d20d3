/* form_check: see form_check.h. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "channels/form_check.h"
#include "server/customer/ident.h"
#include "server/customer/phone.h"

#define FILE_NAME_MAX	255

static void
fail(struct form_checked *out, const char *field, const char *code,
    const char *message)
{
	/* One error per field: the first found is the one to fix first. */
	for (int i = 0; i < out->nerr; i++)
		if (strcmp(out->err[i].field, field) == 0)
			return;
	if (out->nerr < FORM_CHECK_MAX_ERRORS)
		out->err[out->nerr++] = (struct form_error){ field, code, message };
}

int
form_check_blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!isspace((unsigned char)s[i]))
			return 0;
	return 1;
}

static int
normalise_email(const char *in, char *out, size_t outlen)
{
	const char *cause;

	return ident_email(in, out, outlen, &cause);
}

/* The number in E.164 matches the customer; an extension is kept apart. */
static int
normalise_phone(const char *in, const char *country, struct form_checked *out)
{
	const char *cause;

	return phone_normalize_ext(in, country, out->phone, sizeof(out->phone),
	    out->phone_ext, sizeof(out->phone_ext), &cause);
}

/* "RX-17", "rx-17" or "17". */
static int
parse_ticket(const char *s, uint64_t *n)
{
	char *end;
	unsigned long long v;

	s += strspn(s, " \t");
	if (strncasecmp(s, "RX-", 3) == 0)
		s += 3;
	if (!isdigit((unsigned char)*s))
		return -1;
	v = strtoull(s, &end, 10);
	end += strspn(end, " \t");
	if (*end != '\0' || v == 0 || v > (1ULL << 53))
		return -1;
	*n = v;
	return 0;
}

static void
check_values(const struct form *f, const struct form_data *fd,
    struct form_checked *out)
{
	for (int i = 0; i < fd->nv; i++) {
		const struct form_value *v = &fd->v[i];
		const struct form_field *ff = form_config_field(f, v->name);

		if (!form_parse_utf8_valid(v->name, strlen(v->name))) {
			fail(out, "form", "invalid_utf8", "a field name is not UTF-8");
			continue;
		}
		if (!form_parse_utf8_valid(v->value, v->len)) {
			fail(out, ff ? ff->name : v->name, "invalid_utf8",
			    "must be valid UTF-8 text");
			continue;
		}
		if (ff && v->len > ff->max)
			fail(out, ff->name, "too_long", "is longer than allowed");
	}
	for (int i = 0; i < f->nfields; i++) {
		size_t len;
		const char *v = form_parse_get(fd, f->fields[i].name, &len);
		if (f->fields[i].required && (v == NULL || form_check_blank(v, len)))
			fail(out, f->fields[i].name, "required", "is required");
	}
}

static void
check_contact(const struct form *f, const struct form_data *fd,
    const char *country, struct form_checked *out)
{
	size_t len;
	const char *email = form_parse_get(fd, "email", &len);
	const char *phone;

	if (email && form_config_field(f, "email") && !form_check_blank(email, len) &&
	    normalise_email(email, out->email, sizeof(out->email)) == -1)
		fail(out, "email", "invalid_email", "is not an email address");
	phone = form_parse_get(fd, "phone", &len);
	if (phone && form_config_field(f, "phone") && !form_check_blank(phone, len) &&
	    normalise_phone(phone, country, out) == -1)
		fail(out, "phone", "invalid_phone",
		    "is not a phone number (give it with its country code)");
	if (out->email[0] == '\0' && out->phone[0] == '\0')
		fail(out, form_config_field(f, "email") ? "email" : "phone",
		    "required", "an email address or a phone number is required");
}

static void
check_files(const struct form *f, const struct form_data *fd,
    struct form_checked *out)
{
	size_t total = 0;

	if ((size_t)fd->nf > f->max_files)
		fail(out, fd->f[0].field, "too_many_files",
		    "has more files than allowed");
	for (int i = 0; i < fd->nf; i++) {
		const struct form_file *ff = &fd->f[i];
		if (!form_parse_utf8_valid(ff->name, strlen(ff->name)) ||
		    strlen(ff->name) > FILE_NAME_MAX)
			fail(out, ff->field, "invalid_file_name",
			    "the file name must be UTF-8, at most 255 bytes");
		if (ff->size > f->max_file_size)
			fail(out, ff->field, "file_too_large",
			    "a file is larger than allowed");
		total += ff->size;
	}
	if (total > f->max_files_size && fd->nf > 0)
		fail(out, fd->f[0].field, "files_too_large",
		    "the files together are larger than allowed");
}

int
form_check(const struct form *f, const struct form_data *fd,
    const char *country, struct form_checked *out)
{
	const char *v;
	size_t len;

	memset(out, 0, sizeof(*out));
	check_values(f, fd, out);
	check_contact(f, fd, country, out);
	if ((v = form_parse_get(fd, "ticket", &len)) && form_config_field(f, "ticket") &&
	    !form_check_blank(v, len) && parse_ticket(v, &out->ticket) == -1)
		fail(out, "ticket", "invalid_ticket", "is not a ticket number (RX-17)");
	check_files(f, fd, out);
	if (f->honeypot[0] && (v = form_parse_get(fd, f->honeypot, &len)) &&
	    !form_check_blank(v, len))
		out->honeypot = 1;
	return out->nerr;
}
