/* http: see http.h. */
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/http_struct.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "server/core/config.h"
#include "server/core/http.h"
#include "server/core/http_conn.h"
#include "server/core/idtab.h"
#include "server/core/log.h"
#include "server/core/metrics.h"
#include "server/core/tls.h"

#define MAX_ROUTES	128
#define MAX_PARAMS	4
#define RATE_SLOTS	8192

struct route {
	const char *method, *pattern, *name;
	http_handler *fn;
	void *arg;
};

struct http_req {
	uint64_t id;
	char tag[48];
	struct evhttp_request *req;
	struct http_conn *conn;		/* its connection's guard */
	const struct route *route;
	char *path;
	char *params[MAX_PARAMS];
	int nparams;
	struct evkeyvalq query;
	int have_query;
	int body_ended;		/* http_body added the NUL */
	size_t body_len;
	char peer[64];
	SLIST_ENTRY(http_req) free_entry;
};

struct rate {
	char key[80];
	time_t window;
	int count;
};

static struct {
	struct event_base *base;
	struct evhttp *http;
	struct evhttp_bound_socket *bound;
	SSL_CTX *ssl;
	struct route routes[MAX_ROUTES];
	size_t nroutes;
	struct idtab ids;		/* request ids across Redis hops */
	SLIST_HEAD(, http_req) freereqs;
	unsigned inflight;
	const char *node;
	uint64_t seq;
	int rate_limit;
	struct rate *rates;
	struct metric *inflight_gauge;
} H;

void
http_route(const char *method, const char *pattern, const char *name,
    http_handler *fn, void *arg)
{
	if (H.nroutes == MAX_ROUTES)
		log_fatalx("http: too many routes");
	H.routes[H.nroutes++] = (struct route){ method, pattern, name, fn, arg };
}

void
http_routes_foreach(http_route_fn *fn, void *arg)
{
	for (size_t i = 0; i < H.nroutes; i++)
		fn(H.routes[i].method, H.routes[i].pattern, H.routes[i].name, arg);
}

/* Match PATH against PATTERN, capturing "{}" segments into R. */
static int
route_match(const char *pattern, const char *path, struct http_req *r)
{
	const char *p = pattern, *s = path;

	r->nparams = 0;
	while (*p && *s) {
		if (p[0] == '*' && p[1] == '\0')
			return 1;
		if (p[0] == '{' && p[1] == '}') {
			const char *end = strchr(s, '/');
			size_t n = end ? (size_t)(end - s) : strlen(s);
			if (n == 0 || r->nparams == MAX_PARAMS)
				return 0;
			r->params[r->nparams++] = strndup(s, n);
			p += 2;
			s += n;
			continue;
		}
		if (*p++ != *s++)
			return 0;
	}
	return (*p == '\0' || (p[0] == '*' && p[1] == '\0')) && *s == '\0';
}

static void
req_clear_params(struct http_req *r)
{
	for (int i = 0; i < r->nparams; i++)
		free(r->params[i]);
	r->nparams = 0;
}

static struct http_req *
req_new(struct evhttp_request *evreq)
{
	struct http_req *r;
	char *addr = NULL;
	ev_uint16_t port = 0;

	if ((r = SLIST_FIRST(&H.freereqs)) != NULL)
		SLIST_REMOVE_HEAD(&H.freereqs, free_entry);
	else if ((r = calloc(1, sizeof(*r))) == NULL)
		log_fatalx("http: out of memory");
	r->req = evreq;
	r->id = idtab_add(&H.ids, r);
	snprintf(r->tag, sizeof(r->tag), "%s-%llu", H.node,
	    (unsigned long long)++H.seq);
	r->path = NULL;
	r->have_query = 0;
	r->body_ended = 0;
	r->route = NULL;
	r->conn = NULL;
	evhttp_connection_get_peer(evhttp_request_get_connection(evreq), &addr,
	    &port);
	snprintf(r->peer, sizeof(r->peer), "%s", addr ? addr : "");
	H.inflight++;
	metrics_set(H.inflight_gauge, H.inflight);
	return r;
}

