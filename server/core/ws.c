/* ws: see ws.h. The only file that includes wslay. */
#include <sys/queue.h>
#include <sys/types.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <wslay/wslay.h>

#include "server/core/config.h"
#include "server/core/http.h"
#include "server/core/log.h"
#include "server/core/metrics.h"
#include "server/core/idtab.h"
#include "server/core/ws.h"

/* RFC 6455 section 1.3. */
#define WS_GUID		"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define CLOSE_GRACE_S	5	/* a peer's time to answer our close */
#define READ_HIGH_WM	(64 * 1024)
#define MAX_KINDS	8

enum state { ST_OPEN, ST_CLOSING, ST_DEAD };

/* Where the peer's byte stream stands, frame by frame, beside wslay: at a
 * frame boundary outside a fragmented message wslay's context holds
 * nothing of the peer's, and an idle connection gives it back. */
struct reader {
	uint64_t left;		/* payload bytes of this frame still to come */
	uint8_t hdr[14];	/* the header so far */
	uint8_t hlen;
	uint8_t in_msg;		/* a fragmented data message is open */
};

struct kind {
	const char *name;
	struct metric *gauge;
	long open;
};

struct ws_conn {
	uint64_t id;
	char tag[96];
	char peer[64];
	enum state state;
	int pong_due;		/* a ping is out and unanswered */
	int dead_code;		/* on_close's code when the peer vanished */
	int in_recv;		/* inside wslay_event_recv: keep ctx */
	struct evhttp_connection *evcon;
	struct bufferevent *bev;
	/* wslay's context is 8 kB of frame buffers: made when bytes come or
	 * go, freed when the connection is idle again (ctx_release). */
	wslay_event_context_ptr ctx;
	size_t max_message;
	struct reader rd;
	const struct ws_handler *h;
	void *arg;
	struct kind *kind;
	struct event *timer;	/* ping, pong deadline, close grace */
	struct event *reap;	/* frees the connection from the loop */
	size_t max_queue;
	TAILQ_ENTRY(ws_conn) entry;
};
TAILQ_HEAD(connq, ws_conn);

static struct {
	struct event_base *base;
	char node[64];
	char *origins;
	char own_origin[256];	/* server.public_url's scheme://host[:port] */
	size_t max_message, max_queue;
	int ping_s, pong_s;
	struct connq conns;
	struct idtab ids;		/* connection ids across Redis hops */
	uint64_t seq;
	struct kind kinds[MAX_KINDS];
	size_t nkinds;
} W;

static void conn_flush(struct ws_conn *);
static void conn_start(struct ws_conn *, struct bufferevent *);
static ssize_t on_wslay_recv(wslay_event_context_ptr, uint8_t *, size_t, int,
    void *);
static ssize_t on_wslay_send(wslay_event_context_ptr, const uint8_t *, size_t,
    int, void *);
static void on_wslay_msg(wslay_event_context_ptr,
    const struct wslay_event_on_msg_recv_arg *, void *);

void
ws_accept_key(const char *key, char *out, size_t outlen)
{
	unsigned char digest[SHA_DIGEST_LENGTH];
	char buf[128];
	int n;

	if (outlen < 29)
		log_fatalx("ws: accept key buffer too small");
	n = snprintf(buf, sizeof(buf), "%s%s", key, WS_GUID);
	if (n < 0 || (size_t)n >= sizeof(buf))
		n = (int)sizeof(buf) - 1;
	SHA1((const unsigned char *)buf, (size_t)n, digest);
	EVP_EncodeBlock((unsigned char *)out, digest, SHA_DIGEST_LENGTH);
}

int
ws_key_valid(const char *key)
{
	unsigned char raw[24];
	size_t n;

	/* 16 bytes in base64 are 22 characters and "==". */
	if (key == NULL || (n = strlen(key)) != 24 || key[22] != '=' ||
	    key[23] != '=')
		return 0;
	for (size_t i = 0; i < 22; i++)
		if (!isalnum((unsigned char)key[i]) && key[i] != '+' &&
		    key[i] != '/')
			return 0;
	return EVP_DecodeBlock(raw, (const unsigned char *)key, 24) == 18;
}

