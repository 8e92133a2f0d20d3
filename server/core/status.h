/*
 * status: GET /healthz (the process answers), GET /readyz (Redis reachable
 * and its functions loaded) and GET /metrics (Prometheus text).
 */
#ifndef RX_STATUS_H
#define RX_STATUS_H

struct event_base;
struct config;

/* Register the three routes and the build_info metric. */
int status_start(struct event_base *, const struct config *, const char **cause);

#endif
