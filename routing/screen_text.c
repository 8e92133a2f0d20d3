/* screen_text: see screen_text.h. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libstemmer.h>
#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utext.h>
#include <unicode/utrans.h>

#include "routing/screen_text.h"

/* Words longer than this (bytes) are not stemmed: no cue is that long. */
#define UK_WORD_CP		48
/* Entries in one Ukrainian suffix list. */
#define UK_SUFFIXES_MAX		96

static struct {
	const UNormalizer2 *nfkc;	/* NFKC_Casefold; ICU owns it */
	UBreakIterator *words, *sentences;
	struct sb_stemmer *sb[SCREEN_LANGS_MAX];
	enum screen_stemmer kind[SCREEN_LANGS_MAX];
	uint32_t cache[0x10000];	/* BMP fold: cp + 1; 0 unknown, ~0 many */
	UTransliterator *t2s;		/* ICU Traditional-Simplified */
	int translit;			/* this parse reads Latin as Cyrillic:
					 * 1 Russian-like, 2 Ukrainian-like */
} T;

/*
 * Russian and Ukrainian typed in Latin letters ("golova kruzhitsya posle
 * tabletok"), the way people type them (not ISO 9, which ICU's
 * Latin-Cyrillic follows): the longest spelling first.
 */
static const struct { const char *lat, *cyr; } translit_table[] = {
	{ "shch", "щ" }, { "tsya", "тся" }, { "tsja", "тся" }, { "sch", "щ" },
	{ "zh", "ж" }, { "kh", "х" }, { "ts", "ц" }, { "ch", "ч" }, { "sh", "ш" },
	{ "yu", "ю" }, { "ya", "я" }, { "yo", "е" }, { "ye", "е" }, { "ju", "ю" },
	{ "ja", "я" }, { "jo", "е" }, { "iy", "ий" }, { "yy", "ый" }, { "yi", "ый" },
	{ "a", "а" }, { "b", "б" }, { "v", "в" }, { "g", "г" }, { "d", "д" },
	{ "e", "е" }, { "z", "з" }, { "i", "и" }, { "j", "й" }, { "k", "к" },
	{ "l", "л" }, { "m", "м" }, { "n", "н" }, { "o", "о" }, { "p", "п" },
	{ "r", "р" }, { "s", "с" }, { "t", "т" }, { "u", "у" }, { "f", "ф" },
	{ "h", "х" }, { "c", "ц" }, { "w", "в" }, { "x", "кс" }, { "q", "к" },
	{ "y", "ы" }, { "'", "ь" },
};
/* Ukrainian spellings that differ, tried first in the Ukrainian reading. */
static const struct { const char *lat, *cyr; } translit_uk[] = {
	{ "shch", "щ" }, { "yi", "ї" }, { "ye", "є" }, { "ie", "є" }, { "iy", "ій" },
	{ "ia", "я" }, { "iu", "ю" },
	{ "i", "і" }, { "y", "и" }, { "h", "г" },
};

