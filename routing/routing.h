/*
 * routing: the daemon module that owns triage's rule set, the queue
 * definitions written to Redis, and the periodic sweep (dispatch, presence
 * expiry, wrap-up ends, SLA timers) every node runs (docs/routing.md).
 */
#ifndef RX_ROUTING_H
#define RX_ROUTING_H

struct event_base;
struct config;

/* Register the [rule], [product], [lexicon] and [queue] section hooks. */
void routing_config(void);
/* Check a loaded configuration: every queue a rule names is defined (and
 * declare the defined queues to server/core/queue_names.h); 0 or -1 with
 * ERR naming file and key. */
int routing_check(const struct config *, char *err, size_t errlen);
/* Put the configuration in force and start the sweep; 0, or -1 with *cause. */
int routing_start(struct event_base *, const struct config *, const char **cause);
/* Take in a reloaded configuration. */
void routing_reload(const struct config *);
/* Stop the sweep and free everything. */
void routing_stop(void);

#endif