static void
req_free(struct http_req *r)
{
	idtab_remove(&H.ids, r->id, r);
	req_clear_params(r);
	free(r->path);
	if (r->have_query)
		evhttp_clear_headers(&r->query);
	SLIST_INSERT_HEAD(&H.freereqs, r, free_entry);
	H.inflight--;
	metrics_set(H.inflight_gauge, H.inflight);
}

struct http_req *
http_req_find(uint64_t id)
{
	return idtab_find(&H.ids, id);
}

/* The peer left before we answered: evhttp frees its request next. */
static void
on_peer_gone(void *arg)
{
	struct http_req *r = arg;

	log_debug("req=%s peer closed before the answer", r->tag);
	req_free(r);
}

static const char *
method_name(enum evhttp_cmd_type t)
{
	switch (t) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_HEAD: return "HEAD";
	case EVHTTP_REQ_PUT: return "PUT";
	case EVHTTP_REQ_DELETE: return "DELETE";
	case EVHTTP_REQ_OPTIONS: return "OPTIONS";
	case EVHTTP_REQ_PATCH: return "PATCH";
	default: return "OTHER";
	}
}

static void
count_reply(struct http_req *r, int status)
{
	char labels[160];

	snprintf(labels, sizeof(labels), "route=\"%s\",status=\"%d\"",
	    r->route ? r->route->name : "none", status);
	metrics_add(metrics_counter("rxdesk_http_requests_total",
	    "HTTP requests answered, by route and status.", labels), 1);
	if (status >= 500)
		log_info("req=%s method=%s path=\"%s\" status=%d", r->tag,
		    http_method(r), r->path ? r->path : "", status);
	else
		log_debug("req=%s method=%s path=\"%s\" status=%d", r->tag,
		    http_method(r), r->path ? r->path : "", status);
}

static void
on_request(struct evhttp_request *evreq, void *arg)
{
	struct http_req *r = req_new(evreq);
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(evreq);
	const char *method = method_name(evhttp_request_get_command(evreq));
	int path_seen = 0;

	evhttp_add_header(evhttp_request_get_output_headers(evreq),
	    "X-Request-Id", r->tag);
	r->conn = http_conn_find(evhttp_request_get_connection(evreq));
	if (r->conn == NULL)
		log_fatalx("http: a request on a connection without its guard");
	if (http_conn_begin(r->conn, r) == 400) {
		http_set_header(r, "Connection", "close");
		http_error(r, 400, "bad_framing", "two different Content-Length "
		    "headers, or one with Transfer-Encoding (RFC 9112 6.3)", NULL);
		return;
	}
	r->path = evhttp_uridecode(evhttp_uri_get_path(uri) ? evhttp_uri_get_path(uri) : "/", 0, NULL);
	if (r->path == NULL || r->path[0] != '/') {
		http_error(r, 400, "bad_request", "bad request path", NULL);
		return;
	}
	for (size_t i = 0; i < H.nroutes; i++) {
		const struct route *rt = &H.routes[i];
		if (!route_match(rt->pattern, r->path, r)) {
			req_clear_params(r);
			continue;
		}
		path_seen = 1;
		if (strcmp(rt->method, "*") && strcmp(rt->method, method) &&
		    !(strcmp(method, "HEAD") == 0 && strcmp(rt->method, "GET") == 0)) {
			req_clear_params(r);
			continue;
		}
		r->route = rt;
		rt->fn(r, rt->arg);
		return;
	}
	if (path_seen)
		http_error(r, 405, "method_not_allowed", "method not allowed here", NULL);
	else
		http_error(r, 404, "not_found", "no such resource", NULL);
}

uint64_t http_req_id(const struct http_req *r) { return r->id; }
const char *http_req_tag(const struct http_req *r) { return r->tag; }
const char *http_path(const struct http_req *r) { return r->path; }
const char *http_peer(const struct http_req *r) { return r->peer; }
struct evhttp_request *http_evreq(const struct http_req *r) { return r->req; }

const char *
http_method(const struct http_req *r)
{
	return method_name(evhttp_request_get_command(r->req));
}

const char *
http_param(const struct http_req *r, int i)
{
	return i < r->nparams ? r->params[i] : NULL;
}

