/* screen_scope: see screen_scope.h. */
#include <stdlib.h>
#include <string.h>

#include "routing/screen_scope.h"

/* Word tokens a denial reaches forward, and back for "... нет". */
#define NEG_FORWARD	6
#define NEG_BACK	4
/* Word tokens "for" (an indication) reaches. */
#define IND_FORWARD	3
/* Tokens one term can span (8 words, gaps of 3). */
#define SCOPE_SPAN	32

/* Cues a scope can hold: what would raise a flag, and exposure. */
static int
holdable(int c)
{
	return screen_cue_ae(c) || screen_cue_defect(c) || c == CUE_EXPOSURE ||
	    c == CUE_REPORT || c == CUE_EXPERIENCE;
}

/* Index the field's cues (found in token order) by their first token. */
static int
index_tokens(struct screen_scope *sc)
{
	size_t n = sc->d->ntok, k = sc->from;
	void *p;

	if (n + 1 > sc->atcap) {
		if ((p = realloc(sc->at, (n + 1) * sizeof(*sc->at))) == NULL)
			return -1;
		sc->at = p;
		sc->atcap = n + 1;
	}
	for (size_t i = 0; i <= n; i++) {
		while (k < sc->to && sc->f[k].tok0 < i)
			k++;
		sc->at[i] = (uint32_t)k;
	}
	return 0;
}

static const char *
punct_at(const struct screen_doc *d, size_t i)
{
	return d->tok[i].script == SCREEN_SCRIPT_PUNCT ? d->tok[i].surface : NULL;
}

static int
is_comma(const struct screen_doc *d, size_t i)
{
	const char *p = punct_at(d, i);

	return p && (strcmp(p, ",") == 0 || strcmp(p, "\u3001") == 0);
}

/* A cue that flags (AE or defect), or a list word. */
static int
flags_or_list(int c)
{
	return screen_cue_ae(c) || screen_cue_defect(c) || c == CUE_LIST;
}

/* Does a cue of kind CUE (or one that flags or lists, when CUE < 0) start at I? */
static int
cue_starts(const struct screen_scope *sc, size_t i, int cue)
{
	for (size_t k = sc->at[i]; k < sc->at[i + 1]; k++) {
		int c = sc->f[k].term->cue;
		if (sc->f[k].held != HELD_IN_WORD && (cue >= 0 ? c == cue :
		    flags_or_list(c)))
			return 1;
	}
	return 0;
}

/* May scope WHY hold cue C? Inefficacy ("no effect at all") and reports
 * are not denied by a negation; an indication names a condition. */
static int
may_hold(int c, enum held why)
{
	if (!holdable(c))
		return 0;
	if (why == HELD_NEGATED)
		return c != CUE_REPORT;
	if (why == HELD_NOT_YET && c == CUE_EXPERIENCE)
		return 1;
	if (why == HELD_DELIVERY)
		return c == CUE_DEFECT_PACK;
	if (why == HELD_INDICATION || why == HELD_HISTORY || why == HELD_NOT_YET ||
	    why == HELD_IMPROVED)
		return c == CUE_SYMPTOM || c == CUE_VAGUE || c == CUE_GENERIC ||
		    c == CUE_LAB;
	return 1;
}

/* Does a cue of kind CUE overlap F or end right before it ("side" of
 * "side effects", "побічних" of "побічних ефектів")? */
static int
next_to(const struct screen_scope *sc, const struct found *f, int cue)
{
	size_t a = f->tok0 > SCOPE_SPAN ? f->tok0 - SCOPE_SPAN : 0;

	for (size_t k = sc->at[a]; k < sc->at[f->tok1 + 1]; k++)
		if (sc->f[k].term->cue == cue && sc->f[k].tok1 + 1 >= f->tok0)
			return 1;
	return 0;
}

/* Does a negation deny F? Not an inefficacy ("не дає жодного ефекту"),
 * unless it is the "effects" of "no side effects". */
static int
negation_holds(const struct screen_scope *sc, struct found *f)
{
	if (f->term->cue != CUE_INEFFICACY || next_to(sc, f, CUE_GENERIC))
		return 1;
	f->kept = KEPT_INEFFICACY;
	return 0;
}

static size_t scope_start_back(const struct screen_doc *, size_t);

/* Is there an exposure cue before F in its sentence ("after the third
 * dose he was diagnosed with ...")? Then F is no medical history. */
static int
exposure_before(const struct screen_scope *sc, const struct found *f)
{
	const struct screen_doc *d = sc->d;
	unsigned s = d->tok[f->tok0].sentence;
	size_t b = s ? d->sent_end[s - 1] : 0;

	for (size_t k = sc->at[b]; k < sc->at[f->tok0 + 1]; k++)
		if (sc->f[k].term->cue == CUE_EXPOSURE && sc->f[k].held == HELD_NO &&
		    sc->f[k].end <= f->start)
			return 1;
	return 0;
}

