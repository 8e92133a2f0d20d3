/*
 * ingest: the one way in (DESIGN.md section 1, docs/architecture.md). A
 * channel fills a struct interaction (with its blobs: the raw message, the
 * attachments) and submits it with a callback and an id of its own. The
 * core runs triage through the ops routing registered at start, hands the
 * interaction to the store at once (the channel may free everything when
 * ingest_submit returns), and sends everything submitted in the same loop
 * turn to Redis in one call, each interaction still stored atomically and
 * answered on its own by id, only after Redis has it. A duplicate (same
 * dedup key: Message-ID, Idempotency-Key, CallSid) writes nothing and is
 * answered with the ticket it made the first time.
 *
 * A channel never names a Redis key, never reserves an id, never calls
 * routing: all of that is behind this call.
 */
#ifndef RX_INGEST_H
#define RX_INGEST_H

#include <stdint.h>

#include "server/core/interaction.h"

struct event_base;
struct config;
typedef struct json_t json_t;

/* Interactions in one Redis call at most, and their encoded size. */
#define INGEST_BATCH_MAX	64
#define INGEST_BATCH_BYTES	(4u << 20)

/* What the store made of an interaction (docs/datamodel.md, rx_ingest). */
struct ingest_answer {
	uint64_t ticket;		/* RX-<ticket> */
	const char *customer;		/* the customer's id; "" when discarded */
	int matched;			/* a known customer was recognised */
	int ticket_new;			/* a ticket was opened */
	int duplicate;			/* seen before: nothing was written */
	int discarded;			/* a bot's: nothing was written */
	json_t *json;			/* the store's whole answer, borrowed */
};

/*
 * Told once per submitted interaction, with the channel's ID. ERR is NULL
 * with ANSWER set, "unavailable" (Redis away or timed out: tell the sender
 * to retry), or the reason the store refused it (a bug in the channel).
 */
typedef void ingest_cb(uint64_t id, const struct ingest_answer *answer,
    const char *err);

/* What routing does to an interaction before it is stored. */
struct ingest_ops {
	/* Fill category, priority, queue, lang, flags and screening where the
	 * channel left them NULL; a channel's flags, category and priority are
	 * only ever raised. Strings stay valid until the next reload. */
	void (*triage)(struct interaction *);
};

/* Routing registers its ops at start; OPS must stay valid. */
void ingest_set_ops(const struct ingest_ops *ops);
/* A last step before the store, after triage (which reads the clear
 * text): the safety desk seals patient fields at rest (docs/safety.md).
 * Strings it sets must stay valid until the next call. NULL: none. */
typedef void ingest_protect_fn(struct interaction *);
void ingest_set_protect(ingest_protect_fn *fn);

/* Triage IN without storing it: an agent's note is screened for adverse
 * events and complaints like any text (docs/voice.md) but is no message.
 * Fills IN's flags and screening (and what else triage fills, for the
 * caller to ignore); they stay valid until the next triage. */
void ingest_screen(struct interaction *in);

int ingest_start(struct event_base *, const struct config *, const char **cause);
/* Interactions submitted and not yet answered. */
unsigned ingest_busy(void);
/* Answer what is still waiting "unavailable" and free everything. */
void ingest_stop(void);

/*
 * Submit IN (its fields may be changed by triage). 0: CB will be called
 * exactly once, never from within this call. -1: Redis is not ready and
 * nothing was taken (CB is not called): answer "retry later" at once.
 */
int ingest_submit(struct interaction *in, ingest_cb *cb, uint64_t id);

#endif
