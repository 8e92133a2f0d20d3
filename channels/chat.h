/*
 * chat: GET /chat/ws, the customers' web chat (docs/chat.md). This file is
 * the listener: it takes the upgrade (Origin, connections per address, the
 * node's cap), keeps this node's conversations by ticket, hands every
 * event about a chat (server/core/events.h) to the conversations of that
 * ticket, and runs the timers: idle sockets, queue positions, agents gone
 * mid-chat. One conversation's protocol is channels/chat_session.c; the
 * agent's commands on /agent/ws are channels/chat_agent.c.
 */
#ifndef RX_CHAT_H
#define RX_CHAT_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct config;
struct chat_conn;

/* What the sessions read of the configuration (chat.*). */
struct chat_limits {
	int rate, burst;	/* frames per second, and at once */
	int idle_timeout;	/* seconds */
	int handle_seconds;	/* for wait estimates */
	int offer_after;	/* seconds; 0: never */
	int agent_grace;	/* seconds */
	const char *hours;	/* "" or "mon-fri 08:00-18:00" */
	const char *country;	/* for national phone numbers */
};

/* Check the chat.* keys (--check-config); -1 with ERR set. */
int chat_check(const struct config *, char *err, size_t errlen);
/* Route GET /chat/ws, listen to events, start the timers. */
int chat_start(struct event_base *, const struct config *, const char **cause);
void chat_reload(const struct config *);
/* Customer frames waiting on Redis. */
unsigned chat_busy(void);
/* Stop the timers; the sockets are closed by ws_stop. */
void chat_stop(void);

/* The limits in force (owned here, valid until the next reload). */
const struct chat_limits *chat_limits(void);
/* Deliver the conversation's ticket's events to CC from now on (ticket 0:
 * none). */
void chat_bind(struct chat_conn *cc, uint64_t ticket);
/*
 * Events about TICKET this node received lately, oldest first: FN is told
 * each, so that a conversation that just resumed misses nothing published
 * while its transcript was read.
 */
void chat_recent(uint64_t ticket, void (*fn)(const void *ev, void *arg),
    void *arg);
/* 1 when SPEC (chat.hours) says the desk is open at Unix time NOW; -1 when
 * SPEC is malformed. */
int chat_hours_open(const char *spec, int64_t now);

#endif
