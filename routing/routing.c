/* routing: see routing.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "routing/queue_config.h"
#include "routing/routing.h"
#include "routing/screen.h"
#include "routing/triage.h"
#include "server/core/config.h"
#include "server/core/ingest.h"
#include "server/core/log.h"
#include "server/core/queue_names.h"
#include "server/core/redis.h"
#include "server/store/store.h"

/* How often each node sweeps: wrap-up ends, holds, presence, SLA timers. */
#define ROUTING_SWEEP_MS	1000
/* Settings and queue definitions are written again this often (sweeps). */
#define ROUTING_PUSH_EVERY	60
/* Seconds after a state change before a missing heartbeat counts. */
#define ROUTING_PRESENCE_GRACE	30

static struct {
	struct event *timer;
	int wrapup, sticky_window;
	int busy;		/* a sweep is in flight */
	int pushing;		/* settings and queues in flight */
	unsigned ticks;
	int pushed;		/* since the last time Redis was away */
	char *screening;	/* the last interaction's, JSON */
} R;

/* The core's triage hook (server/core/ingest.h): rules and screening.
 * A form's name is the "form" condition of the rules; routing never looks
 * at which channel an interaction came through beyond that. */
static void
on_triage(struct interaction *in)
{
	static struct triage_why why;	/* large: the screening's hits */
	json_t *j;

	triage_apply(in, &(struct triage_ctx){ .form = in->source }, &why);
	/* Why it was flagged goes with it, for the ticket and the console:
	 * the core copies it before the next interaction comes. Most
	 * messages have no hit: they carry nothing and cost nothing more. */
	free(R.screening);
	R.screening = NULL;
	if (why.screen.nhits > 0 &&
	    (j = screen_result_json(&why.screen, in->text, in->subject)) != NULL) {
		R.screening = json_dumps(j, JSON_COMPACT);
		json_decref(j);
	}
	in->screening = R.screening;
}

static const struct ingest_ops ops = { on_triage };

void
routing_config(void)
{
	triage_config();
	queue_config_register();
}

static void
on_pushed(json_t *res, const char *err, void *arg)
{
	(void)res;
	(void)arg;
	R.pushing--;
	if (err) {
		log_warnx("routing: writing settings failed: %s", err);
		R.pushed = 0;
	}
}

static void
push_one(const char *fn, json_t *args)
{
	if (store_call(fn, args, on_pushed, NULL) == 0)
		R.pushing++;
	else
		R.pushed = 0;
	json_decref(args);
}

/* The [routing] settings and the configured queues, into Redis. */
static void
push(void)
{
	const char *name;
	json_t *def;

	R.pushed = 1;
	push_one("rx_route_config", json_pack("{s:i,s:i,s:i}", "wrapup", R.wrapup,
	    "sticky_window", R.sticky_window, "presence_grace", ROUTING_PRESENCE_GRACE));
	json_object_foreach(queue_config_all(), name, def)
		push_one("rx_route_queue_set", json_pack("{s:s,s:O}", "queue", name,
		    "set", def));
}

static void
on_swept(json_t *res, const char *err, void *arg)
{
	(void)arg;
	R.busy = 0;
	if (err) {
		log_debug("routing: sweep failed: %s", err);
		return;
	}
	if (json_integer_value(json_object_get(res, "sla")) ||
	    json_integer_value(json_object_get(res, "offline")) ||
	    json_integer_value(json_object_get(res, "overflow")))
		log_info("routing: sweep sla=%lld offline=%lld requeued=%lld overflow=%lld",
		    (long long)json_integer_value(json_object_get(res, "sla")),
		    (long long)json_integer_value(json_object_get(res, "offline")),
		    (long long)json_integer_value(json_object_get(res, "requeued")),
		    (long long)json_integer_value(json_object_get(res, "overflow")));
}

static void
on_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct timeval tv = { ROUTING_SWEEP_MS / 1000, (ROUTING_SWEEP_MS % 1000) * 1000 };

	(void)fd;
	(void)ev;
	(void)arg;
	evtimer_add(R.timer, &tv);
	if (!redis_ready()) {
		R.pushed = 0;
		return;
	}
	if (R.pushing == 0 && (!R.pushed || ++R.ticks % ROUTING_PUSH_EVERY == 0))
		push();
	if (R.busy || !R.pushed)
		return;
	if (store_call("rx_route_sweep", NULL, on_swept, NULL) == 0)
		R.busy = 1;
}

/* The queues the configuration just loaded defines, for every module that
 * names one: its [queue] sections and the default queue (which works with
 * default settings when no section describes it). */
static void
declare_queues(const struct config *cf)
{
	const char *name;
	json_t *def;

	queue_names_reset(cf->path);
	json_object_foreach(queue_config_staged(), name, def)
		queue_names_add(name);
	queue_names_add(cf->routing_default_queue && *cf->routing_default_queue ?
	    cf->routing_default_queue : "general");
}

int
routing_check(const struct config *cf, char *err, size_t errlen)
{
	const char *cause;

	declare_queues(cf);
	if (triage_check(&cause) == 0)
		return 0;
	snprintf(err, errlen, "%s", cause);
	return -1;
}

static void
take(const struct config *cf)
{
	triage_commit(cf);
	queue_config_commit();
	R.wrapup = cf->routing_wrapup_seconds;
	R.sticky_window = cf->routing_sticky_window;
	R.pushed = 0;
}

int
routing_start(struct event_base *base, const struct config *cf,
    const char **cause)
{
	struct timeval now = { 0, 0 };

	declare_queues(cf);
	if (triage_check(cause) == -1)
		return -1;
	take(cf);
	if ((R.timer = evtimer_new(base, on_tick, NULL)) == NULL) {
		*cause = "routing: cannot create the sweep timer";
		return -1;
	}
	evtimer_add(R.timer, &now);
	ingest_set_ops(&ops);
	return 0;
}

void
routing_reload(const struct config *cf)
{
	const char *cause = NULL;

	declare_queues(cf);
	if (triage_check(&cause) == -1) {
		log_warnx("routing: %s; the rules in force stay", cause);
		triage_discard();
		queue_config_commit();
		return;
	}
	take(cf);
	if (triage_screening_reload(cf, &cause) == -1)
		log_warnx("routing: screening knowledge not reloaded, the old one "
		    "stays: %s", cause);
}

void
routing_stop(void)
{
	if (R.timer)
		event_free(R.timer);
	R.timer = NULL;
	triage_free();
	queue_config_free();
	free(R.screening);
	R.screening = NULL;
}