const char *
http_query(const struct http_req *cr, const char *name)
{
	struct http_req *r = (struct http_req *)cr;

	if (!r->have_query) {
		const char *q = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(r->req));
		TAILQ_INIT(&r->query);
		r->have_query = 1;
		if (q && evhttp_parse_query_str(q, &r->query) == -1)
			evhttp_clear_headers(&r->query);
	}
	return evhttp_find_header(&r->query, name);
}

const char *
http_header(const struct http_req *r, const char *name)
{
	return evhttp_find_header(evhttp_request_get_input_headers(r->req), name);
}

const char *
http_body(struct http_req *r, size_t *len)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(r->req);

	/* A NUL after the body lets parsers treat it as a string; added once,
	 * so that the guard and the handler may both read the body. */
	if (!r->body_ended) {
		r->body_len = evbuffer_get_length(in);
		evbuffer_add(in, "", 1);
		r->body_ended = 1;
	}
	*len = r->body_len;
	return (char *)evbuffer_pullup(in, -1);
}

void
http_set_header(struct http_req *r, const char *name, const char *value)
{
	evhttp_add_header(evhttp_request_get_output_headers(r->req), name, value);
}

static void
finish(struct http_req *r, int status, struct evbuffer *body)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);

	if (evhttp_find_header(h, "X-Content-Type-Options") == NULL)
		evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	if (evhttp_find_header(h, "Cache-Control") == NULL)
		evhttp_add_header(h, "Cache-Control", "no-store");
	/* RFC 6797: on HTTPS, browsers stay on HTTPS for a year */
	if (H.ssl)
		evhttp_add_header(h, "Strict-Transport-Security", "max-age=31536000");
	http_conn_end(r->conn);
	count_reply(r, status);
	evhttp_send_reply(r->req, status, NULL, body);
	req_free(r);
}

void
http_reply(struct http_req *r, int status, const char *ctype, const void *body,
    size_t len)
{
	struct evbuffer *b = evbuffer_new();

	if (ctype)
		http_set_header(r, "Content-Type", ctype);
	if (body && len)
		evbuffer_add(b, body, len);
	finish(r, status, b);
	evbuffer_free(b);
}

void
http_reply_buf(struct http_req *r, int status, const char *ctype,
    struct evbuffer *body)
{
	if (ctype)
		http_set_header(r, "Content-Type", ctype);
	finish(r, status, body);
}

static int
json_to_buf(const char *buf, size_t size, void *data)
{
	return evbuffer_add(data, buf, size);
}

void
http_reply_json(struct http_req *r, int status, json_t *j)
{
	struct evbuffer *b = evbuffer_new();

	http_set_header(r, "Content-Type", "application/json");
	json_dump_callback(j, json_to_buf, b, JSON_COMPACT);
	evbuffer_add(b, "\n", 1);
	json_decref(j);
	finish(r, status, b);
	evbuffer_free(b);
}

void
http_error(struct http_req *r, int status, const char *code,
    const char *message, const char *field)
{
	json_t *e = json_pack("{s:s, s:s}", "code", code, "message", message);

	if (field)
		json_object_set_new(e, "field", json_string(field));
	http_reply_json(r, status, json_pack("{s:o}", "error", e));
}

int
http_json_known(struct http_req *r, json_t *o, const char *const *known)
{
	const char *key;
	json_t *v;

	json_object_foreach(o, key, v) {
		const char *const *k = known;
		while (*k && strcmp(*k, key))
			k++;
		if (*k == NULL) {
			http_error(r, 422, "invalid", "unknown field", key);
			return -1;
		}
	}
	return 0;
}

void
http_unavailable(struct http_req *r)
{
	http_set_header(r, "Retry-After", "1");
	http_error(r, 503, "unavailable", "storage is unavailable; retry shortly", NULL);
}

void
http_detach(struct http_req *r, int status)
{
	http_conn_release(r->conn);
	count_reply(r, status);
	req_free(r);
}

static uint32_t
fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