static uint32_t
utf8_next(const unsigned char *p, size_t len, size_t *n)
{
	uint32_t cp;
	size_t need, i;

	if (p[0] < 0x80) {
		*n = 1;
		return p[0];
	}
	if ((p[0] & 0xe0) == 0xc0 && p[0] >= 0xc2) {
		cp = p[0] & 0x1f;
		need = 1;
	} else if ((p[0] & 0xf0) == 0xe0) {
		cp = p[0] & 0x0f;
		need = 2;
	} else if ((p[0] & 0xf8) == 0xf0 && p[0] <= 0xf4) {
		cp = p[0] & 0x07;
		need = 3;
	} else {
		*n = 1;
		return 0xfffd;
	}
	for (i = 1; i <= need; i++) {
		if (i >= len || (p[i] & 0xc0) != 0x80) {
			*n = 1;
			return 0xfffd;
		}
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	*n = need + 1;
	if ((need == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (need == 3 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0xfffd;
	return cp;
}

static size_t
utf8_put(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Folds on top of NFKC_Casefold: ё is е, every apostrophe is '. */
static uint32_t
fold_extra(uint32_t cp)
{
	switch (cp) {
	case 0x451:
		return 0x435;
	case 0x2019: case 0x2018: case 0x2bc: case 0x60: case 0x2032:
	case 0xb4:
		return '\'';
	default:
		return cp;
	}
}

enum screen_script
screen_text_script(const char *s)
{
	size_t n, len = strlen(s);
	uint32_t cp;

	for (size_t i = 0; i < len; i += n) {
		cp = utf8_next((const unsigned char *)s + i, len - i, &n);
		if (cp >= '0' && cp <= '9')
			return SCREEN_SCRIPT_DIGIT;
		if (cp < 0x80 && !((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z'))
			continue;
		switch (ublock_getCode((UChar32)cp)) {
		case UBLOCK_CYRILLIC: case UBLOCK_CYRILLIC_SUPPLEMENT:
			return SCREEN_SCRIPT_CYRILLIC;
		default:
			break;
		}
		if (u_hasBinaryProperty((UChar32)cp, UCHAR_IDEOGRAPHIC))
			return SCREEN_SCRIPT_HAN;
		if (u_isalpha((UChar32)cp))
			return SCREEN_SCRIPT_LATIN;
		if (u_isdigit((UChar32)cp))
			return SCREEN_SCRIPT_DIGIT;
	}
	return SCREEN_SCRIPT_PUNCT;
}

static int
grow(void **buf, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 256;
	void *p;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	if ((p = realloc(*buf, n * size)) == NULL)
		return -1;
	*buf = p;
	*cap = n;
	return 0;
}

/* Room for NEED bytes of normalised text and their map. */
static int
norm_reserve(struct screen_doc *d, size_t need)
{
	size_t cap = d->ncap;
	void *p;

	if (grow((void **)&d->norm, &cap, need, 1) == -1)
		return -1;
	if (cap != d->ncap) {
		if ((p = realloc(d->map, cap * sizeof(uint32_t))) == NULL)
			return -1;
		d->map = p;
		d->ncap = cap;
	}
	return 0;
}

/* Append NCP folded code points at original byte AT. */
static int
norm_put(struct screen_doc *d, const uint32_t *cp, size_t ncp, uint32_t at)
{
	char buf[4];
	size_t n;

	for (size_t i = 0; i < ncp; i++) {
		n = utf8_put(fold_extra(cp[i]), buf);
		if (norm_reserve(d, d->nlen + n + 1) == -1)
			return -1;
		for (size_t k = 0; k < n; k++) {
			d->map[d->nlen] = at;
			d->norm[d->nlen++] = buf[k];
		}
	}
	return 0;
}

/* NFKC_Casefold of one cluster of UTF-16 units into code points. */
static size_t
fold_cluster(const UChar *in, int32_t n, uint32_t *out, size_t max)
{
	UChar buf[64];
	UErrorCode err = U_ZERO_ERROR;
	int32_t len, i = 0;
	size_t k = 0;
	UChar32 c;

	len = unorm2_normalize(T.nfkc, in, n, buf, 64, &err);
	if (U_FAILURE(err))
		return 0;
	while (i < len && k < max) {
		U16_NEXT(buf, i, len, c);
		out[k++] = (uint32_t)c;
	}
	return k;
}

/* A Traditional Han character as Simplified (ICU's Traditional-Simplified,
 * one character at a time: 體 is 体, 乾 is 干); anything else as it is. */
static uint32_t
simplified(uint32_t cp)
{
	UChar u[4];
	int32_t n = 0, limit;
	UErrorCode err = U_ZERO_ERROR;
	UChar32 c;

	if (T.t2s == NULL || cp < 0x3400 || cp >= 0x10000 ||
	    !u_hasBinaryProperty((UChar32)cp, UCHAR_IDEOGRAPHIC))
		return cp;
	U16_APPEND_UNSAFE(u, n, cp);
	limit = n;
	utrans_transUChars(T.t2s, u, &n, 4, 0, &limit, &err);
	if (U_FAILURE(err) || n != 1)
		return cp;
	c = u[0];
	return (uint32_t)c;
}

/* A BMP code point alone (no combining mark follows): from the cache. */
static size_t
fold_one(uint32_t cp, uint32_t *out, size_t max)
{
	UChar u[2];
	int32_t n = 0;
	size_t k;

	if (cp < 0x10000 && T.cache[cp] != 0 && T.cache[cp] != UINT32_MAX) {
		out[0] = T.cache[cp] - 1;
		return 1;
	}
	U16_APPEND_UNSAFE(u, n, cp);
	k = fold_cluster(u, n, out, max);
	if (k == 1)
		out[0] = simplified(out[0]);
	if (cp < 0x10000)
		T.cache[cp] = k == 1 ? out[0] + 1 : UINT32_MAX;
	return k;
}

/* Latin letters at S (N bytes) read as Cyrillic into D at original byte
 * AT; the bytes read, 0 when S is no letter, -1 when out of memory. An
 * apostrophe is a soft sign only between letters. */
static size_t
translit_at(struct screen_doc *d, const char *s, size_t n, uint32_t at)
{
	uint32_t cp[4];
	size_t k, m, c;

	if (*s == '\'' && (d->nlen == 0 || (unsigned char)d->norm[d->nlen - 1] < 0x80))
		return 0;
	size_t nuk = T.translit == 2 ? sizeof(translit_uk) / sizeof(translit_uk[0]) : 0;
	size_t nall = nuk + sizeof(translit_table) / sizeof(translit_table[0]);

	const char *best = NULL, *q;
	size_t bk = 0;

	/* The longest spelling; the Ukrainian one on a tie. */
	for (size_t i = 0; i < nall; i++) {
		const char *lat = i < nuk ? translit_uk[i].lat : translit_table[i - nuk].lat;
		k = strlen(lat);
		if (k > bk && k <= n && strncasecmp(s, lat, k) == 0) {
			bk = k;
			best = i < nuk ? translit_uk[i].cyr : translit_table[i - nuk].cyr;
		}
	}
	if (best == NULL)
		return 0;
	for (q = best, c = 0; *q && c < 4; q += m)
		cp[c++] = utf8_next((const unsigned char *)q, strlen(q), &m);
	return norm_put(d, cp, c, at) == -1 ? (size_t)-1 : bk;
}

/* Normalise TEXT into D->norm, a cluster (a starter and its marks) at a time. */
static int
normalise(struct screen_doc *d, const char *text, size_t len)
{
	const unsigned char *p = (const unsigned char *)text;
	uint32_t out[64], cp, next;
	UChar u[64];
	size_t i = 0, n, m, k;
	int32_t un;

	d->nlen = 0;
	while (i < len) {
		cp = utf8_next(p + i, len - i, &n);
		if (T.translit && cp < 0x80 && (k = translit_at(d, text + i,
		    len - i, (uint32_t)i)) != 0) {
			if (k == (size_t)-1)
				return -1;
			i += k;
			continue;
		}
		if (cp < 0x80) {
			out[0] = (cp >= 'A' && cp <= 'Z') ? cp + 0x20 : cp;
			if (norm_put(d, out, 1, (uint32_t)i) == -1)
				return -1;
			i += n;
			continue;
		}
		if (cp == 0x2116) {	/* № is not "no" (NFKC): a mark */
			out[0] = '#';
			if (norm_put(d, out, 1, (uint32_t)i) == -1)
				return -1;
			i += n;
			continue;
		}
		un = 0;
		U16_APPEND_UNSAFE(u, un, cp);
		for (m = i + n; m < len && un < 60; m += k) {
			next = utf8_next(p + m, len - m, &k);
			if (next < 0x300 || unorm2_hasBoundaryBefore(T.nfkc, (UChar32)next))
				break;
			U16_APPEND_UNSAFE(u, un, next);
		}
		k = (m == i + n) ? fold_one(cp, out, 64) : fold_cluster(u, un, out, 64);
		if (norm_put(d, out, k, (uint32_t)i) == -1)
			return -1;
		i = m;
	}
	if (norm_reserve(d, d->nlen + 1) == -1)
		return -1;
	d->map[d->nlen] = (uint32_t)len;
	d->norm[d->nlen] = '\0';
	return 0;
}

static uint32_t
pool_add(struct screen_doc *d, const char *s, size_t n)
{
	uint32_t at;

	if (grow((void **)&d->pool, &d->pcap, d->plen + n + 1, 1) == -1)
		return 0;
	at = (uint32_t)d->plen;
	memcpy(d->pool + at, s, n);
	d->pool[at + n] = '\0';
	d->plen += n + 1;
	return at;
}

static struct screen_token *
tok_add(struct screen_doc *d, uint32_t ns, uint32_t ne, enum screen_script sc)
{
	struct screen_token *t;
	uint32_t at;

	if (grow((void **)&d->tok, &d->tcap, d->ntok + 1, sizeof(*t)) == -1)
		return NULL;
	if ((at = pool_add(d, d->norm + ns, ne - ns)) == 0)
		return NULL;
	t = &d->tok[d->ntok++];
	memset(t, 0, sizeof(*t));
	t->nstart = ns;
	t->nend = ne;
	t->start = d->map[ns];
	t->end = d->map[ne];
	t->script = (uint8_t)sc;
	t->surface = NULL;
	t->stem[0] = at;		/* the surface, until stems are made */
	return t;
}

/* English contractions: "didn't" is "did" "not", "i've" is "i" "have". */
static int
split_contraction(struct screen_doc *d, uint32_t ns, uint32_t ne)
{
	static const struct { const char *tail, *word; } tails[] = {
		{ "n't", "not" }, { "'ve", "have" }, { "'m", "am" },
		{ "'ll", "will" }, { "'re", "are" }, { "'d", "would" },
	};
	static const char *const bases[][2] = {
		{ "ca", "can" }, { "wo", "will" }, { "sha", "shall" },
	};
	struct screen_token *t;
	size_t len = ne - ns, tl;

	for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		tl = strlen(tails[i].tail);
		if (len <= tl || memcmp(d->norm + ne - tl, tails[i].tail, tl) != 0)
			continue;
		if ((t = tok_add(d, ns, (uint32_t)(ne - tl), SCREEN_SCRIPT_LATIN)) == NULL)
			return -1;
		for (size_t b = 0; b < 3; b++)
			if (len - tl == strlen(bases[b][0]) &&
			    memcmp(d->norm + ns, bases[b][0], len - tl) == 0)
				t->stem[0] = pool_add(d, bases[b][1], strlen(bases[b][1]));
		if ((t = tok_add(d, (uint32_t)(ne - tl), ne, SCREEN_SCRIPT_LATIN)) == NULL)
			return -1;
		t->stem[0] = pool_add(d, tails[i].word, strlen(tails[i].word));
		t->synthetic = 1;
		return 1;
	}
	return 0;
}

/* One word segment: split where digits meet letters ("5mg" is 5 and mg). */
static int
add_word(struct screen_doc *d, uint32_t ns, uint32_t ne)
{
	enum screen_script sc, prev = SCREEN_SCRIPT_NONE;
	uint32_t from = ns, i = ns;
	char buf[8];
	size_t n;
	int r;

	while (i < ne) {
		utf8_next((const unsigned char *)d->norm + i, ne - i, &n);
		memcpy(buf, d->norm + i, n);
		buf[n] = '\0';
		sc = screen_text_script(buf);
		if (sc == SCREEN_SCRIPT_PUNCT)
			sc = prev;
		if (prev != SCREEN_SCRIPT_NONE && sc != prev &&
		    (sc == SCREEN_SCRIPT_DIGIT || prev == SCREEN_SCRIPT_DIGIT)) {
			if (tok_add(d, from, i, prev) == NULL)
				return -1;
			from = i;
		}
		if (sc != SCREEN_SCRIPT_NONE)
			prev = sc;
		i += (uint32_t)n;
	}
	if (prev == SCREEN_SCRIPT_LATIN && (r = split_contraction(d, from, ne)) != 0)
		return r < 0 ? -1 : 0;
	return tok_add(d, from, ne, prev == SCREEN_SCRIPT_NONE ?
	    SCREEN_SCRIPT_PUNCT : prev) ? 0 : -1;
}

/* Punctuation that bounds a scope is kept as a token; spaces, hyphens and
 * brackets are not. */
static int
add_punct(struct screen_doc *d, uint32_t ns, uint32_t ne)
{
	static const char *const marks[] = {
		",", ";", ":", ".", "!", "?", "\u3001", "\u3002", "\u2026", NULL
	};
	size_t n;

	for (uint32_t i = ns; i < ne; i += (uint32_t)n) {
		utf8_next((const unsigned char *)d->norm + i, ne - i, &n);
		for (int k = 0; marks[k]; k++)
			if (strlen(marks[k]) == n && memcmp(d->norm + i, marks[k], n) == 0 &&
			    tok_add(d, i, i + (uint32_t)n, SCREEN_SCRIPT_PUNCT) == NULL)
				return -1;
	}
	return 0;
}

static int
tokenise(struct screen_doc *d, UText *ut)
{
	UErrorCode err = U_ZERO_ERROR;
	int32_t s, e;

	ubrk_setUText(T.words, ut, &err);
	if (U_FAILURE(err))
		return -1;
	d->ntok = 0;
	for (s = ubrk_first(T.words); (e = ubrk_next(T.words)) != UBRK_DONE; s = e) {
		int r = ubrk_getRuleStatus(T.words) == UBRK_WORD_NONE ?
		    add_punct(d, (uint32_t)s, (uint32_t)e) :
		    add_word(d, (uint32_t)s, (uint32_t)e);
		if (r == -1)
			return -1;
	}
	return 0;
}

/*
 * Sentence ends, as token indexes; a line break also ends one. The breaker
 * reads the original text: folded to lower case, "... injection. dr smith"
 * would not end a sentence.
 */
static int
sentences(struct screen_doc *d, const char *text, size_t len)
{
	UErrorCode err = U_ZERO_ERROR;
	UText ut = UTEXT_INITIALIZER;
	size_t t = 0;
	int32_t e;

	utext_openUTF8(&ut, text, (int64_t)len, &err);
	ubrk_setUText(T.sentences, &ut, &err);
	if (U_FAILURE(err)) {
		utext_close(&ut);
		return -1;
	}
	d->nsent = 0;
	ubrk_first(T.sentences);
	while ((e = ubrk_next(T.sentences)) != UBRK_DONE) {
		while (t < d->ntok && d->tok[t].start < (uint32_t)e)
			d->tok[t++].sentence = (uint16_t)(d->nsent < 0xffff ? d->nsent : 0xffff);
		if (grow((void **)&d->sent_end, &d->scap, d->nsent + 1, 4) == -1)
			break;
		d->sent_end[d->nsent++] = (uint32_t)t;
	}
	ubrk_setText(T.sentences, (const UChar *)u"", 0, &err);
	utext_close(&ut);
	return t == d->ntok ? 0 : -1;
}

static int
is_uk_vowel(uint32_t c)
{
	return c == 0x430 || c == 0x435 || c == 0x454 || c == 0x438 ||
	    c == 0x456 || c == 0x457 || c == 0x43e || c == 0x443 ||
	    c == 0x44e || c == 0x44f;
}

/* A suffix list decoded to code points once (uk_strip runs per word). */
struct uk_suffixes {
	const char *const *utf8;
	size_t n;
	uint8_t len[UK_SUFFIXES_MAX];
	uint32_t cp[UK_SUFFIXES_MAX][8];
};

static void
uk_decode(struct uk_suffixes *t)
{
	size_t k, sl;

	for (t->n = 0; t->utf8[t->n] && t->n < UK_SUFFIXES_MAX; t->n++) {
		const char *p = t->utf8[t->n];
		for (sl = 0; *p && sl < 8; sl++, p += k)
			t->cp[t->n][sl] = utf8_next((const unsigned char *)p, strlen(p), &k);
		t->len[t->n] = (uint8_t)sl;
	}
}

/* Strip the longest suffix of T that ends W and leaves MIN code points. */
static size_t
uk_strip(const uint32_t *w, size_t n, size_t rv, struct uk_suffixes *t)
{
	size_t best = 0, sl;

	if (t->n == 0)
		uk_decode(t);
	for (size_t i = 0; i < t->n; i++) {
		sl = t->len[i];
		if (sl <= best || sl > n || n - sl < rv || n - sl < 2)
			continue;
		if (memcmp(w + n - sl, t->cp[i], sl * sizeof(uint32_t)) == 0)
			best = sl;
	}
	return n - best;
}

/*
 * The Ukrainian rule (docs/screening.md): drop a reflexive -ся/-сь, then
 * the longest inflectional ending after the first vowel, then a soft sign.
 */
static size_t
stem_uk(const char *word, size_t len, char *out, size_t outlen)
{
	static const char *const refl[] = { "ся", "сь", "ся", NULL };
	static const char *const endings[] = {
		"ими", "іми", "ого", "ому", "ього", "ьому", "ої", "ою", "ею",
		"єю", "ий", "ій", "им", "ім", "их", "іх", "ом", "ем", "єм",
		"ам", "ям", "ах", "ях", "ами", "ями", "ів", "їв", "ей", "ові",
		"еві", "єві", "ати", "ити", "іти", "яти", "ути", "ала", "ила",
		"іла", "яла", "ало", "ило", "али", "или", "ять", "ують", "ють",
		"ить", "ать", "ують", "ує", "ує", "ємо", "емо", "имо", "ете",
		"ите", "ла", "ло", "ли", "ав", "ив", "ів", "ти", "ть", "ну",
		"не", "ний", "ною", "ного", "ному", "а", "я", "о", "е", "є",
		"у", "ю", "і", "ї", "и", "в", NULL
	};
	static struct uk_suffixes r = { refl, 0, { 0 }, { { 0 } } },
	    e = { endings, 0, { 0 }, { { 0 } } };
	uint32_t w[UK_WORD_CP];
	size_t n = 0, k, rv = 0, i = 0, o = 0;

	while (i < len && n < UK_WORD_CP) {
		w[n++] = utf8_next((const unsigned char *)word + i, len - i, &k);
		i += k;
	}
	while (rv < n && !is_uk_vowel(w[rv]))
		rv++;
	rv = rv < n ? rv + 1 : n;
	n = uk_strip(w, n, rv, &r);
	n = uk_strip(w, n, rv, &e);
	if (n > 2 && w[n - 1] == 0x44c)
		n--;
	for (i = 0; i < n && o + 4 < outlen; i++)
		o += utf8_put(w[i], out + o);
	out[o] = '\0';
	return o;
}

/* The stem of WORD (folded) for language slot SLOT into OUT. */
static size_t
stem(int slot, const char *word, size_t len, char *out, size_t outlen)
{
	const sb_symbol *s;
	size_t n;

	if (len >= SCREEN_WORD_MAX || outlen < SCREEN_WORD_MAX + 1)
		n = 0;
	else if (T.kind[slot] == SCREEN_STEM_UK)
		return stem_uk(word, len, out, outlen);
	else if (T.kind[slot] == SCREEN_STEM_SNOWBALL &&
	    (s = sb_stemmer_stem(T.sb[slot], (const sb_symbol *)word, (int)len))) {
		n = (size_t)sb_stemmer_length(T.sb[slot]);
		memcpy(out, s, n);
		out[n] = '\0';
		return n;
	} else
		n = len < outlen ? len : 0;
	memcpy(out, word, n);
	out[n] = '\0';
	return n;
}

static int
stem_all(struct screen_doc *d, const uint8_t scripts[SCREEN_LANGS_MAX])
{
	char buf[SCREEN_WORD_MAX + 1];
	struct screen_token *t;
	size_t n;

	for (size_t i = 0; i < d->ntok; i++) {
		t = &d->tok[i];
		t->surface = (const char *)(uintptr_t)t->stem[0];
		for (int l = 0; l < SCREEN_LANGS_MAX; l++) {
			if (l > 0)
				t->stem[l] = 0;
			if (scripts[l] != t->script || t->script == SCREEN_SCRIPT_PUNCT)
				continue;
			n = stem(l, d->pool + (uintptr_t)t->surface,
			    strlen(d->pool + (uintptr_t)t->surface), buf, sizeof(buf));
			if ((t->stem[l] = pool_add(d, buf, n)) == 0)
				return -1;
		}
		if (scripts[0] != t->script || t->script == SCREEN_SCRIPT_PUNCT)
			t->stem[0] = 0;
	}
	/* The pool may have moved: surfaces become pointers last. */
	for (size_t i = 0; i < d->ntok; i++)
		d->tok[i].surface = d->pool + (uintptr_t)d->tok[i].surface;
	return 0;
}

/* Which words the writer began with a capital and went on in small
 * letters (product names). */
static void
mark_capitals(struct screen_doc *d, const char *text)
{
	size_t n;

	for (size_t i = 0; i < d->ntok; i++) {
		struct screen_token *t = &d->tok[i];
		if (t->synthetic || t->start >= d->olen)
			continue;
		/* "Nauseril", not "INR" or "АЛТ" (abbreviations) */
		if (!u_isupper((UChar32)utf8_next((const unsigned char *)text + t->start,
		    d->olen - t->start, &n)) || t->start + n >= t->end)
			continue;
		t->upper = (uint8_t)u_islower((UChar32)utf8_next((const unsigned char *)
		    text + t->start + n, d->olen - t->start - n, &n));
	}
}

int
screen_text_parse_translit(struct screen_doc *d, const char *text, size_t len,
    const uint8_t scripts[SCREEN_LANGS_MAX], int uk)
{
	int rc;

	T.translit = uk ? 2 : 1;
	rc = screen_text_parse(d, text, len, scripts);
	T.translit = 0;
	return rc;
}

int
screen_text_parse(struct screen_doc *d, const char *text, size_t len,
    const uint8_t scripts[SCREEN_LANGS_MAX])
{
	UErrorCode err = U_ZERO_ERROR;
	UText ut = UTEXT_INITIALIZER;
	int rc;

	if (len > SCREEN_TEXT_MAX)
		len = SCREEN_TEXT_MAX;
	d->olen = len;
	d->plen = 1;
	if (grow((void **)&d->pool, &d->pcap, 1, 1) == -1)
		return -1;
	d->pool[0] = '\0';
	if (normalise(d, text ? text : "", text ? len : 0) == -1)
		return -1;
	utext_openUTF8(&ut, d->norm, (int64_t)d->nlen, &err);
	if (U_FAILURE(err))
		return -1;
	rc = tokenise(d, &ut);
	utext_close(&ut);
	/* The breakers must not keep a pointer to this text. */
	ubrk_setText(T.words, (const UChar *)u"", 0, &err);
	if (rc == 0)
		rc = sentences(d, text ? text : "", d->olen);
	if (rc == 0)
		mark_capitals(d, text ? text : "");
	return rc == 0 ? stem_all(d, scripts) : -1;
}

size_t
screen_text_fold(const char *s, char *out, size_t outlen)
{
	struct screen_doc d;
	size_t n = 0;

	memset(&d, 0, sizeof(d));
	if (normalise(&d, s, strlen(s)) == 0) {
		n = d.nlen < outlen ? d.nlen : 0;
		memcpy(out, d.norm, n);
	}
	if (outlen)
		out[n] = '\0';
	free(d.norm);
	free(d.map);
	return n;
}

size_t
screen_text_key(int slot, const char *word, char *out, size_t outlen)
{
	char f[SCREEN_WORD_MAX + 1];
	size_t n = screen_text_fold(word, f, sizeof(f));

	if (n == 0)
		return 0;
	return stem(slot, f, n, out, outlen);
}

enum screen_stemmer
screen_text_lang(int slot, const char *code)
{
	if (T.sb[slot])
		sb_stemmer_delete(T.sb[slot]);
	T.sb[slot] = NULL;
	T.kind[slot] = SCREEN_STEM_NONE;
	if (strcmp(code, "uk") == 0)
		T.kind[slot] = SCREEN_STEM_UK;
	else if ((T.sb[slot] = sb_stemmer_new(code, NULL)) != NULL)
		T.kind[slot] = SCREEN_STEM_SNOWBALL;
	return T.kind[slot];
}

void
screen_text_langs_clear(void)
{
	for (int i = 0; i < SCREEN_LANGS_MAX; i++) {
		if (T.sb[i])
			sb_stemmer_delete(T.sb[i]);
		T.sb[i] = NULL;
		T.kind[i] = SCREEN_STEM_NONE;
	}
}

int
screen_text_init(const char **cause)
{
	UErrorCode err = U_ZERO_ERROR;

	if (T.words)
		return 0;
	T.nfkc = unorm2_getNFKCCasefoldInstance(&err);
	if (U_SUCCESS(err))
		T.words = ubrk_open(UBRK_WORD, "zh", NULL, 0, &err);
	if (U_SUCCESS(err))
		T.sentences = ubrk_open(UBRK_SENTENCE, "en@ss=standard", NULL, 0, &err);
	if (U_SUCCESS(err))
		T.t2s = utrans_openU(u"Traditional-Simplified", -1, UTRANS_FORWARD,
		    NULL, 0, NULL, &err);
	if (U_FAILURE(err)) {
		*cause = u_errorName(err);
		screen_text_free(NULL);
		return -1;
	}
	return 0;
}

void
screen_text_free(struct screen_doc *d)
{
	if (d) {
		free(d->norm);
		free(d->map);
		free(d->tok);
		free(d->pool);
		free(d->sent_end);
		memset(d, 0, sizeof(*d));
	}
	if (d == NULL) {
		screen_text_langs_clear();
		if (T.words)
			ubrk_close(T.words);
		if (T.sentences)
			ubrk_close(T.sentences);
		T.words = T.sentences = NULL;
		if (T.t2s)
			utrans_close(T.t2s);
		T.t2s = NULL;
		memset(T.cache, 0, sizeof(T.cache));
	}
}
