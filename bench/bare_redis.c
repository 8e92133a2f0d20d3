/*
 * bare_redis: the Redis-function ceiling. An evhttp server that, for each
 * POST, makes one FCALL of a function doing ten writes (the shape of an
 * ingest: counters, hashes, a stream append, a queue insert) through
 * rxdesk's own Redis client, and answers after the reply: what rxdeskd
 * would do if identification, triage and routing cost nothing.
 *   bare_redis PORT REDIS_URL
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/thread.h>

#include "server/core/log.h"
#include "server/core/redis.h"

static const char lib[] =
    "#!lua name=rxbench\n"
    "redis.register_function('bench_ingest', function(keys, args)\n"
    "  local n = redis.call('INCR', 'bench:seq')\n"
    "  local c = redis.call('GET', 'bench:ix:' .. args[1]) or redis.call('INCR', 'bench:cseq')\n"
    "  redis.call('SET', 'bench:ix:' .. args[1], c)\n"
    "  redis.call('HSET', 'bench:t:' .. n, 'customer', c, 'status', 'new', 'text', args[2])\n"
    "  redis.call('XADD', 'bench:t:' .. n .. ':log', '*', 'text', args[2])\n"
    "  redis.call('XADD', 'bench:c:' .. c .. ':hist', 'MAXLEN', '~', '1000', '*', 'ticket', n)\n"
    "  redis.call('ZADD', 'bench:c:' .. c .. ':tickets', n, n)\n"
    "  redis.call('ZADD', 'bench:q:general', n, n)\n"
    "  redis.call('SADD', 'bench:tix:status:new', n)\n"
    "  redis.call('ZADD', 'bench:tickets', n, n)\n"
    "  return cjson.encode({ticket = n, customer = c})\n"
    "end)\n";


static void
on_reply(const struct redisReply *r, const char *err, void *arg)
{
	struct evhttp_request *req = arg;
	struct evbuffer *out = evbuffer_new();
	size_t len = 0;
	const char *s = (err || r == NULL) ? NULL : redis_reply_str(r, &len);

	if (s == NULL) {
		evhttp_send_reply(req, 503, "Unavailable", NULL);
		evbuffer_free(out);
		return;
	}
	evbuffer_add(out, s, len);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    "application/json");
	evhttp_send_reply(req, 201, "Created", out);
	evbuffer_free(out);
}

static void
on_request(struct evhttp_request *req, void *arg)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t n = evbuffer_get_length(in);
	const char *argv[6];
	size_t argvlen[6];

	argv[0] = "FCALL"; argv[1] = "bench_ingest"; argv[2] = "0";
	argv[3] = "someone@example.com";
	argv[4] = (const char *)evbuffer_pullup(in, -1);
	for (int i = 0; i < 4; i++)
		argvlen[i] = strlen(argv[i]);
	argvlen[4] = n;
	if (argv[4] == NULL)
		argv[4] = "", argvlen[4] = 0;
	if (redis_commandv(on_reply, req, 5, argv, argvlen) == -1)
		evhttp_send_reply(req, 503, "Unavailable", NULL);
}

static void
on_term(evutil_socket_t sig, short ev, void *arg)
{
	event_base_loopexit(arg, NULL);
}

int
main(int argc, char **argv)
{
	struct event_base *base;
	struct evhttp *http;
	struct event *term;
	const char *cause;

	if (argc != 3) {
		fprintf(stderr, "usage: bare_redis PORT REDIS_URL\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	log_setup(LOG_LVL_WARN, LOG_FMT_TEXT);
	evthread_use_pthreads();
	base = event_base_new();
	redis_function_library("rxbench", lib, NULL, NULL);
	if (redis_start(base, argv[2], 5000, &cause) == -1) {
		fprintf(stderr, "bare_redis: %s\n", cause);
		return 1;
	}
	http = evhttp_new(base);
	evhttp_set_gencb(http, on_request, NULL);
	if (evhttp_bind_socket(http, "127.0.0.1", (ev_uint16_t)atoi(argv[1])) != 0) {
		perror("bind");
		return 1;
	}
	term = evsignal_new(base, SIGTERM, on_term, base);
	evsignal_add(term, NULL);
	event_base_dispatch(base);
	event_free(term);
	evhttp_free(http);
	redis_stop();
	event_base_free(base);
	return 0;
}
