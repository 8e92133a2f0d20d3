/*
 * agentws: GET /agent/ws, the agents' live channel. An agent opens it with
 * the session cookie, a bearer token or "?token=", from an allowed Origin,
 * and gets a hello, then every event (server/core/events.h) meant for them:
 * about tickets assigned to them, tickets they follow, new and waiting
 * tickets their roles may see; supervisors and admins get every event.
 * While connected the agent's presence key (<prefix>presence:<agent> =
 * node id) is refreshed with a TTL. Commands come up the socket as JSON
 * objects {"type":..., "id":...}; answers carry the command's "id" as
 * "ref". Built in: ping, subscribe, unsubscribe. Other modules (the chat)
 * add theirs with agentws_command.
 */
#ifndef RX_AGENTWS_H
#define RX_AGENTWS_H

#include <stddef.h>

struct event_base;
struct config;
struct ws_conn;
struct auth_agent;
typedef struct json_t json_t;

#define AGENTWS_PRESENCE_REFRESH	10	/* seconds between refreshes */
#define AGENTWS_PRESENCE_TTL		30	/* seconds the key outlives us */
#define AGENTWS_MAX_PER_AGENT		8	/* sockets of one agent on a node */

/*
 * A command up the socket. C is the agent's connection (live for the call;
 * keep ws_conn_id across an asynchronous hop), WHO the agent, CMD the
 * decoded object (borrowed). Answer with agentws_reply or agentws_error.
 */
typedef void agentws_cmd_fn(struct ws_conn *c, const struct auth_agent *who,
    json_t *cmd, void *arg);

/* Register GET /agent/ws, listen to events, start the presence timer. */
int agentws_start(struct event_base *, const struct config *, const char **cause);
/* Stop the presence timer; connections are closed by ws_stop. */
void agentws_stop(void);

/* Add command TYPE (registered once, before connections arrive). */
void agentws_command(const char *type, agentws_cmd_fn *fn, void *arg);
/* Send J (consumed) to C, with CMD's "id" (CMD may be NULL) as "ref". */
int agentws_reply(struct ws_conn *c, json_t *cmd, json_t *j);
/* Send {"type":"error","code":CODE,"message":MESSAGE} as agentws_reply. */
int agentws_error(struct ws_conn *c, json_t *cmd, const char *code,
    const char *message);

#endif
