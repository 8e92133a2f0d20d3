/*
 * screen_match: finds the cues of the screening knowledge (screen_data.h)
 * in a parsed text (screen_text.h): terms by stem, prefix, exact form,
 * number pattern or Han characters, misspellings one edit away
 * (docs/screening.md, "Decision rules"). Scopes (screen_scope.h) then hold
 * some of them; screen.c decides.
 */
#ifndef RX_SCREEN_MATCH_H
#define RX_SCREEN_MATCH_H

#include <stddef.h>
#include <stdint.h>

#include "routing/screen_data.h"
#include "routing/screen_text.h"

/* Why a scope holds a cue (HELD_NO: it counts). */
enum held { HELD_NO, HELD_NEGATED, HELD_QUESTION, HELD_HYPOTHETICAL,
	HELD_INDICATION, HELD_QUESTION_MARK, HELD_IN_WORD, HELD_HISTORY,
	HELD_NOT_YET, HELD_IMPROVED, HELD_PRODUCT, HELD_DELIVERY, HELD_N };

/* Why a cue a scope could have held still counts (explained in the hits). */
enum kept { KEPT_NONE, KEPT_INEFFICACY };

/* A cue found in one parsed text. */
struct found {
	const struct screen_term *term;
	uint32_t tok0, tok1;		/* first and last token */
	uint8_t held;			/* enum held */
	uint8_t kept;			/* enum kept */
	uint8_t fuzzy;			/* matched a misspelt word */
	uint8_t field;
	uint8_t translit;		/* found in Latin letters read as Cyrillic */
	uint32_t start, end;		/* bytes of the field's original text */
};

/* The cues found in the fields of one message; the buffer is reused. */
struct screen_found {
	struct found *f;
	size_t n, cap;
};

/*
 * Append to FS every cue of KB found in D (field FIELD), in token order.
 * LANGS (a bit per language slot) says which vocabularies apply to the
 * text's script; TRANSLIT marks the cues as found in transliterated text.
 */
void screen_match_all(const struct screen_kb *kb, const struct screen_doc *d,
    int field, unsigned langs, int translit, struct screen_found *fs);

/* Cue classes (enum screen_cue). */
static inline int
screen_cue_ae(int c)
{
	return c <= CUE_LAB;
}

static inline int
screen_cue_special(int c)
{
	return c >= CUE_OVERDOSE && c <= CUE_LAB;
}

static inline int
screen_cue_defect(int c)
{
	return c == CUE_DEFECT || c == CUE_DEFECT_PACK;
}

#endif
