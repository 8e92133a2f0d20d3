/* redis: see redis.h. The only file that includes hiredis. */
#include <sys/queue.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libevent.h>
#include <openssl/sha.h>

#include "server/core/log.h"
#include "server/core/metrics.h"
#include "server/core/redis.h"

#define BACKOFF_MIN_MS	50
#define BACKOFF_MAX_MS	2000
#define TICK_MS		100

struct pending {
	TAILQ_ENTRY(pending) entry;
	redis_cb *cb;
	void *arg;
	struct timeval t0;
};
TAILQ_HEAD(pendq, pending);

struct conn {
	const char *name;
	redisAsyncContext *ac;
	int up;			/* connect callback said OK */
	int timed_out;		/* we dropped it for a slow command */
	int backoff_ms;
	int fails;		/* connects failed since the last success */
	struct event *retry;
};

struct lib {
	const char *name, *code;
	const char *check_fn;		/* NULL: none */
	redis_lib_check *check;
	char version[17];
	int loaded;
};

struct sub {
	char *channel;
	redis_msg_cb *cb;
	void *arg;
};

static struct {
	struct event_base *base;
	char host[256], path[256], password[256];
	int port, db, timeout_ms, stopping;
	struct conn cmd, subc;
	struct pendq pending, freelist;
	struct event *tick;
	struct lib libs[8];
	size_t nlibs;
	struct sub subs[32];
	size_t nsubs;
	int ready;
	redis_ready_cb *ready_cb;
	struct metric *latency, *up_gauge, *reconnects;
} R;

static void conn_open(struct conn *);
static void subs_attach(void);

static void
set_ready(int ready)
{
	if (R.ready == ready)
		return;
	R.ready = ready;
	metrics_set(R.up_gauge, ready);
	log_info("redis=%s ready=%d", R.cmd.name, ready);
	if (R.ready_cb)
		R.ready_cb(ready);
}

static double
ms_since(const struct timeval *t0)
{
	struct timeval now;

	gettimeofday(&now, NULL);
	return (now.tv_sec - t0->tv_sec) * 1e3 + (now.tv_usec - t0->tv_usec) / 1e3;
}

/* Every command reply passes here: the head of the FIFO is always ours,
 * because Redis answers in order on one connection. */
static void
on_reply(redisAsyncContext *ac, void *r, void *privdata)
{
	struct pending *p = privdata;
	redisReply *reply = r;
	const char *err = NULL;

	TAILQ_REMOVE(&R.pending, p, entry);
	if (reply == NULL)
		err = R.cmd.timed_out ? "timeout" : "disconnected";
	else if (reply->type == REDIS_REPLY_ERROR)
		err = reply->str;
	else
		metrics_observe(R.latency, ms_since(&p->t0) / 1e3);
	if (p->cb)
		p->cb(reply, err, p->arg);
	TAILQ_INSERT_HEAD(&R.freelist, p, entry);
}

static struct pending *
pending_new(redis_cb *cb, void *arg)
{
	struct pending *p;

	if ((p = TAILQ_FIRST(&R.freelist)) != NULL)
		TAILQ_REMOVE(&R.freelist, p, entry);
	else if ((p = malloc(sizeof(*p))) == NULL)
		return NULL;
	p->cb = cb;
	p->arg = arg;
	gettimeofday(&p->t0, NULL);
	TAILQ_INSERT_TAIL(&R.pending, p, entry);
	return p;
}

static void
pending_undo(struct pending *p)
{
	TAILQ_REMOVE(&R.pending, p, entry);
	TAILQ_INSERT_HEAD(&R.freelist, p, entry);
}

static int
send_argv(redis_cb *cb, void *arg, int argc, const char **argv,
    const size_t *argvlen)
{
	struct pending *p;

	if (R.cmd.ac == NULL || !R.cmd.up || (p = pending_new(cb, arg)) == NULL)
		return -1;
	if (redisAsyncCommandArgv(R.cmd.ac, on_reply, p, argc, argv, argvlen)
	    != REDIS_OK) {
		pending_undo(p);
		return -1;
	}
	return 0;
}