int
ws_origin_allowed(const char *origin, const char *own, const char *allowed)
{
	const char *p, *s, *e;
	size_t n;

	if (origin == NULL)
		return 1;
	/* The console's own origin, scheme and port included: never the
	 * request's Host, which a DNS-rebinding page chooses. */
	if (own && *own && strcasecmp(origin, own) == 0)
		return 1;
	n = strlen(origin);
	for (s = allowed ? allowed : ""; *s; s = *e ? e + 1 : e) {
		while (*s == ' ')
			s++;
		e = s + strcspn(s, ",");
		p = e;
		while (p > s && p[-1] == ' ')
			p--;
		if ((p - s == 1 && *s == '*') ||
		    ((size_t)(p - s) == n && strncasecmp(s, origin, n) == 0))
			return 1;
	}
	return 0;
}

int
ws_utf8_valid(const char *buf, size_t len)
{
	const unsigned char *s = (const unsigned char *)buf, *end;

	if (len == 0)
		return 1;	/* an empty message (wslay passes NULL) is valid */
	end = s + len;
	while (s < end) {
		unsigned c = *s, need, cp, min;
		if (c < 0x80) {
			s++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			need = 1, cp = c & 0x1f, min = 0x80;
		else if (c >= 0xe0 && c <= 0xef)
			need = 2, cp = c & 0x0f, min = 0x800;
		else if (c >= 0xf0 && c <= 0xf4)
			need = 3, cp = c & 0x07, min = 0x10000;
		else
			return 0;
		if ((size_t)(end - s) <= need)
			return 0;
		for (unsigned i = 1; i <= need; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		s += need + 1;
	}
	return 1;
}

/* 1 when header VALUE holds TOKEN in its comma list (RFC 7230 3.2.6). */
static int
header_has_token(const char *value, const char *token)
{
	size_t n = strlen(token);

	for (const char *s = value; s && *s; ) {
		while (*s == ' ' || *s == '\t' || *s == ',')
			s++;
		if (strncasecmp(s, token, n) == 0 &&
		    (s[n] == '\0' || s[n] == ',' || s[n] == ' ' || s[n] == '\t'))
			return 1;
		s = strchr(s, ',');
	}
	return 0;
}

int
ws_check(struct http_req *r)
{
	const char *up = http_header(r, "Upgrade");
	const char *conn = http_header(r, "Connection");
	const char *ver = http_header(r, "Sec-WebSocket-Version");

	if (strcmp(http_method(r), "GET") || up == NULL ||
	    strcasecmp(up, "websocket") || !header_has_token(conn, "upgrade")) {
		http_set_header(r, "Upgrade", "websocket");
		http_error(r, 426, "upgrade_required",
		    "a WebSocket upgrade (GET, Upgrade: websocket) is expected", NULL);
		return -1;
	}
	if (ver == NULL || strcmp(ver, "13")) {
		http_set_header(r, "Sec-WebSocket-Version", "13");
		http_error(r, 426, "upgrade_required",
		    "only WebSocket version 13 is supported", NULL);
		return -1;
	}
	if (!ws_key_valid(http_header(r, "Sec-WebSocket-Key"))) {
		http_error(r, 400, "bad_request",
		    "Sec-WebSocket-Key must be base64 of 16 bytes", NULL);
		return -1;
	}
	if (!ws_origin_allowed(http_header(r, "Origin"), W.own_origin,
	    W.origins)) {
		http_error(r, 403, "origin_refused",
		    "this Origin may not open a WebSocket here", NULL);
		return -1;
	}
	return 0;
}

static struct kind *
kind_get(const char *name)
{
	char labels[80];

	for (size_t i = 0; i < W.nkinds; i++)
		if (strcmp(W.kinds[i].name, name) == 0)
			return &W.kinds[i];
	if (W.nkinds == MAX_KINDS)
		log_fatalx("ws: too many connection kinds");
	snprintf(labels, sizeof(labels), "kind=\"%s\"", name);
	W.kinds[W.nkinds] = (struct kind){ name, metrics_gauge(
	    "rxdesk_open_connections",
	    "Open connections (HTTP: requests in flight), by kind.", labels), 0 };
	return &W.kinds[W.nkinds++];
}

struct ws_conn *
ws_find(uint64_t id)
{
	struct ws_conn *c = idtab_find(&W.ids, id);

	return c && c->state == ST_OPEN ? c : NULL;
}

uint64_t ws_conn_id(const struct ws_conn *c) { return c->id; }
const char *ws_conn_tag(const struct ws_conn *c) { return c->tag; }
const char *ws_conn_peer(const struct ws_conn *c) { return c->peer; }
void *ws_conn_arg(const struct ws_conn *c) { return c->arg; }
const char *ws_conn_kind(const struct ws_conn *c) { return c->kind->name; }

size_t
ws_conn_queued(const struct ws_conn *c)
{
	return (c->ctx ? wslay_event_get_queued_msg_length(c->ctx) : 0) +
	    evbuffer_get_length(bufferevent_get_output(c->bev));
}

/* Follow the N bytes at P that wslay is handed (RFC 6455 5.2). */
static void
reader_track(struct reader *r, const uint8_t *p, size_t n)
{
	while (n > 0) {
		size_t need = 2;

		if (r->left > 0) {
			size_t k = n < r->left ? n : (size_t)r->left;
			r->left -= k;
			p += k;
			n -= k;
			continue;
		}
		r->hdr[r->hlen++] = *p++;
		n--;
		if (r->hlen >= 2) {
			uint8_t l7 = r->hdr[1] & 0x7f;
			need += (l7 == 126 ? 2 : l7 == 127 ? 8 : 0) +
			    (r->hdr[1] & 0x80 ? 4 : 0);
		}
		if (r->hlen < need)
			continue;
		r->left = r->hdr[1] & 0x7f;
		if (r->left >= 126) {
			size_t w = r->left == 126 ? 2 : 8;
			r->left = 0;
			for (size_t i = 0; i < w; i++)
				r->left = r->left << 8 | r->hdr[2 + i];
		}
		/* Control frames (opcode >= 8) may come between fragments. */
		if ((r->hdr[0] & 0x0f) < 8)
			r->in_msg = !(r->hdr[0] & 0x80);
		r->hlen = 0;
	}
}

/* wslay's context for C, made when needed; -1 when out of memory. */
static int
ctx_get(struct ws_conn *c)
{
	static const struct wslay_event_callbacks cbs = {
		on_wslay_recv, on_wslay_send, NULL, NULL, NULL, NULL, on_wslay_msg
	};

	if (c->ctx)
		return 0;
	if (wslay_event_context_server_init(&c->ctx, &cbs, c) != 0) {
		c->ctx = NULL;
		return -1;
	}
	wslay_event_config_set_max_recv_msg_length(c->ctx, c->max_message);
	return 0;
}

/*
 * Free wslay's context when nothing is in it: the connection is open (no
 * close went either way), the peer is between frames and messages, and
 * nothing waits to be sent. A new context is then the same as the old.
 * Never inside wslay_event_recv (an owner may send from on_text).
 */
static void
ctx_release(struct ws_conn *c)
{
	if (c->ctx == NULL || c->in_recv || c->state != ST_OPEN ||
	    c->rd.hlen || c->rd.left || c->rd.in_msg ||
	    wslay_event_want_write(c->ctx) ||
	    wslay_event_get_queued_msg_count(c->ctx) ||
	    wslay_event_get_close_sent(c->ctx) ||
	    wslay_event_get_close_received(c->ctx))
		return;
	wslay_event_context_free(c->ctx);
	c->ctx = NULL;
}

static int
close_code(const struct ws_conn *c)
{
	if (c->ctx == NULL)	/* freed only while open: no close either way */
		return c->dead_code ? c->dead_code : WSLAY_CODE_ABNORMAL_CLOSURE;
	if (wslay_event_get_close_received(c->ctx))
		return wslay_event_get_status_code_received(c->ctx);
	if (wslay_event_get_close_sent(c->ctx) && c->dead_code == 0)
		return wslay_event_get_status_code_sent(c->ctx);
	return c->dead_code ? c->dead_code : WSLAY_CODE_ABNORMAL_CLOSURE;
}

/* Tell the owner, then free everything; the evhttp connection owns the
 * socket and the bufferevent. */
static void
conn_free(struct ws_conn *c)
{
	int code = close_code(c);

	c->state = ST_DEAD;
	idtab_remove(&W.ids, c->id, c);
	TAILQ_REMOVE(&W.conns, c, entry);
	metrics_set(c->kind->gauge, --c->kind->open);
	log_debug("ws=%s kind=%s closed code=%d", c->tag, c->kind->name, code);
	if (c->h->on_close)
		c->h->on_close(c, code, c->arg);
	if (c->ctx)
		wslay_event_context_free(c->ctx);
	event_free(c->timer);
	event_free(c->reap);
	if (c->evcon) {
		evhttp_connection_set_closecb(c->evcon, NULL, NULL);
		evhttp_connection_free(c->evcon);
	}
	free(c);
}

static void
on_reap(evutil_socket_t fd, short ev, void *arg)
{
	conn_free(arg);
}

/* Stop all I/O now and free C from the loop. CODE is what on_close hears
 * when no close frame went either way (1006: the peer vanished). */
static void
conn_fail(struct ws_conn *c, int code)
{
	if (c->state == ST_DEAD)
		return;
	if (c->dead_code == 0)
		c->dead_code = code;
	c->state = ST_DEAD;
	idtab_remove(&W.ids, c->id, c);
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	evtimer_del(c->timer);
	event_active(c->reap, EV_TIMEOUT, 1);
}

static void
timer_arm(struct ws_conn *c, int seconds)
{
	struct timeval tv = { seconds, 0 };

	evtimer_add(c->timer, &tv);
}

/* Done when the handshake is over both ways and the socket took it all. */
static void
conn_check_done(struct ws_conn *c)
{
	if (c->state == ST_DEAD || c->ctx == NULL ||
	    wslay_event_want_read(c->ctx) || wslay_event_want_write(c->ctx))
		return;
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		conn_fail(c, 0);
}

static void
conn_flush(struct ws_conn *c)
{
	if (c->state == ST_DEAD || c->ctx == NULL)
		return;
	if (wslay_event_want_write(c->ctx) && wslay_event_send(c->ctx) != 0) {
		conn_fail(c, WSLAY_CODE_ABNORMAL_CLOSURE);
		return;
	}
	conn_check_done(c);
}

static void
conn_closing(struct ws_conn *c)
{
	if (c->state != ST_OPEN)
		return;
	c->state = ST_CLOSING;
	idtab_remove(&W.ids, c->id, c);
	timer_arm(c, CLOSE_GRACE_S);
}

void
ws_close(struct ws_conn *c, int code, const char *reason)
{
	size_t n = reason ? strlen(reason) : 0;

	if (c->state != ST_OPEN)
		return;
	if (n > 123)
		n = 123;	/* RFC 6455 5.5: control payloads are <= 125 */
	if (ctx_get(c) == -1) {
		conn_fail(c, WSLAY_CODE_INTERNAL_SERVER_ERROR);
		return;
	}
	wslay_event_queue_close(c->ctx, (uint16_t)code,
	    (const uint8_t *)reason, n);
	conn_closing(c);
	conn_flush(c);
}

int
ws_send_text(struct ws_conn *c, const char *msg, size_t len)
{
	struct wslay_event_msg m = { WSLAY_TEXT_FRAME, (const uint8_t *)msg, len };

	if (c->state != ST_OPEN)
		return -1;
	if (ws_conn_queued(c) + len > c->max_queue) {
		log_info("ws=%s slow consumer queued=%zu: closing", c->tag,
		    ws_conn_queued(c));
		ws_close(c, WSLAY_CODE_POLICY_VIOLATION, "slow consumer");
		return -1;
	}
	if (ctx_get(c) == -1 || wslay_event_queue_msg(c->ctx, &m) != 0) {
		conn_fail(c, WSLAY_CODE_INTERNAL_SERVER_ERROR);
		return -1;
	}
	conn_flush(c);
	ctx_release(c);
	return 0;
}

static ssize_t
on_wslay_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len,
    int flags, void *arg)
{
	struct ws_conn *c = arg;
	int n = evbuffer_remove(bufferevent_get_input(c->bev), buf, len);

	if (n <= 0) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	reader_track(&c->rd, buf, (size_t)n);
	return n;
}

static ssize_t
on_wslay_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len,
    int flags, void *arg)
{
	struct ws_conn *c = arg;

	if (bufferevent_write(c->bev, data, len) == -1) {
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		return -1;
	}
	return (ssize_t)len;
}

