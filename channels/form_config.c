/* form_config: see form_config.h. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/form_config.h"
#include "server/core/config.h"
#include "server/core/interaction.h"
#include "server/core/queue_names.h"

#define COMMON_FIELDS	"name:200,email:254,phone:40,subject:300,message:65536,ticket:32"
#define KIB		((size_t)1024)
#define MIB		(KIB * 1024)

struct builtin {
	const char *name, *category, *flags, *subject, *fields, *required;
};

/* The four forms that work with no configuration (issue 3). */
static const struct builtin builtins[] = {
	{ "contact", "general", "", "Contact form", COMMON_FIELDS,
	    "name,message" },
	{ "medinfo", "medinfo", "", "Medical information request",
	    COMMON_FIELDS ",product:200,question:8192", "name,message" },
	{ "complaint", "complaint", "complaint", "Product complaint",
	    COMMON_FIELDS ",product:200,lot:64,expiry:32,sample_available:16",
	    "name,product,message" },
	{ "ae-report", "ae", "ae", "Adverse event report",
	    COMMON_FIELDS ",patient_initials:16,patient_age:16,patient_sex:16,"
	    "product:200,lot:64,reaction:8192,onset_date:32,outcome:200",
	    "name,product,reaction" },
};
#define NBUILTINS (sizeof(builtins) / sizeof(builtins[0]))

/* A form being read: REQUIRED is applied once FIELDS is known. */
struct staged {
	struct form f;
	char required[256];
};

static struct form live[FORM_MAX_FORMS];
static size_t nlive;
static struct staged stage[FORM_MAX_FORMS];
static size_t nstage;

static int
form_config_size(const char *s, size_t *out)
{
	char *end;
	unsigned long long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (tolower((unsigned char)*end)) {
	case 'k': v *= KIB; end++; break;
	case 'm': v *= MIB; end++; break;
	case 'g': v *= MIB * KIB; end++; break;
	}
	if (*end != '\0' || v > (1ULL << 32))
		return -1;
	*out = (size_t)v;
	return 0;
}

static int
valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= FORM_NAME_MAX)
		return 0;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) &&
		    *s != '_' && *s != '-')
			return 0;
	return 1;
}

/* "name:200, email" -> fields; 0, or -1 with *cause. */
static int
parse_fields(struct form *f, const char *list, const char **cause)
{
	char buf[1024], *p, *tok, *colon;

	if (strlen(list) >= sizeof(buf)) {
		*cause = "fields: list too long";
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s", list);
	f->nfields = 0;
	for (p = buf; (tok = strsep(&p, ",")) != NULL;) {
		struct form_field *ff;

		tok += strspn(tok, " \t");
		tok[strcspn(tok, " \t")] = '\0';
		if (*tok == '\0')
			continue;
		if (f->nfields == FORM_MAX_FIELDS) {
			*cause = "fields: too many (at most 32)";
			return -1;
		}
		ff = &f->fields[f->nfields];
		ff->max = FORM_DEFAULT_FIELD_MAX;
		ff->required = 0;
		if ((colon = strchr(tok, ':')) != NULL) {
			*colon++ = '\0';
			if (form_config_size(colon, &ff->max) == -1 || ff->max == 0) {
				*cause = "fields: bad size after ':'";
				return -1;
			}
		}
		if (!valid_name(tok)) {
			*cause = "fields: a name is [a-z0-9_-], 1 to 31 characters";
			return -1;
		}
		snprintf(ff->name, sizeof(ff->name), "%s", tok);
		f->nfields++;
	}
	return 0;
}

/* Mark the fields listed in REQ as required; -1 names an unknown one. */
static int
apply_required(struct form *f, const char *req, const char **bad)
{
	static char name[FORM_NAME_MAX];
	const char *p = req;

	for (int i = 0; i < f->nfields; i++)
		f->fields[i].required = 0;
	while (*p) {
		size_t n;
		struct form_field *ff;

		p += strspn(p, " \t,");
		n = strcspn(p, " \t,");
		if (n == 0)
			break;
		snprintf(name, sizeof(name), "%.*s", (int)n, p);
		if ((ff = (struct form_field *)form_config_field(f, name)) == NULL) {
			*bad = name;
			return -1;
		}
		ff->required = 1;
		p += n;
	}
	return 0;
}

static void
form_defaults(struct form *f, const char *name)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->enabled = 1;
	snprintf(f->category, sizeof(f->category), "general");
	snprintf(f->honeypot, sizeof(f->honeypot), "website");
	snprintf(f->redirect, sizeof(f->redirect), "/thanks.html");
	snprintf(f->subject, sizeof(f->subject), "Web form %s", name);
	f->max_body = 25 * MIB;
	f->max_files = 5;
	f->max_file_size = 10 * MIB;
	f->max_files_size = 20 * MIB;
	f->dedup_window = 600;
}

