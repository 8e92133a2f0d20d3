/*
 * api_console: what the console needs beside the working API (docs/api.md,
 * "The console"): GET /api/v1/team, every agent by name with their routing
 * state, for any role (authors and the agent picker by name); GET
 * /api/v1/stats, the supervisor dashboard's figures for its charts.
 */
#ifndef RX_API_CONSOLE_H
#define RX_API_CONSOLE_H

struct event_base;
struct config;

/* Register the routes. */
int api_console_start(struct event_base *, const struct config *, const char **cause);

#endif
