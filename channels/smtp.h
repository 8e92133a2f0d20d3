/*
 * smtp: the mail listener (smtp.listen), SMTP or LMTP by smtp.mode, with
 * STARTTLS when smtp.cert and smtp.key are set. It accepts connections up to
 * smtp.max_sessions and hands each to smtp_session.c; finished messages go
 * to smtp_deliver.c. These are the daemon module's hooks (server/core/modules.c).
 */
#ifndef RX_SMTP_H
#define RX_SMTP_H

#include <stddef.h>

struct config;
struct event_base;

/* Validate the [smtp] section; -1 with the reason in ERR. */
int smtp_check(const struct config *, char *err, size_t errlen);
/* Bind the listener and set up TLS and delivery; -1 with *cause. */
int smtp_start(struct event_base *, const struct config *, const char **cause);
/* Apply a reloaded [smtp]: domains, queues, hostname and the limits
 * (listen, mode, cert and key need a restart). */
void smtp_reload(const struct config *);
/* Stop accepting connections; sessions in progress finish. */
void smtp_quiesce(void);
/* Sessions with a message in flight (DATA or delivery). */
unsigned smtp_busy(void);
/* Close everything and free what smtp_start allocated. */
void smtp_stop(void);

#endif
