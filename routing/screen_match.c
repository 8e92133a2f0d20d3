/* screen_match: see screen_match.h. */
#include <stdlib.h>
#include <string.h>

#include "routing/screen_match.h"

/* Vocabulary words a misspelt word is read as, at most. */
#define SCREEN_FUZZY_CANDIDATES	4

static struct {
	const struct screen_kb *kb;
	struct screen_found *fs;
	unsigned langs;			/* a bit per language slot that applies */
	int translit;
	struct {			/* a misspelt token read as word w */
		const struct screen_token *tok;
		const struct screen_vword *w;
	} fix;
} M;

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

	if (t == M.fix.tok) {
		/* A misspelt token reads as the vocabulary word it is near. */
		surface = M.fix.w->word;
		s = slot == M.fix.w->lang ? M.fix.w->stem : NULL;
	} else
		s = screen_text_stem(d, t, slot);
	if (w->prefix)
		return strncmp(surface, w->key, w->len) == 0;
	if (w->exact)
		return strlen(surface) == w->len && memcmp(surface, w->key, w->len) == 0;
	return s && strlen(s) == w->len && memcmp(s, w->key, w->len) == 0;
}

/* Tokens number pattern W covers from token I ("190/110" is two), 0 when
 * they do not fit it. */
static size_t
number_at(const struct screen_doc *d, size_t i, const struct screen_word *w)
{
	const struct screen_token *t = &d->tok[i];
	double v;

	if (t->script != SCREEN_SCRIPT_DIGIT ||
	    screen_data_number(t->surface, strlen(t->surface), &v) != strlen(t->surface) ||
	    !screen_data_number_fits(w, 0, v))
		return 0;
	if (w->num == 1)
		return 1;
	if (i + 1 >= d->ntok || d->tok[i + 1].script != SCREEN_SCRIPT_DIGIT ||
	    d->tok[i + 1].nstart != t->nend + 1 || d->norm[t->nend] != '/' ||
	    screen_data_number(d->tok[i + 1].surface, strlen(d->tok[i + 1].surface),
	    &v) == 0 || !screen_data_number_fits(w, 1, v))
		return 0;
	return 2;
}

/* The tokens word W covers from token I (0: it does not match there). */
static size_t
word_span(const struct screen_doc *d, size_t i, const struct screen_word *w, int slot)
{
	if (w->num)
		return number_at(d, i, w);
	return word_at(d, &d->tok[i], w, slot) ? 1 : 0;
}

