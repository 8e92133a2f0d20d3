/*
 * screen_text: the text layer of safety screening (docs/screening.md).
 * Wraps ICU (NFKC case folding, sentence and word boundaries, which split
 * Chinese by dictionary) and Snowball (English and Russian stems) once;
 * Ukrainian, which Snowball lacks, gets a light suffix-stripping rule.
 * A parsed text keeps a map from every byte of its normalised form back
 * to the original bytes, so that hits carry offsets into what was sent.
 * Not thread-safe: rxdeskd screens on its event loop.
 */
#ifndef RX_SCREEN_TEXT_H
#define RX_SCREEN_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* Screened text is cut at this many bytes. */
#define SCREEN_TEXT_MAX		(64 * 1024)
/* Languages loaded at once (one folder each). */
#define SCREEN_LANGS_MAX	8
/* Longest token kept for stemming, in bytes. */
#define SCREEN_WORD_MAX		96

enum screen_script {
	SCREEN_SCRIPT_NONE, SCREEN_SCRIPT_LATIN, SCREEN_SCRIPT_CYRILLIC,
	SCREEN_SCRIPT_HAN, SCREEN_SCRIPT_DIGIT, SCREEN_SCRIPT_PUNCT
};

/* How a language reduces a word: Snowball, the Ukrainian rule, or not. */
enum screen_stemmer { SCREEN_STEM_NONE, SCREEN_STEM_SNOWBALL, SCREEN_STEM_UK };

/* One word or punctuation mark of a parsed text. */
struct screen_token {
	uint32_t nstart, nend;		/* bytes of the normalised text */
	uint32_t start, end;		/* bytes of the original text */
	uint32_t stem[SCREEN_LANGS_MAX]; /* offset in the stem pool; 0: none */
	uint16_t sentence;
	uint8_t script;			/* enum screen_script */
	uint8_t synthetic;		/* "not" of "didn't": no surface */
	uint8_t upper;			/* written with a capital first letter */
	const char *surface;		/* NUL-terminated folded word */
};

/* A parsed text; buffers grow and are reused from one text to the next. */
struct screen_doc {
	char *norm;			/* NFKC case-folded UTF-8 */
	uint32_t *map;			/* norm byte -> original byte; nlen + 1 */
	size_t nlen, ncap;
	struct screen_token *tok;
	size_t ntok, tcap;
	char *pool;			/* stems and surfaces, NUL-separated */
	size_t plen, pcap;
	uint32_t *sent_end;		/* token index past each sentence */
	size_t nsent, scap;
	size_t olen;			/* original length screened */
};

/* Open ICU and the stemmers; 0, or -1 with *cause. */
int screen_text_init(const char **cause);
/* Close them and free DOC's buffers (DOC may be NULL). */
void screen_text_free(struct screen_doc *doc);

/*
 * Declare language slot SLOT (folder name CODE) and how it stems; the
 * stemmer is chosen from CODE. Returns the stemmer kind.
 */
enum screen_stemmer screen_text_lang(int slot, const char *code);
/* Forget every language slot (before a reload declares them again). */
void screen_text_langs_clear(void);

/*
 * Parse TEXT (LEN bytes, cut at SCREEN_TEXT_MAX) into DOC: normalise,
 * split sentences and words, stem every word for each language slot whose
 * script (SCRIPTS[slot]) it has. 0, or -1 when out of memory.
 */
int screen_text_parse(struct screen_doc *doc, const char *text, size_t len,
    const uint8_t scripts[SCREEN_LANGS_MAX]);

/* The same, reading Latin letters as Russian (UK: Ukrainian) typed in
 * Latin ("golova kruzhitsya" is "голова кружится"); offsets stay the
 * original's. */
int screen_text_parse_translit(struct screen_doc *doc, const char *text,
    size_t len, const uint8_t scripts[SCREEN_LANGS_MAX], int uk);

/*
 * Fold WORD as the parser folds text and stem it as language slot SLOT
 * does, into OUT (OUTLEN bytes). Returns the length, 0 when nothing is left.
 */
size_t screen_text_key(int slot, const char *word, char *out, size_t outlen);

/* Fold S (NFKC case fold plus the parser's own folds) into OUT. */
size_t screen_text_fold(const char *s, char *out, size_t outlen);

/* The script of the first letter of S. */
enum screen_script screen_text_script(const char *s);

/* The stem of token T for language slot SLOT, or NULL. */
static inline const char *
screen_text_stem(const struct screen_doc *d, const struct screen_token *t,
    int slot)
{
	return t->stem[slot] ? d->pool + t->stem[slot] : NULL;
}

#endif