static int
send_fmt(redis_cb *cb, void *arg, const char *fmt, va_list ap)
{
	struct pending *p;

	if (R.cmd.ac == NULL || !R.cmd.up || (p = pending_new(cb, arg)) == NULL)
		return -1;
	if (redisvAsyncCommand(R.cmd.ac, on_reply, p, fmt, ap) != REDIS_OK) {
		pending_undo(p);
		return -1;
	}
	return 0;
}

int
redis_command(redis_cb *cb, void *arg, const char *fmt, ...)
{
	va_list ap;
	int rc;

	if (!R.ready)
		return -1;
	va_start(ap, fmt);
	rc = send_fmt(cb, arg, fmt, ap);
	va_end(ap);
	return rc;
}

int
redis_commandv(redis_cb *cb, void *arg, int argc, const char **argv,
    const size_t *argvlen)
{
	if (!R.ready)
		return -1;
	return send_argv(cb, arg, argc, argv, argvlen);
}

int
redis_command_resp(redis_cb *cb, void *arg, const char *cmd, size_t len)
{
	struct pending *p;

	if (!R.ready || R.cmd.ac == NULL || !R.cmd.up ||
	    (p = pending_new(cb, arg)) == NULL)
		return -1;
	if (redisAsyncFormattedCommand(R.cmd.ac, on_reply, p, cmd, len) != REDIS_OK) {
		pending_undo(p);
		return -1;
	}
	return 0;
}

static int
send_internal(redis_cb *cb, void *arg, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = send_fmt(cb, arg, fmt, ap);
	va_end(ap);
	return rc;
}

/* --- function libraries ------------------------------------------------ */

static void
check_all_loaded(void)
{
	for (size_t i = 0; i < R.nlibs; i++)
		if (!R.libs[i].loaded)
			return;
	set_ready(1);
}

/* Redis answered a setup command with a transient error (still loading
 * its data, busy with a script): start the connection over later. */
static int
setup_transient(const char *err)
{
	if (strncmp(err, "LOADING", 7) && strncmp(err, "BUSY", 4) &&
	    strncmp(err, "MASTERDOWN", 10) && strncmp(err, "TRYAGAIN", 8))
		return 0;
	log_warnx("redis=%s setup err=\"%s\"; reconnecting", R.cmd.name, err);
	if (R.cmd.ac)
		redisAsyncDisconnect(R.cmd.ac);
	return 1;
}

static void
on_lib_checked(const struct redisReply *r, const char *err, void *arg)
{
	struct lib *l = arg;
	const char *cause = NULL;

	if (r == NULL || (err && setup_transient(err)))
		return;	/* we start over at the next connect */
	if (err)
		log_fatalx("redis function_library=%s: %s failed: %s", l->name,
		    l->check_fn, err);
	if (r->type != REDIS_REPLY_STRING ||
	    l->check(r->str, (size_t)r->len, &cause) == -1)
		log_fatalx("redis function_library=%s does not fit this build: %s",
		    l->name, cause ? cause : "unexpected answer");
	l->loaded = 1;
	check_all_loaded();
}

/* The library's code is in Redis: ask its own check, if it has one. */
static void
lib_loaded(struct lib *l)
{
	if (l->check_fn == NULL) {
		l->loaded = 1;
		check_all_loaded();
		return;
	}
	if (send_internal(on_lib_checked, l, "FCALL %s 0", l->check_fn) == -1)
		log_warnx("redis function_library=%s check not sent", l->name);
}

static void
on_lib_load(const struct redisReply *r, const char *err, void *arg)
{
	struct lib *l = arg;

	if (err) {
		if (r == NULL || setup_transient(err))
			return;
		/* A library that does not compile is a bug in this build. */
		log_fatalx("redis function library %s: %s", l->name, err);
	}
	log_info("redis function_library=%s version=%s loaded", l->name, l->version);
	lib_loaded(l);
}

static void
lib_load(struct lib *l)
{
	char *text;
	size_t n = strlen(l->code) + 256;

	if ((text = malloc(n)) == NULL)
		log_fatalx("redis: out of memory");
	/* The version function is added here so that it always matches the
	 * code it was computed from. */
	snprintf(text, n, "%s\nredis.register_function{function_name='%s_version',"
	    " callback=function() return '%s' end, flags={'no-writes'}}\n",
	    l->code, l->name, l->version);
	if (send_internal(on_lib_load, l, "FUNCTION LOAD REPLACE %s", text) == -1)
		log_warnx("redis function_library=%s load not sent", l->name);
	free(text);
}

