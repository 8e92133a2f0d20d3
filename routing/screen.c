/* screen: see screen.h. The matcher finds cues (screen_match.c); scopes
 * hold some (screen_scope.c); the decision weighs what is left. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "routing/lang.h"
#include "routing/screen.h"
#include "routing/screen_model.h"
#include "routing/screen_data.h"
#include "routing/screen_dirs.h"
#include "routing/screen_match.h"
#include "routing/screen_scope.h"
#include "routing/screen_text.h"
#include "server/core/config.h"

static struct {
	struct screen_kb *kb;
	struct screen_doc doc;
	struct screen_found fs;
	struct screen_scope scope;
	struct { uint8_t kind; char *term; } extra[SCREEN_EXTRA_MAX],
	    pend[SCREEN_EXTRA_MAX];
	size_t nextra, npend;
} S;

static const char *
default_installed(void)
{
	return RX_DATADIR "/screening";
}

const char *
screen_default_dir(void)
{
	struct stat st;

	if (stat(default_installed(), &st) == 0 && S_ISDIR(st.st_mode))
		return default_installed();
	return SCREEN_SOURCE_DIR;
}

/* ---- decision ---- */

static const char *const held_names[HELD_N] = {
	"counted", "negated", "question", "hypothetical", "indication", "question",
	"inside a word", "history", "not started yet", "improvement",
	"product name", "delivery"
};

struct tally {
	int strong, weak, exposure, pregnancy, defect, defect_pack, pack, service;
	int experience;
};

static void
tally(struct tally *t)
{
	for (size_t k = 0; k < S.fs.n; k++) {
		int c = S.fs.f[k].term->cue;
		if (S.fs.f[k].held != HELD_NO)
			continue;
		if (c == CUE_SYMPTOM || (screen_cue_special(c) && c != CUE_PREGNANCY &&
		    c != CUE_LACTATION))
			t->strong++;
		else if (c == CUE_PREGNANCY || c == CUE_LACTATION)
			t->pregnancy++;
		else if (c == CUE_VAGUE || c == CUE_GENERIC)
			t->weak++;
		else if (c == CUE_EXPOSURE)
			t->exposure++;
		else if (c == CUE_DEFECT)
			t->defect++;
		else if (c == CUE_DEFECT_PACK)
			t->defect_pack++;
		else if (c == CUE_PACK)
			t->pack++;
		else if (c == CUE_SERVICE)
			t->service++;
		else if (c == CUE_EXPERIENCE)
			t->experience++;
	}
}

static enum screen_ae
decide_ae(const struct tally *t)
{
	if (t->strong && t->exposure)
		return SCREEN_AE_PROBABLE;
	if (t->pregnancy && t->exposure)
		return SCREEN_AE_PROBABLE;
	if (t->strong || t->weak || t->experience)
		return SCREEN_AE_POSSIBLE;
	return SCREEN_AE_NONE;
}

static int
decide_complaint(const struct tally *t)
{
	return t->defect > 0 || (t->defect_pack > 0 && (t->pack > 0 || t->service == 0));
}

static const char *
rule_of(const struct found *f, const struct screen_result *r)
{
	int c = f->term->cue;

	if (f->held != HELD_NO)
		return held_names[f->held];
	if (f->kept == KEPT_INEFFICACY)
		return "inefficacy despite negation";
	if (f->translit && (screen_cue_ae(c) || screen_cue_defect(c)))
		return "transliterated";
	if (f->fuzzy && screen_cue_ae(c))
		return r->ae == SCREEN_AE_PROBABLE ? "misspelling+exposure" :
		    "misspelling";
	if (f->fuzzy && screen_cue_defect(c))
		return "misspelling";
	if (screen_cue_special(c))
		return r->ae == SCREEN_AE_PROBABLE ? "special+exposure" : "special";
	if (screen_cue_ae(c))
		return r->ae == SCREEN_AE_PROBABLE ? "symptom+exposure" : "weak evidence";
	if (screen_cue_defect(c))
		return r->complaint ? "defect" : "not on the product";
	if (c == CUE_EXPERIENCE)
		return "experience";
	return "context";
}

