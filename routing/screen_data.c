/* screen_data: see screen_data.h. */
#include <dirent.h>
#include <sys/stat.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "routing/screen_data.h"
#include "routing/screen_dirs.h"

const char *const screen_data_cues[CUE_N + 1] = {
	"symptom", "vague", "generic",
	"overdose", "error", "pregnancy", "lactation", "inefficacy",
	"offlabel", "misuse", "interaction", "occupational",
	"hospital", "death", "lab",
	"defect", "defect_pack", "pack", "service",
	"exposure", "patient", "report",
	"negation", "negation_after", "question", "hypothetical",
	"indication", "breaker", "list",
	"history", "history_after", "not_yet", "improvement",
	"not_negation", "delivery", "experience",
	NULL
};

/* Files per language folder, and folders. */
#define DATA_FILES_MAX	64

static char errbuf[8192];

/* Languages written in Han or Cyrillic; every other folder is Latin. */
static enum screen_script
script_of(const char *code)
{
	static const char *const han[] = { "zh", "ja", NULL };
	static const char *const cyr[] = { "uk", "ru", "be", "bg", "sr", "mk", "kk", NULL };

	for (int i = 0; han[i]; i++)
		if (strcmp(code, han[i]) == 0)
			return SCREEN_SCRIPT_HAN;
	for (int i = 0; cyr[i]; i++)
		if (strcmp(code, cyr[i]) == 0)
			return SCREEN_SCRIPT_CYRILLIC;
	return SCREEN_SCRIPT_LATIN;
}

static uint32_t
hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	while (n--)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static void
map_free(struct screen_map *m)
{
	free(m->e);
	free(m->head);
	memset(m, 0, sizeof(*m));
}

static int
map_add(struct screen_map *m, const char *key, size_t len, uint32_t term)
{
	void *p;

	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		if ((p = realloc(m->e, cap * sizeof(*m->e))) == NULL)
			return -1;
		m->e = p;
		m->cap = cap;
	}
	m->e[m->n++] = (struct screen_entry){ key, (uint32_t)len, term, 0 };
	if (m->minlen == 0 || len < m->minlen)
		m->minlen = (unsigned)len;
	if (len > m->maxlen)
		m->maxlen = (unsigned)len;
	return 0;
}

/* Chain the entries into buckets, a power of two at least twice as many. */
static int
map_build(struct screen_map *m)
{
	size_t nb = 16;
	uint32_t b;

	while (nb < m->n * 2)
		nb *= 2;
	free(m->head);
	if ((m->head = calloc(nb, sizeof(uint32_t))) == NULL)
		return -1;
	m->nhead = nb;
	for (size_t i = m->n; i-- > 0;) {
		b = hash(m->e[i].key, m->e[i].len) & (uint32_t)(nb - 1);
		m->e[i].next = m->head[b];
		m->head[b] = (uint32_t)(i + 1);
	}
	return 0;
}

const struct screen_entry *
screen_data_next(const struct screen_map *m, const struct screen_entry *e,
    const char *key, size_t len)
{
	for (uint32_t i = e->next; i; i = m->e[i - 1].next) {
		e = &m->e[i - 1];
		if (e->len == len && memcmp(e->key, key, len) == 0)
			return e;
	}
	return NULL;
}

const struct screen_entry *
screen_data_find(const struct screen_map *m, const char *key, size_t len)
{
	struct screen_entry first;

	if (m->nhead == 0)
		return NULL;
	first.next = m->head[hash(key, len) & (uint32_t)(m->nhead - 1)];
	return screen_data_next(m, &first, key, len);
}

static void fuzzy_free(struct screen_fuzzy *);
static int known_load(struct screen_kb *, int, const char *, const char *);

static void
term_free(struct screen_term *t)
{
	free(t->text);
	for (int i = 0; i < t->nwords; i++)
		free(t->w[i].key);
}

void
screen_data_free(struct screen_kb *kb)
{
	if (kb == NULL)
		return;
	for (size_t i = 0; i < kb->nterms; i++)
		term_free(&kb->terms[i]);
	free(kb->terms);
	for (int l = 0; l < SCREEN_LANGS_MAX; l++) {
		map_free(&kb->stems[l]);
		map_free(&kb->prefixes[l]);
		map_free(&kb->exact[l]);
		map_free(&kb->han[l]);
	}
	fuzzy_free(&kb->fuzzy);
	for (int l = 0; l < SCREEN_LANGS_MAX; l++)
		free(kb->known[l].h);
	free(kb);
}

