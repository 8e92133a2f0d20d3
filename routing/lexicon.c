/* lexicon: see lexicon.h. */
#include <stdlib.h>
#include <string.h>

#include "routing/lang.h"
#include "routing/lexicon.h"
#include "server/core/config.h"

struct term {
	enum lexicon_kind kind;
	const char *text;		/* lower-case UTF-8 */
};

/* Stems where a word has many endings; whole phrases otherwise. */
static const struct term builtin[] = {
	/* English: adverse events */
	{ LEXICON_AE, "side effect" }, { LEXICON_AE, "side-effect" },
	{ LEXICON_AE, "adverse" }, { LEXICON_AE, "reaction" },
	{ LEXICON_AE, "rash" }, { LEXICON_AE, "hospitalis" },
	{ LEXICON_AE, "hospitaliz" }, { LEXICON_AE, "hospital" },
	{ LEXICON_AE, "allerg" }, { LEXICON_AE, "swelling" },
	{ LEXICON_AE, "vomit" }, { LEXICON_AE, "nause" },
	{ LEXICON_AE, "dizz" }, { LEXICON_AE, "faint" },
	{ LEXICON_AE, "overdose" }, { LEXICON_AE, "died" },
	{ LEXICON_AE, "death" }, { LEXICON_AE, "pregnan" },
	{ LEXICON_AE, "anaphyla" }, { LEXICON_AE, "seizure" },
	/* Ukrainian */
	{ LEXICON_AE, "побічн" }, { LEXICON_AE, "висип" },
	{ LEXICON_AE, "алергі" }, { LEXICON_AE, "госпіталіз" },
	{ LEXICON_AE, "лікарн" }, { LEXICON_AE, "набряк" },
	{ LEXICON_AE, "нудот" }, { LEXICON_AE, "блюван" },
	{ LEXICON_AE, "запаморочен" }, { LEXICON_AE, "реакці" },
	{ LEXICON_AE, "передозуван" }, { LEXICON_AE, "вагітн" },
	{ LEXICON_AE, "помер" },
	/* Russian */
	{ LEXICON_AE, "побочн" }, { LEXICON_AE, "сыпь" },
	{ LEXICON_AE, "аллерги" }, { LEXICON_AE, "госпитализ" },
	{ LEXICON_AE, "больниц" }, { LEXICON_AE, "отек" },
	{ LEXICON_AE, "отёк" }, { LEXICON_AE, "тошнот" },
	{ LEXICON_AE, "рвот" }, { LEXICON_AE, "головокружен" },
	{ LEXICON_AE, "реакци" }, { LEXICON_AE, "передозировк" },
	{ LEXICON_AE, "беремен" }, { LEXICON_AE, "умер" },
	/* Chinese */
	{ LEXICON_AE, "不良反应" }, { LEXICON_AE, "副作用" },
	{ LEXICON_AE, "皮疹" }, { LEXICON_AE, "过敏" },
	{ LEXICON_AE, "住院" }, { LEXICON_AE, "恶心" },
	{ LEXICON_AE, "呕吐" }, { LEXICON_AE, "头晕" },
	{ LEXICON_AE, "过量" }, { LEXICON_AE, "死亡" },
	/* English: product complaints */
	{ LEXICON_COMPLAINT, "broken" }, { LEXICON_COMPLAINT, "damaged" },
	{ LEXICON_COMPLAINT, "wrong colour" }, { LEXICON_COMPLAINT, "wrong color" },
	{ LEXICON_COMPLAINT, "lot number" }, { LEXICON_COMPLAINT, "lot no" },
	{ LEXICON_COMPLAINT, "batch" }, { LEXICON_COMPLAINT, "defect" },
	{ LEXICON_COMPLAINT, "leak" }, { LEXICON_COMPLAINT, "crack" },
	{ LEXICON_COMPLAINT, "missing tablet" }, { LEXICON_COMPLAINT, "contaminat" },
	{ LEXICON_COMPLAINT, "counterfeit" }, { LEXICON_COMPLAINT, "expired" },
	{ LEXICON_COMPLAINT, "smell" }, { LEXICON_COMPLAINT, "particle" },
	/* Ukrainian */
	{ LEXICON_COMPLAINT, "пошкоджен" }, { LEXICON_COMPLAINT, "брак" },
	{ LEXICON_COMPLAINT, "зламан" }, { LEXICON_COMPLAINT, "розбит" },
	{ LEXICON_COMPLAINT, "серія" }, { LEXICON_COMPLAINT, "серії" },
	{ LEXICON_COMPLAINT, "інший колір" }, { LEXICON_COMPLAINT, "неправильн" },
	{ LEXICON_COMPLAINT, "протікає" }, { LEXICON_COMPLAINT, "підробк" },
	{ LEXICON_COMPLAINT, "запах" }, { LEXICON_COMPLAINT, "дефект" },
	/* Russian */
	{ LEXICON_COMPLAINT, "поврежден" }, { LEXICON_COMPLAINT, "сломан" },
	{ LEXICON_COMPLAINT, "разбит" }, { LEXICON_COMPLAINT, "серия" },
	{ LEXICON_COMPLAINT, "другой цвет" }, { LEXICON_COMPLAINT, "протекает" },
	{ LEXICON_COMPLAINT, "подделк" }, { LEXICON_COMPLAINT, "партия" },
	{ LEXICON_COMPLAINT, "партии" },
	/* Chinese */
	{ LEXICON_COMPLAINT, "破损" }, { LEXICON_COMPLAINT, "损坏" },
	{ LEXICON_COMPLAINT, "批号" }, { LEXICON_COMPLAINT, "质量问题" },
	{ LEXICON_COMPLAINT, "颜色不对" }, { LEXICON_COMPLAINT, "假药" },
	{ LEXICON_COMPLAINT, "漏" }, { LEXICON_COMPLAINT, "异物" },
};
#define NBUILTIN (sizeof(builtin) / sizeof(builtin[0]))

