/*
 * auth_login: POST /api/v1/session. Checks a password off the loop, slows
 * repeated failures down with a timer and locks the account after
 * auth.max_failures, answering every failure alike (401
 * invalid_credentials) whether the email or the password was wrong.
 */
#ifndef RX_AUTH_LOGIN_H
#define RX_AUTH_LOGIN_H

struct event_base;
struct config;

/* Register the route; prepare the decoy hash. 0, or -1 with *cause. */
int auth_login_start(struct event_base *, const struct config *,
    const char **cause);
/* Logins in flight (waiting on Redis, a worker or their delay). */
unsigned auth_login_busy(void);
/* Free every login in flight, unanswered. */
void auth_login_stop(void);

#endif
