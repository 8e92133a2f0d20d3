/* events: see events.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "server/core/events.h"
#include "server/core/log.h"
#include "server/core/metrics.h"
#include "server/core/redis.h"
#include "server/store/store.h"

#define MAX_LISTENERS	8
#define MAX_EVENT	(256 * 1024)	/* a published event larger is dropped */

struct listener {
	events_fn *fn;
	void *arg;
};

static struct {
	char channel[128];
	struct listener listeners[MAX_LISTENERS];
	size_t nlisteners;
	struct metric *received, *bad, *published, *lost;
} E;

/* One event from Redis: decode it once, hand it to every listener. */
static void
on_message(const char *channel, const char *msg, size_t len, void *arg)
{
	json_t *ev;
	json_error_t jerr;

	if (len > MAX_EVENT ||
	    (ev = json_loadb(msg, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		metrics_add(E.bad, 1);
		log_warnx("events channel=%s bad event len=%zu", channel, len);
		return;
	}
	if (!json_is_object(ev) || !json_is_string(json_object_get(ev, "type"))) {
		metrics_add(E.bad, 1);
		log_warnx("events channel=%s event without a type", channel);
		json_decref(ev);
		return;
	}
	metrics_add(E.received, 1);
	log_debug("events type=%s", json_string_value(json_object_get(ev, "type")));
	for (size_t i = 0; i < E.nlisteners; i++)
		E.listeners[i].fn(ev, E.listeners[i].arg);
	json_decref(ev);
}

int
events_start(struct event_base *base, const struct config *cf, const char **cause)
{
	(void)base;
	(void)cf;
	(void)cause;
	snprintf(E.channel, sizeof(E.channel), "%sevents", store_prefix());
	E.received = metrics_counter("rxdesk_events_total",
	    "Cross-node events, by what happened to them.", "result=\"received\"");
	E.bad = metrics_counter("rxdesk_events_total",
	    "Cross-node events, by what happened to them.", "result=\"malformed\"");
	E.published = metrics_counter("rxdesk_events_total",
	    "Cross-node events, by what happened to them.", "result=\"published\"");
	E.lost = metrics_counter("rxdesk_events_total",
	    "Cross-node events, by what happened to them.", "result=\"unpublished\"");
	redis_subscribe(E.channel, on_message, NULL);
	return 0;
}

void
events_listen(events_fn *fn, void *arg)
{
	if (E.nlisteners == MAX_LISTENERS)
		log_fatalx("events: too many listeners");
	E.listeners[E.nlisteners++] = (struct listener){ fn, arg };
}

