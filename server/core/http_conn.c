/* http_conn: see http_conn.h. */
#include <sys/queue.h>
#include <sys/socket.h>

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <openssl/ssl.h>

#include "server/core/config.h"
#include "server/core/http_conn.h"
#include "server/core/log.h"
#include "server/core/metrics.h"

#define BUCKETS		4096
#define LINE_KEEP	48	/* enough of a header line to know its name */

enum phase { C_IDLE, C_HEAD, C_BODY, C_HANDLER };

struct addr {
	SLIST_ENTRY(addr) next;
	int n;
	char ip[64];
};

struct http_conn {
	LIST_ENTRY(http_conn) next;
	struct bufferevent *bev;
	struct evhttp_connection *evcon;	/* NULL until attached */
	struct evbuffer_cb_entry *watch;
	struct event *ev;		/* attach once, then the deadlines */
	struct addr *addr;
	void *req;			/* http.c's, while a handler runs */
	enum phase phase;
	time_t deadline;
	int tls, nlines, nclen, te, bad;
	long long clen;
	size_t linelen;
	char line[LINE_KEEP];
};

static struct {
	struct event_base *base;
	http_conn_close_fn *close;
	int header_s, body_s, max_per_ip;
	LIST_HEAD(, http_conn) conns[BUCKETS];
	LIST_HEAD(, http_conn) unattached;	/* accepted this loop turn */
	SLIST_HEAD(, addr) addrs[BUCKETS];
	struct metric *slow, *capped, *framing;
} G;

static unsigned
hash_ptr(const void *p)
{
	uintptr_t v = (uintptr_t)p;

	return (unsigned)((v >> 4) ^ (v >> 16)) % BUCKETS;
}

static unsigned
hash_str(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h % BUCKETS;
}

static struct addr *
addr_get(const char *ip)
{
	unsigned b = hash_str(ip);
	struct addr *a;

	SLIST_FOREACH(a, &G.addrs[b], next)
		if (strcmp(a->ip, ip) == 0)
			return a;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		log_fatalx("http_conn: out of memory");
	snprintf(a->ip, sizeof(a->ip), "%s", ip);
	SLIST_INSERT_HEAD(&G.addrs[b], a, next);
	return a;
}

static void
addr_put(struct addr *a)
{
	if (--a->n > 0)
		return;
	SLIST_REMOVE(&G.addrs[hash_str(a->ip)], a, addr, next);
	free(a);
}

/* Forget C (its connection is closing or taken over). */
static void
conn_drop(struct http_conn *c)
{
	LIST_REMOVE(c, next);
	if (c->addr)
		addr_put(c->addr);
	if (c->watch)
		evbuffer_remove_cb_entry(bufferevent_get_input(c->bev), c->watch);
	event_free(c->ev);
	free(c);
}

static void
on_close(struct evhttp_connection *evcon, void *arg)
{
	struct http_conn *c = arg;

	evhttp_connection_set_closecb(evcon, NULL, NULL);
	if (c->req)
		G.close(c->req);
	conn_drop(c);
}

static void
arm(struct http_conn *c, int seconds)
{
	struct timeval tv = { seconds, 0 };

	c->deadline = time(NULL) + seconds;
	evtimer_add(c->ev, &tv);
}

/* A header line ended: remember what frames the body. */
static void
header_line(struct http_conn *c)
{
	const char *v;
	long long n;

	c->line[c->linelen < LINE_KEEP ? c->linelen : LINE_KEEP - 1] = '\0';
	if (c->nlines++ == 0)
		return;		/* the request line */
	if (strncmp(c->line, "transfer-encoding:", 18) == 0)
		c->te = 1;
	if (strncmp(c->line, "content-length:", 15) != 0)
		return;
	for (v = c->line + 15; *v == ' ' || *v == '\t'; v++)
		;
	n = strtoll(v, NULL, 10);
	if (c->nclen++ && n != c->clen)
		c->bad = 1;
	c->clen = n;
}