size_t
screen_data_number(const char *s, size_t n, double *v)
{
	char buf[32];
	size_t i = 0, k = 0;
	int sep = 0;

	while (i < n && k + 1 < sizeof(buf)) {
		if (s[i] >= '0' && s[i] <= '9')
			buf[k++] = s[i];
		else if ((s[i] == '.' || s[i] == ',') && !sep && k > 0 && i + 1 < n &&
		    s[i + 1] >= '0' && s[i + 1] <= '9') {
			buf[k++] = '.';
			sep = 1;
		} else
			break;
		i++;
	}
	if (k == 0)
		return 0;
	buf[k] = '\0';
	*v = strtod(buf, NULL);
	return i;
}

int
screen_data_number_fits(const struct screen_word *w, int part, double v)
{
	switch (w->op[part]) {
	case '>':
		return v > w->lim[part];
	case '<':
		return v < w->lim[part];
	case '=':
		return v == w->lim[part];
	default:
		return 1;
	}
}

/* One part of a number pattern at S: "{n}", "{n>V}", "{n<V}" or a number;
 * its length, 0 when S is none. */
static size_t
number_part(const char *s, char *op, float *lim)
{
	double v;
	size_t n;

	if (strncmp(s, "{n", 2) != 0) {
		if ((n = screen_data_number(s, strlen(s), &v)) == 0)
			return 0;
		*op = '=';
		*lim = (float)v;
		return n;
	}
	*op = '#';
	if (s[2] == '}')
		return 3;
	if ((s[2] != '>' && s[2] != '<') ||
	    (n = screen_data_number(s + 3, strlen(s + 3), &v)) == 0 || s[3 + n] != '}')
		return 0;
	*op = s[2];
	*lim = (float)v;
	return n + 4;
}

/* Is W a number pattern ("{n}", "{n>38}", "2", "{n>139}/{n}")? Fill OUT. */
static int
number_word(const char *w, struct screen_word *out)
{
	size_t n = number_part(w, &out->op[0], &out->lim[0]);

	if (n == 0)
		return 0;
	out->num = 1;
	if (w[n] == '/') {
		size_t m = number_part(w + n + 1, &out->op[1], &out->lim[1]);
		if (m == 0 || w[n + 1 + m] != '\0')
			return 0;
		out->num = 2;
		return 1;
	}
	return w[n] == '\0';
}

/* Scope words that mean one form: a plain word of these cues that is its
 * own stem ("не", "при", "no", "for") matches only itself, not the words
 * that stem like it ("неё", "приём"). */
static int
exact_by_default(int cue)
{
	return cue == CUE_NEGATION || cue == CUE_NEGATION_AFTER ||
	    cue == CUE_BREAKER || cue == CUE_LIST || cue == CUE_INDICATION ||
	    cue == CUE_HYPOTHETICAL || cue == CUE_HISTORY ||
	    cue == CUE_HISTORY_AFTER || cue == CUE_NOT_YET ||
	    cue == CUE_IMPROVEMENT || cue == CUE_NOT_NEGATION;
}

/* One word of a term: ".." before it, "*" after it for a prefix, "="
 * before it for this form only. */
static int
word_make(struct screen_kb *kb, int slot, int cue, char *w, int han,
    struct screen_word *out, const char **cause)
{
	char key[SCREEN_TERM_MAX + 1], fold[SCREEN_TERM_MAX + 1];
	size_t n = strlen(w);

	if ((*w == '{' || (*w >= '0' && *w <= '9')) && strspn(w, "{n}<>/.,0123456789") == n) {
		if (!number_word(w, out)) {
			*cause = "a number pattern is {n}, {n>N}, {n<N}, N, or two of them as A/B";
			return -1;
		}
		if ((out->key = strdup("#")) == NULL) {
			*cause = "out of memory";
			return -1;
		}
		out->len = 1;
		return 0;
	}
	if (n > 1 && w[n - 1] == '*') {
		out->prefix = 1;
		w[--n] = '\0';
	} else if (n > 1 && w[0] == '=' && !han) {
		out->exact = 1;
		w++;
	}
	if (han || out->prefix || out->exact || slot < 0)
		n = screen_text_fold(w, key, sizeof(key));
	else {
		n = screen_text_key(slot, w, key, sizeof(key));
		if (exact_by_default(cue) && screen_text_fold(w, fold,
		    sizeof(fold)) == n && strcmp(fold, key) == 0)
			out->exact = 1;
	}
	if (n == 0 || strchr(key, ' ')) {
		*cause = "a word folds to nothing";
		return -1;
	}
	if ((out->key = strdup(key)) == NULL) {
		*cause = "out of memory";
		return -1;
	}
	out->len = (uint16_t)n;
	return 0;
}

