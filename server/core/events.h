/*
 * events: what happens to tickets, queues and agents, told to every node.
 * The Redis functions publish them (docs/datamodel.md, Events) in the same
 * atomic call that made the change. Each node subscribes once and hands
 * every event to the listeners registered here (the agent WebSocket),
 * which deliver to their own connections.
 */
#ifndef RX_EVENTS_H
#define RX_EVENTS_H

struct event_base;
struct config;

typedef struct json_t json_t;

/* EVENT is borrowed for the call. */
typedef void events_fn(const json_t *event, void *arg);

/* Subscribe to <prefix>events; call once at start. */
int events_start(struct event_base *, const struct config *, const char **cause);
/* Add a listener for every event. */
void events_listen(events_fn *fn, void *arg);

#endif