static void
hit_add(struct screen_result *r, const struct found *f)
{
	struct screen_hit *h;
	int c = f->term->cue;

	if (r->nhits == SCREEN_HITS_MAX)
		return;
	h = &r->hits[r->nhits++];
	h->kind = screen_cue_ae(c) || c == CUE_EXPERIENCE ? SCREEN_KIND_AE :
	    screen_cue_defect(c) ?
	    SCREEN_KIND_COMPLAINT : SCREEN_KIND_CONTEXT;
	h->field = f->field;
	h->counted = f->held == HELD_NO;
	h->cue = screen_data_cues[c];
	h->term = f->term->text;
	h->rule = rule_of(f, r);
	h->start = f->start;
	h->end = f->end;
}

/* Counted flags first, then what scopes held, then exposure context. */
static void
explain(struct screen_result *r)
{
	for (int pass = 0; pass < 3; pass++)
		for (size_t k = 0; k < S.fs.n; k++) {
			int c = S.fs.f[k].term->cue, flags = screen_cue_ae(c) ||
			    screen_cue_defect(c) || c == CUE_EXPERIENCE;
			if ((pass == 0 && flags && S.fs.f[k].held == HELD_NO) ||
			    (pass == 1 && flags && S.fs.f[k].held != HELD_NO) ||
			    (pass == 2 && c == CUE_EXPOSURE && S.fs.f[k].held == HELD_NO))
				hit_add(r, &S.fs.f[k]);
		}
}

/* Evidence (2 a letter only one alphabet has, 1 a common word) one
 * Cyrillic language needs, and how many times the other's, before the
 * other's vocabulary stops applying. */
#define CYR_SURE	2
#define CYR_RATIO	4

/*
 * The language slots whose vocabulary applies: all, except that a text
 * written clearly in Ukrainian or Russian gets its own Cyrillic vocabulary
 * only ("запор*" is not in "Запоріжжя"); a mixed (surzhyk) or unsure
 * text gets both.
 */
static unsigned
langs_for(const struct lang_score *ta, const char *subject)
{
	struct lang_score a = *ta, b;
	const char *pick = NULL;
	unsigned mask = 0, uk, ru;

	lang_detect(subject, &b);
	uk = 2 * (a.uk_letters + b.uk_letters) + a.uk_words + b.uk_words;
	ru = 2 * (a.ru_letters + b.ru_letters) + a.ru_words + b.ru_words;
	if (uk >= CYR_SURE && ru * CYR_RATIO <= uk)
		pick = "uk";
	else if (ru >= CYR_SURE && uk * CYR_RATIO <= ru)
		pick = "ru";
	for (int l = 0; l < S.kb->nlangs; l++)
		if (pick == NULL || S.kb->script[l] != SCREEN_SCRIPT_CYRILLIC ||
		    strcmp(S.kb->code[l], pick) == 0 ||
		    (strcmp(S.kb->code[l], "uk") != 0 && strcmp(S.kb->code[l], "ru") != 0))
			mask |= 1u << l;
	return mask;
}

/*
 * Is TEXT Russian or Ukrainian typed in Latin letters? Mostly Latin
 * letters with at most TRANSLIT_EN common English words ("i" and "a" are
 * Russian words too), and read as Cyrillic, at least TRANSLIT_WORDS common
 * words of those languages, more than the English ones.
 */
#define TRANSLIT_EN	2
#define TRANSLIT_WORDS	2

static unsigned translit_en;

static int
latin_cyrillic(const struct lang_score *a)
{
	translit_en = a->en_words;
	return a->en_words <= TRANSLIT_EN && a->latin > a->cyrillic &&
	    a->cjk * 3 < a->latin;
}