/* Fill F from builtin NAME; 0 if there is none (F keeps the defaults). */
static int
from_builtin(struct form *f, const char *name, char *required, size_t rlen)
{
	const char *cause;

	form_defaults(f, name);
	for (size_t i = 0; i < NBUILTINS; i++) {
		const struct builtin *b = &builtins[i];
		if (strcmp(b->name, name))
			continue;
		snprintf(f->category, sizeof(f->category), "%s", b->category);
		snprintf(f->flags, sizeof(f->flags), "%s", b->flags);
		/* No queue of its own: routing's rules (and its default queue)
		 * place a built-in form's ticket, so a form never names a
		 * queue the configuration does not define. */
		f->queue[0] = '\0';
		snprintf(f->subject, sizeof(f->subject), "%s", b->subject);
		if (parse_fields(f, b->fields, &cause) == -1)
			abort();	/* the table above is wrong */
		snprintf(required, rlen, "%s", b->required);
		return 1;
	}
	if (parse_fields(f, COMMON_FIELDS, &cause) == -1)
		abort();
	snprintf(required, rlen, "name,message");
	return 0;
}

static struct staged *
stage_get(const char *name, const char **cause)
{
	struct staged *s;

	for (size_t i = 0; i < nstage; i++)
		if (strcmp(stage[i].f.name, name) == 0)
			return &stage[i];
	if (!valid_name(name)) {
		*cause = "a form name is [a-z0-9_-], 1 to 31 characters";
		return NULL;
	}
	if (nstage == FORM_MAX_FORMS) {
		*cause = "too many forms";
		return NULL;
	}
	s = &stage[nstage++];
	from_builtin(&s->f, name, s->required, sizeof(s->required));
	return s;
}

static int
set_str(char *dst, size_t len, const char *v, const char **cause)
{
	if (strlen(v) >= len) {
		*cause = "value too long";
		return -1;
	}
	snprintf(dst, len, "%s", v);
	return 0;
}

static int
set_category(struct form *f, const char *v, const char **cause)
{
	if (interaction_find(interaction_categories, v) != -1)
		return set_str(f->category, sizeof(f->category), v, cause);
	*cause = "category must be general, medinfo, order, complaint or ae";
	return -1;
}

static int
set_size(size_t *dst, const char *v, const char **cause)
{
	if (form_config_size(v, dst) == -1) {
		*cause = "not a size (a number, optionally with k, m or g)";
		return -1;
	}
	return 0;
}

static int
set_seconds(size_t *dst, const char *v, const char **cause)
{
	char *end;
	long long n = strtoll(v, &end, 10);

	if (*v == '\0' || *end != '\0' || n < 0 || n > 30 * 86400) {
		*cause = "seconds from 0 to 2592000 (30 days)";
		return -1;
	}
	*dst = (size_t)n;
	return 0;
}

static int
set_bool(int *dst, const char *v, const char **cause)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1"))
		*dst = 1;
	else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0"))
		*dst = 0;
	else {
		*cause = "must be yes or no";
		return -1;
	}
	return 0;
}

static int
set_redirect(struct form *f, const char *v, const char **cause)
{
	if (v[0] != '/' && strncmp(v, "https://", 8) && strncmp(v, "http://", 7)) {
		*cause = "redirect must be a path (/...) or an http(s) URL";
		return -1;
	}
	if (strpbrk(v, "\r\n\"<> ") != NULL) {
		*cause = "redirect has characters not allowed in a URL";
		return -1;
	}
	return set_str(f->redirect, sizeof(f->redirect), v, cause);
}

