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

/* Register the routes. */
int api_case_start(struct event_base *, const struct config *, const char **cause);

#endif
