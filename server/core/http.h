/*
 * http: the evhttp listener and the route table. Every request gets a
 * struct http_req with an id that appears in each log line it causes, is
 * counted in the metrics by route and status, and is answered exactly once
 * through http_reply*. Handlers that wait on Redis keep the id (http_req_id)
 * and find the request again with http_req_find: a request whose connection
 * went away is then gone and the answer is dropped.
 */
#ifndef RX_HTTP_H
#define RX_HTTP_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct evhttp_request;
struct evbuffer;
struct config;
typedef struct json_t json_t;

struct http_req;
typedef void http_handler(struct http_req *, void *arg);

/* Bind http.listen and serve. 0, or -1 with *cause. */
int http_start(struct event_base *, const struct config *, const char **cause);
/* Apply a new configuration's limits (SIGHUP). */
void http_reload(const struct config *);
/* Stop accepting connections; requests in flight carry on. */
void http_stop_accepting(void);
/* Requests received and not yet answered, and requests still arriving. */
unsigned http_inflight(void);
/* The shutdown bound has passed: a request still arriving gets a 503
 * with Connection: close (plain HTTP) and its connection is closed. */
void http_refuse_arriving(void);
/* Free the server and every connection. */
void http_free(void);

/*
 * Serve METHOD ("GET", "POST", ..., or "*") on PATTERN. A pattern is a path
 * whose segments may be "{}" (one segment, read with http_param) or a final
 * "*" (the rest). NAME labels the route in metrics and logs. First match wins.
 */
void http_route(const char *method, const char *pattern, const char *name,
    http_handler *, void *arg);

/* Told each route in match order, by http_routes_foreach. */
typedef void http_route_fn(const char *method, const char *pattern,
    const char *name, void *arg);
/* Call FN for every route registered so far. */
void http_routes_foreach(http_route_fn *fn, void *arg);

/* The request's id, unique in this process and never reused. */
uint64_t http_req_id(const struct http_req *);
/* The id as printed in logs ("<node>-<n>"). */
const char *http_req_tag(const struct http_req *);
/* The request with this id, or NULL if it was answered or its peer left. */
struct http_req *http_req_find(uint64_t id);

const char *http_method(const struct http_req *);
/* The path without the query string, percent-decoded. */
const char *http_path(const struct http_req *);
/* Captured segment I of the route pattern (percent-decoded), or NULL. */
const char *http_param(const struct http_req *, int i);
/* Query argument NAME, or NULL. */
const char *http_query(const struct http_req *, const char *name);
const char *http_header(const struct http_req *, const char *name);
/* The body, NUL-terminated, in contiguous memory owned by the request. */
const char *http_body(struct http_req *, size_t *len);
/* The peer's address as text. */
const char *http_peer(const struct http_req *);
/* The underlying evhttp request (for the WebSocket upgrade). */
struct evhttp_request *http_evreq(const struct http_req *);

/* Add a response header. */
void http_set_header(struct http_req *, const char *name, const char *value);
/* Answer with BODY (may be NULL) and free the request. */
void http_reply(struct http_req *, int status, const char *content_type,
    const void *body, size_t len);
/* Answer with an evbuffer's contents (drained). */
void http_reply_buf(struct http_req *, int status, const char *content_type,
    struct evbuffer *body);
/* Answer with JSON; takes ownership of J. */
void http_reply_json(struct http_req *, int status, json_t *j);
/* {"error":{"code":CODE,"message":MESSAGE,"field":FIELD}}; FIELD may be NULL. */
void http_error(struct http_req *, int status, const char *code,
    const char *message, const char *field);
/* 0 when every member of the JSON object O is named in KNOWN (a NULL-
 * terminated list); otherwise answer 422 "invalid" naming the first other
 * one (docs/api.md: unknown fields are refused) and return -1. */
int http_json_known(struct http_req *, json_t *o, const char *const *known);
/* 503 with Retry-After, for "Redis is away". */
void http_unavailable(struct http_req *);
/* The request was taken over (WebSocket): count it and forget it. */
void http_detach(struct http_req *, int status);

/*
 * Per-IP rate limit on BUCKET (a route family) at http.rate_limit requests
 * per minute. Returns 0 if allowed; else answers 429 with Retry-After and
 * returns -1.
 */
int http_rate_check(struct http_req *, const char *bucket);

/*
 * A request kept by its id across an asynchronous hop (a Redis reply):
 * take a hold before the call, pass it as the callback's argument, and get
 * the request back with http_resume, NULL if it was answered or its peer
 * left meanwhile.
 */
struct http_hold;
struct http_hold *http_hold(struct http_req *);
/* The held request or NULL; frees H. */
struct http_req *http_resume(struct http_hold *h);
/* After the call that took H: RC -1 means no callback will come (Redis is
 * away), so free H and answer 503. */
void http_hold_sent(struct http_req *, struct http_hold *h, int rc);


#endif
