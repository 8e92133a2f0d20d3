/*
 * interaction: what every channel produces and everything after the channel
 * consumes (DESIGN.md section 1). A channel fills one in, hands it to
 * store_ingest (server/store/store.h), and forgets it when the call returns: the
 * store copies what it needs. Strings are UTF-8, NUL-terminated, may be NULL.
 */
#ifndef RX_INTERACTION_H
#define RX_INTERACTION_H

#include <stddef.h>
#include <stdint.h>

enum channel { CH_EMAIL, CH_FORM, CH_CHAT, CH_VOICE, CH_AGENT };

#define INTERACTION_MAX_EXT	4
#define INTERACTION_MAX_ATT	32
#define INTERACTION_MAX_MSGIDS	32

struct ext_id {
	const char *scheme;	/* "licence", "npi", "gln", ... */
	const char *value;
};

struct attachment_ref {
	const char *id;		/* already stored: rx:att:<id> */
	const char *name, *type;
	size_t size;
};

struct interaction {
	enum channel channel;
	int outbound;			/* 0: from the customer */
	const char *dedup;		/* idempotency key, e.g. "mail:<msgid>" */
	/* who: any subset; store matches in the order of DESIGN.md */
	const char *customer_id;
	struct ext_id ext[INTERACTION_MAX_EXT];
	int next;
	const char *email;		/* normalised (ident_email_normalise) */
	const char *phone;		/* E.164 (phone_normalise) */
	const char *chat_token;
	const char *name;		/* display name, for a new customer */
	const char *customer_type;	/* for a new customer; NULL: other */
	/* which ticket: explicit, then the mail threading keys */
	uint64_t ticket;		/* 0: none named */
	const char *thread_token;
	const char *msgids[INTERACTION_MAX_MSGIDS]; /* In-Reply-To, References */
	int nmsgids;
	uint64_t subject_tag;		/* [RX-n] in the subject, 0: none */
	/* what */
	const char *subject;
	const char *text;
	const char *msgid;		/* this message's own id */
	struct attachment_ref att[INTERACTION_MAX_ATT];
	int natt;
	const char *raw_key;		/* the raw message, when kept */
	/* triage, filled by routing/triage before ingest */
	const char *category;
	const char *priority;
	const char *queue;
	const char *lang;
	const char *flags;		/* comma list: "ae,complaint" */
	const char *fields_json;	/* channel-specific fields, JSON object */
	int64_t received_at;		/* Unix ms */
};

/* "email", "form", ...: the name used in Redis and metrics. */
const char *interaction_channel_name(enum channel);

#endif