/* Split LINE (a term) into words of T; Han terms are character strings
 * whose spaces do not count, ".." still skips. */
static int
term_make(struct screen_kb *kb, int slot, char *line, struct screen_term *t,
    const char **cause)
{
	char buf[SCREEN_TERM_MAX + 1], *p = line, *w;
	int gap = 0;

	if ((t->text = strdup(line)) == NULL) {
		*cause = "out of memory";
		return -1;
	}
	t->han = kb->script[slot] == SCREEN_SCRIPT_HAN;
	while ((w = strsep(&p, " \t")) != NULL) {
		if (*w == '\0')
			continue;
		if (strcmp(w, "..") == 0) {
			gap = t->han ? SCREEN_GAP_HAN : SCREEN_GAP_TOKENS;
			continue;
		}
		if (t->han && t->nwords > 0 && !gap && !t->w[t->nwords - 1].num &&
		    *w != '{' && !(*w >= '0' && *w <= '9')) {
			/* Han: glue to the previous segment. */
			struct screen_word *pw = &t->w[t->nwords - 1];
			snprintf(buf, sizeof(buf), "%s%s", pw->key, w);
			free(pw->key);
			pw->key = NULL;
			t->nwords--;
			w = buf;
		}
		if (t->nwords == SCREEN_TERM_WORDS) {
			*cause = "more than 8 words";
			return -1;
		}
		memset(&t->w[t->nwords], 0, sizeof(t->w[0]));
		if (word_make(kb, slot, t->cue, w, t->han, &t->w[t->nwords],
		    cause) == -1)
			return -1;
		t->w[t->nwords++].gap = (uint8_t)gap;
		gap = 0;
	}
	if (t->nwords == 0 || t->w[0].gap) {
		*cause = t->nwords ? "a term cannot start with .." : "empty term";
		return -1;
	}
	if (t->han && t->w[0].num) {
		*cause = "a Chinese term cannot start with a number";
		return -1;
	}
	return 0;
}

static struct screen_term *
term_new(struct screen_kb *kb)
{
	void *p;

	if (kb->nterms == kb->cap) {
		size_t cap = kb->cap ? kb->cap * 2 : 1024;
		if ((p = realloc(kb->terms, cap * sizeof(*kb->terms))) == NULL)
			return NULL;
		kb->terms = p;
		kb->cap = cap;
	}
	memset(&kb->terms[kb->nterms], 0, sizeof(kb->terms[0]));
	return &kb->terms[kb->nterms];
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

/* One line: a comment, a "[cue]" header, or a term of the current cue. */
static int
read_line(struct screen_kb *kb, int slot, char *s, int *cue, const char **cause)
{
	struct screen_term *t;

	s = trim(s);
	if (*s == '\0' || *s == '#')
		return 0;
	if (*s == '[') {
		size_t n = strlen(s);
		if (s[n - 1] != ']') {
			*cause = "a header is [name]";
			return -1;
		}
		s[n - 1] = '\0';
		for (*cue = 0; screen_data_cues[*cue]; (*cue)++)
			if (strcmp(screen_data_cues[*cue], s + 1) == 0)
				return 0;
		*cause = "unknown cue (see docs/screening.md for the names)";
		*cue = -1;
		return -1;
	}
	if (*cue < 0) {
		*cause = "a term before any [cue] header";
		return -1;
	}
	if (strlen(s) > SCREEN_TERM_MAX) {
		*cause = "term longer than 160 bytes";
		return -1;
	}
	if ((t = term_new(kb)) == NULL) {
		*cause = "out of memory";
		return -1;
	}
	t->cue = (uint8_t)*cue;
	t->lang = (uint8_t)slot;
	if (term_make(kb, slot, s, t, cause) == -1) {
		term_free(t);
		return -1;
	}
	kb->nterms++;
	return 0;
}

static int
read_file(struct screen_kb *kb, int slot, const char *path, const char **cause)
{
	char line[1024];
	const char *why = NULL;
	int lineno = 0, cue = -1;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(errbuf, sizeof(errbuf), "%s: %s", path, strerror(errno));
		*cause = errbuf;
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f))
			why = "line longer than 1023 bytes";
		else if (read_line(kb, slot, line, &cue, &why) == 0)
			continue;
		snprintf(errbuf, sizeof(errbuf), "%s:%d: %s", path, lineno, why);
		*cause = errbuf;
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.txt names of DIR, sorted, into NAMES; the count, or -1. */
static int
list_dir(const char *dir, int want_dirs, char **names, int max)
{
	struct dirent *de;
	DIR *d;
	int n = 0;
	size_t len;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL && n < max) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.')
			continue;
		if (want_dirs ? (len < 2 || len > 3 || strspn(de->d_name,
		    "abcdefghijklmnopqrstuvwxyz") != len) :
		    (len < 5 || strcmp(de->d_name + len - 4, ".txt") != 0))
			continue;
		if ((names[n] = strdup(de->d_name)) != NULL)
			n++;
	}
	closedir(d);
	qsort(names, (size_t)n, sizeof(char *), cmp_str);
	return n;
}

