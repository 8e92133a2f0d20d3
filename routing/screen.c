/* screen: see screen.h. The matcher finds cues; scopes hold some; the
 * decision weighs what is left. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "routing/lang.h"
#include "routing/screen.h"
#include "routing/screen_data.h"
#include "routing/screen_dirs.h"
#include "routing/screen_text.h"
#include "server/core/config.h"

/* Word tokens a denial reaches forward, and back for "... нет". */
#define NEG_FORWARD	6
#define NEG_BACK	4
/* Word tokens "for" (an indication) reaches. */
#define IND_FORWARD	3
/* Vocabulary words a misspelt word is read as, at most. */
#define SCREEN_FUZZY_CANDIDATES	4
/* Tokens one term can span (8 words, gaps of 3). */
#define SCOPE_SPAN	32

enum held { HELD_NO, HELD_NEGATED, HELD_QUESTION, HELD_HYPOTHETICAL,
	HELD_INDICATION, HELD_QUESTION_MARK, HELD_IN_WORD };

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
	uint32_t start, end;
};

static struct {
	struct screen_kb *kb;
	struct screen_doc doc;
	struct found *f;
	size_t nf, fcap;
	uint32_t *at;			/* cues starting at token i: f[at[i]..at[i+1]) */
	size_t atcap;
	struct {			/* a misspelt token read as word w */
		const struct screen_token *tok;
		const struct screen_vword *w;
	} fix;
	struct { uint8_t kind; char *term; } extra[SCREEN_EXTRA_MAX],
	    pend[SCREEN_EXTRA_MAX];
	size_t nextra, npend;
} S;

static int
is_ae_cue(int c)
{
	return c <= CUE_LAB;
}

static int
is_special(int c)
{
	return c >= CUE_OVERDOSE && c <= CUE_LAB;
}

static int
is_defect(int c)
{
	return c == CUE_DEFECT || c == CUE_DEFECT_PACK;
}

/* Cues a scope can hold: what would raise a flag, and exposure. */
static int
holdable(int c)
{
	return is_ae_cue(c) || is_defect(c) || c == CUE_EXPOSURE || c == CUE_REPORT;
}

static const char *
default_installed(void)
{
	return RX_DATADIR "/screening";
}

const char *
screen_default_dir(void)
{
	struct stat st;

	if (stat(default_installed(), &st) == 0 && S_ISDIR(st.st_mode))
		return default_installed();
	return SCREEN_SOURCE_DIR;
}

/* ---- matching ---- */

/* Bytes of the UTF-8 character that starts with C. */
static size_t
utf8_len(char c)
{
	unsigned char u = (unsigned char)c;

	return u >= 0xf0 ? 4 : u >= 0xe0 ? 3 : u >= 0xc0 ? 2 : 1;
}

static int
word_at(const struct screen_doc *d, const struct screen_token *t,
    const struct screen_word *w, int slot)
{
	const char *s, *surface = t->surface;

	if (t == S.fix.tok) {
		/* A misspelt token reads as the vocabulary word it is near. */
		surface = S.fix.w->word;
		s = slot == S.fix.w->lang ? S.fix.w->stem : NULL;
	} else
		s = screen_text_stem(d, t, slot);
	if (w->prefix)
		return strncmp(surface, w->key, w->len) == 0;
	return s && strlen(s) == w->len && memcmp(s, w->key, w->len) == 0;
}

/* The rest of TERM after its first word at token I; its last token or -1. */
static long
term_rest(const struct screen_doc *d, const struct screen_term *term, size_t i)
{
	size_t j = i;

	for (int k = 1; k < term->nwords; k++) {
		const struct screen_word *w = &term->w[k];
		size_t g, stop = j + 2 + w->gap;
		for (g = j + 1; g < stop && g < d->ntok; g++) {
			if (d->tok[g].script == SCREEN_SCRIPT_PUNCT ||
			    d->tok[g].sentence != d->tok[i].sentence)
				return -1;
			if (word_at(d, &d->tok[g], w, term->lang))
				break;
		}
		if (g == stop || g == d->ntok)
			return -1;
		j = g;
	}
	return (long)j;
}

