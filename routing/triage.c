/* triage: see triage.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "routing/lang.h"
#include "routing/screen.h"
#include "routing/triage.h"
#include "server/core/config.h"
#include "server/core/interaction.h"
#include "server/core/log.h"
#include "server/core/queue_names.h"

enum cond { C_CHANNEL, C_FORM, C_LANG, C_PRODUCT, C_CTYPE, C_SEGMENT,
	C_FLAGS, C_TEXT, NCONDS };

static const char *const cond_names[NCONDS + 1] = {
	"channel", "form", "lang", "product", "customer_type", "segment",
	"flags", "text", NULL
};

struct list {
	char *v[TRIAGE_LIST_MAX];
	int n;
};

struct rule {
	char *name;
	struct list cond[NCONDS];
	char *queue, *category, *priority;
};

struct product {
	char *name;
	struct list names;		/* lower-cased */
};

struct ruleset {
	struct rule rules[TRIAGE_RULES_MAX];
	int nrules;
	struct product products[TRIAGE_PRODUCTS_MAX];
	int nproducts;
	char *default_queue;
};

/* The set in force, and the one a configuration load is filling. */
static struct ruleset active, pending;
/* Subject and text together, lower-cased, for text and product matches. */
/* Subject and text are matched against rules up to this many bytes. */
#define TRIAGE_TEXT_MAX	(64 * 1024)
static char folded[TRIAGE_TEXT_MAX + 1];
/* The last screening, and what it was of (triage_screening_json). */
static struct {
	struct screen_result r;
	const struct interaction *in;
	const char *text, *subject;
} last;

static const char *const flag_values[] = { "ae", "complaint", "none", NULL };

static int
one_of(const char *const *set, const char *v)
{
	for (int i = 0; set[i]; i++)
		if (strcmp(set[i], v) == 0)
			return i;
	return -1;
}

static void
list_clear(struct list *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->v[i]);
	l->n = 0;
}

/* Parse a comma list into L, lower-cased; VALID (may be NULL) limits values. */
static int
list_parse(struct list *l, const char *value, const char *const *valid,
    const char **cause)
{
	char buf[256], *p, *tok;

	list_clear(l);
	lang_fold(value, buf, sizeof(buf));
	for (p = buf; (tok = strsep(&p, ",")) != NULL;) {
		while (*tok == ' ' || *tok == '\t')
			tok++;
		for (char *e = tok + strlen(tok); e > tok && (e[-1] == ' ' ||
		    e[-1] == '\t'); e--)
			e[-1] = '\0';
		if (*tok == '\0')
			continue;
		if (valid && one_of(valid, tok) == -1) {
			*cause = "unknown value";
			return -1;
		}
		if (l->n == TRIAGE_LIST_MAX) {
			*cause = "more than 32 values";
			return -1;
		}
		if ((l->v[l->n] = strdup(tok)) == NULL) {
			*cause = "out of memory";
			return -1;
		}
		l->n++;
	}
	if (l->n == 0) {
		*cause = "empty list";
		return -1;
	}
	return 0;
}

static int
set_str(char **dst, const char *value, const char *const *valid,
    const char **cause)
{
	char *v;

	if (*value == '\0' || (valid && one_of(valid, value) == -1)) {
		*cause = "unknown value";
		return -1;
	}
	if ((v = strdup(value)) == NULL) {
		*cause = "out of memory";
		return -1;
	}
	free(*dst);
	*dst = v;
	return 0;
}

static void
rule_clear(struct rule *r)
{
	free(r->name);
	for (int c = 0; c < NCONDS; c++)
		list_clear(&r->cond[c]);
	free(r->queue);
	free(r->category);
	free(r->priority);
	memset(r, 0, sizeof(*r));
}

static struct rule *
rule_get(const char *name, const char **cause)
{
	struct rule *r;

	for (int i = 0; i < pending.nrules; i++)
		if (strcmp(pending.rules[i].name, name) == 0)
			return &pending.rules[i];
	if (pending.nrules == TRIAGE_RULES_MAX) {
		*cause = "more than 128 rules";
		return NULL;
	}
	r = &pending.rules[pending.nrules];
	if ((r->name = strdup(name)) == NULL) {
		*cause = "out of memory";
		return NULL;
	}
	pending.nrules++;
	return r;
}