/* Feed one byte of the head; 1 when the head is complete. */
static int
scan_byte(struct http_conn *c, unsigned char b)
{
	if (b == '\r')
		return 0;
	if (b != '\n') {
		if (c->linelen < LINE_KEEP - 1)
			c->line[c->linelen] = (char)tolower(b);
		c->linelen++;
		return 0;
	}
	if (c->linelen == 0)
		return c->nlines > 0;	/* RFC 9112 2.2: empty lines before
					 * the request line are ignored */
	header_line(c);
	c->linelen = 0;
	return 0;
}

static void
head_done(struct http_conn *c)
{
	/* RFC 9112 6.3: Transfer-Encoding with Content-Length may be an
	 * attempt at request smuggling; two lengths certainly are. */
	if (c->te && c->nclen)
		c->bad = 1;
	if (c->bad)
		metrics_add(G.framing, 1);
	c->phase = C_BODY;
	arm(c, G.body_s);
}

/* Bytes arrived, before evhttp parses them: run the clocks. */
static void
on_input(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct http_conn *c = arg;
	struct evbuffer_ptr pos;
	struct evbuffer_iovec v;
	size_t left = info->n_added;

	if (left == 0 || c->phase == C_HANDLER || c->phase == C_BODY)
		return;
	if (c->phase == C_IDLE) {
		c->phase = C_HEAD;
		c->nlines = c->nclen = c->te = c->bad = 0;
		c->linelen = 0;
		arm(c, G.header_s);
	}
	if (evbuffer_ptr_set(buf, &pos, evbuffer_get_length(buf) - left,
	    EVBUFFER_PTR_SET) == -1)
		return;
	while (left > 0 && evbuffer_peek(buf, (ev_ssize_t)left, &pos, &v, 1) == 1) {
		size_t n = v.iov_len < left ? v.iov_len : left;
		for (size_t i = 0; i < n; i++)
			if (scan_byte(c, ((unsigned char *)v.iov_base)[i])) {
				head_done(c);
				return;
			}
		left -= n;
		if (evbuffer_ptr_set(buf, &pos, n, EVBUFFER_PTR_ADD) == -1)
			return;
	}
}

/* Right after accept, before any I/O on it: learn evhttp's connection
 * and its address, and hold the address to its cap. */
static void
attach(struct http_conn *c)
{
	bufferevent_data_cb rcb, wcb;
	bufferevent_event_cb ecb;
	void *evcon = NULL;
	char *ip = NULL;
	ev_uint16_t port;

	bufferevent_getcb(c->bev, &rcb, &wcb, &ecb, &evcon);
	if (evcon == NULL)
		log_fatalx("http_conn: a bufferevent evhttp did not take");
	c->evcon = evcon;
	LIST_REMOVE(c, next);
	LIST_INSERT_HEAD(&G.conns[hash_ptr(evcon)], c, next);
	evhttp_connection_set_closecb(c->evcon, on_close, c);
	evhttp_connection_get_peer(c->evcon, &ip, &port);
	c->addr = addr_get(ip ? ip : "");
	if (G.max_per_ip && c->addr->n >= G.max_per_ip) {
		metrics_add(G.capped, 1);
		log_debug("http peer=%s refused: %d connections open from it",
		    c->addr->ip, c->addr->n);
		c->addr->n++;		/* conn_drop gives it back */
		evhttp_connection_free(c->evcon);
		return;
	}
	c->addr->n++;
	/* TLS: the handshake's bytes never reach the input we watch, and
	 * evhttp's timeout restarts on each of them; the first request's
	 * header bound runs from the accept instead. */
	if (c->tls) {
		c->phase = C_HEAD;
		arm(c, G.header_s);
	}
}

static void
on_event(evutil_socket_t fd, short what, void *arg)
{
	struct http_conn *c = arg;

	if (c->evcon == NULL) {
		attach(c);
		return;
	}
	if ((c->phase != C_HEAD && c->phase != C_BODY) || time(NULL) < c->deadline)
		return;
	metrics_add(G.slow, 1);
	log_info("http peer=%s request %s not complete within %d s: closed",
	    c->addr ? c->addr->ip : "", c->phase == C_HEAD ? "headers" : "body",
	    c->phase == C_HEAD ? G.header_s : G.body_s);
	evhttp_connection_free(c->evcon);	/* on_close frees c */
}

