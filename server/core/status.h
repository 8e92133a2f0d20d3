/*
 * status: GET /healthz (the process answers), GET /readyz (Redis reachable
 * and its functions loaded) and GET /metrics (Prometheus text).
 */
#ifndef RX_STATUS_H
#define RX_STATUS_H

/* Register the three routes and the build_info metric. */
void status_init(void);

#endif
