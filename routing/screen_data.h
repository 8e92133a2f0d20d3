/*
 * screen_data: the screening knowledge, read from a folder per language
 * (routing/screening/LANG/NAME.txt; the format is in docs/screening.md and
 * at the top of every file) and indexed for the matcher: terms by the stem
 * of their first word, by prefix, or by first Han character.
 */
#ifndef RX_SCREEN_DATA_H
#define RX_SCREEN_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "routing/screen_text.h"

/* Words in one term. */
#define SCREEN_TERM_WORDS	8
/* Longest term line, in bytes. */
#define SCREEN_TERM_MAX		160
/* Words of at least this many letters match with one letter wrong. */
#define SCREEN_FUZZY_MIN	6
/* Letters of the longest word the misspelling index holds. */
#define SCREEN_FUZZY_MAX	32
/* Where the word lists that say a word is spelt right are read
 * (LANG_*.dic, hunspell's); a language without one gets no
 * misspelling tolerance. */
#define SCREEN_DICT_DIR		"/usr/share/hunspell"
/* Tokens (or, for Han, characters) a ".." may skip. */
#define SCREEN_GAP_TOKENS	3
#define SCREEN_GAP_HAN		6

/* What a cue says; a file's "[name]" headers pick one (screen_data_cues). */
enum screen_cue {
	CUE_SYMPTOM, CUE_VAGUE, CUE_GENERIC,
	CUE_OVERDOSE, CUE_ERROR, CUE_PREGNANCY, CUE_LACTATION, CUE_INEFFICACY,
	CUE_OFFLABEL, CUE_MISUSE, CUE_INTERACTION, CUE_OCCUPATIONAL,
	CUE_HOSPITAL, CUE_DEATH, CUE_LAB,
	CUE_DEFECT, CUE_DEFECT_PACK, CUE_PACK, CUE_SERVICE,
	CUE_EXPOSURE, CUE_PATIENT, CUE_REPORT,
	CUE_NEGATION, CUE_NEGATION_AFTER, CUE_QUESTION, CUE_HYPOTHETICAL,
	CUE_INDICATION, CUE_BREAKER, CUE_LIST,
	CUE_HISTORY, CUE_HISTORY_AFTER, CUE_NOT_YET, CUE_IMPROVEMENT,
	CUE_NOT_NEGATION, CUE_DELIVERY, CUE_EXPERIENCE,
	CUE_N
};

/* The names of enum screen_cue, as written in the files; NULL-terminated. */
extern const char *const screen_data_cues[CUE_N + 1];

struct screen_word {
	char *key;			/* stem, prefix, or Han text */
	uint16_t len;
	uint8_t prefix;			/* "word*": the surface starts with key */
	uint8_t exact;			/* "=word": the surface is key */
	uint8_t num;			/* a number pattern ("{n>38}", "{n}/{n>89}"):
					 * 1 one number, 2 a ratio A/B */
	char op[2];			/* per part: '#' any, '>' above, '<' below,
					 * '=' that number */
	float lim[2];
	uint8_t gap;			/* ".." before it: tokens it may skip */
};

struct screen_term {
	char *text;			/* as written in the file */
	uint8_t cue;			/* enum screen_cue */
	uint8_t lang;			/* slot */
	uint8_t nwords;
	uint8_t han;			/* matched in Han text, by characters */
	uint8_t extra;			/* from the configuration */
	struct screen_word w[SCREEN_TERM_WORDS];
};

/* Term indexes under one key. */
struct screen_map {
	struct screen_entry {
		const char *key;
		uint32_t len, term, next;	/* next: 1 + entry index, 0 ends */
	} *e;
	size_t n, cap;
	uint32_t *head;			/* 1 + entry index by hash */
	size_t nhead;
	unsigned minlen, maxlen;	/* prefix keys' lengths, bytes */
};

/* A word of a flagging term (symptom .. defect_pack) of 6+ letters. */
struct screen_vword {
	char *word;			/* folded */
	char *stem;			/* as its language stems it */
	uint8_t lang;			/* slot */
};

/* The misspelling index: every word and its one-letter deletions, by a
 * hash (SymSpell); candidates are checked by edit distance. */
struct screen_fuzzy {
	struct screen_vword *w;
	size_t nw, wcap;
	struct screen_fentry {
		uint32_t hash, word, next;	/* next: 1 + entry index, 0 ends */
	} *e;
	size_t ne, ecap;
	uint32_t *head;
	size_t nhead;
};

struct screen_kb {
	struct screen_term *terms;
	size_t nterms, cap;
	int nlangs;
	char code[SCREEN_LANGS_MAX][8];
	uint8_t script[SCREEN_LANGS_MAX];	/* enum screen_script */
	struct screen_map stems[SCREEN_LANGS_MAX], prefixes[SCREEN_LANGS_MAX],
	    exact[SCREEN_LANGS_MAX], han[SCREEN_LANGS_MAX];
	struct screen_fuzzy fuzzy;
	struct screen_known {		/* hashes of the stems of known words */
		uint32_t *h;
		size_t cap, n;
	} known[SCREEN_LANGS_MAX];
};

/*
 * Read every language folder of DIR into a new knowledge base (*OUT, the
 * caller frees it with screen_data_free). 0, or -1 with *CAUSE
 * "file:line: reason" (a static buffer, valid until the next call).
 * Declares the language slots in screen_text.
 */
int screen_data_load(const char *dir, struct screen_kb **out, const char **cause);
/* Add a term of CUE from the configuration to every language of its
 * script; 0, or -1 with *CAUSE. Call screen_data_index after. */
int screen_data_add_extra(struct screen_kb *, enum screen_cue, const char *term,
    const char **cause);
/* Drop the configuration's terms. */
void screen_data_drop_extra(struct screen_kb *);
/* (Re)build the indexes; 0, or -1 when out of memory. */
int screen_data_index(struct screen_kb *);
/* Free KB (may be NULL). */
void screen_data_free(struct screen_kb *);

/* The number at S (at most N bytes: digits with one '.' or ',' inside, "19,8");
 * its length (0: none) and value in *V. */
size_t screen_data_number(const char *s, size_t n, double *v);
/* Does V fit part PART (0 or 1) of number pattern W? */
int screen_data_number_fits(const struct screen_word *w, int part, double v);

/* The first entry under KEY in M, or NULL; walk on with screen_data_next. */
const struct screen_entry *screen_data_find(const struct screen_map *m,
    const char *key, size_t len);
const struct screen_entry *screen_data_next(const struct screen_map *m,
    const struct screen_entry *e, const char *key, size_t len);

/*
 * Vocabulary words of script SCRIPT within one edit (a letter added,
 * dropped or changed) of WORD (folded, SCREEN_FUZZY_MIN+ letters), into
 * OUT (at most MAX; they live as long as KB). Returns the count.
 */
size_t screen_data_fuzzy(const struct screen_kb *kb, const char *word, int script,
    const struct screen_vword **out, size_t max);

/* Is STEM the stem of a correctly spelt word of language slot L? (Also
 * when L has no word list: then nothing is corrected.) */
int screen_data_known(const struct screen_kb *kb, int l, const char *stem);

/*
 * Write the known stems of language CODE (its hunspell word list, folded
 * and stemmed as screening does) to OUT, for start-up to read instead of
 * computing them (routing/screen-known, run by the build). 0, or -1 with
 * *cause.
 */
int screen_data_known_write(const char *code, const char *out, const char **cause);

#endif