static void
on_wslay_msg(wslay_event_context_ptr ctx,
    const struct wslay_event_on_msg_recv_arg *m, void *arg)
{
	struct ws_conn *c = arg;

	if (m->opcode == WSLAY_PONG) {
		if (c->pong_due && c->state == ST_OPEN) {
			c->pong_due = 0;
			timer_arm(c, W.ping_s);
		}
		return;
	}
	if (c->state != ST_OPEN || m->opcode == WSLAY_PING ||
	    m->opcode == WSLAY_CONNECTION_CLOSE)
		return;	/* wslay answers pings and closes itself */
	if (m->opcode != WSLAY_TEXT_FRAME) {
		ws_close(c, WSLAY_CODE_UNSUPPORTED_DATA, "text messages only");
		return;
	}
	/* RFC 6455 8.1: a text message that is not UTF-8 fails the
	 * connection with 1007. */
	if (!ws_utf8_valid((const char *)m->msg, m->msg_length)) {
		ws_close(c, WSLAY_CODE_INVALID_FRAME_PAYLOAD_DATA,
		    "invalid UTF-8");
		return;
	}
	if (c->h->on_text)
		c->h->on_text(c, (const char *)m->msg, m->msg_length, c->arg);
}

static void
on_read(struct bufferevent *bev, void *arg)
{
	struct ws_conn *c = arg;

	int rv;

	if (c->state == ST_DEAD)
		return;
	if (ctx_get(c) == -1) {
		conn_fail(c, WSLAY_CODE_INTERNAL_SERVER_ERROR);
		return;
	}
	c->in_recv = 1;
	rv = wslay_event_recv(c->ctx);
	c->in_recv = 0;
	if (rv != 0) {
		conn_fail(c, WSLAY_CODE_ABNORMAL_CLOSURE);
		return;
	}
	/* wslay queued a close of its own (1002, 1009): no more messages. */
	if (c->state == ST_OPEN && wslay_event_get_close_sent(c->ctx))
		conn_closing(c);
	if (c->state == ST_OPEN && wslay_event_get_close_received(c->ctx))
		conn_closing(c);
	conn_flush(c);
	/* Pongs for a peer that sends pings and never reads: bounded too. */
	if (c->state != ST_DEAD && ws_conn_queued(c) > c->max_queue) {
		if (c->state == ST_OPEN)
			ws_close(c, WSLAY_CODE_POLICY_VIOLATION, "slow consumer");
		else
			conn_fail(c, WSLAY_CODE_POLICY_VIOLATION);
	}
	ctx_release(c);
}

