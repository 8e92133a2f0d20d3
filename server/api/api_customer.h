/*
 * api_customer: the agents' customer endpoints (docs/customers.md):
 *   GET   /api/v1/customers?q=&limit=          search: email, phone, external
 *                                              id, customer id or name prefix
 *   GET   /api/v1/customers/{id}               card: fields, identities, tickets
 *   GET   /api/v1/customers/{id}/history?cursor=&limit=
 *                                              contact history, newest first
 *   PATCH /api/v1/customers/{id}               edit fields (audited)
 *   POST  /api/v1/customers/{id}/merge         {"from": id}: merge into {id}
 * Reading and editing need any agent role; merging needs supervisor or admin.
 */
#ifndef RX_API_CUSTOMER_H
#define RX_API_CUSTOMER_H

#include <stddef.h>

struct event_base;
struct config;

/* Check server.default_country; -1 with ERR set. */
int api_customer_check(const struct config *, char *err, size_t errlen);
/* Register the routes; the modules.c init signature. */
int api_customer_start(struct event_base *, const struct config *,
    const char **cause);
/* Apply server.default_country from a reloaded configuration. */
void api_customer_reload(const struct config *);

#endif