static int
translit_words(const struct screen_doc *d)
{
	struct lang_score a;

	lang_detect(d->norm, &a);
	return a.uk_words + a.ru_words >= TRANSLIT_WORDS &&
	    a.uk_words + a.ru_words > translit_en;
}

/* The slots of Cyrillic vocabularies. */
static unsigned
cyrillic_langs(void)
{
	unsigned mask = 0;

	for (int l = 0; l < S.kb->nlangs; l++)
		if (S.kb->script[l] == SCREEN_SCRIPT_CYRILLIC)
			mask |= 1u << l;
	return mask;
}

static void
screen_field(const char *text, int field, unsigned langs, int translit)
{
	uint8_t scripts[SCREEN_LANGS_MAX] = { 0 };
	size_t from = S.fs.n;

	if (text == NULL || *text == '\0' || S.kb == NULL)
		return;
	for (int l = 0; l < S.kb->nlangs; l++)
		scripts[l] = S.kb->script[l];
	if (translit) {
		/* A Russian reading, else a Ukrainian one ("pislya", "yikh"). */
		if (screen_text_parse_translit(&S.doc, text, strlen(text), scripts,
		    0) == -1 || (!translit_words(&S.doc) &&
		    (screen_text_parse_translit(&S.doc, text, strlen(text), scripts,
		    1) == -1 || !translit_words(&S.doc))))
			return;
		langs = cyrillic_langs();
	} else if (screen_text_parse(&S.doc, text, strlen(text), scripts) == -1)
		return;
	screen_match_all(S.kb, &S.doc, field, langs, translit, &S.fs);
	S.scope.d = &S.doc;
	S.scope.f = S.fs.f;
	S.scope.from = from;
	S.scope.to = S.fs.n;
	screen_scope_apply(&S.scope);
}

/* Add a hit that covers FIELD's whole text. */
static void
model_hit(struct screen_result *r, enum screen_kind kind, const char *subject,
    const char *text, const char *cue)
{
	struct screen_hit *h;
	const char *s = text ? text : subject;

	if (r->nhits == SCREEN_HITS_MAX || s == NULL)
		return;
	h = &r->hits[r->nhits++];
	*h = (struct screen_hit){ (uint8_t)kind, text ? SCREEN_FIELD_TEXT :
	    SCREEN_FIELD_SUBJECT, 1, cue, "", "model", 0, (uint32_t)strlen(s) };
}

/* Did the lexicon see anything of KIND (counted or held by a scope) or
 * any context (exposure, a product, a pack) in the message? */
static int
lexicon_saw(const struct screen_result *r, unsigned kind)
{
	for (size_t i = 0; i < r->nhits; i++)
		if (r->hits[i].kind & (kind | SCREEN_KIND_CONTEXT))
			return 1;
	return 0;
}

/*
 * The statistical second signal (screen_model.h, docs/screening.md): where
 * the lexicon raised no AE or no complaint, a model that is sure enough
 * says "possible", for a person to confirm. It never clears a flag, and it
 * only weighs messages in which the lexicon saw something of the kind or
 * some context: on text with nothing of the domain in it ("when are you
 * open?", "the courier was late again") a classifier trained on a few
 * hundred messages per language is sure for the wrong reasons.
 */
static void
second_signal(const char *subject, const char *text, struct screen_result *r)
{
	float pae, ppqc, pnone;

	if (!screen_model_loaded() || (r->ae != SCREEN_AE_NONE && r->complaint) ||
	    !lexicon_saw(r, SCREEN_KIND_AE | SCREEN_KIND_COMPLAINT) ||
	    screen_model_score(text ? text : subject ? subject : "", &pae,
	    &ppqc, &pnone) == -1)
		return;
	/* each label is scored one against the rest: a label counts only
	 * when the model also finds it likelier than "neither" */
	if (r->ae == SCREEN_AE_NONE && pae >= SCREEN_MODEL_AE_THRESHOLD &&
	    pae > pnone && lexicon_saw(r, SCREEN_KIND_AE)) {
		r->ae = SCREEN_AE_POSSIBLE;
		model_hit(r, SCREEN_KIND_AE, subject, text, "statistical");
	}
	if (!r->complaint && ppqc >= SCREEN_MODEL_COMPLAINT_THRESHOLD &&
	    ppqc > pnone && lexicon_saw(r, SCREEN_KIND_COMPLAINT)) {
		r->complaint = 1;
		model_hit(r, SCREEN_KIND_COMPLAINT, subject, text, "statistical");
	}
}