static void
on_write(struct bufferevent *bev, void *arg)
{
	conn_check_done(arg);
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct ws_conn *c = arg;

	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		conn_fail(c, WSLAY_CODE_ABNORMAL_CLOSURE);
}

/* Ping when none is out; a ping unanswered for pong_timeout, or a close
 * unanswered for CLOSE_GRACE_S, ends the connection. */
static void
on_timer(evutil_socket_t fd, short ev, void *arg)
{
	struct ws_conn *c = arg;
	struct wslay_event_msg ping = { WSLAY_PING, (const uint8_t *)"rx", 2 };

	if (c->state == ST_CLOSING) {
		log_debug("ws=%s close not answered: dropping", c->tag);
		conn_fail(c, 0);
		return;
	}
	if (c->pong_due) {
		log_info("ws=%s kind=%s no pong in %d s: dropping", c->tag,
		    c->kind->name, W.pong_s);
		conn_fail(c, WSLAY_CODE_ABNORMAL_CLOSURE);
		return;
	}
	if (ctx_get(c) == -1 || wslay_event_queue_msg(c->ctx, &ping) != 0) {
		conn_fail(c, WSLAY_CODE_INTERNAL_SERVER_ERROR);
		return;
	}
	c->pong_due = 1;
	timer_arm(c, W.pong_s);
	conn_flush(c);
	ctx_release(c);
}

