/*
 * lexicon: adverse-event and product-complaint screening of inbound text
 * (DESIGN.md section 6). A built-in multilingual list (English, Ukrainian,
 * Russian, Chinese) plus terms from "[lexicon ae]" and "[lexicon complaint]"
 * configuration sections. Terms match case-insensitively; Latin and
 * Cyrillic terms match at the start of a word, so stems ("побічн") catch
 * every ending and "rash" does not fire inside "crash".
 */
#ifndef RX_LEXICON_H
#define RX_LEXICON_H

#include <stddef.h>

enum lexicon_kind { LEXICON_AE = 1 << 0, LEXICON_COMPLAINT = 1 << 1 };

/* Longest term, in bytes. */
#define LEXICON_TERM_MAX	64
/* Configured terms, all kinds together. */
#define LEXICON_EXTRA_MAX	256
/* Screened text is cut at this many bytes. */
#define LEXICON_TEXT_MAX	(64 * 1024)

/* What screening found: the first hit of each kind, for route explain. */
struct lexicon_hits {
	unsigned kinds;			/* enum lexicon_kind bits */
	const char *ae_term;		/* static or lexicon-owned; NULL */
	const char *complaint_term;
};

/* Register the "[lexicon ...]" section hook; before config_load. */
void lexicon_config(void);
/* Add TERM of KIND to the terms being loaded; 0, or -1 with *cause. */
int lexicon_add(enum lexicon_kind, const char *term, const char **cause);
/* Put the terms loaded since the last commit in force. */
void lexicon_commit(void);
/*
 * Does TERM occur in FOLDED (both lower-cased by lang_fold) at the start of
 * a word, or anywhere for Han script?
 */
int lexicon_occurs(const char *folded, const char *term);
/* Screen TEXT (UTF-8); fills HITS; returns its kinds. */
unsigned lexicon_scan(const char *text, struct lexicon_hits *hits);
/* Free configured terms. */
void lexicon_free(void);

#endif