static void
on_lib_version(const struct redisReply *r, const char *err, void *arg)
{
	struct lib *l = arg;

	if (r == NULL || (err && setup_transient(err)))
		return;	/* we start over at the next connect */
	if (err == NULL && r->type == REDIS_REPLY_STRING &&
	    strcmp(r->str, l->version) == 0) {
		lib_loaded(l);
		return;
	}
	lib_load(l);
}

static void
libs_check(void)
{
	for (size_t i = 0; i < R.nlibs; i++) {
		R.libs[i].loaded = 0;
		send_internal(on_lib_version, &R.libs[i], "FCALL %s_version 0",
		    R.libs[i].name);
	}
	check_all_loaded();
}

void
redis_function_library(const char *name, const char *code,
    const char *check_fn, redis_lib_check *check)
{
	unsigned char md[SHA_DIGEST_LENGTH];
	struct lib *l;

	if (R.nlibs == sizeof(R.libs) / sizeof(R.libs[0]))
		log_fatalx("redis: too many function libraries");
	l = &R.libs[R.nlibs++];
	l->name = name;
	l->code = code;
	l->check_fn = check ? check_fn : NULL;
	l->check = check;
	SHA1((const unsigned char *)code, strlen(code), md);
	for (int i = 0; i < 8; i++)
		snprintf(l->version + 2 * i, 3, "%02x", md[i]);
}

/* --- connections -------------------------------------------------------- */

static void
on_setup(const struct redisReply *r, const char *err, void *arg)
{
	if (err && r != NULL)
		log_warnx("redis=%s setup=\"%s\" err=\"%s\"", R.cmd.name,
		    (const char *)arg, err);
}

static void
conn_setup(struct conn *c)
{
	if (c == &R.subc) {
		if (R.password[0])
			redisAsyncCommand(c->ac, NULL, NULL, "AUTH %s", R.password);
		subs_attach();
		return;
	}
	if (R.password[0])
		send_internal(on_setup, "AUTH", "AUTH %s", R.password);
	if (R.db)
		send_internal(on_setup, "SELECT", "SELECT %d", R.db);
	libs_check();
}

static struct conn *
conn_of(const redisAsyncContext *ac)
{
	return ac->data;
}

static void
schedule_retry(struct conn *c)
{
	struct timeval tv;

	if (R.stopping)
		return;
	c->backoff_ms = c->backoff_ms ? c->backoff_ms * 2 : BACKOFF_MIN_MS;
	if (c->backoff_ms > BACKOFF_MAX_MS)
		c->backoff_ms = BACKOFF_MAX_MS;
	tv.tv_sec = c->backoff_ms / 1000;
	tv.tv_usec = (c->backoff_ms % 1000) * 1000;
	evtimer_add(c->retry, &tv);
}

/* A failed connect is logged the first time and then every tenth time
 * (about every 20 s at the back-off's ceiling), so that an operator sees
 * Redis is away without a log flood. */
static void
connect_failed(struct conn *c, const char *err)
{
	schedule_retry(c);
	if (++c->fails == 1 || c->fails % 10 == 0)
		log_warnx("redis=%s connect failed err=\"%s\" attempts=%d "
		    "retry_ms=%d", c->name, err, c->fails, c->backoff_ms);
}

static void
on_connect(const redisAsyncContext *ac, int status)
{
	struct conn *c = conn_of(ac);

	if (status != REDIS_OK) {
		/* hiredis frees the context itself after a failed connect. */
		c->ac = NULL;
		connect_failed(c, ac->errstr);
		return;
	}
	log_info("redis=%s connected after_failures=%d", c->name, c->fails);
	c->up = 1;
	c->backoff_ms = 0;
	c->fails = 0;
	conn_setup(c);
}

static void
on_disconnect(const redisAsyncContext *ac, int status)
{
	struct conn *c = conn_of(ac);

	if (!R.stopping)
		log_warnx("redis=%s disconnected err=\"%s\"", c->name,
		    status == REDIS_OK ? "closed" : ac->errstr);
	c->ac = NULL;
	c->up = 0;
	c->timed_out = 0;
	if (c == &R.cmd)
		set_ready(0);
	metrics_add(R.reconnects, 1);
	schedule_retry(c);
}