/* evhttp_free() closes connections it still knows, ours included. */
static void
on_evhttp_close(struct evhttp_connection *evcon, void *arg)
{
	struct ws_conn *c = arg;

	c->evcon = NULL;
	conn_free(c);
}

static struct ws_conn *
conn_new(const char *peer, const struct ws_handler *h, void *arg)
{
	struct ws_conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		log_fatalx("ws: out of memory");
	c->max_message = h->max_message ? h->max_message : W.max_message;
	c->id = idtab_add(&W.ids, c);
	snprintf(c->tag, sizeof(c->tag), "%s-w%llu", W.node,
	    (unsigned long long)++W.seq);
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	c->h = h;
	c->arg = arg;
	c->max_queue = W.max_queue;
	c->kind = kind_get(h->kind);
	c->timer = evtimer_new(W.base, on_timer, c);
	c->reap = event_new(W.base, -1, 0, on_reap, c);
	TAILQ_INSERT_TAIL(&W.conns, c, entry);
	metrics_set(c->kind->gauge, ++c->kind->open);
	return c;
}

struct ws_conn *
ws_accept(struct http_req *r, const struct ws_handler *h, void *arg)
{
	struct evhttp_request *req = http_evreq(r);
	struct ws_conn *c;
	char accept[32];

	if (ws_check(r) == -1)
		return NULL;
	ws_accept_key(http_header(r, "Sec-WebSocket-Key"), accept,
	    sizeof(accept));
	c = conn_new(http_peer(r), h, arg);
	c->evcon = evhttp_request_get_connection(req);
	http_set_header(r, "Upgrade", "websocket");
	http_set_header(r, "Connection", "Upgrade");
	http_set_header(r, "Sec-WebSocket-Accept", accept);
	log_debug("ws=%s req=%s kind=%s peer=%s open", c->tag, http_req_tag(r),
	    h->kind, c->peer);
	evhttp_send_reply_start(req, 101, "Switching Protocols");
	http_detach(r, 101);
	/* The request lives as long as the connection: keep none of it. */
	evhttp_clear_headers(evhttp_request_get_input_headers(req));
	evhttp_clear_headers(evhttp_request_get_output_headers(req));
	/* From here the socket is ours (DEPENDENCIES.md, libevent 2.1). */
	evhttp_connection_set_closecb(c->evcon, on_evhttp_close, c);
	conn_start(c, evhttp_connection_get_bufferevent(c->evcon));
	return c;
}

