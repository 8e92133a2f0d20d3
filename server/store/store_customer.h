/*
 * store_customer: the C API over the customer functions of the Redis
 * library (server/store/lua/customer_ops.lua, docs/datamodel.md). Each call is
 * one round trip; the answer is the function's JSON, borrowed for the
 * callback, or an error reason that store_customer_error maps to HTTP.
 * Every call returns -1 when Redis is not ready (the callback is then not
 * called). Identities must be normalised before they reach these calls
 * (server/customer/phone.h, server/customer/ident.h); store_customer_search does it itself.
 */
#ifndef RX_STORE_CUSTOMER_H
#define RX_STORE_CUSTOMER_H

#include <stddef.h>

#include "server/store/store.h"

struct ticket_who;

/* The card of customer ID (a merged id answers its survivor's), with its
 * identities and newest tickets; a ticket WHO may not see (NULL: the
 * system, sees all) shows only that it exists and its status. */
int store_customer_get(const char *id, const struct ticket_who *who,
    store_json_cb *, void *arg);
/* COUNT history entries of ID, newest first, after CURSOR (NULL or "":
 * from the newest); the answer's "next" is the following page's cursor.
 * Entries of tickets WHO may not see come without their summary. */
int store_customer_history(const char *id, const char *cursor, int count,
    const struct ticket_who *who, store_json_cb *, void *arg);
/* Customers matching Q as an email, a phone number (national numbers read
 * as COUNTRY), an external id "scheme:value", a customer id, or a name
 * prefix; at most LIMIT. */
int store_customer_search(const char *q, const char *country, int limit,
    store_json_cb *, void *arg);
/* Create or update a customer from ROW {"fields":{..},"emails":[..],
 * "phones":[..],"ext":[[scheme,value],..],"actor":..} (borrowed). The
 * answer's "result" is created, updated or unchanged. */
int store_customer_upsert(json_t *row, store_json_cb *, void *arg);
/* Edit FIELDS (a JSON object, borrowed) of customer ID as ACTOR ("a:<id>");
 * every change is written to the audit stream. */
int store_customer_update(const char *id, json_t *fields, const char *actor,
    store_json_cb *, void *arg);
/* Merge customer LOSER into SURVIVOR as ACTOR: identities, history and
 * tickets move; merging again answers "already":true. */
int store_customer_merge(const char *survivor, const char *loser,
    const char *actor, store_json_cb *, void *arg);
/* COUNT customers with ids above CURSOR (NULL: from the first), with their
 * identities; "next" continues. */
int store_customer_export(const char *cursor, int count, store_json_cb *,
    void *arg);
/*
 * The HTTP status for an error reason from these calls; *CODE gets
 * "not_found", "bad_request", "conflict", "unavailable" or "internal" and
 * MSG the function's message without Redis's decorations.
 */
int store_customer_error(const char *err, const char **code, char *msg,
    size_t len);

#endif
