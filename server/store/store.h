/*
 * store: the customer store and the ingest of interactions, on top of the
 * Redis function library (docs/datamodel.md). Each call is one round trip.
 * Results come back through a callback with an error reason or NULL;
 * callers carry ids across it, never pointers to objects that may die.
 */
#ifndef RX_STORE_H
#define RX_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "server/core/interaction.h"

struct config;
typedef struct json_t json_t;

/*
 * The answer to store_ingest. RESULT is the function's JSON answer
 * (docs/datamodel.md, rx_ingest), borrowed for the call; NULL on error.
 * ERR: NULL, "unavailable" (Redis away or timed out), or another reason.
 */
typedef void store_json_cb(json_t *result, const char *err, void *arg);

/* Set the key prefix; register the function library. */
void store_init(const struct config *);
/* The configured key prefix ("rx:"). */
const char *store_prefix(void);

/* Persist one interaction (identify, thread or open a ticket, append the
 * history, queue). -1 when Redis is not ready: CB is then not called. */
int store_ingest(const struct interaction *, store_json_cb *cb, void *arg);
/* Call Redis function FN with JSON ARGS (may be NULL); the answer is
 * decoded JSON. -1 when Redis is not ready. */
int store_call(const char *fn, json_t *args, store_json_cb *cb, void *arg);

/*
 * Map a function library error ("NOTFOUND: ...", "CONFLICT: ...",
 * "FORBIDDEN: ...", "BADARG: ...", "unavailable") to an HTTP status, an
 * error code (static) and the message, written to MSG.
 */
int store_error_http(const char *err, const char **code, char *msg, size_t len);

#endif
