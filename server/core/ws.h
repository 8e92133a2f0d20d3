/*
 * ws: the WebSocket transport (RFC 6455) under the agent channel and the
 * customer chat. It takes an evhttp request over (the upgrade answered with
 * 101), frames with wslay, checks Origin, bounds what a peer may send and
 * what may wait for a slow peer, pings, and closes a peer that stops
 * answering. Owners see struct ws_conn and text messages only.
 *
 * A connection is never freed inside one of its own callbacks: ws_close and
 * every failure mark it, and the loop frees it right after, calling the
 * owner's on_close exactly once. Across an asynchronous hop keep
 * ws_conn_id() and find the connection again with ws_find().
 */
#ifndef RX_WS_H
#define RX_WS_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct bufferevent;
struct config;
struct http_req;
struct ws_conn;

/* What an owner of connections gets told. ARG is ws_accept's. */
struct ws_handler {
	const char *kind;	/* "agent_ws", "chat_ws": the metrics label */
	size_t max_message;	/* largest message taken; 0: http.ws_max_message */
	/* A complete text message, valid UTF-8, not NUL-terminated. */
	void (*on_text)(struct ws_conn *, const char *msg, size_t len,
	    void *arg);
	/* The connection is going away (CODE as sent or received, 1006 when
	 * the peer vanished). Last call for it; sending is refused now. */
	void (*on_close)(struct ws_conn *, int code, void *arg);
};

/* Read the limits (http.ws_*) and the allowed origins; call at start. */
int ws_start(struct event_base *, const struct config *, const char **cause);
/* Apply new limits and origins; open connections keep their own. */
void ws_reload(const struct config *);
/* Send every open connection a 1001 close (the node is stopping). */
void ws_quiesce(void);
/* Free every connection (calling each on_close), then what ws_start kept. */
void ws_stop(void);

/*
 * Check that R is a WebSocket upgrade we accept: GET, "Upgrade: websocket",
 * version 13, a well-formed key, and an Origin that is allowed (server.
 * public_url's origin, or listed in http.allowed_origins; never judged by
 * the Host header; no Origin at all is a non-browser client and is
 * allowed). Otherwise answer R
 * (400, 403, 426) and return -1.
 */
int ws_check(struct http_req *r);
/*
 * Check R as ws_check does, then answer 101 and take the connection over.
 * Returns the new connection, or NULL when R was answered with an error.
 * H must outlive the connection; ARG is passed to its callbacks.
 */
struct ws_conn *ws_accept(struct http_req *r, const struct ws_handler *h,
    void *arg);

/*
 * Run the protocol on BEV, a connection already past the handshake (a
 * bufferevent pair in tests and fuzzing). The caller frees BEV after the
 * connection's on_close.
 */
struct ws_conn *ws_attach(struct bufferevent *bev, const char *peer,
    const struct ws_handler *h, void *arg);

/*
 * Queue a text message (copied). 0, or -1 when the connection is closing
 * or this would put more than http.ws_max_queue bytes behind a slow peer:
 * then the connection is closed with 1008.
 */
int ws_send_text(struct ws_conn *, const char *msg, size_t len);
/* Start the closing handshake with CODE and REASON (may be NULL). */
void ws_close(struct ws_conn *, int code, const char *reason);

/* The connection's id, unique in this process and never reused. */
uint64_t ws_conn_id(const struct ws_conn *);
/* The connection with this id, or NULL once it is closing or gone. */
struct ws_conn *ws_find(uint64_t id);
/* "<node>-w<n>": how logs name the connection. */
const char *ws_conn_tag(const struct ws_conn *);
/* The handler's kind ("agent_ws", "chat_ws"). */
const char *ws_conn_kind(const struct ws_conn *);
/* The ARG given to ws_accept. */
void *ws_conn_arg(const struct ws_conn *);
/* The peer's address. */
const char *ws_conn_peer(const struct ws_conn *);
/* Bytes queued for the peer and not yet written to the socket. */
size_t ws_conn_queued(const struct ws_conn *);

/*
 * Sec-WebSocket-Accept for KEY (RFC 6455 section 4.2.2): base64 of the
 * SHA-1 of KEY and the protocol's GUID, into OUT (at least 29 bytes).
 */
void ws_accept_key(const char *key, char *out, size_t outlen);
/* 1 when KEY is base64 of 16 bytes (RFC 6455 section 4.1), else 0. */
int ws_key_valid(const char *key);
/*
 * 1 when ORIGIN may open a WebSocket: it equals OWN (the console's origin,
 * "scheme://host[:port]", compared whole) or is listed in ALLOWED (a comma
 * list of origins, "*" for any). ORIGIN NULL is a non-browser: allowed.
 */
int ws_origin_allowed(const char *origin, const char *own,
    const char *allowed);
/* 1 when BUF is valid UTF-8 (RFC 3629: no overlongs, no surrogates). */
int ws_utf8_valid(const char *buf, size_t len);

#endif