static void
names_free(char **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
}

static int
read_lang(struct screen_kb *kb, const char *dir, const char *code, const char **cause)
{
	char path[4096], *files[DATA_FILES_MAX];
	int slot = kb->nlangs, n, rc = 0;

	if (slot == SCREEN_LANGS_MAX) {
		snprintf(errbuf, sizeof(errbuf), "%s: more than %d languages", dir,
		    SCREEN_LANGS_MAX);
		*cause = errbuf;
		return -1;
	}
	snprintf(kb->code[slot], sizeof(kb->code[slot]), "%s", code);
	kb->script[slot] = (uint8_t)script_of(code);
	screen_text_lang(slot, code);
	kb->nlangs++;
	snprintf(path, sizeof(path), "%s/%s", dir, code);
	if ((n = list_dir(path, 0, files, DATA_FILES_MAX)) < 0) {
		snprintf(errbuf, sizeof(errbuf), "%s: %s", path, strerror(errno));
		*cause = errbuf;
		return -1;
	}
	for (int i = 0; i < n && rc == 0; i++) {
		snprintf(path, sizeof(path), "%s/%s/%s", dir, code, files[i]);
		rc = read_file(kb, slot, path, cause);
	}
	names_free(files, n);
	if (rc == 0 && kb->script[slot] != SCREEN_SCRIPT_HAN &&
	    known_load(kb, slot, code, dir) == -1) {
		*cause = "out of memory";
		rc = -1;
	}
	return rc;
}

int
screen_data_load(const char *dir, struct screen_kb **out, const char **cause)
{
	struct screen_kb *kb;
	char *langs[SCREEN_LANGS_MAX + 1];
	int n, rc = 0;

	*out = NULL;
	if ((kb = calloc(1, sizeof(*kb))) == NULL) {
		*cause = "out of memory";
		return -1;
	}
	screen_text_langs_clear();
	if ((n = list_dir(dir, 1, langs, SCREEN_LANGS_MAX + 1)) <= 0) {
		snprintf(errbuf, sizeof(errbuf), "%s: %s", dir,
		    n == 0 ? "no language folders" : strerror(errno));
		*cause = errbuf;
		screen_data_free(kb);
		return -1;
	}
	for (int i = 0; i < n && rc == 0; i++)
		rc = read_lang(kb, dir, langs[i], cause);
	names_free(langs, n);
	if (rc == 0 && screen_data_index(kb) == -1) {
		*cause = "out of memory";
		rc = -1;
	}
	if (rc == -1) {
		screen_data_free(kb);
		return -1;
	}
	*out = kb;
	return 0;
}

int
screen_data_add_extra(struct screen_kb *kb, enum screen_cue cue, const char *term,
    const char **cause)
{
	char buf[SCREEN_TERM_MAX + 8], words[SCREEN_TERM_MAX + 8], *p, *w;
	enum screen_script sc = screen_text_script(term);
	struct screen_term *t;

	if (strlen(term) > SCREEN_TERM_MAX) {
		*cause = "term longer than 160 bytes";
		return -1;
	}
	/* Every word a prefix: configured terms match at word starts. */
	snprintf(buf, sizeof(buf), "%s", term);
	words[0] = '\0';
	for (p = buf; (w = strsep(&p, " \t")) != NULL;)
		if (*w && strlen(words) + strlen(w) + 3 < sizeof(words))
			snprintf(words + strlen(words), sizeof(words) - strlen(words),
			    "%s%s%s", *words ? " " : "", w,
			    sc == SCREEN_SCRIPT_HAN || w[strlen(w) - 1] == '*' ? "" : "*");
	for (int l = 0; l < kb->nlangs; l++) {
		if (kb->script[l] != sc)
			continue;
		if ((t = term_new(kb)) == NULL) {
			*cause = "out of memory";
			return -1;
		}
		t->cue = (uint8_t)cue;
		t->lang = (uint8_t)l;
		t->extra = 1;
		snprintf(buf, sizeof(buf), "%s", words);
		if (term_make(kb, l, buf, t, cause) == -1) {
			term_free(t);
			return -1;
		}
		free(t->text);
		if ((t->text = strdup(term)) == NULL) {
			*cause = "out of memory";
			return -1;
		}
		kb->nterms++;
	}
	return 0;
}