static void
found_add(const struct screen_term *term, size_t t0, size_t t1, uint32_t start,
    uint32_t end, int field)
{
	struct found *f;
	void *p;

	/* Cues are found token by token: duplicates sit at the end. */
	for (size_t i = S.nf; i-- > 0 && S.f[i].tok0 == t0 && S.f[i].field == field;)
		if (S.f[i].term == term)
			return;
	if (S.nf == S.fcap) {
		size_t cap = S.fcap ? S.fcap * 2 : 64;
		if ((p = realloc(S.f, cap * sizeof(*S.f))) == NULL)
			return;
		S.f = p;
		S.fcap = cap;
	}
	f = &S.f[S.nf++];
	f->term = term;
	f->tok0 = (uint32_t)t0;
	f->tok1 = (uint32_t)t1;
	f->held = HELD_NO;
	f->kept = KEPT_NONE;
	f->fuzzy = S.fix.tok != NULL;
	f->field = (uint8_t)field;
	f->start = start;
	f->end = end;
}

static void
try_term(const struct screen_doc *d, const struct screen_term *term, size_t i, int field)
{
	long last = term_rest(d, term, i);

	if (last >= 0)
		found_add(term, i, (size_t)last, d->tok[i].start, d->tok[last].end, field);
}

static void
match_map(const struct screen_doc *d, const struct screen_map *m, const char *key,
    size_t len, size_t i, int field)
{
	const struct screen_entry *e;

	for (e = screen_data_find(m, key, len); e; e = screen_data_next(m, e, key, len))
		try_term(d, &S.kb->terms[e->term], i, field);
}

/* Stem and prefix terms of language slot L at token I, read as SURFACE
 * and stem STEM (NULL: none). */
static void
match_slot(const struct screen_doc *d, size_t i, int field, int l,
    const char *surface, const char *stem)
{
	const struct screen_map *pm = &S.kb->prefixes[l];
	size_t len = strlen(surface);

	if (stem != NULL)
		match_map(d, &S.kb->stems[l], stem, strlen(stem), i, field);
	for (size_t n = pm->minlen; n && n <= len && n <= pm->maxlen; n++)
		if (((unsigned char)surface[n] & 0xc0) != 0x80)
			match_map(d, pm, surface, n, i, field);
}

/*
 * A word of SCREEN_FUZZY_MIN+ letters that no term matched may be a
 * misspelling ("diziness", "nausia", "headace") unless a word list of
 * its script knows it: read it as each vocabulary word one edit away and
 * match again (rule "misspelling").
 */
static void
match_fuzzy(const struct screen_doc *d, size_t i, int field)
{
	const struct screen_vword *w[SCREEN_FUZZY_CANDIDATES];
	const char *stem;
	size_t n;

	for (int l = 0; l < S.kb->nlangs; l++)
		if (S.kb->script[l] == d->tok[i].script &&
		    (stem = screen_text_stem(d, &d->tok[i], l)) != NULL &&
		    screen_data_known(S.kb, l, stem))
			return;		/* "number" is not a misspelt "numb" */
	n = screen_data_fuzzy(S.kb, d->tok[i].surface, d->tok[i].script, w,
	    SCREEN_FUZZY_CANDIDATES);
	for (size_t k = 0; k < n; k++) {
		S.fix.tok = &d->tok[i];
		S.fix.w = w[k];
		match_slot(d, i, field, w[k]->lang, w[k]->word, w[k]->stem);
	}
	S.fix.tok = NULL;
}

/* Stem and prefix terms of every language of the token's script. */
static void
match_word(const struct screen_doc *d, size_t i, int field)
{
	const struct screen_token *t = &d->tok[i];
	size_t nf = S.nf;

	for (int l = 0; l < S.kb->nlangs; l++)
		if (S.kb->script[l] == t->script)
			match_slot(d, i, field, l, t->surface,
			    screen_text_stem(d, t, l));
	if (S.nf == nf && !t->synthetic && (t->script == SCREEN_SCRIPT_LATIN ||
	    t->script == SCREEN_SCRIPT_CYRILLIC))
		match_fuzzy(d, i, field);
}

