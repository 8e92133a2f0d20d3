/* ingest: see ingest.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "server/core/ingest.h"
#include "server/core/log.h"
#include "server/core/metrics.h"
#include "server/core/redis.h"
#include "server/store/store.h"

/* Who waits on one item of a batch. */
struct waiter {
	uint64_t id;
	ingest_cb *cb;
	enum channel channel;
};

/* One Redis call's worth of interactions. */
struct batch {
	struct batch *next;		/* closed, waiting for the flush */
	struct store_batch *sb;
	struct waiter w[INGEST_BATCH_MAX];
	int n;
};

static struct {
	const struct ingest_ops *ops;
	ingest_protect_fn *protect;
	struct event *flush;		/* at the end of this loop turn */
	struct batch *open;		/* filling; NULL if none */
	struct batch *closed, **tail;	/* full, to send at the flush */
	unsigned busy;
	struct metric *stored[CH_COUNT], *duplicates, *calls, *refused;
} I;

void
ingest_set_protect(ingest_protect_fn *fn)
{
	I.protect = fn;
}

void
ingest_set_ops(const struct ingest_ops *ops)
{
	I.ops = ops;
}

static void
batch_answer(int i, json_t *res, const char *err, void *arg)
{
	struct batch *b = arg;
	struct waiter *w = &b->w[i];
	struct ingest_answer a = { 0 };
	json_t *t;

	I.busy--;
	if (err == NULL && (t = json_object_get(res, "ticket")) != NULL &&
	    json_integer_value(t) > 0) {
		a.ticket = (uint64_t)json_integer_value(t);
		a.customer = json_string_value(json_object_get(res, "customer"));
		a.customer = a.customer ? a.customer : "";
		a.matched = json_is_true(json_object_get(res, "matched"));
		a.ticket_new = json_is_true(json_object_get(res, "ticket_new"));
		a.duplicate = json_is_true(json_object_get(res, "duplicate"));
		a.discarded = json_is_true(json_object_get(res, "discarded"));
		a.json = res;
		metrics_add(a.duplicate ? I.duplicates : I.stored[w->channel], 1);
	} else if (err == NULL)
		err = "the store's answer names no ticket";
	if (err && strcmp(err, "unavailable"))
		metrics_add(I.refused, 1);
	w->cb(w->id, err ? NULL : &a, err);
	if (i == b->n - 1)
		free(b);
}

/* Tell every item of B that Redis is away; B is freed. */
static void
batch_unavailable(struct batch *b)
{
	int n = b->n;		/* the last answer frees B */

	store_batch_free(b->sb);
	b->sb = NULL;
	for (int i = 0; i < n; i++)
		batch_answer(i, NULL, "unavailable", b);
}

static void
batch_send(struct batch *b)
{
	metrics_add(I.calls, 1);
	if (store_batch_send(b->sb, batch_answer, b) == -1) {
		b->sb = NULL;	/* freed by the store */
		batch_unavailable(b);
	}
}

/* No more room in the open batch: it goes out at the flush, in order. */
static void
batch_close(void)
{
	I.open->next = NULL;
	*I.tail = I.open;
	I.tail = &I.open->next;
	I.open = NULL;
}

static void
on_flush(evutil_socket_t fd, short ev, void *arg)
{
	struct batch *b;

	(void)fd;
	(void)ev;
	(void)arg;
	if (I.open)
		batch_close();
	while ((b = I.closed) != NULL) {
		if ((I.closed = b->next) == NULL)
			I.tail = &I.closed;
		batch_send(b);
	}
}

/* The channel's flags (e.g. "malformed") and triage's, without repeats. */
static void
merge_flags(struct interaction *in, const char *mine, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (const char *lists[2] = { mine, in->flags }, **l = lists; l < lists + 2; l++) {
		const char *p = *l;

		while (p && *p) {
			size_t w = strcspn(p, ",");

			if (w > 0 && w < 32) {
				char word[32];

				snprintf(word, sizeof(word), "%.*s", (int)w, p);
				if (interaction_find(interaction_flags, word) != -1 &&
				    !strstr(buf, word) && n + w + 2 < len)
					n += (size_t)snprintf(buf + n, len - n, "%s%s",
					    n ? "," : "", word);
			}
			p += w + (p[w] == ',');
		}
	}
	in->flags = buf[0] ? buf : NULL;
}

static struct batch *
batch_open(void)
{
	if (I.open == NULL) {
		if ((I.open = calloc(1, sizeof(*I.open))) == NULL)
			log_fatalx("ingest: out of memory");
		I.open->sb = store_batch_new();
		if (I.closed == NULL)
			event_active(I.flush, EV_TIMEOUT, 1);
	}
	return I.open;
}

void
ingest_screen(struct interaction *in)
{
	if (I.ops && I.ops->triage)
		I.ops->triage(in);
}

int
ingest_submit(struct interaction *in, ingest_cb *cb, uint64_t id)
{
	const char *mine = in->flags;
	char flags[64];
	struct batch *b;

	if (!redis_ready())
		return -1;
	if (in->received_at == 0)
		in->received_at = interaction_now_ms();
	if (!in->discard && !in->outbound && I.ops && I.ops->triage) {
		I.ops->triage(in);
		merge_flags(in, mine, flags, sizeof(flags));
	}
	if (!in->discard && I.protect)
		I.protect(in);
	b = batch_open();
	store_batch_add(b->sb, in);
	b->w[b->n++] = (struct waiter){ id, cb, in->channel };
	I.busy++;
	if (b->n == INGEST_BATCH_MAX || store_batch_bytes(b->sb) >= INGEST_BATCH_BYTES)
		batch_close();
	return 0;
}

int
ingest_start(struct event_base *base, const struct config *cf, const char **cause)
{
	char labels[64];

	(void)cf;
	I.tail = &I.closed;
	if ((I.flush = event_new(base, -1, 0, on_flush, NULL)) == NULL) {
		*cause = "ingest: cannot create the flush event";
		return -1;
	}
	for (int ch = 0; ch < CH_COUNT; ch++) {
		snprintf(labels, sizeof(labels), "channel=\"%s\"",
		    interaction_channel_name(ch));
		I.stored[ch] = metrics_counter("rxdesk_interactions_total",
		    "Interactions persisted, by channel.", labels);
	}
	I.duplicates = metrics_counter("rxdesk_ingest_duplicates_total",
	    "Interactions seen before (same dedup key): nothing written.", "");
	I.calls = metrics_counter("rxdesk_ingest_calls_total",
	    "Redis calls that carried interactions (several per call under load).", "");
	I.refused = metrics_counter("rxdesk_ingest_refused_total",
	    "Interactions the store refused as malformed.", "");
	return 0;
}

unsigned
ingest_busy(void)
{
	return I.busy;
}

void
ingest_stop(void)
{
	struct batch *b;

	if (I.open)
		batch_close();
	while ((b = I.closed) != NULL) {
		I.closed = b->next;
		batch_unavailable(b);
	}
	I.tail = &I.closed;
	if (I.flush)
		event_free(I.flush);
	I.flush = NULL;
}