void
screen_data_drop_extra(struct screen_kb *kb)
{
	size_t j = 0;

	for (size_t i = 0; i < kb->nterms; i++) {
		if (kb->terms[i].extra)
			term_free(&kb->terms[i]);
		else
			kb->terms[j++] = kb->terms[i];
	}
	kb->nterms = j;
}

/* ---- words spelt right ---- */

static int
known_put(struct screen_known *k, uint32_t h)
{
	size_t i;

	h |= 1;				/* 0 marks an empty slot */
	if ((k->n + 1) * 2 > k->cap) {
		struct screen_known g = { NULL, k->cap ? k->cap * 2 : 65536, 0 };
		if ((g.h = calloc(g.cap, sizeof(uint32_t))) == NULL)
			return -1;
		for (i = 0; i < k->cap; i++)
			if (k->h[i])
				known_put(&g, k->h[i]);
		free(k->h);
		*k = g;
	}
	for (i = h & (k->cap - 1); k->h[i] && k->h[i] != h; i = (i + 1) & (k->cap - 1))
		;
	if (k->h[i] == 0)
		k->n++;
	k->h[i] = h;
	return 0;
}

int
screen_data_known(const struct screen_kb *kb, int l, const char *stem)
{
	const struct screen_known *k = &kb->known[l];
	uint32_t h = hash(stem, strlen(stem)) | 1;

	if (k->cap == 0)
		return 1;
	for (size_t i = h & (k->cap - 1); k->h[i]; i = (i + 1) & (k->cap - 1))
		if (k->h[i] == h)
			return 1;
	return 0;
}

/*
 * The known stems come from hunspell's word list of the language: 560,000
 * words for uk, ru and en together, whose folding and stemming were most
 * of start-up. The build writes each language's table once
 * (routing/screen-known, known-CODE.bin beside the vocabularies when
 * installed, SCREEN_KNOWN_DIR in the build tree); start-up reads it when
 * it was made from the same word list, and computes it otherwise.
 */
#define KNOWN_MAGIC	"RXKNOWN1"

struct known_head {
	char magic[8];
	uint64_t dict_size, dict_mtime;	/* the word list it was made from */
	uint64_t cap, n;
};

/* SCREEN_DICT_DIR's CODE_*.dic, the first by name (en_GB before en_US):
 * 0 with PATH and its ST, -1 when the language has none. */
static int
dict_find(const char *code, char *path, size_t len, struct stat *st)
{
	struct dirent **names;
	int n, found = -1;
	size_t cl = strlen(code);

	if ((n = scandir(SCREEN_DICT_DIR, &names, NULL, alphasort)) < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		const char *d = names[i]->d_name;
		size_t dl = strlen(d);

		if (found == -1 && strncmp(d, code, cl) == 0 && d[cl] == '_' &&
		    dl > 4 && strcmp(d + dl - 4, ".dic") == 0) {
			snprintf(path, len, "%s/%s", SCREEN_DICT_DIR, d);
			found = stat(path, st);
		}
		free(names[i]);
	}
	free(names);
	return found;
}

/* Fold and stem every word of the list at PATH (a count, then
 * "word/FLAGS" lines) with slot L's stemmer into K. */
static int
known_compute(struct screen_known *k, int l, const char *path)
{
	char line[256], stem[SCREEN_WORD_MAX + 1], *e;
	FILE *f = fopen(path, "r");
	int rc = 0;

	if (f == NULL)
		return 0;
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		if ((e = strpbrk(line, "/\t\r\n")) != NULL)
			*e = '\0';
		if (*line && screen_text_key(l, line, stem, sizeof(stem)) > 0)
			rc = known_put(k, hash(stem, strlen(stem)));
	}
	fclose(f);
	return rc;
}

