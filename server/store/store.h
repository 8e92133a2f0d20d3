/*
 * store: the only code that knows Redis key names and the function library
 * (docs/datamodel.md): the ingest of interactions and every other call into
 * the library. Each call is one round trip.
 * Results come back through a callback with an error reason or NULL;
 * callers carry ids across it, never pointers to objects that may die.
 */
#ifndef RX_STORE_H
#define RX_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "server/core/interaction.h"

struct config;
struct event_base;
typedef struct json_t json_t;

/*
 * The answer to store_call. RESULT is the function's JSON answer
 * (docs/datamodel.md), borrowed for the call; NULL on error. ERR: NULL,
 * "unavailable" (Redis away or timed out), or another reason.
 */
typedef void store_json_cb(json_t *result, const char *err, void *arg);

/* Set the key prefix; register the function library, checked at every
 * connect against server/core/interaction.c (FCALL rx_vocab). */
int store_start(struct event_base *, const struct config *, const char **cause);
/* The configured key prefix ("rx:"). */
const char *store_prefix(void);
/* 1 when Redis is connected and the function library is loaded. */
int store_ready(void);

/*
 * Interactions on their way into Redis together: one FCALL
 * rx_ingest_batch for several, each one validated, deduplicated and stored
 * on its own, with its blobs (attachments, raw message) inside the same
 * call. Only server/core/ingest.c uses this.
 */
struct store_batch;
/* Told each item's answer, in the order added: I is its index, RESULT the
 * function's JSON (borrowed) or NULL with ERR ("unavailable": Redis away
 * or timed out; anything else: the interaction was refused). */
typedef void store_batch_cb(int i, json_t *result, const char *err, void *arg);
struct store_batch *store_batch_new(void);
/* Encode IN (copied: the caller may free it on return). */
void store_batch_add(struct store_batch *, const struct interaction *);
/* Bytes encoded so far. */
size_t store_batch_bytes(const struct store_batch *);
/* Send and free the batch; CB is then told every item. -1 when Redis is
 * not ready: CB is not called. */
int store_batch_send(struct store_batch *, store_batch_cb *cb, void *arg);
void store_batch_free(struct store_batch *);

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