/* The token holding normalised byte AT, from token I on. */
static size_t
token_at(const struct screen_doc *d, size_t i, uint32_t at)
{
	while (i + 1 < d->ntok && d->tok[i].nend <= at)
		i++;
	return i;
}

/* A Han term at normalised byte AT of token I; sentence ends at LIMIT. */
static void
try_han(const struct screen_doc *d, const struct screen_term *term, size_t i,
    uint32_t at, uint32_t limit, int field)
{
	uint32_t p = at, e;
	size_t n;

	for (int k = 0; k < term->nwords; k++) {
		const struct screen_word *w = &term->w[k];
		uint32_t q = p, stop = p;
		for (int g = 0; g < w->gap && stop < limit; g++) {
			stop++;
			while (stop < limit && ((unsigned char)d->norm[stop] & 0xc0) == 0x80)
				stop++;
		}
		for (; q <= stop; q++)
			if (q + w->len <= limit && memcmp(d->norm + q, w->key, w->len) == 0)
				break;
		if (q > stop)
			return;
		p = q + w->len;
	}
	e = p;
	n = token_at(d, i, e - 1);
	found_add(term, i, n, d->map[at], d->map[e], field);
}

/* Is the Han word at token I a term of CUE in language slot L? */
static int
han_known(const struct screen_doc *d, size_t i, int l, int cue)
{
	const struct screen_token *t = &d->tok[i];
	const char *w = d->norm + t->nstart;
	size_t n = t->nend - t->nstart, c = utf8_len(*w);
	const struct screen_entry *e;

	for (e = screen_data_find(&S.kb->han[l], w, c); e;
	    e = screen_data_next(&S.kb->han[l], e, w, c)) {
		const struct screen_term *k = &S.kb->terms[e->term];
		if (k->cue == cue && k->nwords == 1 && k->w[0].len == n &&
		    memcmp(k->w[0].key, w, n) == 0)
			return 1;
	}
	return 0;
}

/*
 * A one-character Han term (痛, 晕, 药) matches only a word of its own
 * (ICU's dictionary words: "头很痛" is 头 很 痛), followed by particles
 * only (漏了, 咳得), or inside a word that is itself a term of its cue;
 * not inside 痛快, 晕车 or 药房.
 */
static int
han_single_ok(const struct screen_doc *d, const struct screen_term *term, size_t i)
{
	const struct screen_token *t = &d->tok[i];

	static const char particles[] = "\u4e86\u7740\u8fc7\u5f97\u7684\u5730";
	size_t n = term->w[0].len, j;

	if (term->nwords != 1 || n != utf8_len(term->w[0].key[0]))
		return 1;
	/* 漏了, 咳得: the character and aspect or structural particles. */
	if (memcmp(d->norm + t->nstart, term->w[0].key, n) == 0) {
		for (j = t->nstart + n; j + 3 <= t->nend; j += 3)
			if (strstr(particles, (char[4]){ d->norm[j], d->norm[j + 1],
			    d->norm[j + 2], 0 }) == NULL)
				break;
		if (j == t->nend)
			return 1;
	}
	return han_known(d, i, term->lang, term->cue);
}

/* A Han term; one a word holds stays in the hits, held ("inside a word"). */
static void
try_han_word(const struct screen_doc *d, const struct screen_term *term, size_t i,
    uint32_t at, uint32_t limit, int field)
{
	size_t n = S.nf;

	try_han(d, term, i, at, limit, field);
	if (S.nf > n && !han_single_ok(d, term, i))
		S.f[n].held = HELD_IN_WORD;
}