/* Run the protocol on BEV, which already carries the 101 answer. */
static void
conn_start(struct ws_conn *c, struct bufferevent *bev)
{
	struct evbuffer *in = bufferevent_get_input(bev);

	c->bev = bev;
	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	bufferevent_set_timeouts(c->bev, NULL, NULL);
	bufferevent_setwatermark(c->bev, EV_READ, 0, READ_HIGH_WM);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	/* Frames the client sent right behind its request are waiting. */
	if (evbuffer_get_length(in) > 0)
		bufferevent_trigger(c->bev, EV_READ, BEV_TRIG_DEFER_CALLBACKS);
	else if (evbuffer_add(in, "", 1) == 0)
		/* evhttp leaves an empty 2 kB chain behind the request, and
		 * libevent frees chains only when a drain empties a buffer
		 * that held bytes: give it one byte and take it back. */
		evbuffer_drain(in, 1);
	timer_arm(c, W.ping_s);
}

struct ws_conn *
ws_attach(struct bufferevent *bev, const char *peer, const struct ws_handler *h,
    void *arg)
{
	struct ws_conn *c = conn_new(peer, h, arg);

	conn_start(c, bev);
	return c;
}

static void
set_limits(const struct config *cf)
{
	const char *u = strstr(cf->public_url, "://");
	size_t n = u ? (size_t)(u + 3 - cf->public_url) + strcspn(u + 3, "/?#") : 0;

	free(W.origins);
	if ((W.origins = strdup(cf->http_allowed_origins)) == NULL)
		log_fatalx("ws: out of memory");
	if (n >= sizeof(W.own_origin))
		n = 0;
	snprintf(W.own_origin, sizeof(W.own_origin), "%.*s", (int)n, cf->public_url);
	W.max_message = cf->ws_max_message;
	W.max_queue = cf->ws_max_queue;
	W.ping_s = cf->ws_ping_interval;
	W.pong_s = cf->ws_pong_timeout;
}

int
ws_start(struct event_base *base, const struct config *cf, const char **cause)
{
	(void)cause;
	W.base = base;
	TAILQ_INIT(&W.conns);
	if (cf->node_id[0])
		snprintf(W.node, sizeof(W.node), "%s", cf->node_id);
	else
		snprintf(W.node, sizeof(W.node), "n%d", (int)getpid());
	set_limits(cf);
	kind_get("agent_ws");
	kind_get("chat_ws");
	return 0;
}

void
ws_reload(const struct config *cf)
{
	set_limits(cf);
}

void
ws_quiesce(void)
{
	struct ws_conn *c;

	/* ws_close never unlinks: that waits for the loop. */
	TAILQ_FOREACH(c, &W.conns, entry)
		ws_close(c, WSLAY_CODE_GOING_AWAY, "server stopping");
}

void
ws_stop(void)
{
	struct ws_conn *c;

	while ((c = TAILQ_FIRST(&W.conns)) != NULL)
		conn_free(c);
	idtab_free(&W.ids);
	free(W.origins);
	W.origins = NULL;
}
