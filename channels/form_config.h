/*
 * form_config: the web forms, four built in (contact, medinfo, complaint,
 * ae-report) and any number declared as "[form NAME]" sections. Sections
 * are read into a staging table while the configuration loads and become
 * the live table at start and at every reload (form_config_commit), so a
 * request never sees a half-read form. docs/forms.md lists the keys.
 */
#ifndef RX_FORM_CONFIG_H
#define RX_FORM_CONFIG_H

#include <stddef.h>

#define FORM_MAX_FORMS		32
#define FORM_MAX_FIELDS		32
#define FORM_NAME_MAX		32
#define FORM_DEFAULT_FIELD_MAX	(4 * 1024)
#define FORM_MESSAGE_MAX	(64 * 1024)

struct form_field {
	char name[FORM_NAME_MAX];
	size_t max;		/* bytes */
	int required;
};

struct form {
	char name[FORM_NAME_MAX];
	int enabled;
	char category[16];	/* general|medinfo|complaint|ae|order */
	char flags[32];		/* comma list for the ticket: "ae", "complaint" */
	char queue[FORM_NAME_MAX];
	char redirect[256];	/* where a plain HTML post is sent after 303 */
	char honeypot[FORM_NAME_MAX]; /* "": none */
	char subject[96];	/* subject when the sender gave none */
	struct form_field fields[FORM_MAX_FIELDS];
	int nfields;
	size_t max_body;	/* whole request body */
	size_t max_files;	/* attachments per submission */
	size_t max_file_size;
	size_t max_files_size;	/* all attachments together */
	size_t dedup_window;	/* seconds a resent submission is the same
				 * one (no Idempotency-Key); 0: off */
};

/* Register the "[form NAME]" section hook (before the config is read). */
void form_config_register(void);
/* Cross-check the staged forms; -1 with ERR set. */
int form_config_check(char *err, size_t errlen);
/* Make the staged forms live (built-ins plus configured), empty the stage. */
void form_config_commit(void);
/* The live form NAME, or NULL; valid until the next commit. */
const struct form *form_config_find(const char *name);
/* Field NAME of F, or NULL. */
const struct form_field *form_config_field(const struct form *f,
    const char *name);

#endif
