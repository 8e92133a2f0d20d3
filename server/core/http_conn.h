/*
 * http_conn: the guard of every HTTP connection, below the route table.
 * libevent 2.1's evhttp restarts its timeout on every byte and has no
 * per-address limit; this module watches each connection's bytes as they
 * arrive (an evbuffer callback on the input, which runs before evhttp
 * parses them) and closes a connection whose headers are not complete
 * within http.header_timeout of their first byte (on TLS, of the accept:
 * the handshake counts), or whose body is not
 * complete within http.body_timeout of the headers, refuses a connection
 * beyond http.max_per_ip from one address, and marks a request whose
 * framing is ambiguous (two different Content-Length values, or one with
 * Transfer-Encoding: RFC 9112 section 6.3) so that http.c answers it 400.
 * It owns the evhttp connection's close callback until a WebSocket takes
 * the connection over (http_conn_release).
 */
#ifndef RX_HTTP_CONN_H
#define RX_HTTP_CONN_H

#include <stddef.h>

struct bufferevent;
struct config;
struct event_base;
struct evhttp_connection;
struct http_conn;
struct ssl_ctx_st;

/* Called when a connection closes while a request of http.c is open on it. */
typedef void http_conn_close_fn(void *req);

/* Start: limits from CF, CLOSE for requests orphaned by a peer that left. */
void http_conn_start(struct event_base *, const struct config *cf,
    http_conn_close_fn *close);
/* New limits on SIGHUP (open connections keep their running clocks). */
void http_conn_reload(const struct config *cf);
/* evhttp's bufferevent callback: a plain or (SSL non-NULL) TLS bufferevent
 * whose input this module watches. */
struct bufferevent *http_conn_bev(struct event_base *, struct ssl_ctx_st *ssl);
/* The guard of EVCON (NULL if it has none: it is never NULL for a request
 * evhttp hands to the route table). */
struct http_conn *http_conn_find(struct evhttp_connection *evcon);
/* A complete request reached the route table: its clocks stop; REQ is
 * http.c's, given back to CLOSE if the peer leaves before the answer.
 * Returns 0, or 400 when the request's framing was ambiguous. */
int http_conn_begin(struct http_conn *, void *req);
/* The answer is sent (or the request is gone): the next request's clock
 * starts at its first byte. */
void http_conn_end(struct http_conn *);
/* A WebSocket takes the connection over: the guard lets go of it. */
void http_conn_release(struct http_conn *);
/* Connections whose request is still arriving (headers or body). */
unsigned http_conn_receiving(void);
/* After evhttp_free(): free the guards of connections accepted in the
 * loop turn that ended (evhttp never reported them). */
void http_conn_stop(void);
/* Shutdown bound reached: answer every request still arriving with a 503
 * and Connection: close (plain HTTP; a TLS one is closed). */
void http_conn_refuse_receiving(void);

#endif