/* The table in FILE if it was made from the word list DICT: 1 read, 0 not
 * usable (missing, stale, damaged), -1 out of memory. */
static int
known_read(struct screen_known *k, const char *file, const struct stat *dict)
{
	struct known_head hd;
	FILE *f = fopen(file, "rb");
	int rc = 0;

	if (f == NULL)
		return 0;
	if (fread(&hd, sizeof(hd), 1, f) == 1 &&
	    memcmp(hd.magic, KNOWN_MAGIC, 8) == 0 &&
	    hd.dict_size == (uint64_t)dict->st_size &&
	    hd.dict_mtime == (uint64_t)dict->st_mtime &&
	    hd.cap >= 2 && (hd.cap & (hd.cap - 1)) == 0 && hd.n < hd.cap &&
	    hd.cap <= (1u << 26)) {
		if ((k->h = malloc(hd.cap * sizeof(uint32_t))) == NULL)
			rc = -1;
		else if (fread(k->h, sizeof(uint32_t), hd.cap, f) == hd.cap) {
			k->cap = hd.cap;
			k->n = hd.n;
			rc = 1;
		} else {
			free(k->h);
			k->h = NULL;
		}
	}
	fclose(f);
	return rc;
}

/* The known stems of slot L, language CODE, for the folder DIR. */
static int
known_load(struct screen_kb *kb, int l, const char *code, const char *dir)
{
	char dict[512], file[4096];
	struct stat st;
	int rc;

	if (dict_find(code, dict, sizeof(dict), &st) == -1)
		return 0;
	snprintf(file, sizeof(file), "%s/known-%s.bin", dir, code);
	if ((rc = known_read(&kb->known[l], file, &st)) != 0)
		return rc == 1 ? 0 : -1;
	snprintf(file, sizeof(file), "%s/known-%s.bin", SCREEN_KNOWN_DIR, code);
	if ((rc = known_read(&kb->known[l], file, &st)) != 0)
		return rc == 1 ? 0 : -1;
	return known_compute(&kb->known[l], l, dict);
}

int
screen_data_known_write(const char *code, const char *out, const char **cause)
{
	struct screen_known k = { NULL, 0, 0 };
	struct known_head hd = { KNOWN_MAGIC, 0, 0, 0, 0 };
	char dict[512];
	struct stat st;
	FILE *f;
	int rc = 0;

	if (screen_text_init(cause) == -1)
		return -1;
	screen_text_lang(0, code);
	if (dict_find(code, dict, sizeof(dict), &st) == 0) {
		if (known_compute(&k, 0, dict) == -1) {
			*cause = "out of memory";
			free(k.h);
			return -1;
		}
		hd.dict_size = (uint64_t)st.st_size;
		hd.dict_mtime = (uint64_t)st.st_mtime;
	}
	hd.cap = k.cap;
	hd.n = k.n;
	if ((f = fopen(out, "wb")) == NULL ||
	    fwrite(&hd, sizeof(hd), 1, f) != 1 ||
	    (k.cap && fwrite(k.h, sizeof(uint32_t), k.cap, f) != k.cap))
		rc = -1;
	if (f && fclose(f) != 0)
		rc = -1;
	if (rc == -1)
		*cause = strerror(errno);
	free(k.h);
	return rc;
}

/* ---- the misspelling index ---- */

/* Code points of folded UTF-8 S into CP (at most MAX); the count, or
 * MAX + 1 when S is longer. */
static size_t
cps(const char *s, uint32_t *cp, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;

	while (*p) {
		uint32_t c = *p;
		int k = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
		if (n == max)
			return max + 1;
		c &= k == 3 ? 0x07 : k == 2 ? 0x0f : k == 1 ? 0x1f : 0x7f;
		for (p++; k > 0 && (*p & 0xc0) == 0x80; k--)
			c = (c << 6) | (*p++ & 0x3f);
		cp[n++] = c;
	}
	return n;
}

/* FNV-1a of CP[0..N) without position SKIP (N or more: none skipped). */
static uint32_t
cp_hash(const uint32_t *cp, size_t n, size_t skip)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		if (i != skip)
			h = (h ^ cp[i]) * 16777619u;
	return h;
}

