/*
 * lang: which language a customer wrote in, from the script of the letters
 * and a few common words: Ukrainian, Russian, English and Chinese. Also the
 * UTF-8 decoding and case folding that the lexicon and triage share.
 */
#ifndef RX_LANG_H
#define RX_LANG_H

#include <stddef.h>
#include <stdint.h>

/* Why a language was chosen: letter and word counts, for route explain. */
struct lang_score {
	unsigned latin, cyrillic, cjk;	/* letters of each script */
	unsigned uk_letters, ru_letters; /* і ї є ґ / ы э ъ ё */
	unsigned uk_words, ru_words, en_words;
};

/*
 * The language of TEXT (NUL-terminated UTF-8): "uk", "ru", "en", "zh", or
 * NULL when there are too few letters to tell. The string is static. WHY
 * may be NULL.
 */
const char *lang_detect(const char *text, struct lang_score *why);

/*
 * Decode one code point at *S (advanced past it); invalid bytes decode as
 * U+FFFD one byte at a time. Returns 0 at the terminating NUL.
 */
uint32_t lang_utf8_next(const char **s);


/*
 * Write TEXT lower-cased into OUT (at most OUTLEN bytes, NUL-terminated,
 * cut at a code point). Returns the length written.
 */
size_t lang_fold(const char *text, char *out, size_t outlen);

/* Non-zero when CP is a letter of a word (Latin, Cyrillic, digits, CJK). */
int lang_is_wordchar(uint32_t cp);

#endif
