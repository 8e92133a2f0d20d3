/*
 * ticket: what agents do with tickets (read, list, change, note, reply,
 * download an attachment) and the audit check, each one call of a Redis
 * function in server/store/lua/ticket_ops.lua and audit.lua (docs/datamodel.md).
 * Answers come through store_json_cb (server/store/store.h): decoded JSON, or an
 * error reason that ticket_error turns into an HTTP status.
 */
#ifndef RX_TICKET_H
#define RX_TICKET_H

#include <stddef.h>
#include <stdint.h>

#include "server/store/store.h"

struct config;

/* Who asks, for the visibility rules; a NULL ticket_who is the system. */
struct ticket_who {
	const char *agent;	/* agent id */
	unsigned roles;		/* enum auth_role bits (server/auth/auth.h) */
};

/* WHO as the Redis functions take it: {"agent":"5","roles":"agent,safety"}
 * (a new reference); other modules pass it to hide what WHO may not see. */
json_t *ticket_who_json(const struct ticket_who *who);

/* Filters of a list call; NULL or "" fields do not filter. */
struct ticket_filter {
	const char *queue, *status, *category, *agent, *customer;
	const char *cursor;	/* "next" of the previous page */
	int limit;		/* 0: the default (25) */
};

/* The fields an update may set; NULL leaves a field alone. */
struct ticket_change {
	const char *status, *category, *priority, *queue, *agent;
	json_t *tags;		/* array of strings, or a string; borrowed */
};

/*
 * An attachment: META is {id,name,type,size,ticket} and DATA its bytes,
 * both borrowed for the call; on error ERR is set as for store_json_cb.
 */
typedef void ticket_att_cb(json_t *meta, const void *data, size_t len,
    const char *err, void *arg);

/* Keep the domain of our Message-IDs (mail_out.domain, else smtp.hostname). */
void ticket_init(const struct config *);

/* Ticket N with a page of its log after AFTER (NULL: from the start). */
int ticket_get(uint64_t n, const struct ticket_who *, const char *after,
    int count, store_json_cb *, void *arg);
/* A page of tickets, newest update first. */
int ticket_list(const struct ticket_filter *, const struct ticket_who *,
    store_json_cb *, void *arg);
/* Apply CH to ticket N as ACTOR ("a:<id>"); every change is audited. */
int ticket_update(uint64_t n, const char *actor, const struct ticket_who *,
    const struct ticket_change *ch, store_json_cb *, void *arg);
/* Add an internal note by AUTHOR; FLAGS ("ae,complaint", may be NULL)
 * are raised on the ticket with SCREENING (JSON, may be NULL) as evidence. */
int ticket_note(uint64_t n, const char *author, const struct ticket_who *,
    const char *text, const char *flags, const char *screening,
    store_json_cb *, void *arg);
/* Reply to the customer by AUTHOR; STATUS (may be NULL) is set with it. */
int ticket_reply(uint64_t n, const char *author, const struct ticket_who *,
    const char *text, const char *status, store_json_cb *, void *arg);
/* Attachment ID, if WHO may see its ticket. -1 when Redis is not ready. */
int ticket_attachment(const char *id, const struct ticket_who *,
    ticket_att_cb *, void *arg);
/* Check COUNT audit entries after CURSOR (NULL: from the first). */
int ticket_audit_verify(const char *cursor, int count, store_json_cb *,
    void *arg);

/*
 * The HTTP status for an error reason from these calls, with the error code
 * ("not_found", "conflict", "forbidden", "bad_request", "unavailable",
 * "internal") in
 * *CODE and the function's message, without Redis's decorations, in MSG.
 */
int ticket_error(const char *err, const char **code, char *msg, size_t len);

/* Parse "RX-17" or "17" into 17; 0 if it is neither. */
uint64_t ticket_number(const char *s);

#endif