/* Within one insertion, deletion or substitution? */
static int
within_one(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
	size_t i = 0;

	if (na < nb)
		return within_one(b, nb, a, na);
	if (na - nb > 1)
		return 0;
	while (i < nb && a[i] == b[i])
		i++;
	if (na == nb)
		return i == na || memcmp(a + i + 1, b + i + 1,
		    (na - i - 1) * sizeof(*a)) == 0;
	return memcmp(a + i + 1, b + i, (nb - i) * sizeof(*a)) == 0;
}

static void
fuzzy_free(struct screen_fuzzy *z)
{
	for (size_t i = 0; i < z->nw; i++) {
		free(z->w[i].word);
		free(z->w[i].stem);
	}
	free(z->w);
	free(z->e);
	free(z->head);
	memset(z, 0, sizeof(*z));
}

static int
fuzzy_entry(struct screen_fuzzy *z, uint32_t hash, uint32_t word)
{
	void *p;

	if (z->ne == z->ecap) {
		size_t cap = z->ecap ? z->ecap * 2 : 4096;
		if ((p = realloc(z->e, cap * sizeof(*z->e))) == NULL)
			return -1;
		z->e = p;
		z->ecap = cap;
	}
	z->e[z->ne++] = (struct screen_fentry){ hash, word, 0 };
	return 0;
}

/* Keep WORD (folded) of language slot L; fuzzy_build indexes it. */
static int
fuzzy_keep(struct screen_fuzzy *z, const char *word, int l)
{
	uint32_t cp[SCREEN_FUZZY_MAX];
	size_t n = cps(word, cp, SCREEN_FUZZY_MAX);
	void *p;

	if (n < SCREEN_FUZZY_MIN || n > SCREEN_FUZZY_MAX)
		return 0;
	if (z->nw == z->wcap) {
		size_t cap = z->wcap ? z->wcap * 2 : 1024;
		if ((p = realloc(z->w, cap * sizeof(*z->w))) == NULL)
			return -1;
		z->w = p;
		z->wcap = cap;
	}
	z->w[z->nw] = (struct screen_vword){ strdup(word), NULL, (uint8_t)l };
	if (z->w[z->nw].word == NULL)
		return -1;
	z->nw++;
	return 0;
}

static int
cmp_vword(const void *a, const void *b)
{
	const struct screen_vword *x = a, *y = b;

	return x->lang != y->lang ? x->lang - y->lang : strcmp(x->word, y->word);
}

/* Sort the words, drop repeats, stem them, add them and their deletions. */
static int
fuzzy_words(struct screen_fuzzy *z)
{
	uint32_t cp[SCREEN_FUZZY_MAX];
	char stem[SCREEN_WORD_MAX + 1];
	size_t j = 0, n;

	if (z->nw > 0)		/* qsort's base may not be NULL, even for none */
		qsort(z->w, z->nw, sizeof(*z->w), cmp_vword);
	for (size_t i = 0; i < z->nw; i++) {
		if (j > 0 && cmp_vword(&z->w[j - 1], &z->w[i]) == 0) {
			free(z->w[i].word);
			continue;
		}
		z->w[j++] = z->w[i];
	}
	z->nw = j;
	for (size_t i = 0; i < z->nw; i++) {
		screen_text_key(z->w[i].lang, z->w[i].word, stem, sizeof(stem));
		if ((z->w[i].stem = strdup(stem)) == NULL)
			return -1;
		n = cps(z->w[i].word, cp, SCREEN_FUZZY_MAX);
		for (size_t k = 0; k <= n; k++)
			if (fuzzy_entry(z, cp_hash(cp, n, k), (uint32_t)i) == -1)
				return -1;
	}
	return 0;
}

/* The words of a flagging term's text ("rash*", "threw up"), folded. */
static int
fuzzy_term(struct screen_fuzzy *z, const struct screen_term *t)
{
	char buf[SCREEN_TERM_MAX + 1], key[SCREEN_TERM_MAX + 1], *p = buf, *w;
	size_t n;

	snprintf(buf, sizeof(buf), "%s", t->text);
	while ((w = strsep(&p, " \t")) != NULL) {
		if (*w == '\0' || strcmp(w, "..") == 0)
			continue;
		if ((n = strlen(w)) > 0 && w[n - 1] == '*')
			continue;	/* a prefix already takes any ending */
		if (*w == '{' || *w == '=' || (*w >= '0' && *w <= '9'))
			continue;	/* numbers and exact forms */
		if (screen_text_fold(w, key, sizeof(key)) > 0 &&
		    fuzzy_keep(z, key, t->lang) == -1)
			return -1;
	}
	return 0;
}

