/*
 * api_supervisor: the routing part of the HTTP API (docs/api.md, "Routing
 * and supervision"): queue figures, agents by state and load, pause and
 * resume, queue changes, manual re-assignment, and agents' presence.
 */
#ifndef RX_API_SUPERVISOR_H
#define RX_API_SUPERVISOR_H

struct event_base;
struct config;

/* Register the routes; from routing_start. */
int api_supervisor_start(struct event_base *, const struct config *, const char **cause);

#endif