static void
match_han(const struct screen_doc *d, size_t i, int field)
{
	const struct screen_token *t = &d->tok[i];
	const struct screen_entry *e;
	uint32_t limit = d->tok[d->sent_end[t->sentence] - 1].nend, n;

	for (uint32_t at = t->nstart; at < t->nend; at += n) {
		n = utf8_len(d->norm[at]);
		for (int l = 0; l < S.kb->nlangs; l++) {
			if (S.kb->script[l] != SCREEN_SCRIPT_HAN)
				continue;
			for (e = screen_data_find(&S.kb->han[l], d->norm + at, n); e;
			    e = screen_data_next(&S.kb->han[l], e, d->norm + at, n))
				try_han_word(d, &S.kb->terms[e->term], i, at, limit,
				    field);
		}
	}
}

static void
match_all(const struct screen_doc *d, int field)
{
	for (size_t i = 0; i < d->ntok; i++) {
		if (d->tok[i].script == SCREEN_SCRIPT_PUNCT)
			continue;
		if (d->tok[i].script == SCREEN_SCRIPT_HAN)
			match_han(d, i, field);
		else
			match_word(d, i, field);
	}
}

/* ---- scopes ---- */

/* The cues of one field, indexed by the token they start at. */
struct scope {
	const struct screen_doc *d;
	size_t from, to;		/* S.f[from..to) */
};