static void
on_retry(evutil_socket_t fd, short ev, void *arg)
{
	conn_open(arg);
}

static void
on_message(redisAsyncContext *ac, void *r, void *privdata)
{
	redisReply *reply = r;
	struct sub *s = privdata;

	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY ||
	    reply->elements != 3 || strcmp(reply->element[0]->str, "message"))
		return;
	s->cb(reply->element[1]->str, reply->element[2]->str,
	    reply->element[2]->len, s->arg);
}

static void
conn_open(struct conn *c)
{
	redisAsyncContext *ac;

	if (R.path[0])
		ac = redisAsyncConnectUnix(R.path);
	else
		ac = redisAsyncConnect(R.host, R.port);
	if (ac == NULL || ac->err) {
		connect_failed(c, ac ? ac->errstr : "out of memory");
		if (ac)
			redisAsyncFree(ac);
		return;
	}
	ac->data = c;
	c->ac = ac;
	c->up = 0;
	redisLibeventAttach(ac, R.base);
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
}

void
redis_subscribe(const char *channel, redis_msg_cb *cb, void *arg)
{
	struct sub *s;

	if (R.nsubs == sizeof(R.subs) / sizeof(R.subs[0]))
		log_fatalx("redis: too many subscriptions");
	s = &R.subs[R.nsubs++];
	if ((s->channel = strdup(channel)) == NULL)
		log_fatalx("redis: out of memory");
	s->cb = cb;
	s->arg = arg;
	if (R.subc.ac && R.subc.up)
		redisAsyncCommand(R.subc.ac, on_message, s, "SUBSCRIBE %s", channel);
}

/* hiredis dispatches each channel's messages to the callback given with
 * its SUBSCRIBE, so every subscription is its own command. */
static void
subs_attach(void)
{
	for (size_t i = 0; i < R.nsubs; i++)
		if (R.subc.ac && R.subc.up)
			redisAsyncCommand(R.subc.ac, on_message, &R.subs[i],
			    "SUBSCRIBE %s", R.subs[i].channel);
}

/* Drop the command connection if its oldest command is overdue: Redis is
 * hung or the network is, and callers must hear it now. */
static void
on_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct pending *p = TAILQ_FIRST(&R.pending);

	if (p && R.cmd.ac && ms_since(&p->t0) > R.timeout_ms) {
		log_warnx("redis=%s command timeout after %d ms", R.cmd.name,
		    R.timeout_ms);
		R.cmd.timed_out = 1;
		redisAsyncFree(R.cmd.ac);
	}
}

/* --- start and stop ----------------------------------------------------- */

static int
parse_url(const char *url, const char **cause)
{
	const char *p, *at, *colon, *slash;
	char hostbuf[256];
	struct addrinfo hints, *res;

	R.port = 6379;
	if (strncmp(url, "unix://", 7) == 0) {
		snprintf(R.path, sizeof(R.path), "%s", url + 7);
		if ((p = strstr(R.path, "?db=")) != NULL) {
			R.db = atoi(p + 4);
			R.path[p - R.path] = '\0';
		}
		return R.path[0] == '/' ? 0 : (*cause = "unix URL needs an absolute path", -1);
	}
	if (strncmp(url, "redis://", 8) != 0) {
		*cause = "redis.url must start with redis:// or unix://";
		return -1;
	}
	p = url + 8;
	if ((at = strchr(p, '@')) != NULL) {
		const char *pw = memchr(p, ':', (size_t)(at - p));
		pw = pw ? pw + 1 : p;
		snprintf(R.password, sizeof(R.password), "%.*s", (int)(at - pw), pw);
		p = at + 1;
	}
	slash = strchr(p, '/');
	colon = strrchr(p, ':');
	if (colon && slash && colon > slash)
		colon = NULL;
	snprintf(hostbuf, sizeof(hostbuf), "%.*s",
	    (int)((colon ? colon : slash ? slash : p + strlen(p)) - p), p);
	if (colon)
		R.port = atoi(colon + 1);
	if (slash)
		R.db = atoi(slash + 1);
	if (hostbuf[0] == '\0' || R.port <= 0 || R.port > 65535) {
		*cause = "redis.url: bad host or port";
		return -1;
	}
	/* hiredis resolves names with a blocking call on every reconnect:
	 * resolve once now, connect by address afterwards. */
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(hostbuf, NULL, &hints, &res) != 0) {
		*cause = "redis.url: cannot resolve host";
		return -1;
	}
	if (res->ai_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr,
		    R.host, sizeof(R.host));
	else
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)res->ai_addr)->sin6_addr,
		    R.host, sizeof(R.host));
	freeaddrinfo(res);
	return 0;
}