/* The rest of TERM after its first word at token I; its last token or -1. */
static long
term_rest(const struct screen_doc *d, const struct screen_term *term, size_t i)
{
	size_t j = i, n = 0;

	if (term->w[0].num && (n = number_at(d, i, &term->w[0])) == 0)
		return -1;
	j = i + (n ? n - 1 : 0);
	for (int k = 1; k < term->nwords; k++) {
		const struct screen_word *w = &term->w[k];
		size_t g, stop = j + 2 + w->gap;
		for (g = j + 1; g < stop && g < d->ntok; g++) {
			if (d->tok[g].script == SCREEN_SCRIPT_PUNCT ||
			    d->tok[g].sentence != d->tok[i].sentence)
				return -1;
			if ((n = word_span(d, g, w, term->lang)) > 0)
				break;
		}
		if (g == stop || g == d->ntok)
			return -1;
		j = g + n - 1;
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
	for (size_t i = M.fs->n; i-- > 0 && M.fs->f[i].tok0 == t0 && M.fs->f[i].field == field;)
		if (M.fs->f[i].term == term)
			return;
	if (M.fs->n == M.fs->cap) {
		size_t cap = M.fs->cap ? M.fs->cap * 2 : 64;
		if ((p = realloc(M.fs->f, cap * sizeof(*M.fs->f))) == NULL)
			return;
		M.fs->f = p;
		M.fs->cap = cap;
	}
	f = &M.fs->f[M.fs->n++];
	f->term = term;
	f->tok0 = (uint32_t)t0;
	f->tok1 = (uint32_t)t1;
	f->held = HELD_NO;
	f->kept = KEPT_NONE;
	f->fuzzy = M.fix.tok != NULL;
	f->translit = (uint8_t)M.translit;
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
		try_term(d, &M.kb->terms[e->term], i, field);
}

/* Stem and prefix terms of language slot L at token I, read as SURFACE
 * and stem STEM (NULL: none). */
static void
match_slot(const struct screen_doc *d, size_t i, int field, int l,
    const char *surface, const char *stem)
{
	const struct screen_map *pm = &M.kb->prefixes[l];
	size_t len = strlen(surface);

	if (stem != NULL)
		match_map(d, &M.kb->stems[l], stem, strlen(stem), i, field);
	match_map(d, &M.kb->exact[l], surface, len, i, field);
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

	for (int l = 0; l < M.kb->nlangs; l++)
		if (M.kb->script[l] == d->tok[i].script &&
		    (stem = screen_text_stem(d, &d->tok[i], l)) != NULL &&
		    screen_data_known(M.kb, l, stem))
			return;		/* "number" is not a misspelt "numb" */
	n = screen_data_fuzzy(M.kb, d->tok[i].surface, d->tok[i].script, w,
	    SCREEN_FUZZY_CANDIDATES);
	for (size_t k = 0; k < n; k++) {
		if (!(M.langs >> w[k]->lang & 1))
			continue;
		M.fix.tok = &d->tok[i];
		M.fix.w = w[k];
		match_slot(d, i, field, w[k]->lang, w[k]->word, w[k]->stem);
	}
	M.fix.tok = NULL;
}

/*
 * Does a word list of a language that applies to the text know token T?
 * Then the other vocabularies of its script stay away from it ("волосся"
 * is not Russian "волос*"); a word it does not know (a Russian word in a
 * Ukrainian text) meets them all.
 */
static int
known_own(const struct screen_doc *d, const struct screen_token *t)
{
	const char *stem;
	int excluded = 0;

	for (int l = 0; l < M.kb->nlangs; l++)
		if (M.kb->script[l] == t->script && !(M.langs >> l & 1))
			excluded = 1;
	if (!excluded)
		return 1;
	for (int l = 0; l < M.kb->nlangs; l++)
		if (M.kb->script[l] == t->script && (M.langs >> l & 1) &&
		    (stem = screen_text_stem(d, t, l)) != NULL &&
		    screen_data_known(M.kb, l, stem))
			return 1;
	return 0;
}

/* Is token I a unit of a dose ("5 mg")? */
static int
dose_unit(const struct screen_doc *d, size_t i)
{
	static const char *const units[] = { "mg", "mcg", "ml", "g", "iu", "мг",
	    "мкг", "мл", "г", "мо", "од", "units", NULL };

	if (i >= d->ntok)
		return 0;
	for (int k = 0; units[k]; k++)
		if (strcmp(d->tok[i].surface, units[k]) == 0)
			return 1;
	return 0;
}

/*
 * Is token I a product name ("Nauseril", "Paindorin")? A word written
 * with a capital that does not begin its sentence, and that no word list
 * of its script knows or that a dose follows ("Migrastop 5 mg").
 */
static int
product_name(const struct screen_doc *d, size_t i)
{
	const struct screen_token *t = &d->tok[i];
	const char *stem;
	size_t j = i;

	if (!t->upper || (t->script != SCREEN_SCRIPT_LATIN &&
	    t->script != SCREEN_SCRIPT_CYRILLIC))
		return 0;
	while (j > 0 && d->tok[j - 1].sentence == t->sentence &&
	    d->tok[j - 1].script == SCREEN_SCRIPT_PUNCT)
		j--;
	if (j == 0 || d->tok[j - 1].sentence != t->sentence)
		return 0;		/* the first word of its sentence */
	if (i + 2 < d->ntok && d->tok[i + 1].script == SCREEN_SCRIPT_DIGIT &&
	    dose_unit(d, i + 2))
		return 1;
	for (int l = 0; l < M.kb->nlangs; l++)
		if (M.kb->script[l] == t->script &&
		    (stem = screen_text_stem(d, t, l)) != NULL &&
		    screen_data_known(M.kb, l, stem))
			return 0;
	return 1;
}

/* A product name holds the cues that begin at it ("Nauseril" is not
 * "nause*"); they stay in the hits (rule "product name"). */
static void
hold_product(const struct screen_doc *d, size_t i, size_t from)
{
	if (from == M.fs->n || !product_name(d, i))
		return;
	for (size_t k = from; k < M.fs->n; k++) {
		int c = M.fs->f[k].term->cue;
		if (screen_cue_ae(c) || screen_cue_defect(c))
			M.fs->f[k].held = HELD_PRODUCT;
	}
}

/* Stem and prefix terms of every language of the token's script. */
static void
match_word(const struct screen_doc *d, size_t i, int field)
{
	const struct screen_token *t = &d->tok[i];
	size_t nf = M.fs->n;

	int other;

	if (t->script == SCREEN_SCRIPT_DIGIT) {
		for (int l = 0; l < M.kb->nlangs; l++)
			if (M.langs >> l & 1)
				match_map(d, &M.kb->exact[l], "#", 1, i, field);
		return;
	}
	other = !known_own(d, t);

	for (int l = 0; l < M.kb->nlangs; l++)
		if (M.kb->script[l] == t->script && (other || (M.langs >> l & 1)))
			match_slot(d, i, field, l, t->surface,
			    screen_text_stem(d, t, l));
	if (M.fs->n == nf && !t->synthetic && (t->script == SCREEN_SCRIPT_LATIN ||
	    t->script == SCREEN_SCRIPT_CYRILLIC))
		match_fuzzy(d, i, field);
	hold_product(d, i, nf);
}

/* The token holding normalised byte AT, from token I on. */
static size_t
token_at(const struct screen_doc *d, size_t i, uint32_t at)
{
	while (i + 1 < d->ntok && d->tok[i].nend <= at)
		i++;
	return i;
}

/* Bytes of number pattern W at normalised byte Q (spaces before it
 * skipped) in Han text ("血压160/100"), 0 when none fits. */
static size_t
han_number(const struct screen_doc *d, uint32_t q, uint32_t limit,
    const struct screen_word *w)
{
	uint32_t p = q;
	size_t n;
	double v;

	while (p < limit && d->norm[p] == ' ')
		p++;
	if (q > 0 && ((d->norm[q - 1] >= '0' && d->norm[q - 1] <= '9') ||
	    d->norm[q - 1] == '.' || d->norm[q - 1] == ','))
		return 0;		/* not inside another number */
	if ((n = screen_data_number(d->norm + p, limit - p, &v)) == 0 ||
	    !screen_data_number_fits(w, 0, v))
		return 0;
	p += (uint32_t)n;
	if (w->num == 2) {
		if (p >= limit || d->norm[p] != '/' ||
		    (n = screen_data_number(d->norm + p + 1, limit - p - 1, &v)) == 0 ||
		    !screen_data_number_fits(w, 1, v))
			return 0;
		p += 1 + (uint32_t)n;
	}
	return p - q;
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
		if (w->num) {
			size_t nl = 0;
			for (; q <= stop; q++)
				if ((nl = han_number(d, q, limit, w)) > 0)
					break;
			if (q > stop)
				return;
			p = q + (uint32_t)nl;
			continue;
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

	for (e = screen_data_find(&M.kb->han[l], w, c); e;
	    e = screen_data_next(&M.kb->han[l], e, w, c)) {
		const struct screen_term *k = &M.kb->terms[e->term];
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
	size_t n = M.fs->n;

	try_han(d, term, i, at, limit, field);
	if (M.fs->n > n && !han_single_ok(d, term, i))
		M.fs->f[n].held = HELD_IN_WORD;
}

static void
match_han(const struct screen_doc *d, size_t i, int field)
{
	const struct screen_token *t = &d->tok[i];
	const struct screen_entry *e;
	uint32_t limit = d->tok[d->sent_end[t->sentence] - 1].nend, n;

	for (uint32_t at = t->nstart; at < t->nend; at += n) {
		n = utf8_len(d->norm[at]);
		for (int l = 0; l < M.kb->nlangs; l++) {
			if (M.kb->script[l] != SCREEN_SCRIPT_HAN)
				continue;
			for (e = screen_data_find(&M.kb->han[l], d->norm + at, n); e;
			    e = screen_data_next(&M.kb->han[l], e, d->norm + at, n))
				try_han_word(d, &M.kb->terms[e->term], i, at, limit,
				    field);
		}
	}
}

void
screen_match_all(const struct screen_kb *kb, const struct screen_doc *d, int field,
    unsigned langs, int translit, struct screen_found *fs)
{
	M.kb = kb;
	M.fs = fs;
	M.langs = langs;
	M.translit = translit;
	for (size_t i = 0; i < d->ntok; i++) {
		if (d->tok[i].script == SCREEN_SCRIPT_PUNCT)
			continue;
		if (d->tok[i].script == SCREEN_SCRIPT_HAN)
			match_han(d, i, field);
		else
			match_word(d, i, field);
	}
}