int
http_rate_check(struct http_req *r, const char *bucket)
{
	char key[80], retry[16];
	time_t now = time(NULL), window = now / 60;
	struct rate *slot;

	if (H.rate_limit == 0)
		return 0;
	snprintf(key, sizeof(key), "%s|%s", bucket, r->peer);
	/* A fixed-size table: a collision with a stale window just resets it,
	 * a collision with a live one shares its count (errs toward limiting). */
	slot = &H.rates[fnv1a(key) % RATE_SLOTS];
	if (slot->window != window || strcmp(slot->key, key)) {
		if (slot->window == window && slot->count > 0 && strcmp(slot->key, key))
			slot = &H.rates[(fnv1a(key) + 1) % RATE_SLOTS];
		if (slot->window != window || strcmp(slot->key, key)) {
			snprintf(slot->key, sizeof(slot->key), "%s", key);
			slot->window = window;
			slot->count = 0;
		}
	}
	if (++slot->count <= H.rate_limit)
		return 0;
	snprintf(retry, sizeof(retry), "%ld", (long)(60 - now % 60));
	http_set_header(r, "Retry-After", retry);
	http_error(r, 429, "rate_limited", "too many requests; retry later", NULL);
	return -1;
}

static struct bufferevent *
on_bevcb(struct event_base *base, void *arg)
{
	return http_conn_bev(base, H.ssl);
}

/*
 * libevent 2.1 answers what fails before a route runs (a body or headers
 * too large, a malformed request line or header, a method not allowed)
 * with evhttp_send_error, an HTML page; 2.2's evhttp_set_errorcb does not
 * exist here. Our definition of the same function takes its place (the
 * library calls it through its PLT), so that these answers are JSON like
 * every other error, as docs/api.md says.
 */
void
evhttp_send_error(struct evhttp_request *req, int error, const char *reason)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *b = evbuffer_new();
	const char *code = error == 413 ? "too_large" : error == 405 ?
	    "method_not_allowed" : error == 501 ? "not_implemented" :
	    error == 404 ? "not_found" : "bad_request";
	const char *message = error == 413 ?
	    "the request's headers or body are larger than this server takes" :
	    error == 405 || error == 501 ? "method not allowed here" :
	    error == 404 ? "no such resource" : "malformed HTTP request";
	char labels[64];

	if (b == NULL) {
		evhttp_connection_free(evhttp_request_get_connection(req));
		return;
	}
	if (req->major == 0 && req->minor == 0)
		req->major = req->minor = 1;	/* no version was parsed */
	evhttp_clear_headers(h);
	evhttp_add_header(h, "Content-Type", "application/json");
	evhttp_add_header(h, "Connection", "close");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evbuffer_add_printf(b, "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}\n",
	    code, message);
	snprintf(labels, sizeof(labels), "route=\"none\",status=\"%d\"", error);
	metrics_add(metrics_counter("rxdesk_http_requests_total",
	    "HTTP requests answered, by route and status.", labels), 1);
	evhttp_send_reply(req, error, reason, b);
	evbuffer_free(b);
}

static int
setup_tls(const struct config *cf, const char **cause)
{
	if (cf->http_cert[0] == '\0')
		return 0;
	if ((H.ssl = tls_server_ctx(cf->http_cert, cf->http_key, cause)) == NULL)
		return -1;
	return 0;
}

/* New certificate and key on SIGHUP: new connections take them, open ones
 * keep the context they were made with (each SSL holds a reference). */
static void
reload_tls(const struct config *cf)
{
	const char *cause = NULL;
	SSL_CTX *ctx;

	if ((H.ssl == NULL) != (cf->http_cert[0] == '\0')) {
		log_warnx("http reload: turning HTTPS on or off needs a restart");
		return;
	}
	if (H.ssl == NULL)
		return;
	if ((ctx = tls_server_ctx(cf->http_cert, cf->http_key, &cause)) == NULL) {
		log_warnx("http reload: %s; keeping the old certificate", cause);
		return;
	}
	SSL_CTX_free(H.ssl);
	H.ssl = ctx;
	log_info("http tls certificate reloaded cert=\"%s\"", cf->http_cert);
}

struct http_hold {
	uint64_t id;
};

struct http_hold *
http_hold(struct http_req *r)
{
	struct http_hold *h = malloc(sizeof(*h));

	if (h == NULL)
		log_fatalx("http: out of memory");
	h->id = r->id;
	return h;
}