/* Terms from the configuration in force, and those a load is reading. */
static struct term extra[LEXICON_EXTRA_MAX], pend[LEXICON_EXTRA_MAX];
static size_t nextra, npend;
static char folded[LEXICON_TEXT_MAX + 1];

static int
on_section(const char *name, const char *key, const char *value,
    const char **cause)
{
	enum lexicon_kind kind;
	char *copy, *p, *tok;
	int rc = 0;

	if (strcmp(name, "ae") == 0)
		kind = LEXICON_AE;
	else if (strcmp(name, "complaint") == 0)
		kind = LEXICON_COMPLAINT;
	else {
		*cause = "lexicon sections are [lexicon ae] and [lexicon complaint]";
		return -1;
	}
	/* Any key (en, uk, terms, ...) holds a comma list of terms. */
	(void)key;
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
			rc = lexicon_add(kind, tok, cause);
	}
	free(copy);
	return rc;
}

void
lexicon_config(void)
{
	config_section_hook("lexicon", on_section);
}

int
lexicon_add(enum lexicon_kind kind, const char *term, const char **cause)
{
	char low[LEXICON_TERM_MAX + 1];
	char *t;

	if (*term == '\0') {
		*cause = "empty term";
		return -1;
	}
	if (strlen(term) > LEXICON_TERM_MAX) {
		*cause = "term longer than 64 bytes";
		return -1;
	}
	lang_fold(term, low, sizeof(low));
	for (size_t i = 0; i < npend; i++)
		if (pend[i].kind == kind && strcmp(pend[i].text, low) == 0)
			return 0;
	if (npend == LEXICON_EXTRA_MAX) {
		*cause = "more than 256 lexicon terms";
		return -1;
	}
	if ((t = strdup(low)) == NULL) {
		*cause = "out of memory";
		return -1;
	}
	pend[npend].kind = kind;
	pend[npend++].text = t;
	return 0;
}

static void
drop(struct term *list, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		free((char *)list[i].text);
	*n = 0;
}

void
lexicon_commit(void)
{
	drop(extra, &nextra);
	memcpy(extra, pend, npend * sizeof(pend[0]));
	nextra = npend;
	npend = 0;
}

void
lexicon_free(void)
{
	drop(extra, &nextra);
	drop(pend, &npend);
}

int
lexicon_occurs(const char *text, const char *term)
{
	const char *at = text, *prev;
	uint32_t first, before;

	prev = term;
	first = lang_utf8_next(&prev);
	while ((at = strstr(at, term)) != NULL) {
		if (first >= 0x2e80 || at == text)
			return 1;
		/* Step back to the code point before the match. */
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

static void
hit(const struct term *t, struct lexicon_hits *h)
{
	if (!lexicon_occurs(folded, t->text))
		return;
	if (t->kind == LEXICON_AE && h->ae_term == NULL)
		h->ae_term = t->text;
	if (t->kind == LEXICON_COMPLAINT && h->complaint_term == NULL)
		h->complaint_term = t->text;
	h->kinds |= t->kind;
}

unsigned
lexicon_scan(const char *text, struct lexicon_hits *hits)
{
	memset(hits, 0, sizeof(*hits));
	if (text == NULL || *text == '\0')
		return 0;
	lang_fold(text, folded, sizeof(folded));
	for (size_t i = 0; i < NBUILTIN; i++)
		hit(&builtin[i], hits);
	for (size_t i = 0; i < nextra; i++)
		hit(&extra[i], hits);
	return hits->kinds;
}
