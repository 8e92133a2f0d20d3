/*
 * interaction: what every channel produces and everything after the channel
 * consumes (DESIGN.md section 1), and the one definition of the words that
 * describe it: channels (with the routing kind each belongs to), ticket
 * categories, priorities and flags. The Redis function library keeps the
 * same lists; at every connect the core checks them against these tables
 * (ingest_vocab_check) and refuses to start on a mismatch.
 *
 * A channel fills one in, hands it to ingest_submit (server/core/ingest.h)
 * and may forget it when that call returns: the core copies what it needs.
 * Strings are UTF-8, NUL-terminated, may be NULL.
 */
#ifndef RX_INTERACTION_H
#define RX_INTERACTION_H

#include <stddef.h>
#include <stdint.h>

enum channel { CH_EMAIL, CH_FORM, CH_CHAT, CH_VOICE, CH_AGENT, CH_COUNT };

/* How routing sees a channel: an agent's capacity and load are per kind
 * (docs/routing.md), and routing never reads a channel's name. */
enum route_kind { KIND_MAIL, KIND_CHAT, KIND_VOICE };

#define INTERACTION_MAX_EXT	4
#define INTERACTION_MAX_ATT	32
#define INTERACTION_MAX_MSGIDS	32

struct ext_id {
	const char *scheme;	/* "licence", "npi", "gln", ... */
	const char *value;
};

/* Bytes that travel with the interaction into Redis in the same call. */
struct interaction_blob {
	const char *name, *type;	/* file name, MIME type; may be NULL */
	const void *data;
	size_t size;
};

struct interaction {
	enum channel channel;
	int outbound;			/* 0: from the customer */
	int discard;			/* a bot (honeypot): answer, store nothing */
	const char *dedup;		/* idempotency key, e.g. "mail:<msgid>" */
	unsigned dedup_ttl;		/* seconds the key holds; 0: 30 days */
	const char *source;		/* the form's name, the mailbox, the line */
	/* who: any subset; store matches in the order of DESIGN.md */
	const char *customer_id;
	struct ext_id ext[INTERACTION_MAX_EXT];
	int next;
	const char *email;		/* normalised (ident_email_normalise) */
	const char *phone;		/* E.164 (phone_normalise) */
	const char *phone_ext;		/* its extension's digits, or NULL */
	const char *chat_token;
	const char *name;		/* display name, for a new customer */
	const char *customer_type;	/* for a new customer; NULL: other */
	/* which ticket: explicit, then the mail threading keys */
	uint64_t ticket;		/* 0: none named */
	const char *thread_token;
	const char *msgids[INTERACTION_MAX_MSGIDS]; /* In-Reply-To, References */
	int nmsgids;
	uint64_t subject_tag;		/* [RX-n] in the subject, 0: none */
	/* none of the above: continue the customer's newest open ticket of
	 * this routing kind active within these seconds (a repeat call);
	 * 0: open a new ticket */
	unsigned continue_open;
	/* what */
	const char *subject;
	const char *text;
	const char *msgid;		/* this message's own id */
	struct interaction_blob att[INTERACTION_MAX_ATT];
	int natt;
	struct interaction_blob raw;	/* the message as received; size 0: none */
	/* triage, filled by the core (routing's ops) where the channel left NULL */
	const char *category;
	const char *priority;
	const char *queue;
	const char *lang;
	const char *flags;		/* comma list: "ae,complaint" */
	const char *screening;		/* why the flags: JSON, or NULL */
	const char *fields_json;	/* channel-specific fields, JSON object */
	int64_t received_at;		/* Unix ms; 0: the core sets it */
};

/* "email", "form", ...: the name used in Redis, metrics and rules. */
const char *interaction_channel_name(enum channel);
/* The channel called NAME; -1 if none. */
int interaction_channel_find(const char *name);
/* The routing kind of a channel, and its name ("mail", "chat", "voice"). */
enum route_kind interaction_kind(enum channel);
const char *interaction_kind_name(enum route_kind);
/* The channels' names, ticket categories, priorities and screening flags:
 * NULL-terminated lists (categories and priorities lowest first). */
extern const char *const interaction_channel_names[];	/* by enum channel */
extern const char *const interaction_categories[];
extern const char *const interaction_priorities[];
extern const char *const interaction_flags[];
/* Index of V in a NULL-terminated LIST, or -1. */
int interaction_find(const char *const *list, const char *v);
/* How strongly a category asks for safety staff (ae > complaint > others):
 * a follow-up may raise a ticket's category, never lower it. */
int interaction_category_rank(const char *category);
/* Unix milliseconds now (CLOCK_REALTIME): the one clock of this process. */
int64_t interaction_now_ms(void);

#endif
