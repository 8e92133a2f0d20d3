/* status: see status.h. */
#include <stdio.h>
#include <time.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "server/core/http.h"
#include "server/core/metrics.h"
#include "server/core/redis.h"
#include "server/core/status.h"
#include "build.h"

static time_t started;

static void
on_healthz(struct http_req *r, void *arg)
{
	http_reply_json(r, 200, json_pack("{s:s, s:s, s:I}", "status", "ok",
	    "version", PACKAGE_VERSION, "uptime", (json_int_t)(time(NULL) - started)));
}

static void
on_readyz(struct http_req *r, void *arg)
{
	if (!redis_ready()) {
		http_set_header(r, "Retry-After", "1");
		http_reply_json(r, 503, json_pack("{s:s, s:{s:s}}", "status",
		    "unavailable", "checks", "redis", "down"));
		return;
	}
	http_reply_json(r, 200, json_pack("{s:s, s:{s:s}}", "status", "ready",
	    "checks", "redis", "ok"));
}

static void
on_metrics(struct http_req *r, void *arg)
{
	struct evbuffer *b = evbuffer_new();

	metrics_write(b);
	http_reply_buf(r, 200, "text/plain; version=0.0.4; charset=utf-8", b);
	evbuffer_free(b);
}

int
status_start(struct event_base *base, const struct config *cf, const char **cause)
{
	(void)base;
	(void)cf;
	(void)cause;
	started = time(NULL);
	metrics_set(metrics_gauge("rxdesk_build_info", "Version of this rxdeskd.",
	    "version=\"" PACKAGE_VERSION "\""), 1);
	http_route("GET", "/healthz", "healthz", on_healthz, NULL);
	http_route("GET", "/readyz", "readyz", on_readyz, NULL);
	http_route("GET", "/metrics", "metrics", on_metrics, NULL);
	return 0;
}