struct bufferevent *
http_conn_bev(struct event_base *base, struct ssl_ctx_st *ssl)
{
	struct http_conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		log_fatalx("http_conn: out of memory");
	if (ssl)
		c->bev = bufferevent_openssl_socket_new(base, -1, SSL_new(ssl),
		    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	else
		c->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL)
		log_fatalx("http_conn: out of memory");
	c->tls = ssl != NULL;
	c->watch = evbuffer_add_cb(bufferevent_get_input(c->bev), on_input, c);
	c->ev = evtimer_new(base, on_event, c);
	LIST_INSERT_HEAD(&G.unattached, c, next);
	/* Active now, it runs in this loop turn, after evhttp has set its
	 * callbacks and before the new socket is ever read. */
	event_active(c->ev, EV_TIMEOUT, 1);
	return c->bev;
}

struct http_conn *
http_conn_find(struct evhttp_connection *evcon)
{
	struct http_conn *c;

	LIST_FOREACH(c, &G.conns[hash_ptr(evcon)], next)
		if (c->evcon == evcon)
			return c;
	return NULL;
}

int
http_conn_begin(struct http_conn *c, void *req)
{
	evtimer_del(c->ev);
	c->phase = C_HANDLER;
	c->req = req;
	return c->bad ? 400 : 0;
}

void
http_conn_end(struct http_conn *c)
{
	c->req = NULL;
	c->phase = C_IDLE;
	c->bad = 0;
}

void
http_conn_release(struct http_conn *c)
{
	evhttp_connection_set_closecb(c->evcon, NULL, NULL);
	conn_drop(c);
}

unsigned
http_conn_receiving(void)
{
	struct http_conn *c;
	unsigned n = 0;

	for (size_t b = 0; b < BUCKETS; b++)
		LIST_FOREACH(c, &G.conns[b], next)
			n += c->phase == C_HEAD || c->phase == C_BODY;
	return n;
}

void
http_conn_refuse_receiving(void)
{
	static const char answer[] = "HTTP/1.1 503 Service Unavailable\r\n"
	    "Content-Type: application/json\r\nConnection: close\r\n"
	    "Retry-After: 1\r\nContent-Length: 76\r\n\r\n"
	    "{\"error\":{\"code\":\"shutting_down\",\"message\":\"this node is stopping; retry\"}}\n";
	struct http_conn *c, *next;

	for (size_t b = 0; b < BUCKETS; b++)
		for (c = LIST_FIRST(&G.conns[b]); c; c = next) {
			next = LIST_NEXT(c, next);
			if (c->phase != C_HEAD && c->phase != C_BODY)
				continue;
			/* Straight to the socket: the loop ends next. */
			if (!c->tls && send(bufferevent_getfd(c->bev), answer,
			    sizeof(answer) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) == -1)
				log_debug("http 503 on shutdown not sent: %s",
				    strerror(errno));
			evhttp_connection_free(c->evcon);
		}
}

void
http_conn_reload(const struct config *cf)
{
	G.header_s = cf->http_header_timeout;
	G.body_s = cf->http_body_timeout;
	G.max_per_ip = cf->http_max_per_ip;
}

void
http_conn_start(struct event_base *base, const struct config *cf,
    http_conn_close_fn *close)
{
	G.base = base;
	G.close = close;
	http_conn_reload(cf);
	G.slow = metrics_counter("rxdesk_http_slow_closed_total",
	    "HTTP connections closed for headers or a body not complete in time.", "");
	G.capped = metrics_counter("rxdesk_http_capped_total",
	    "HTTP connections refused: http.max_per_ip reached.", "");
	G.framing = metrics_counter("rxdesk_http_bad_framing_total",
	    "HTTP requests refused for an ambiguous length (RFC 9112 6.3).", "");
}

void
http_conn_stop(void)
{
	struct http_conn *c;

	/* evhttp_free() freed their bufferevents; only ours is left. */
	while ((c = LIST_FIRST(&G.unattached)) != NULL) {
		LIST_REMOVE(c, next);
		event_free(c->ev);
		free(c);
	}
}
