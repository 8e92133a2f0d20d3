/*
 * webform: POST /api/v1/forms/{form}. A body in any of the three encodings
 * is parsed (form_parse.h), checked (form_check.h), turned into a struct
 * interaction with its attachments and submitted to the core
 * (server/core/ingest.h). The sender hears 201 (or 303 for a plain HTML
 * form) only after Redis has it. docs/forms.md.
 */
#ifndef RX_WEBFORM_H
#define RX_WEBFORM_H

#include <stddef.h>

struct event_base;
struct config;

#define WEBFORM_IDEM_KEY_MAX	128	/* bytes in an Idempotency-Key */

/* Register the "[form NAME]" configuration hook. */
void webform_config(void);
/* Check the configured forms (--check-config); -1 with ERR set. */
int webform_check(const struct config *, char *err, size_t errlen);
/* Make the configured forms live and add the route; -1 with *cause. */
int webform_start(struct event_base *, const struct config *, const char **cause);
/* Apply the forms of a reloaded configuration. */
void webform_reload(const struct config *);
/* Submissions waiting on Redis. */
unsigned webform_busy(void);
/* Release GMime. */
void webform_stop(void);

#endif