static int
on_rule(const char *name, const char *key, const char *value,
    const char **cause)
{
	static const char *const *const valid[NCONDS] = {
		[C_CHANNEL] = interaction_channel_names, [C_FLAGS] = flag_values,
	};
	struct rule *r;
	int c;

	if ((r = rule_get(name, cause)) == NULL)
		return -1;
	if ((c = one_of(cond_names, key)) != -1)
		return list_parse(&r->cond[c], value, valid[c], cause);
	if (strcmp(key, "queue") == 0)
		return set_str(&r->queue, value, NULL, cause);
	if (strcmp(key, "category") == 0)
		return set_str(&r->category, value, interaction_categories, cause);
	if (strcmp(key, "priority") == 0)
		return set_str(&r->priority, value, interaction_priorities, cause);
	*cause = "unknown key";
	return -1;
}

static int
on_product(const char *name, const char *key, const char *value,
    const char **cause)
{
	struct product *pr = NULL;

	if (strcmp(key, "names") != 0) {
		*cause = "unknown key (products have names)";
		return -1;
	}
	for (int i = 0; i < pending.nproducts; i++)
		if (strcmp(pending.products[i].name, name) == 0)
			pr = &pending.products[i];
	if (pr == NULL) {
		if (pending.nproducts == TRIAGE_PRODUCTS_MAX) {
			*cause = "more than 256 products";
			return -1;
		}
		pr = &pending.products[pending.nproducts];
		if ((pr->name = strdup(name)) == NULL) {
			*cause = "out of memory";
			return -1;
		}
		pending.nproducts++;
	}
	return list_parse(&pr->names, value, NULL, cause);
}

void
triage_config(void)
{
	config_section_hook("rule", on_rule);
	config_section_hook("product", on_product);
	screen_config();
}

static void
ruleset_clear(struct ruleset *s)
{
	for (int i = 0; i < s->nrules; i++)
		rule_clear(&s->rules[i]);
	for (int i = 0; i < s->nproducts; i++) {
		free(s->products[i].name);
		list_clear(&s->products[i].names);
	}
	free(s->default_queue);
	memset(s, 0, sizeof(*s));
}

void
triage_commit(const struct config *cf)
{
	const char *cause;

	ruleset_clear(&active);
	active = pending;
	memset(&pending, 0, sizeof(pending));
	active.default_queue = strdup(cf && cf->routing_default_queue &&
	    *cf->routing_default_queue ? cf->routing_default_queue : "general");
	screen_commit();
	if (!screen_loaded() && triage_screening_reload(cf, &cause) == -1)
		log_fatalx("screening: %s", cause);
}

int
triage_check(const char **cause)
{
	char where[160];

	for (int i = 0; i < pending.nrules; i++) {
		if (pending.rules[i].queue == NULL)
			continue;
		snprintf(where, sizeof(where), "[rule %s] queue",
		    pending.rules[i].name);
		if (queue_names_check(pending.rules[i].queue, where, cause) == -1)
			return -1;
	}
	return 0;
}

void
triage_discard(void)
{
	ruleset_clear(&pending);
}

int
triage_screening_reload(const struct config *cf, const char **cause)
{
	const char *dir = cf && cf->safety_screening_dir &&
	    *cf->safety_screening_dir ? cf->safety_screening_dir :
	    screen_default_dir();

	memset(&last, 0, sizeof(last));
	return screen_load(dir, cause);
}

void
triage_free(void)
{
	ruleset_clear(&active);
	ruleset_clear(&pending);
	memset(&last, 0, sizeof(last));
	screen_free();
}

/* The facts rules test, gathered once per interaction. */
struct facts {
	const char *v[NCONDS];		/* single-valued conditions */
	unsigned kinds;			/* enum screen_kind: screening and channel */
	unsigned screened;		/* enum screen_kind: screening alone */
	int products[TRIAGE_PRODUCTS_MAX]; /* which products are named */
};

static int
list_has(const struct list *l, const char *v)
{
	for (int i = 0; v && i < l->n; i++)
		if (strcmp(l->v[i], v) == 0)
			return 1;
	return 0;
}

/* Does TERM occur in TEXT (both folded) at the start of a word, or
 * anywhere for Han script? */
static int
occurs(const char *text, const char *term)
{
	const char *at = text, *prev;
	uint32_t first, before;

	prev = term;
	first = lang_utf8_next(&prev);
	while ((at = strstr(at, term)) != NULL) {
		if (first >= 0x2e80 || at == text)
			return 1;
		prev = at - 1;
		while (prev > text && ((unsigned char)*prev & 0xc0) == 0x80)
			prev--;
		before = lang_utf8_next(&prev);
		if (!lang_is_wordchar(before))
			return 1;
		at++;
	}
	return 0;
}

