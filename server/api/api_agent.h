/*
 * api_agent: the agents' endpoints (/api/v1/agents...) and the rest of
 * /api/v1/session (who am I, log out). See docs/api.md.
 */
#ifndef RX_API_AGENT_H
#define RX_API_AGENT_H

struct event_base;
struct config;

/* Register the routes. */
int api_agent_start(struct event_base *, const struct config *, const char **cause);
/* Forget requests waiting on a password hash. */
void api_agent_stop(void);

#endif