int
redis_start(struct event_base *base, const char *url, int timeout_ms,
    const char **cause)
{
	static const double bounds[] = { .0001, .00025, .0005, .001, .0025,
	    .005, .01, .025, .05, .1, .25, .5, 1 };
	struct timeval tick = { 0, TICK_MS * 1000 };

	R.base = base;
	R.timeout_ms = timeout_ms;
	R.stopping = 0;
	if (parse_url(url, cause) == -1)
		return -1;
	TAILQ_INIT(&R.pending);
	TAILQ_INIT(&R.freelist);
	R.cmd.name = "cmd";
	R.subc.name = "sub";
	R.latency = metrics_histogram("rxdesk_redis_roundtrip_seconds",
	    "Round-trip time of Redis commands.", "", bounds,
	    sizeof(bounds) / sizeof(bounds[0]));
	R.up_gauge = metrics_gauge("rxdesk_redis_ready",
	    "1 when Redis is connected and the functions are loaded.", "");
	R.reconnects = metrics_counter("rxdesk_redis_disconnects_total",
	    "Connections to Redis lost.", "");
	R.cmd.retry = evtimer_new(base, on_retry, &R.cmd);
	R.subc.retry = evtimer_new(base, on_retry, &R.subc);
	R.tick = event_new(base, -1, EV_PERSIST, on_tick, NULL);
	evtimer_add(R.tick, &tick);
	conn_open(&R.cmd);
	conn_open(&R.subc);
	return 0;
}

void
redis_stop(void)
{
	R.stopping = 1;
	if (R.tick) {
		event_free(R.tick);
		R.tick = NULL;
	}
	for (struct conn *c = &R.cmd; c; c = c == &R.cmd ? &R.subc : NULL) {
		if (c->ac)
			redisAsyncFree(c->ac);
		c->ac = NULL;
		if (c->retry)
			event_free(c->retry);
		c->retry = NULL;
	}
	set_ready(0);
	while (!TAILQ_EMPTY(&R.freelist)) {
		struct pending *p = TAILQ_FIRST(&R.freelist);
		TAILQ_REMOVE(&R.freelist, p, entry);
		free(p);
	}
	for (size_t i = 0; i < R.nsubs; i++)
		free(R.subs[i].channel);
	R.nsubs = 0;
}

void
redis_on_ready(redis_ready_cb *cb)
{
	R.ready_cb = cb;
}

int
redis_ready(void)
{
	return R.ready;
}

int
redis_reply_type(const struct redisReply *r)
{
	switch (r->type) {
	case REDIS_REPLY_STRING: return REDIS_T_STRING;
	case REDIS_REPLY_ARRAY: return REDIS_T_ARRAY;
	case REDIS_REPLY_INTEGER: return REDIS_T_INTEGER;
	case REDIS_REPLY_NIL: return REDIS_T_NIL;
	case REDIS_REPLY_STATUS: return REDIS_T_STATUS;
	default: return REDIS_T_ERROR;
	}
}

const char *
redis_reply_str(const struct redisReply *r, size_t *len)
{
	if (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS &&
	    r->type != REDIS_REPLY_ERROR) {
		if (len)
			*len = 0;
		return NULL;
	}
	if (len)
		*len = r->len;
	return r->str;
}

size_t
redis_reply_count(const struct redisReply *r)
{
	return r->type == REDIS_REPLY_ARRAY ? r->elements : 0;
}

const struct redisReply *
redis_reply_at(const struct redisReply *r, size_t i)
{
	if (r->type != REDIS_REPLY_ARRAY || i >= r->elements)
		return NULL;
	return r->element[i];
}