static int
cond_holds(const struct rule *r, int c, const struct facts *f)
{
	const struct list *l = &r->cond[c];

	switch (c) {
	case C_PRODUCT:
		for (int i = 0; i < active.nproducts; i++)
			if (f->products[i] && list_has(l, active.products[i].name))
				return 1;
		return 0;
	case C_FLAGS:
		return (list_has(l, "ae") && (f->kinds & SCREEN_KIND_AE)) ||
		    (list_has(l, "complaint") && (f->kinds & SCREEN_KIND_COMPLAINT)) ||
		    (list_has(l, "none") && f->kinds == 0);
	case C_TEXT:
		for (int i = 0; i < l->n; i++)
			if (occurs(folded, l->v[i]))
				return 1;
		return 0;
	default:
		return list_has(l, f->v[c]);
	}
}

static int
rule_matches(const struct rule *r, const struct facts *f)
{
	for (int c = 0; c < NCONDS; c++)
		if (r->cond[c].n > 0 && !cond_holds(r, c, f))
			return 0;
	return 1;
}

static void
fold_text(const struct interaction *in)
{
	size_t n = lang_fold(in->subject, folded, sizeof(folded));

	if (n + 1 < sizeof(folded)) {
		folded[n++] = '\n';
		lang_fold(in->text, folded + n, sizeof(folded) - n);
	}
}

static void
lower(const char *s, char *buf, size_t len)
{
	lang_fold(s ? s : "", buf, len);
}

static void
gather(struct interaction *in, const struct triage_ctx *ctx,
    struct triage_why *why, struct facts *f, char bufs[3][64])
{
	fold_text(in);
	why->lang = lang_detect(folded, &why->lang_score);
	screen_message(in->subject, in->text, in->lang ? in->lang : why->lang,
	    &why->screen);
	last.r = why->screen;
	last.in = in;
	last.text = in->text;
	last.subject = in->subject;
	f->kinds = (why->screen.ae != SCREEN_AE_NONE ? SCREEN_KIND_AE : 0) |
	    (why->screen.complaint ? SCREEN_KIND_COMPLAINT : 0);
	f->screened = f->kinds;
	/* A flag the channel set (the ae-report form's) is as much a flag as
	 * the screener's: the rules that route flags see it too. */
	if (in->flags && strstr(in->flags, "ae"))
		f->kinds |= SCREEN_KIND_AE;
	if (in->flags && strstr(in->flags, "complaint"))
		f->kinds |= SCREEN_KIND_COMPLAINT;
	for (int i = 0; i < active.nproducts; i++)
		for (int j = 0; j < active.products[i].names.n && !f->products[i]; j++)
			if (occurs(folded, active.products[i].names.v[j])) {
				f->products[i] = 1;
				if (why->product == NULL)
					why->product = active.products[i].name;
			}
	f->v[C_CHANNEL] = interaction_channel_name(in->channel);
	lower(ctx && ctx->form ? ctx->form : NULL, bufs[0], 64);
	f->v[C_FORM] = bufs[0];
	f->v[C_LANG] = in->lang ? in->lang : why->lang;
	lower(ctx && ctx->customer_type ? ctx->customer_type :
	    in->customer_type, bufs[1], 64);
	f->v[C_CTYPE] = bufs[1];
	lower(ctx ? ctx->segment : NULL, bufs[2], 64);
	f->v[C_SEGMENT] = bufs[2];
}

static int
rank(const char *const *set, const char *v)
{
	return v ? one_of(set, v) : -1;
}

/* Screening hits only ever raise what the rule or the channel chose. */
static void
raise_for_safety(struct interaction *in, unsigned kinds)
{
	const char *cat = (kinds & SCREEN_KIND_AE) ? "ae" : "complaint";
	int have;

	if (kinds == 0)
		return;
	/* A complaint form that reports a reaction is both: keep what the
	 * channel already flagged. */
	if (in->flags && strstr(in->flags, "complaint"))
		kinds |= SCREEN_KIND_COMPLAINT;
	if (in->flags && strstr(in->flags, "ae"))
		kinds |= SCREEN_KIND_AE;
	have = rank(interaction_categories, in->category);
	if (have == -1 || interaction_category_rank(in->category) <
	    interaction_category_rank(cat))
		in->category = cat;
	if (rank(interaction_priorities, in->priority) < 2)
		in->priority = "high";
	if ((kinds & SCREEN_KIND_AE) && (kinds & SCREEN_KIND_COMPLAINT))
		in->flags = "ae,complaint";
	else
		in->flags = (kinds & SCREEN_KIND_AE) ? "ae" : "complaint";
}

