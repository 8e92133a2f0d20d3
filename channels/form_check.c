/* form_check: see form_check.h. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "channels/form_check.h"

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

/* An email address: local@domain, the domain with a dot, labels of
 * letters, digits and hyphens (bytes >= 0x80 allowed: RFC 6531). */
static int
email_syntax(const char *s)
{
	const char *at = strrchr(s, '@'), *p;
	size_t llen;

	if (at == NULL || strlen(s) > 254 || (llen = (size_t)(at - s)) == 0 ||
	    llen > 64 || s[0] == '.' || at[-1] == '.' || strstr(s, ".."))
		return 0;
	for (p = s; p < at; p++)
		if (!(*p & 0x80) && !isalnum((unsigned char)*p) &&
		    !strchr(".!#$%&'*+/=?^_`{|}~-", *p))
			return 0;
	if (strchr(at + 1, '.') == NULL || at[1] == '.' || at[1] == '-')
		return 0;
	for (p = at + 1; *p; p++) {
		if (*p == '.' && (p[1] == '\0' || p[1] == '-' || p[-1] == '-'))
			return 0;
		if (!(*p & 0x80) && !isalnum((unsigned char)*p) && *p != '-' &&
		    *p != '.')
			return 0;
	}
	return 1;
}

/* Swap for ident_email_normalise (server/ident.h) once it is on main. */
static int
normalise_email(const char *in, char *out, size_t outlen)
{
	size_t n = strlen(in);

	while (n && isspace((unsigned char)in[n - 1]))
		n--;
	while (n && isspace((unsigned char)*in)) {
		in++;
		n--;
	}
	if (n >= outlen)
		return -1;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	out[n] = '\0';
	return email_syntax(out) ? 0 : -1;
}

/* Country calling codes for national numbers; TRUNK: drop a leading 0. */
static const struct {
	const char *iso, *cc;
	int trunk;
} countries[] = {
	{ "UA", "380", 1 }, { "GB", "44", 1 }, { "DE", "49", 1 },
	{ "FR", "33", 1 }, { "IT", "39", 0 }, { "ES", "34", 0 },
	{ "PL", "48", 0 }, { "US", "1", 0 }, { "CA", "1", 0 },
	{ "CN", "86", 1 }, { "NL", "31", 1 }, { "CH", "41", 1 },
};

static const char *
country_code(const char *iso, int *trunk)
{
	for (size_t i = 0; i < sizeof(countries) / sizeof(countries[0]); i++)
		if (strcasecmp(countries[i].iso, iso) == 0) {
			*trunk = countries[i].trunk;
			return countries[i].cc;
		}
	return NULL;
}

/* Swap for phone_normalise (server/phone.h) once it is on main: digits
 * with spaces, dots, dashes and brackets; "+" or "00" before the country
 * code, else a national number of COUNTRY; E.164 allows 15 digits. */
static int
normalise_phone(const char *in, const char *country, char *out, size_t outlen)
{
	char d[24];
	size_t n = 0;
	int intl = 0, trunk = 0;
	const char *cc;

	in += strspn(in, " \t");
	if (*in == '+') {
		intl = 1;
		in++;
	}
	for (; *in; in++) {
		if (isdigit((unsigned char)*in)) {
			if (n == sizeof(d) - 1)
				return -1;
			d[n++] = *in;
		} else if (!strchr(" \t.-()/", *in))
			return -1;
	}
	d[n] = '\0';
	if (!intl && n > 2 && d[0] == '0' && d[1] == '0') {
		intl = 1;
		memmove(d, d + 2, n - 1);
		n -= 2;
	}
	if (!intl) {
		if ((cc = country_code(country, &trunk)) == NULL)
			return -1;
		if (trunk && d[0] == '0')
			snprintf(out, outlen, "+%s%s", cc, d + 1);
		else
			snprintf(out, outlen, "+%s%s", cc, d);
	} else
		snprintf(out, outlen, "+%s", d);
	n = strlen(out) - 1;
	return n >= 7 && n <= 15 && out[1] != '0' ? 0 : -1;
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

		if (!form_utf8_valid(v->name, strlen(v->name))) {
			fail(out, "form", "invalid_utf8", "a field name is not UTF-8");
			continue;
		}
		if (!form_utf8_valid(v->value, v->len)) {
			fail(out, ff ? ff->name : v->name, "invalid_utf8",
			    "must be valid UTF-8 text");
			continue;
		}
		if (ff && v->len > ff->max)
			fail(out, ff->name, "too_long", "is longer than allowed");
	}
	for (int i = 0; i < f->nfields; i++) {
		size_t len;
		const char *v = form_data_get(fd, f->fields[i].name, &len);
		if (f->fields[i].required && (v == NULL || form_check_blank(v, len)))
			fail(out, f->fields[i].name, "required", "is required");
	}
}

static void
check_contact(const struct form *f, const struct form_data *fd,
    const char *country, struct form_checked *out)
{
	size_t len;
	const char *email = form_data_get(fd, "email", &len);
	const char *phone;

	if (email && form_config_field(f, "email") && !form_check_blank(email, len) &&
	    normalise_email(email, out->email, sizeof(out->email)) == -1)
		fail(out, "email", "invalid_email", "is not an email address");
	phone = form_data_get(fd, "phone", &len);
	if (phone && form_config_field(f, "phone") && !form_check_blank(phone, len) &&
	    normalise_phone(phone, country, out->phone, sizeof(out->phone)) == -1)
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
		if (!form_utf8_valid(ff->name, strlen(ff->name)) ||
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
	if ((v = form_data_get(fd, "ticket", &len)) && form_config_field(f, "ticket") &&
	    !form_check_blank(v, len) && parse_ticket(v, &out->ticket) == -1)
		fail(out, "ticket", "invalid_ticket", "is not a ticket number (RX-17)");
	check_files(f, fd, out);
	if (f->honeypot[0] && (v = form_data_get(fd, f->honeypot, &len)) &&
	    !form_check_blank(v, len))
		out->honeypot = 1;
	return out->nerr;
}