/* Hold the cues starting at tokens A..B that lie within bytes LO..HI
 * (a Han word can hold a scope word and a cue: 会掉 of 担心会掉头发); the
 * count held. */
static int
hold_within(const struct screen_scope *sc, size_t a, size_t b, enum held why,
    uint32_t lo, uint32_t hi)
{
	int n = 0;

	if (b >= sc->d->ntok)
		b = sc->d->ntok - 1;
	for (size_t k = sc->at[a]; a <= b && k < sc->at[b + 1]; k++) {
		struct found *f = &sc->f[k];
		int c = f->term->cue;
		if (f->held != HELD_NO || f->start < lo || f->end > hi ||
		    (why == HELD_HISTORY && exposure_before(sc, f)) ||
		    !may_hold(c, why == HELD_QUESTION_MARK ? HELD_QUESTION : why) ||
		    (why == HELD_NEGATED && !negation_holds(sc, f)))
			continue;
		if (why == HELD_QUESTION_MARK && screen_cue_defect(c))
			continue;
		f->held = (uint8_t)(why == HELD_QUESTION_MARK ? HELD_QUESTION : why);
		n++;
	}
	return n;
}

static int
hold(const struct screen_scope *sc, size_t a, size_t b, enum held why)
{
	return hold_within(sc, a, b, why, 0, UINT32_MAX);
}

/* Hold what follows scope word F, to token B. */
static void
hold_after(const struct screen_scope *sc, const struct found *f, size_t b,
    enum held why)
{
	hold_within(sc, f->tok1, b, why, f->end, UINT32_MAX);
}

/* Hold what comes before scope word F in its clause (up to NEG_BACK words). */
static void
hold_before(const struct screen_scope *sc, const struct found *f, enum held why)
{
	hold_within(sc, scope_start_back(sc->d, f->tok0), f->tok0, why, 0, f->start);
}

/*
 * After a comma (not the enumeration comma 、), does a list item start at
 * token I ("no rash, itching or swelling") rather than a clause ("без
 * лікування, задишка посилилася")? A cue that flags, followed by the end,
 * a mark, a list word or another such cue.
 */
static int
list_item(const struct screen_scope *sc, size_t i, size_t end)
{
	size_t last = i;

	if (!cue_starts(sc, i, -1))
		return 0;
	for (size_t k = sc->at[i]; k < sc->at[i + 1]; k++)
		if (sc->f[k].tok1 > last)
			last = sc->f[k].tok1;
	return last + 1 >= end || punct_at(sc->d, last + 1) != NULL ||
	    cue_starts(sc, last + 1, -1);
}

/* The last token a forward scope from I reaches: the sentence's end, a
 * "but", a mark other than a comma, a comma not continuing a list of
 * what it denies ("no rash, itching or swelling"), or MAXW words. */
static size_t
scope_end(const struct screen_scope *sc, size_t i, int maxw)
{
	const struct screen_doc *d = sc->d;
	size_t end = d->sent_end[d->tok[i].sentence], j, last = i;
	int words = 0, seen = 0;

	for (j = i + 1; j < end; j++) {
		if (cue_starts(sc, j, CUE_BREAKER))
			break;
		if (punct_at(d, j) != NULL) {
			if (!is_comma(d, j) || !seen || j + 1 >= end ||
			    !cue_starts(sc, j + 1, -1) || (strcmp(punct_at(d, j),
			    "\u3001") != 0 && !list_item(sc, j + 1, end)))
				break;
			continue;
		}
		seen |= cue_starts(sc, j, -1);
		if (maxw && ++words > maxw)
			break;
		last = j;
	}
	return last;
}

static size_t
scope_start_back(const struct screen_doc *d, size_t i)
{
	size_t j = i, words = 0;

	while (j > 0 && d->tok[j - 1].sentence == d->tok[i].sentence &&
	    d->tok[j - 1].script != SCREEN_SCRIPT_PUNCT && words < NEG_BACK) {
		j--;
		words++;
	}
	return j;
}

static size_t
sent_begin(const struct screen_doc *d, unsigned s)
{
	return s ? d->sent_end[s - 1] : 0;
}

/* The first unheld cue of kind CUE in sentence S, or NULL. */
static struct found *
sentence_cue(const struct screen_scope *sc, unsigned s, int cue)
{
	const struct screen_doc *d = sc->d;

	for (size_t k = sc->at[sent_begin(d, s)]; k < sc->at[d->sent_end[s]]; k++)
		if (sc->f[k].term->cue == cue && sc->f[k].held == HELD_NO)
			return &sc->f[k];
	return NULL;
}