static void
describe(const struct rule *r, struct triage_why *why)
{
	size_t len = 0;

	why->detail[0] = '\0';
	for (int c = 0; c < NCONDS && len < sizeof(why->detail); c++) {
		if (r->cond[c].n == 0)
			continue;
		len += (size_t)snprintf(why->detail + len, sizeof(why->detail) - len,
		    "%s%s in [", len ? ", " : "", cond_names[c]);
		for (int i = 0; i < r->cond[c].n && len < sizeof(why->detail); i++)
			len += (size_t)snprintf(why->detail + len,
			    sizeof(why->detail) - len, "%s%s", i ? "," : "",
			    r->cond[c].v[i]);
		if (len < sizeof(why->detail))
			len += (size_t)snprintf(why->detail + len,
			    sizeof(why->detail) - len, "]");
	}
	if (len == 0)
		snprintf(why->detail, sizeof(why->detail), "no conditions");
}

void
triage_apply(struct interaction *in, const struct triage_ctx *ctx,
    struct triage_why *why)
{
	static struct facts f;
	struct triage_why local;
	char bufs[3][64];
	const struct rule *r = NULL;

	if (why == NULL)
		why = &local;
	memset(why, 0, sizeof(*why));
	memset(&f, 0, sizeof(f));
	gather(in, ctx, why, &f, bufs);
	for (int i = 0; i < active.nrules && r == NULL; i++)
		if (rule_matches(&active.rules[i], &f))
			r = &active.rules[i];
	if (r) {
		why->rule = r->name;
		describe(r, why);
	}
	if (in->lang == NULL)
		in->lang = why->lang;
	/* A matching rule's queue wins over the channel's default (a form's or
	 * a mailbox's): the rules are where the operator routes flagged work. */
	if (r && r->queue)
		in->queue = r->queue;
	else if (in->queue == NULL)
		in->queue = active.default_queue ? active.default_queue : "general";
	if (in->category == NULL)
		in->category = r && r->category ? r->category : "general";
	if (in->priority == NULL)
		in->priority = r && r->priority ? r->priority : "normal";
	raise_for_safety(in, f.screened);
}

json_t *
triage_screening_json(const struct interaction *in)
{
	struct screen_result r;

	if (last.in == in && last.text == in->text && last.subject == in->subject)
		return screen_result_json(&last.r, in->text, in->subject);
	screen_message(in->subject, in->text, in->lang, &r);
	return screen_result_json(&r, in->text, in->subject);
}

/* The screening's hits, one a line: what fired where, and why. */
static size_t
explain_hits(const struct interaction *in, const struct screen_result *r,
    char *buf, size_t len)
{
	const struct screen_hit *h;
	const char *src;
	size_t n = 0;

	for (size_t i = 0; i < r->nhits && n < len; i++) {
		h = &r->hits[i];
		src = h->field == SCREEN_FIELD_SUBJECT ? in->subject : in->text;
		n += (size_t)snprintf(buf + n, len - n, "  %s %s \"%.*s\" [%s %u-%u] "
		    "term \"%s\": %s\n", h->kind == SCREEN_KIND_AE ? "ae" :
		    h->kind == SCREEN_KIND_COMPLAINT ? "complaint" : "context", h->cue,
		    src ? (int)(h->end - h->start) : 0, src ? src + h->start : "",
		    h->field == SCREEN_FIELD_SUBJECT ? "subject" : "text", h->start,
		    h->end, h->term, h->rule);
	}
	return n < len ? n : len;
}

void
triage_explain(struct interaction *in, const struct triage_ctx *ctx,
    char *buf, size_t len)
{
	struct triage_why w;
	const struct lang_score *s = &w.lang_score;
	size_t n;

	triage_apply(in, ctx, &w);
	n = (size_t)snprintf(buf, len,
	    "rule: %s%s%s%s\n"
	    "lang: %s (latin %u, cyrillic %u, han %u; uk letters %u, ru letters %u;"
	    " common words uk %u, ru %u, en %u)\n"
	    "screening: ae %s, complaint %s\n",
	    w.rule ? w.rule : "(default)", w.rule ? " (" : "",
	    w.rule ? w.detail : "", w.rule ? ")" : "",
	    w.lang ? w.lang : "unknown", s->latin, s->cyrillic, s->cjk,
	    s->uk_letters, s->ru_letters, s->uk_words, s->ru_words, s->en_words,
	    screen_ae_name(w.screen.ae) ? screen_ae_name(w.screen.ae) : "no",
	    w.screen.complaint ? "yes" : "no");
	if (n < len)
		n += explain_hits(in, &w.screen, buf + n, len - n);
	if (n < len)
		snprintf(buf + n, len - n, "product: %s\n"
		    "result: queue=%s category=%s priority=%s flags=%s\n",
		    w.product ? w.product : "none",
		    in->queue, in->category, in->priority, in->flags ? in->flags : "");
}