struct http_req *
http_resume(struct http_hold *h)
{
	struct http_req *r = http_req_find(h->id);

	free(h);
	return r;
}

void
http_hold_sent(struct http_req *r, struct http_hold *h, int rc)
{
	if (rc == -1) {
		free(h);
		http_unavailable(r);
	}
}

static int
http_split_hostport(char *buf, char **host, int *port)
{
	char *colon = strrchr(buf, ':');

	if (colon == NULL)
		return -1;
	*colon = '\0';
	*port = atoi(colon + 1);
	*host = buf;
	if (**host == '[') {
		(*host)++;
		if ((*host)[strlen(*host) - 1] == ']')
			(*host)[strlen(*host) - 1] = '\0';
	}
	return *port > 0 && *port < 65536 ? 0 : -1;
}

int
http_start(struct event_base *base, const struct config *cf, const char **cause)
{
	char buf[256], *host;
	int port;
	static char node[64];

	H.base = base;
	if (cf->node_id[0])
		snprintf(node, sizeof(node), "%s", cf->node_id);
	else
		snprintf(node, sizeof(node), "n%d", (int)getpid());
	H.node = node;
	H.rate_limit = cf->http_rate_limit;
	if ((H.rates = calloc(RATE_SLOTS, sizeof(*H.rates))) == NULL)
		log_fatalx("http: out of memory");
	SLIST_INIT(&H.freereqs);
	H.inflight_gauge = metrics_gauge("rxdesk_open_connections",
	    "Open connections (HTTP: requests in flight), by kind.", "kind=\"http\"");
	snprintf(buf, sizeof(buf), "%s", cf->http_listen);
	if (http_split_hostport(buf, &host, &port) == -1) {
		*cause = "http.listen must be host:port";
		return -1;
	}
	if ((H.http = evhttp_new(base)) == NULL) {
		*cause = "evhttp_new failed";
		return -1;
	}
	evhttp_set_timeout(H.http, cf->http_timeout);
	evhttp_set_max_body_size(H.http, (ev_ssize_t)cf->http_max_body);
	evhttp_set_max_headers_size(H.http, 64 * 1024);
	/* A body over the limit is read and dropped before the 413, so that
	 * a client still sending sees the answer, not a reset; body_timeout
	 * bounds how long (http_conn.c). */
	evhttp_set_flags(H.http, EVHTTP_SERVER_LINGERING_CLOSE);
	evhttp_set_allowed_methods(H.http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_PATCH | EVHTTP_REQ_OPTIONS);
	evhttp_set_default_content_type(H.http, "application/json");
	evhttp_set_gencb(H.http, on_request, NULL);
	if (setup_tls(cf, cause) == -1)
		return -1;
	http_conn_start(base, cf, on_peer_gone);
	evhttp_set_bevcb(H.http, on_bevcb, NULL);
	if ((H.bound = evhttp_bind_socket_with_handle(H.http, host, (ev_uint16_t)port)) == NULL) {
		*cause = "cannot bind http.listen";
		return -1;
	}
	log_info("http listen=%s:%d tls=%s", host, port, H.ssl ? "yes" : "no");
	return 0;
}

void
http_reload(const struct config *cf)
{
	http_conn_reload(cf);
	reload_tls(cf);
}

void
http_stop_accepting(void)
{
	if (H.http && H.bound) {
		evhttp_del_accept_socket(H.http, H.bound);
		H.bound = NULL;
	}
}

unsigned
http_inflight(void)
{
	return H.inflight + http_conn_receiving();
}

void
http_refuse_arriving(void)
{
	http_conn_refuse_receiving();
}

void
http_free(void)
{
	struct http_req *r;

	if (H.http)
		evhttp_free(H.http);
	H.http = NULL;
	http_conn_stop();
	while ((r = SLIST_FIRST(&H.freereqs)) != NULL) {
		SLIST_REMOVE_HEAD(&H.freereqs, free_entry);
		free(r);
	}
	idtab_free(&H.ids);
	free(H.rates);
	if (H.ssl)
		SSL_CTX_free(H.ssl);
	H.nroutes = 0;
}