/* Index the field's cues (found in token order) by their first token. */
static int
index_tokens(const struct scope *sc)
{
	size_t n = sc->d->ntok, k = sc->from;
	void *p;

	if (n + 1 > S.atcap) {
		if ((p = realloc(S.at, (n + 1) * sizeof(*S.at))) == NULL)
			return -1;
		S.at = p;
		S.atcap = n + 1;
	}
	for (size_t i = 0; i <= n; i++) {
		while (k < sc->to && S.f[k].tok0 < i)
			k++;
		S.at[i] = (uint32_t)k;
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
	return is_ae_cue(c) || is_defect(c) || c == CUE_LIST;
}

/* Does a cue of kind CUE (or one that flags or lists, when CUE < 0) start at I? */
static int
cue_starts(const struct scope *sc, size_t i, int cue)
{
	for (size_t k = S.at[i]; k < S.at[i + 1]; k++) {
		int c = S.f[k].term->cue;
		if (S.f[k].held != HELD_IN_WORD && (cue >= 0 ? c == cue :
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
	if (why == HELD_INDICATION)
		return c == CUE_SYMPTOM || c == CUE_VAGUE || c == CUE_GENERIC ||
		    c == CUE_LAB;
	return 1;
}

/* Does a cue of kind CUE overlap F or end right before it ("side" of
 * "side effects", "побічних" of "побічних ефектів")? */
static int
next_to(const struct found *f, int cue)
{
	size_t a = f->tok0 > SCOPE_SPAN ? f->tok0 - SCOPE_SPAN : 0;

	for (size_t k = S.at[a]; k < S.at[f->tok1 + 1]; k++)
		if (S.f[k].term->cue == cue && S.f[k].tok1 + 1 >= f->tok0)
			return 1;
	return 0;
}

/* Does a negation deny F? Not an inefficacy ("не дає жодного ефекту"),
 * unless it is the "effects" of "no side effects". */
static int
negation_holds(struct found *f)
{
	if (f->term->cue != CUE_INEFFICACY || next_to(f, CUE_GENERIC))
		return 1;
	f->kept = KEPT_INEFFICACY;
	return 0;
}

/* Hold the cues starting at tokens A..B; the count held. */
static int
hold(const struct scope *sc, size_t a, size_t b, enum held why)
{
	int n = 0;

	if (b >= sc->d->ntok)
		b = sc->d->ntok - 1;
	for (size_t k = S.at[a]; a <= b && k < S.at[b + 1]; k++) {
		struct found *f = &S.f[k];
		int c = f->term->cue;
		if (f->held != HELD_NO || !may_hold(c, why == HELD_QUESTION_MARK ?
		    HELD_QUESTION : why) || (why == HELD_NEGATED && !negation_holds(f)))
			continue;
		if (why == HELD_QUESTION_MARK && is_defect(c))
			continue;
		f->held = (uint8_t)(why == HELD_QUESTION_MARK ? HELD_QUESTION : why);
		n++;
	}
	return n;
}

/* The last token a forward scope from I reaches: the sentence's end, a
 * "but", a mark other than a comma, a comma not continuing a list of
 * what it denies ("no rash, itching or swelling"), or MAXW words. */
static size_t
scope_end(const struct scope *sc, size_t i, int maxw)
{
	const struct screen_doc *d = sc->d;
	size_t end = d->sent_end[d->tok[i].sentence], j, last = i;
	int words = 0, seen = 0;

	for (j = i + 1; j < end; j++) {
		if (cue_starts(sc, j, CUE_BREAKER))
			break;
		if (punct_at(d, j) != NULL) {
			if (!is_comma(d, j) || !seen || j + 1 >= end ||
			    !cue_starts(sc, j + 1, -1))
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
sentence_cue(const struct scope *sc, unsigned s, int cue)
{
	const struct screen_doc *d = sc->d;

	for (size_t k = S.at[sent_begin(d, s)]; k < S.at[d->sent_end[s]]; k++)
		if (S.f[k].term->cue == cue && S.f[k].held == HELD_NO)
			return &S.f[k];
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

/*
 * A question that reports nothing holds cues of its sentence: all of them
 * when it has a question mark or its question word ends it ("...吗"), else
 * what follows its first question word ("can X cause", "asking about").
 * What comes before ("吃了X嘴里一股金属味，吃什么都是苦的") is told, not asked.
 */
static void
hold_questions(const struct scope *sc)
{
	const struct screen_doc *d = sc->d;

	for (unsigned s = 0; s < d->nsent; s++) {
		size_t begin = sent_begin(d, s), end = d->sent_end[s];
		struct found *q;
		if (begin == end)
			continue;
		q = sentence_cue(sc, s, CUE_QUESTION);
		if ((!q && !sentence_asks(d, s)) || sentence_cue(sc, s, CUE_REPORT))
			continue;
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
consumed(const struct scope *sc, const struct found *f)
{
	size_t a = f->tok0 > SCOPE_SPAN ? f->tok0 - SCOPE_SPAN : 0;

	for (size_t k = S.at[a]; k < S.at[f->tok0 + 1]; k++) {
		int c = S.f[k].term->cue;
		if ((is_ae_cue(c) || is_defect(c)) && S.f[k].held != HELD_IN_WORD &&
		    S.f[k].tok0 <= f->tok0 && S.f[k].tok1 >= f->tok1)
			return 1;
	}
	return 0;
}

/* The tokens from I on that an indication's condition covers: its first
 * symptom within IND_FORWARD words and what a comma or list word adds to
 * it ("for nausea and vomiting"); not what follows ("from pain, no sleep"
 * is one cue held, not two). */
static void
hold_indication(const struct scope *sc, size_t i)
{
	const struct screen_doc *d = sc->d;
	size_t end = scope_end(sc, i, IND_FORWARD), last = 0, j;

	for (j = i + 1; j <= end && !last; j++)
		for (size_t k = S.at[j]; k < S.at[j + 1]; k++)
			if (may_hold(S.f[k].term->cue, HELD_INDICATION) &&
			    S.f[k].tok1 > last)
				last = S.f[k].tok1;
	if (!last)
		return;
	j--;
	for (;;) {
		hold(sc, j, last, HELD_INDICATION);
		j = last + 1;
		if (j < d->ntok && (is_comma(d, j) || cue_starts(sc, j, CUE_LIST)))
			j++;
		if (j >= d->ntok || j == last + 1 || d->tok[j].sentence !=
		    d->tok[i].sentence || !cue_starts(sc, j, -1))
			break;
		for (size_t k = S.at[j]; k < S.at[j + 1]; k++)
			if (S.f[k].tok1 > last)
				last = S.f[k].tok1;
	}
}

static void
apply_scopes(const struct scope *sc)
{
	for (size_t k = sc->from; k < sc->to; k++) {
		const struct found *f = &S.f[k];
		if (f->term->cue >= CUE_NEGATION && consumed(sc, f))
			continue;
		switch (f->term->cue) {
		case CUE_NEGATION:
			hold(sc, f->tok1 + 1, scope_end(sc, f->tok1, NEG_FORWARD),
			    HELD_NEGATED);
			break;
		case CUE_NEGATION_AFTER:
			if (f->tok0 > 0)
				hold(sc, scope_start_back(sc->d, f->tok0), f->tok0 - 1,
				    HELD_NEGATED);
			break;
		case CUE_HYPOTHETICAL:
			hold(sc, f->tok1 + 1, scope_end(sc, f->tok1, 0),
			    HELD_HYPOTHETICAL);
			break;
		case CUE_INDICATION:
			hold_indication(sc, f->tok1);
			break;
		default:
			break;
		}
	}
	hold_questions(sc);
}

/* ---- decision ---- */

static const char *const held_names[] = {
	"counted", "negated", "question", "hypothetical", "indication", "question",
	"inside a word"
};

struct tally {
	int strong, weak, exposure, pregnancy, defect, defect_pack, pack, service;
};

static void
tally(struct tally *t)
{
	for (size_t k = 0; k < S.nf; k++) {
		int c = S.f[k].term->cue;
		if (S.f[k].held != HELD_NO)
			continue;
		if (c == CUE_SYMPTOM || (is_special(c) && c != CUE_PREGNANCY &&
		    c != CUE_LACTATION))
			t->strong++;
		else if (c == CUE_PREGNANCY || c == CUE_LACTATION)
			t->pregnancy++;
		else if (c == CUE_VAGUE || c == CUE_GENERIC)
			t->weak++;
		else if (c == CUE_EXPOSURE)
			t->exposure++;
		else if (c == CUE_DEFECT)
			t->defect++;
		else if (c == CUE_DEFECT_PACK)
			t->defect_pack++;
		else if (c == CUE_PACK)
			t->pack++;
		else if (c == CUE_SERVICE)
			t->service++;
	}
}

static enum screen_ae
decide_ae(const struct tally *t)
{
	if (t->strong && t->exposure)
		return SCREEN_AE_PROBABLE;
	if (t->pregnancy && t->exposure)
		return SCREEN_AE_PROBABLE;
	if (t->strong || t->weak)
		return SCREEN_AE_POSSIBLE;
	return SCREEN_AE_NONE;
}

static int
decide_complaint(const struct tally *t)
{
	return t->defect > 0 || (t->defect_pack > 0 && (t->pack > 0 || t->service == 0));
}

static const char *
rule_of(const struct found *f, const struct screen_result *r)
{
	int c = f->term->cue;

	if (f->held != HELD_NO)
		return held_names[f->held];
	if (f->kept == KEPT_INEFFICACY)
		return "inefficacy despite negation";
	if (f->fuzzy && is_ae_cue(c))
		return r->ae == SCREEN_AE_PROBABLE ? "misspelling+exposure" :
		    "misspelling";
	if (f->fuzzy && is_defect(c))
		return "misspelling";
	if (is_special(c))
		return r->ae == SCREEN_AE_PROBABLE ? "special+exposure" : "special";
	if (is_ae_cue(c))
		return r->ae == SCREEN_AE_PROBABLE ? "symptom+exposure" : "weak evidence";
	if (is_defect(c))
		return r->complaint ? "defect" : "not on the product";
	return "context";
}

static void
hit_add(struct screen_result *r, const struct found *f)
{
	struct screen_hit *h;
	int c = f->term->cue;

	if (r->nhits == SCREEN_HITS_MAX)
		return;
	h = &r->hits[r->nhits++];
	h->kind = is_ae_cue(c) ? SCREEN_KIND_AE : is_defect(c) ?
	    SCREEN_KIND_COMPLAINT : SCREEN_KIND_CONTEXT;
	h->field = f->field;
	h->counted = f->held == HELD_NO;
	h->cue = screen_data_cues[c];
	h->term = f->term->text;
	h->rule = rule_of(f, r);
	h->start = f->start;
	h->end = f->end;
}

/* Counted flags first, then what scopes held, then exposure context. */
static void
explain(struct screen_result *r)
{
	for (int pass = 0; pass < 3; pass++)
		for (size_t k = 0; k < S.nf; k++) {
			int c = S.f[k].term->cue, flags = is_ae_cue(c) || is_defect(c);
			if ((pass == 0 && flags && S.f[k].held == HELD_NO) ||
			    (pass == 1 && flags && S.f[k].held != HELD_NO) ||
			    (pass == 2 && c == CUE_EXPOSURE && S.f[k].held == HELD_NO))
				hit_add(r, &S.f[k]);
		}
}

static void
screen_field(const char *text, int field)
{
	uint8_t scripts[SCREEN_LANGS_MAX] = { 0 };
	size_t from = S.nf;
	struct scope sc;

	if (text == NULL || *text == '\0' || S.kb == NULL)
		return;
	for (int l = 0; l < S.kb->nlangs; l++)
		scripts[l] = S.kb->script[l];
	if (screen_text_parse(&S.doc, text, strlen(text), scripts) == -1)
		return;
	match_all(&S.doc, field);
	sc.d = &S.doc;
	sc.from = from;
	sc.to = S.nf;
	if (index_tokens(&sc) == 0)
		apply_scopes(&sc);
}

void
screen_message(const char *subject, const char *text, const char *lang_hint,
    struct screen_result *r)
{
	struct tally t;

	memset(r, 0, sizeof(*r));
	memset(&t, 0, sizeof(t));
	r->lang = lang_hint ? lang_hint : lang_detect(text, NULL);
	if (r->lang == NULL && subject)
		r->lang = lang_detect(subject, NULL);
	S.nf = 0;
	screen_field(subject, SCREEN_FIELD_SUBJECT);
	screen_field(text, SCREEN_FIELD_TEXT);
	tally(&t);
	r->ae = decide_ae(&t);
	r->complaint = decide_complaint(&t);
	explain(r);
}

void
screen_text(const char *text, const char *lang_hint, struct screen_result *r)
{
	screen_message(NULL, text, lang_hint, r);
}

const char *
screen_ae_name(enum screen_ae ae)
{
	return ae == SCREEN_AE_PROBABLE ? "probable" : ae == SCREEN_AE_POSSIBLE ?
	    "possible" : NULL;
}

json_t *
screen_result_json(const struct screen_result *r, const char *text,
    const char *subject)
{
	static const char *const kinds[] = { "", "ae", "complaint", "", "context" };
	json_t *o, *hits = json_array();
	const struct screen_hit *h;
	const char *src;

	for (size_t i = 0; i < r->nhits; i++) {
		h = &r->hits[i];
		src = h->field == SCREEN_FIELD_SUBJECT ? subject : text;
		o = json_pack("{s:s,s:s,s:s,s:s,s:b,s:I,s:I,s:s}", "kind", kinds[h->kind],
		    "cue", h->cue, "term", h->term, "rule", h->rule, "counted", h->counted,
		    "start", (json_int_t)h->start, "end", (json_int_t)h->end,
		    "field", h->field == SCREEN_FIELD_SUBJECT ? "subject" : "text");
		if (o && src && h->end <= strlen(src))
			json_object_set_new(o, "text", json_stringn(src + h->start,
			    h->end - h->start));
		if (o)
			json_array_append_new(hits, o);
	}
	return json_pack("{s:s?,s:b,s:s?,s:o}", "ae", screen_ae_name(r->ae),
	    "complaint", r->complaint, "lang", r->lang, "hits", hits);
}

/* ---- knowledge and configured terms ---- */

static int
add_extras(struct screen_kb *kb, const char **cause)
{
	for (size_t i = 0; i < S.nextra; i++)
		if (screen_data_add_extra(kb, S.extra[i].kind == SCREEN_KIND_AE ?
		    CUE_SYMPTOM : CUE_DEFECT, S.extra[i].term, cause) == -1)
			return -1;
	if (screen_data_index(kb) == -1) {
		*cause = "out of memory";
		return -1;
	}
	return 0;
}

int
screen_load(const char *dir, const char **cause)
{
	struct screen_kb *kb;

	if (screen_text_init(cause) == -1)
		return -1;
	if (screen_data_load(dir, &kb, cause) == -1) {
		/* The slots were declared for the failed set: declare ours. */
		for (int l = 0; S.kb && l < S.kb->nlangs; l++)
			screen_text_lang(l, S.kb->code[l]);
		return -1;
	}
	if (add_extras(kb, cause) == -1) {
		screen_data_free(kb);
		return -1;
	}
	screen_data_free(S.kb);
	S.kb = kb;
	return 0;
}

int
screen_loaded(void)
{
	return S.kb != NULL;
}

static int
on_section(const char *name, const char *key, const char *value,
    const char **cause)
{
	enum screen_kind kind;
	char *copy, *p, *tok;
	int rc = 0;

	if (strcmp(name, "ae") == 0)
		kind = SCREEN_KIND_AE;
	else if (strcmp(name, "complaint") == 0)
		kind = SCREEN_KIND_COMPLAINT;
	else {
		*cause = "lexicon sections are [lexicon ae] and [lexicon complaint]";
		return -1;
	}
	(void)key;		/* any key (en, uk, terms, ...) holds terms */
	if ((copy = strdup(value)) == NULL) {
		*cause = "out of memory";
		return -1;
	}
	for (p = copy; rc == 0 && (tok = strsep(&p, ",")) != NULL;) {
		while (*tok == ' ' || *tok == '\t')
			tok++;
		for (char *e = tok + strlen(tok); e > tok && (e[-1] == ' ' ||
		    e[-1] == '\t'); e--)
			e[-1] = '\0';
		if (*tok != '\0')
			rc = screen_extra_add(kind, tok, cause);
	}
	free(copy);
	return rc;
}

void
screen_config(void)
{
	config_section_hook("lexicon", on_section);
}

int
screen_extra_add(enum screen_kind kind, const char *term, const char **cause)
{
	char *t;

	if (*term == '\0') {
		*cause = "empty term";
		return -1;
	}
	if (strlen(term) > 64) {
		*cause = "term longer than 64 bytes";
		return -1;
	}
	if (S.npend == SCREEN_EXTRA_MAX) {
		*cause = "more than 256 lexicon terms";
		return -1;
	}
	if ((t = strdup(term)) == NULL) {
		*cause = "out of memory";
		return -1;
	}
	S.pend[S.npend].kind = (uint8_t)kind;
	S.pend[S.npend++].term = t;
	return 0;
}

static void
extras_drop(void)
{
	for (size_t i = 0; i < S.nextra; i++)
		free(S.extra[i].term);
	S.nextra = 0;
}

void
screen_commit(void)
{
	const char *cause;

	extras_drop();
	memcpy(S.extra, S.pend, S.npend * sizeof(S.pend[0]));
	S.nextra = S.npend;
	S.npend = 0;
	if (S.kb) {
		screen_data_drop_extra(S.kb);
		if (add_extras(S.kb, &cause) == -1) {
			screen_data_drop_extra(S.kb);
			screen_data_index(S.kb);
		}
	}
}

void
screen_free(void)
{
	extras_drop();
	for (size_t i = 0; i < S.npend; i++)
		free(S.pend[i].term);
	S.npend = 0;
	screen_data_free(S.kb);
	S.kb = NULL;
	free(S.f);
	S.f = NULL;
	S.nf = S.fcap = 0;
	free(S.at);
	S.at = NULL;
	S.atcap = 0;
	screen_text_free(&S.doc);
	screen_text_free(NULL);
}