void
screen_message(const char *subject, const char *text, const char *lang_hint,
    struct screen_result *r)
{
	struct tally t;
	struct lang_score score;
	const char *detected;
	unsigned langs;

	memset(r, 0, sizeof(*r));
	memset(&t, 0, sizeof(t));
	detected = lang_detect(text, &score);
	r->lang = lang_hint ? lang_hint : detected;
	if (r->lang == NULL && subject)
		r->lang = lang_detect(subject, NULL);
	S.fs.n = 0;
	if (S.kb == NULL)
		return;
	langs = langs_for(&score, subject);
	screen_field(subject, SCREEN_FIELD_SUBJECT, langs, 0);
	screen_field(text, SCREEN_FIELD_TEXT, langs, 0);
	if (text && latin_cyrillic(&score))
		screen_field(text, SCREEN_FIELD_TEXT, langs, 1);
	tally(&t);
	r->ae = decide_ae(&t);
	r->complaint = decide_complaint(&t);
	explain(r);
	second_signal(subject, text, r);
}

void
screen_text(const char *text, const char *lang_hint, struct screen_result *r)
{
	screen_message(NULL, text, lang_hint, r);
}

const char *
screen_ae_name(enum screen_ae ae)
{
	return ae == SCREEN_AE_PROBABLE ? "probable" : ae == SCREEN_AE_POSSIBLE ?
	    "possible" : NULL;
}

json_t *
screen_result_json(const struct screen_result *r, const char *text,
    const char *subject)
{
	static const char *const kinds[] = { "", "ae", "complaint", "", "context" };
	json_t *o, *hits = json_array();
	const struct screen_hit *h;
	const char *src;

	for (size_t i = 0; i < r->nhits; i++) {
		h = &r->hits[i];
		src = h->field == SCREEN_FIELD_SUBJECT ? subject : text;
		o = json_pack("{s:s,s:s,s:s,s:s,s:b,s:I,s:I,s:s}", "kind", kinds[h->kind],
		    "cue", h->cue, "term", h->term, "rule", h->rule, "counted", h->counted,
		    "start", (json_int_t)h->start, "end", (json_int_t)h->end,
		    "field", h->field == SCREEN_FIELD_SUBJECT ? "subject" : "text");
		if (o && src && h->end <= strlen(src))
			json_object_set_new(o, "text", json_stringn(src + h->start,
			    h->end - h->start));
		if (o)
			json_array_append_new(hits, o);
	}
	return json_pack("{s:s?,s:b,s:s?,s:o}", "ae", screen_ae_name(r->ae),
	    "complaint", r->complaint, "lang", r->lang, "hits", hits);
}

/* ---- knowledge and configured terms ---- */

static int
add_extras(struct screen_kb *kb, const char **cause)
{
	for (size_t i = 0; i < S.nextra; i++)
		if (screen_data_add_extra(kb, S.extra[i].kind == SCREEN_KIND_AE ?
		    CUE_SYMPTOM : CUE_DEFECT, S.extra[i].term, cause) == -1)
			return -1;
	if (screen_data_index(kb) == -1) {
		*cause = "out of memory";
		return -1;
	}
	return 0;
}

/* The model beside the knowledge files goes with them: a folder without
 * one screens with the lexicon alone; one that does not load is an error
 * (and the model in force stays). */
