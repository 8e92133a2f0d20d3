/*
 * chat_session: one customer conversation on /chat/ws (docs/chat.md, the
 * frames). It reads the customer's frames (hello, resume, message, typing,
 * read, leave, close), submits each message to the core (ingest_submit,
 * where it is screened and stored), acknowledges it only once Redis has
 * it, and turns the events of its ticket into frames for the widget.
 * Across every asynchronous hop it keeps the socket's id, never a pointer.
 */
#ifndef RX_CHAT_SESSION_H
#define RX_CHAT_SESSION_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

struct ws_conn;
typedef struct json_t json_t;

#define CHAT_TOKEN_LEN	32	/* hex characters of a chat token */
#define CHAT_CID_MAX	64	/* bytes of a client id */
#define CHAT_STRIKES	20	/* frames over the rate before a 1008 close */

enum chat_state {
	CHAT_NEW,		/* no hello or resume yet */
	CHAT_OPENING,		/* hello or resume on its way to Redis */
	CHAT_OPEN,		/* a ticket is bound */
	CHAT_DONE,		/* closed by either side or left a message */
};

/* One conversation: owned by the listener (chat.c), freed on close. */
struct chat_conn {
	struct ws_conn *ws;
	uint64_t wsid;
	enum chat_state state;
	uint64_t ticket;		/* 0 until bound */
	char token[CHAT_TOKEN_LEN + 1];
	char lang[8];
	char name[64], email[256];	/* from hello, for leave-a-message */
	char agent[24];			/* the agent on it, "" while waiting */
	char agent_name[64];
	char last[32];			/* last log id sent to the widget */
	unsigned iphash;
	int waiting;			/* in a queue */
	int offered;			/* leave-a-message offered */
	int strikes;			/* frames refused by the rate limit */
	int64_t waiting_since, last_seen, last_typing; /* ms */
	double tokens;			/* rate limit bucket */
	int64_t refilled;		/* ms */
	LIST_ENTRY(chat_conn) by_ticket, by_ip;
	TAILQ_ENTRY(chat_conn) all;
};

/* A new conversation on socket WS (the caller links it). */
struct chat_conn *chat_session_new(struct ws_conn *ws, unsigned iphash);
/* Free CC (already unlinked); tell the agent the customer left. */
void chat_session_free(struct chat_conn *cc);
/* A text frame from the customer. */
void chat_session_text(struct chat_conn *cc, const char *msg, size_t len);
/* An event about CC's ticket (borrowed). */
void chat_session_event(struct chat_conn *cc, const json_t *ev);
/* The queue state of CC's ticket (rx_chat_positions' entry), borrowed. */
void chat_session_state(struct chat_conn *cc, const json_t *st);
/* Frames submitted and not yet answered by Redis. */
unsigned chat_session_pending(void);
/* Once a second: closes an idle conversation. */
void chat_session_tick(struct chat_conn *cc, int64_t now);

#endif
