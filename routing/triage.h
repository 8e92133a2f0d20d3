/*
 * triage: where an inbound interaction goes before it is stored. From the
 * channel, the form, the language, the products named, the customer's type
 * and segment and the safety screening (screen.h), the "[rule NAME]"
 * sections of the configuration pick queue, category and priority: first
 * matching rule wins, routing.default_queue otherwise. A possible adverse
 * event or complaint always raises the priority to at least high and the
 * category to ae or complaint, whatever the rule said (DESIGN.md section 6).
 *
 *   [product aspirin]
 *   names = Aspirin, Аспірин, Аспирин, 阿司匹林
 *   [rule hcp-uk]
 *   customer_type = hcp, pharmacy
 *   lang = uk
 *   queue = medinfo-uk
 *   category = medinfo
 *
 * Conditions: channel, form, lang, product, customer_type, segment, flags
 * (ae, complaint, none), text (terms, any). Each holds a comma list (any
 * value matches); every condition given must hold. Actions: queue,
 * category, priority.
 */
#ifndef RX_TRIAGE_H
#define RX_TRIAGE_H

#include <stddef.h>

#include <jansson.h>

#include "routing/lang.h"
#include "routing/screen.h"

struct interaction;
struct config;

#define TRIAGE_RULES_MAX	128
#define TRIAGE_PRODUCTS_MAX	256
#define TRIAGE_LIST_MAX		32	/* values in one condition */
#define TRIAGE_EXPLAIN_MAX	6144

/* What the channel knows besides the interaction; any field may be NULL. */
struct triage_ctx {
	const char *form;		/* the form's name, for channel "form" */
	const char *customer_type;	/* overrides interaction customer_type */
	const char *segment;		/* the known customer's segment */
};

/* Why triage decided what it did (route explain). Strings are static or
 * owned by the rule set in force: valid until the next reload. */
struct triage_why {
	const char *rule;		/* NULL: the default */
	const char *lang;
	struct lang_score lang_score;
	struct screen_result screen;	/* offsets into in->text / subject */
	const char *product;		/* first product named, or NULL */
	char detail[512];		/* the matched rule's conditions */
};

/* Register the "[rule]", "[product]" and "[lexicon]" section hooks; before
 * config_load. */
void triage_config(void);
/*
 * Put the rules, products and lexicon terms just loaded in force, with CF's
 * default queue. The first commit also reads the screening knowledge from
 * safety.screening_dir: a bad file stops the process there (file:line:
 * reason); later commits keep it (triage_screening_reload reads it again).
 */
void triage_commit(const struct config *);
/* Check the rules just loaded: each queue a rule names must be defined
 * (server/core/queue_names.h). 0, or -1 with *CAUSE naming file and key. */
int triage_check(const char **cause);
/* Drop the rules just loaded (a reload that failed its check). */
void triage_discard(void);
/* Read the screening knowledge again; 0, or -1 with *CAUSE (kept old). */
int triage_screening_reload(const struct config *, const char **cause);
/* Free every rule and product. */
void triage_free(void);

/*
 * Fill IN's category, priority, queue, lang and flags where the channel
 * left them NULL (flags, priority and category are only ever raised); a
 * matching rule's queue replaces the channel's. The
 * strings set are static or owned by the rule set; IN must be ingested
 * before the next reload. CTX and WHY may be NULL.
 */
void triage_apply(struct interaction *in, const struct triage_ctx *ctx,
    struct triage_why *why);

/*
 * The screening of IN as JSON (screen_result_json: levels, hits with byte
 * offsets into IN's text and subject), for the ticket. Reuses the result of
 * the triage_apply just made on IN, or screens again. New reference.
 */
json_t *triage_screening_json(const struct interaction *in);

/* Write a human explanation of triage_apply on IN to BUF (rxdeskctl
 * route explain); IN is filled as triage_apply does. */
void triage_explain(struct interaction *in, const struct triage_ctx *ctx,
    char *buf, size_t len);

#endif
