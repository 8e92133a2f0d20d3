/*
 * ack: the acknowledgement a customer gets when their request opens a
 * ticket, rendered from the templates ack.<lang>.txt (mail_out.templates):
 * a "Subject: ..." line, an empty line, then the body. {{ticket}} becomes
 * RX-<n>, {{subject}} the ticket's subject, {{name}} " <customer name>".
 * Which tickets get one, and the caps, are decided in server/store/lua/outbox.lua.
 */
#ifndef RX_ACK_H
#define RX_ACK_H

#include <stdint.h>

#define ACK_MAX_LANGS		64
#define ACK_MAX_TEMPLATE	(16 * 1024)

/* Read every ack.<lang>.txt in DIR (again, replacing what was loaded);
 * the number read, or -1 with *cause when DIR cannot be read. English
 * built in is used for any language without a template. */
int ack_load(const char *dir, const char **cause);
/* Free the loaded templates. */
void ack_free(void);
/* Render the acknowledgement of ticket N in LANG ("uk", "zh-CN", NULL: en):
 * *SUBJ and *TEXT are new strings the caller frees. 0, or -1 (memory). */
int ack_render(const char *lang, uint64_t n, const char *subject,
    const char *name, char **subj, char **text);

#endif