static int
model_load(const char *dir, const char **cause)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, SCREEN_MODEL_FILE);
	if (access(path, R_OK) != 0) {
		screen_model_free();
		return 0;
	}
	return screen_model_load(path, cause);
}

int
screen_load(const char *dir, const char **cause)
{
	struct screen_kb *kb;

	if (screen_text_init(cause) == -1)
		return -1;
	if (screen_data_load(dir, &kb, cause) == -1) {
		/* The slots were declared for the failed set: declare ours. */
		for (int l = 0; S.kb && l < S.kb->nlangs; l++)
			screen_text_lang(l, S.kb->code[l]);
		return -1;
	}
	if (add_extras(kb, cause) == -1 || model_load(dir, cause) == -1) {
		screen_data_free(kb);
		return -1;
	}
	screen_data_free(S.kb);
	S.kb = kb;
	return 0;
}

int
screen_loaded(void)
{
	return S.kb != NULL;
}

static int
on_section(const char *name, const char *key, const char *value,
    const char **cause)
{
	enum screen_kind kind;
	char *copy, *p, *tok;
	int rc = 0;

	if (strcmp(name, "ae") == 0)
		kind = SCREEN_KIND_AE;
	else if (strcmp(name, "complaint") == 0)
		kind = SCREEN_KIND_COMPLAINT;
	else {
		*cause = "lexicon sections are [lexicon ae] and [lexicon complaint]";
		return -1;
	}
	(void)key;		/* any key (en, uk, terms, ...) holds terms */
	if ((copy = strdup(value)) == NULL) {
		*cause = "out of memory";
		return -1;
	}
	for (p = copy; rc == 0 && (tok = strsep(&p, ",")) != NULL;) {
		while (*tok == ' ' || *tok == '\t')
			tok++;
		for (char *e = tok + strlen(tok); e > tok && (e[-1] == ' ' ||
		    e[-1] == '\t'); e--)
			e[-1] = '\0';
		if (*tok != '\0')
			rc = screen_extra_add(kind, tok, cause);
	}
	free(copy);
	return rc;
}

void
screen_config(void)
{
	config_section_hook("lexicon", on_section);
}

int
screen_extra_add(enum screen_kind kind, const char *term, const char **cause)
{
	char *t;

	if (*term == '\0') {
		*cause = "empty term";
		return -1;
	}
	if (strlen(term) > 64) {
		*cause = "term longer than 64 bytes";
		return -1;
	}
	if (S.npend == SCREEN_EXTRA_MAX) {
		*cause = "more than 256 lexicon terms";
		return -1;
	}
	if ((t = strdup(term)) == NULL) {
		*cause = "out of memory";
		return -1;
	}
	S.pend[S.npend].kind = (uint8_t)kind;
	S.pend[S.npend++].term = t;
	return 0;
}

static void
extras_drop(void)
{
	for (size_t i = 0; i < S.nextra; i++)
		free(S.extra[i].term);
	S.nextra = 0;
}

void
screen_commit(void)
{
	const char *cause;

	extras_drop();
	memcpy(S.extra, S.pend, S.npend * sizeof(S.pend[0]));
	S.nextra = S.npend;
	S.npend = 0;
	if (S.kb) {
		screen_data_drop_extra(S.kb);
		if (add_extras(S.kb, &cause) == -1) {
			screen_data_drop_extra(S.kb);
			screen_data_index(S.kb);
		}
	}
}

void
screen_free(void)
{
	extras_drop();
	for (size_t i = 0; i < S.npend; i++)
		free(S.pend[i].term);
	S.npend = 0;
	screen_data_free(S.kb);
	S.kb = NULL;
	free(S.fs.f);
	memset(&S.fs, 0, sizeof(S.fs));
	screen_scope_free(&S.scope);
	screen_text_free(&S.doc);
	screen_text_free(NULL);
	screen_model_free();
}