static int
sentence_asks(const struct screen_doc *d, unsigned s)
{
	const char *p;

	for (size_t j = sent_begin(d, s); j < d->sent_end[s]; j++)
		if ((p = punct_at(d, j)) && strcmp(p, "?") == 0)
			return 1;
	return 0;
}

/* The last word token of sentence S (its first token when none). */
static size_t
last_word(const struct screen_doc *d, unsigned s)
{
	size_t j = d->sent_end[s];

	while (j > sent_begin(d, s) + 1 && d->tok[j - 1].script == SCREEN_SCRIPT_PUNCT)
		j--;
	return j - 1;
}

/* The first token of the clause holding token I (after the last comma
 * from BEGIN on). */
static size_t
clause_begin(const struct screen_doc *d, size_t begin, size_t i)
{
	size_t cb = begin;

	for (size_t j = begin; j < i; j++)
		if (is_comma(d, j))
			cb = j + 1;
	return cb;
}

/*
 * A question that reports nothing holds cues of its sentence: all of them
 * when it has a question mark or its question word ends it ("...吗"), else
 * what follows its first question word ("can X cause", "asking about").
 * What comes before ("吃了X嘴里一股金属味，吃什么都是苦的") is told, not asked.
 */
static void
hold_questions(const struct screen_scope *sc)
{
	const struct screen_doc *d = sc->d;

	for (unsigned s = 0; s < d->nsent; s++) {
		size_t begin = sent_begin(d, s), end = d->sent_end[s], cb;
		struct found *q;
		if (begin == end)
			continue;
		q = sentence_cue(sc, s, CUE_QUESTION);
		if ((!q && !sentence_asks(d, s)) || sentence_cue(sc, s, CUE_REPORT))
			continue;
		/* A question word that ends a sentence of several clauses
		 * asks its own clause; what the clauses before it tell stays
		 * (held by a question mark, if any, except defects). */
		if (q && q->tok1 >= last_word(d, s) &&
		    (cb = clause_begin(d, begin, q->tok0)) > begin) {
			hold(sc, cb, end - 1, HELD_QUESTION);
			if (sentence_asks(d, s))
				hold(sc, begin, cb - 1, HELD_QUESTION_MARK);
			continue;
		}
		/* "its expired??" is a complaint: a defect is held only by
		 * words that ask, not by a question mark. */
		if (q && !sentence_asks(d, s) && q->tok1 < last_word(d, s))
			begin = q->tok0;
		hold(sc, begin, end - 1, q ? HELD_QUESTION : HELD_QUESTION_MARK);
	}
}

/* Is the scope word at F part of a cue that flags ("could not breathe",
 * "no appetite", "not working")? Then it denies nothing. */
static int
consumed(const struct screen_scope *sc, const struct found *f)
{
	size_t a = f->tok0 > SCOPE_SPAN ? f->tok0 - SCOPE_SPAN : 0;

	for (size_t k = sc->at[a]; k < sc->at[f->tok0 + 1]; k++) {
		int c = sc->f[k].term->cue;
		if ((screen_cue_ae(c) || screen_cue_defect(c)) && sc->f[k].held != HELD_IN_WORD &&
		    sc->f[k].tok0 <= f->tok0 && sc->f[k].tok1 >= f->tok1)
			return 1;
		/* "no idea", "not sure", 没想到: idioms, not denials */
		if (c == CUE_NOT_NEGATION && sc->f[k].start <= f->start &&
		    sc->f[k].end >= f->end)
			return 1;
	}
	return 0;
}

/* The condition an indication or a history names, after scope word F:
 * its first symptom within IND_FORWARD words and what a comma or list word
 * adds to it ("for nausea and vomiting"); not what follows ("from pain, no
 * sleep" is one cue held, not two). */
static void
hold_condition(const struct screen_scope *sc, const struct found *f, enum held why)
{
	const struct screen_doc *d = sc->d;
	size_t i = f->tok1, end = scope_end(sc, i, IND_FORWARD), last = 0, j;

	for (j = i; j <= end && !last; j++)
		for (size_t k = sc->at[j]; k < sc->at[j + 1]; k++)
			if (sc->f[k].start >= f->end &&
			    may_hold(sc->f[k].term->cue, why) && sc->f[k].tok1 > last)
				last = sc->f[k].tok1;
	if (!last)
		return;
	j--;
	for (;;) {
		hold_within(sc, j, last, why, f->end, UINT32_MAX);
		j = last + 1;
		if (j < d->ntok && (is_comma(d, j) || cue_starts(sc, j, CUE_LIST)))
			j++;
		if (j >= d->ntok || j == last + 1 || d->tok[j].sentence !=
		    d->tok[i].sentence || !cue_starts(sc, j, -1))
			break;
		for (size_t k = sc->at[j]; k < sc->at[j + 1]; k++)
			if (sc->f[k].tok1 > last)
				last = sc->f[k].tok1;
	}
}

