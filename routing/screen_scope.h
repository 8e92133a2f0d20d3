/*
 * screen_scope: the scopes of safety screening (docs/screening.md,
 * "Decision rules"): denials, questions, hypotheticals, indications,
 * medical history, "not started yet", improvement, product names and
 * deliveries hold the cues of one parsed text that they cover.
 */
#ifndef RX_SCREEN_SCOPE_H
#define RX_SCREEN_SCOPE_H

#include <stddef.h>
#include <stdint.h>

#include "routing/screen_match.h"

/* The cues of one field; the index buffer is reused from text to text. */
struct screen_scope {
	const struct screen_doc *d;
	struct found *f;		/* the message's cues ... */
	size_t from, to;		/* ... of this field: f[from..to) */
	uint32_t *at;			/* cues starting at token i: f[at[i]..at[i+1]) */
	size_t atcap;
};

/* Hold the cues of SC that its scopes cover; -1 when out of memory. */
int screen_scope_apply(struct screen_scope *sc);
/* Free SC's buffers. */
void screen_scope_free(struct screen_scope *sc);

#endif