static int
fuzzy_build(struct screen_kb *kb)
{
	struct screen_fuzzy *z = &kb->fuzzy;
	size_t nb = 16;

	fuzzy_free(z);
	for (size_t i = 0; i < kb->nterms; i++)
		if (!kb->terms[i].han && kb->terms[i].cue <= CUE_DEFECT_PACK &&
		    fuzzy_term(z, &kb->terms[i]) == -1)
			return -1;
	if (fuzzy_words(z) == -1)
		return -1;
	while (nb < z->ne * 2)
		nb *= 2;
	if ((z->head = calloc(nb, sizeof(uint32_t))) == NULL)
		return -1;
	z->nhead = nb;
	for (size_t i = z->ne; i-- > 0;) {
		uint32_t b = z->e[i].hash & (uint32_t)(nb - 1);
		z->e[i].next = z->head[b];
		z->head[b] = (uint32_t)(i + 1);
	}
	return 0;
}

/* Words under hash H within one edit of CP into OUT; the new count. */
static size_t
fuzzy_probe(const struct screen_kb *kb, uint32_t h, const uint32_t *cp, size_t n,
    int script, const struct screen_vword **out, size_t k, size_t max)
{
	const struct screen_fuzzy *z = &kb->fuzzy;
	uint32_t wcp[SCREEN_FUZZY_MAX + 1];
	size_t wn, j;

	for (uint32_t i = z->head[h & (uint32_t)(z->nhead - 1)]; i && k < max;
	    i = z->e[i - 1].next) {
		const struct screen_vword *w = &z->w[z->e[i - 1].word];
		if (z->e[i - 1].hash != h || kb->script[w->lang] != script)
			continue;
		for (j = 0; j < k && out[j] != w; j++)
			;
		wn = cps(w->word, wcp, SCREEN_FUZZY_MAX);
		if (j == k && within_one(cp, n, wcp, wn))
			out[k++] = w;
	}
	return k;
}

size_t
screen_data_fuzzy(const struct screen_kb *kb, const char *word, int script,
    const struct screen_vword **out, size_t max)
{
	uint32_t cp[SCREEN_FUZZY_MAX + 1];
	size_t n = cps(word, cp, SCREEN_FUZZY_MAX), k;

	if (kb->fuzzy.nhead == 0 || n < SCREEN_FUZZY_MIN || n > SCREEN_FUZZY_MAX)
		return 0;
	/* The word itself is a deletion of a longer one; its deletions
	 * meet the word or the deletions of a vocabulary word. */
	k = fuzzy_probe(kb, cp_hash(cp, n, n), cp, n, script, out, 0, max);
	for (size_t i = 0; i < n && k < max; i++)
		k = fuzzy_probe(kb, cp_hash(cp, n, i), cp, n, script, out, k, max);
	return k;
}

int
screen_data_index(struct screen_kb *kb)
{
	struct screen_map *m;
	struct screen_term *t;
	size_t n;

	for (int l = 0; l < SCREEN_LANGS_MAX; l++) {
		struct screen_map *ms[] = { &kb->stems[l], &kb->prefixes[l],
		    &kb->exact[l], &kb->han[l] };
		for (int k = 0; k < 4; k++)
			ms[k]->n = ms[k]->minlen = ms[k]->maxlen = 0;
	}
	for (size_t i = 0; i < kb->nterms; i++) {
		t = &kb->terms[i];
		m = t->han ? &kb->han[t->lang] : t->w[0].prefix ?
		    &kb->prefixes[t->lang] : t->w[0].exact || t->w[0].num ?
		    &kb->exact[t->lang] :
		    &kb->stems[t->lang];
		/* Han: keyed by the first character, compared whole later. */
		n = t->han ? (size_t)((unsigned char)t->w[0].key[0] >= 0xf0 ? 4 :
		    (unsigned char)t->w[0].key[0] >= 0xe0 ? 3 :
		    (unsigned char)t->w[0].key[0] >= 0xc0 ? 2 : 1) : t->w[0].len;
		if (n > t->w[0].len)
			n = t->w[0].len;
		if (map_add(m, t->w[0].key, n, (uint32_t)i) == -1)
			return -1;
	}
	for (int l = 0; l < SCREEN_LANGS_MAX; l++)
		if (map_build(&kb->stems[l]) == -1 || map_build(&kb->prefixes[l]) == -1 ||
		    map_build(&kb->exact[l]) == -1 || map_build(&kb->han[l]) == -1)
			return -1;
	return fuzzy_build(kb);
}