/* "Not started yet" holds the symptoms of the whole text: they are what
 * the writer fears, not what happened. */
static void
hold_not_yet(const struct screen_scope *sc)
{
	hold(sc, 0, sc->d->ntok - 1, HELD_NOT_YET);
}

/* An experience whose sentence then denies a symptom or tells of
 * improvement ("用药以后没有任何不良反应", "since I started it my skin is
 * much better") reports nothing; "since I started it I am not myself"
 * does. */
static void
hold_experiences(const struct screen_scope *sc)
{
	const struct screen_doc *d = sc->d;

	for (size_t k = sc->from; k < sc->to; k++) {
		struct found *f = &sc->f[k];
		size_t end;
		if (f->term->cue != CUE_EXPERIENCE || f->held != HELD_NO)
			continue;
		end = d->sent_end[d->tok[f->tok0].sentence];
		for (size_t n = sc->at[f->tok0]; n < sc->at[end]; n++) {
			const struct found *g = &sc->f[n];
			int c = g->term->cue;
			if (g->start < f->end || (c != CUE_IMPROVEMENT &&
			    !(screen_cue_ae(c) && g->held == HELD_NEGATED)))
				continue;
			f->held = c == CUE_IMPROVEMENT ? HELD_IMPROVED : HELD_NEGATED;
			break;
		}
	}
}

/* Is a pack word of tokens A..B (a clause) outside every delivery cue
 * ("the box of Zenol" is the product's, "the courier's box" is not)? */
static int
product_pack(const struct screen_scope *sc, size_t a, size_t b)
{
	for (size_t k = sc->at[a]; k < sc->at[b + 1]; k++) {
		const struct found *p = &sc->f[k];
		int inside = 0;
		if (p->term->cue != CUE_PACK)
			continue;
		for (size_t n = sc->at[a]; n < sc->at[b + 1] && !inside; n++)
			inside = sc->f[n].term->cue == CUE_DELIVERY &&
			    sc->f[n].start <= p->start && sc->f[n].end >= p->end;
		if (!inside)
			return 1;
	}
	return 0;
}

/* A clause about the delivery ("коробка кур'єра порвана", "the outer box
 * was wet from the rain, blisters fine") holds the damage it tells of,
 * unless it names the product's own pack. */
static void
hold_deliveries(const struct screen_scope *sc)
{
	const struct screen_doc *d = sc->d;

	for (size_t k = sc->from; k < sc->to; k++) {
		const struct found *f = &sc->f[k];
		unsigned s = d->tok[f->tok0].sentence;
		size_t a, b, end = d->sent_end[s];
		if (f->term->cue != CUE_DELIVERY || f->held != HELD_NO)
			continue;
		a = clause_begin(d, sent_begin(d, s), f->tok0);
		for (b = f->tok1; b + 1 < end && !is_comma(d, b + 1); b++)
			;
		if (!product_pack(sc, a, b))
			hold(sc, a, b, HELD_DELIVERY);
	}
}

int
screen_scope_apply(struct screen_scope *sc)
{
	int not_yet = 0;

	if (index_tokens(sc) == -1)
		return -1;
	for (size_t k = sc->from; k < sc->to; k++) {
		const struct found *f = &sc->f[k];
		if (f->term->cue >= CUE_NEGATION && consumed(sc, f))
			continue;
		switch (f->term->cue) {
		case CUE_NEGATION:
			hold_after(sc, f, scope_end(sc, f->tok1, NEG_FORWARD),
			    HELD_NEGATED);
			break;
		case CUE_NEGATION_AFTER:
			hold_before(sc, f, HELD_NEGATED);
			break;
		case CUE_HYPOTHETICAL:
			hold_after(sc, f, scope_end(sc, f->tok1, 0), HELD_HYPOTHETICAL);
			break;
		case CUE_INDICATION:
			hold_condition(sc, f, HELD_INDICATION);
			break;
		case CUE_HISTORY:
			hold_condition(sc, f, HELD_HISTORY);
			break;
		case CUE_HISTORY_AFTER:
			hold_before(sc, f, HELD_HISTORY);
			break;
		case CUE_IMPROVEMENT:
			hold_before(sc, f, HELD_IMPROVED);
			break;
		case CUE_NOT_YET:
			not_yet = 1;
			break;
		default:
			break;
		}
	}
	hold_experiences(sc);
	hold_deliveries(sc);
	if (not_yet)
		hold_not_yet(sc);
	hold_questions(sc);
	return 0;
}

void
screen_scope_free(struct screen_scope *sc)
{
	free(sc->at);
	sc->at = NULL;
	sc->atcap = 0;
}
