/*
 * smtp_deliver: a received message into the core. MIME-parse it (mime.c),
 * read its threading keys and noise signs (mail_thread.c), build the
 * struct interaction with the raw message and its attachments as blobs,
 * and submit it (server/core/ingest.h). The session hears 250 only after
 * Redis has all of it, in one atomic call.
 */
#ifndef RX_SMTP_DELIVER_H
#define RX_SMTP_DELIVER_H

#include <stddef.h>

struct smtp_envelope;

/* HOSTNAME as smtp.hostname; MSGID_DOMAIN the right side of the Message-IDs
 * mail out writes ("": HOSTNAME); DOMAINS smtp.domains (ours, for the loop
 * checks); QUEUES "local:queue,..." maps a recipient's local part to a
 * queue. Copies them. -1 with *cause. */
int smtp_deliver_setup(const char *hostname, const char *msgid_domain,
    const char *domains, const char *queues, size_t max_att,
    const char **cause);
/* The smtp_deliver_fn: answers through smtp_session_done. */
void smtp_deliver(const struct smtp_envelope *);
/* Free what smtp_deliver_setup kept. */
void smtp_deliver_free(void);

#endif
