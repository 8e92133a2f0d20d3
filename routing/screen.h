/*
 * screen: adverse-event and product-complaint screening of every inbound
 * text (DESIGN.md section 6, docs/screening.md). Knowledge is data, a
 * folder per language (screen_data.h); the text layer is ICU and Snowball
 * (screen_text.h). An AE needs a special situation (overdose, medication
 * error, pregnancy, ...) or an unfavourable experience that no denial and
 * no purely hypothetical question holds in its scope; exposure context
 * turns "possible" into "probable". A complaint needs a product defect.
 * Every decision lists the cues that fired, with byte offsets into the
 * text screened. Terms from "[lexicon ae]" and "[lexicon complaint]"
 * configuration sections are added as symptoms and defects.
 * Not thread-safe: rxdeskd screens on its event loop.
 */
#ifndef RX_SCREEN_H
#define RX_SCREEN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Hits kept per result, for explanations. */
#define SCREEN_HITS_MAX		24
/* Configured terms, all kinds together. */
#define SCREEN_EXTRA_MAX	256

enum screen_ae { SCREEN_AE_NONE, SCREEN_AE_POSSIBLE, SCREEN_AE_PROBABLE };
enum screen_kind { SCREEN_KIND_AE = 1, SCREEN_KIND_COMPLAINT = 2,
	SCREEN_KIND_CONTEXT = 4 };
enum screen_field { SCREEN_FIELD_TEXT, SCREEN_FIELD_SUBJECT };

/* One cue found, counted or held by a scope. */
struct screen_hit {
	uint8_t kind;			/* enum screen_kind */
	uint8_t field;			/* enum screen_field */
	uint8_t counted;		/* 0: a scope held it (see rule) */
	const char *cue;		/* "symptom", "overdose", ...: static */
	const char *term;		/* as in the data file; until the next load */
	const char *rule;		/* why it counted or not: static */
	uint32_t start, end;		/* bytes of the field's original text */
};

/* What screening decided. Strings: see struct screen_hit. */
struct screen_result {
	enum screen_ae ae;
	int complaint;
	const char *lang;		/* static; NULL when unknown */
	size_t nhits;
	struct screen_hit hits[SCREEN_HITS_MAX];
};

/*
 * Read the knowledge of every language folder in DIR and put it in force
 * (start and reload). On error the knowledge in force stays and *CAUSE is
 * "file:line: reason" (static, valid until the next call).
 */
int screen_load(const char *dir, const char **cause);
/* Non-zero once screen_load succeeded. */
int screen_loaded(void);
/* The folder screening reads when the configuration names none:
 * $(pkgdatadir)/screening when installed, else the source tree's. */
const char *screen_default_dir(void);

/* Register the "[lexicon ...]" section hook; before config_load. */
void screen_config(void);
/* Add TERM of KIND to the configured terms being loaded; 0 or -1. */
int screen_extra_add(enum screen_kind, const char *term, const char **cause);
/* Put the configured terms loaded since the last commit in force. */
void screen_commit(void);

/* Screen TEXT (UTF-8, any bytes); LANG_HINT may be NULL. Fills R. */
void screen_text(const char *text, const char *lang_hint, struct screen_result *r);
/* Screen a subject and a text together (either may be NULL). */
void screen_message(const char *subject, const char *text, const char *lang_hint,
    struct screen_result *r);

/*
 * R as JSON: {"ae":"probable"|"possible"|null,"complaint":bool,"lang":..,
 * "hits":[{"kind","cue","term","rule","start","end","field","text"}]}.
 * TEXT and SUBJECT (may be NULL) give each hit's words. New reference.
 */
json_t *screen_result_json(const struct screen_result *r, const char *text,
    const char *subject);

/* The name of an AE level: "probable", "possible" or NULL. */
const char *screen_ae_name(enum screen_ae);

/* Free the knowledge, the configured terms and the text layer. */
void screen_free(void);

#endif