static int
on_section(const char *name, const char *key, const char *v, const char **cause)
{
	struct staged *s;
	struct form *f;

	if ((s = stage_get(name, cause)) == NULL)
		return -1;
	f = &s->f;
	if (!strcmp(key, "fields"))
		return parse_fields(f, v, cause);
	if (!strcmp(key, "required"))
		return set_str(s->required, sizeof(s->required), v, cause);
	if (!strcmp(key, "category"))
		return set_category(f, v, cause);
	if (!strcmp(key, "flags"))
		return set_str(f->flags, sizeof(f->flags), v, cause);
	if (!strcmp(key, "queue"))
		return set_str(f->queue, sizeof(f->queue), v, cause);
	if (!strcmp(key, "redirect"))
		return set_redirect(f, v, cause);
	if (!strcmp(key, "honeypot"))
		return set_str(f->honeypot, sizeof(f->honeypot), v, cause);
	if (!strcmp(key, "subject"))
		return set_str(f->subject, sizeof(f->subject), v, cause);
	if (!strcmp(key, "enabled"))
		return set_bool(&f->enabled, v, cause);
	if (!strcmp(key, "max_body"))
		return set_size(&f->max_body, v, cause);
	if (!strcmp(key, "max_files"))
		return set_size(&f->max_files, v, cause);
	if (!strcmp(key, "max_file_size"))
		return set_size(&f->max_file_size, v, cause);
	if (!strcmp(key, "max_files_size"))
		return set_size(&f->max_files_size, v, cause);
	if (!strcmp(key, "dedup_window"))
		return set_seconds(&f->dedup_window, v, cause);
	*cause = "unknown key";
	return -1;
}

void
form_config_register(void)
{
	config_section_hook("form", on_section);
}

const struct form_field *
form_config_field(const struct form *f, const char *name)
{
	for (int i = 0; i < f->nfields; i++)
		if (strcmp(f->fields[i].name, name) == 0)
			return &f->fields[i];
	return NULL;
}

/* The rules a form must keep: someone to answer, a limit that is sane. */
static int
check_one(struct staged *s, char *err, size_t errlen)
{
	struct form *f = &s->f;
	const char *bad;

	if (apply_required(f, s->required, &bad) == -1) {
		snprintf(err, errlen, "[form %s] required: %s is not in fields",
		    f->name, bad);
		return -1;
	}
	if (!form_config_field(f, "email") && !form_config_field(f, "phone")) {
		snprintf(err, errlen, "[form %s] fields: needs email or phone",
		    f->name);
		return -1;
	}
	if (f->honeypot[0] && form_config_field(f, f->honeypot)) {
		snprintf(err, errlen, "[form %s] honeypot: %s is a real field",
		    f->name, f->honeypot);
		return -1;
	}
	if (f->queue[0]) {
		const char *cause;
		char where[FORM_NAME_MAX + 16];

		snprintf(where, sizeof(where), "[form %s] queue", f->name);
		if (queue_names_check(f->queue, where, &cause) == -1) {
			snprintf(err, errlen, "%s", cause);
			return -1;
		}
	}
	if (f->max_files > INTERACTION_MAX_ATT) {
		snprintf(err, errlen, "[form %s] max_files: at most %d", f->name,
		    INTERACTION_MAX_ATT);
		return -1;
	}
	return 0;
}

int
form_config_check(char *err, size_t errlen)
{
	for (size_t i = 0; i < nstage; i++)
		if (check_one(&stage[i], err, errlen) == -1)
			return -1;
	return 0;
}

void
form_config_commit(void)
{
	char err[256];

	nlive = 0;
	for (size_t i = 0; i < NBUILTINS; i++) {
		struct staged s;
		from_builtin(&s.f, builtins[i].name, s.required, sizeof(s.required));
		if (check_one(&s, err, sizeof(err)) == -1)
			abort();
		live[nlive++] = s.f;
	}
	for (size_t i = 0; i < nstage; i++) {
		size_t j;
		/* A form that fails the check keeps its built-in or stays out. */
		if (check_one(&stage[i], err, sizeof(err)) == -1)
			continue;
		for (j = 0; j < nlive; j++)
			if (strcmp(live[j].name, stage[i].f.name) == 0)
				break;
		if (j == nlive)
			nlive++;
		live[j] = stage[i].f;
	}
	nstage = 0;
}

const struct form *
form_config_find(const char *name)
{
	for (size_t i = 0; i < nlive; i++)
		if (strcmp(live[i].name, name) == 0)
			return &live[i];
	return NULL;
}
