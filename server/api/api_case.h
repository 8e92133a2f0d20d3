/*
 * api_case: the adverse event cases endpoints (docs/api.md "Cases",
 * docs/safety.md): list, read, change, open from a ticket, CSV and E2B
 * exports. Case details and exports are for safety staff, supervisors and
 * admins; whoever may see a flagged ticket may open its case.
 */
#ifndef RX_API_CASE_H
#define RX_API_CASE_H

struct config;
struct event_base;

#include <stdint.h>

struct http_req;
typedef struct json_t json_t;

/* Register the routes. */
int api_case_start(struct event_base *, const struct config *, const char **cause);

/* For the safety desk's other endpoints (api_complaint.c): */
/* A state change's body that is not JSON: 1 after the refusal (415; a
 * cookie session's origin is auth's check, made before). */
int api_case_refused(struct http_req *r);
/* The body as a JSON object (new reference; "" is {} when EMPTY_OK);
 * NULL after a 400. */
json_t *api_case_body(struct http_req *r, int empty_ok);
/* Query NAME as YYYY-MM-DD (END: that day's last ms) or Unix ms into *MS
 * (-1 absent); -1 after a 400. */
int api_case_time(struct http_req *r, const char *name, int end, int64_t *ms);

#endif
