/* lang: see lang.h. */
#include <string.h>

#include "routing/lang.h"

/* Below this many letters a text says nothing reliable about its language. */
#define LANG_MIN_LETTERS	3
/* Words longer than this are not common words: skip them cheaply. */
#define LANG_WORD_MAX		32

static const char *const uk_common[] = {
	"і", "та", "що", "це", "як", "не", "мені", "будь", "ласка", "дякую",
	"привіт", "добрий", "день", "для", "від", "або", "який", "яка", "чи",
	"вже", "після", "мій", "моя", "ліки", NULL
};
static const char *const ru_common[] = {
	"и", "что", "это", "как", "не", "мне", "пожалуйста", "спасибо",
	"привет", "добрый", "день", "для", "от", "или", "какой", "какая", "ли",
	"уже", "после", "мой", "моя", "лекарство", "здравствуйте", NULL
};
static const char *const en_common[] = {
	"the", "and", "is", "to", "of", "my", "i", "a", "please", "hello",
	"thank", "thanks", "you", "for", "with", "after", "this", "it", "was",
	"have", NULL
};

uint32_t
lang_utf8_next(const char **s)
{
	const unsigned char *p = (const unsigned char *)*s;
	uint32_t cp;
	int n;

	if (*p == 0)
		return 0;
	if (*p < 0x80) {
		(*s)++;
		return *p;
	}
	if ((*p & 0xe0) == 0xc0) {
		cp = *p & 0x1f;
		n = 1;
	} else if ((*p & 0xf0) == 0xe0) {
		cp = *p & 0x0f;
		n = 2;
	} else if ((*p & 0xf8) == 0xf0) {
		cp = *p & 0x07;
		n = 3;
	} else {
		(*s)++;
		return 0xfffd;
	}
	for (int i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80) {
			(*s)++;
			return 0xfffd;
		}
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	*s += n + 1;
	return cp;
}

static uint32_t
lang_fold_cp(uint32_t cp)
{
	if (cp >= 'A' && cp <= 'Z')
		return cp + 0x20;
	if (cp >= 0xc0 && cp <= 0xde && cp != 0xd7)
		return cp + 0x20;
	if (cp >= 0x410 && cp <= 0x42f)		/* А..Я */
		return cp + 0x20;
	if (cp >= 0x400 && cp <= 0x40f)		/* Ѐ..Џ: Є І Ї Ё */
		return cp + 0x50;
	if (cp == 0x490)			/* Ґ */
		return 0x491;
	return cp;
}

static size_t
put_utf8(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

size_t
lang_fold(const char *text, char *out, size_t outlen)
{
	char buf[4];
	size_t len = 0, n;
	uint32_t cp;

	if (outlen == 0)
		return 0;
	while (text && (cp = lang_utf8_next(&text)) != 0) {
		n = put_utf8(lang_fold_cp(cp), buf);
		if (len + n >= outlen)
			break;
		memcpy(out + len, buf, n);
		len += n;
	}
	out[len] = '\0';
	return len;
}

static int
is_cjk(uint32_t cp)
{
	return (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf) ||
	    (cp >= 0xf900 && cp <= 0xfaff);
}

static int
is_latin(uint32_t cp)
{
	return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
	    (cp >= 0xc0 && cp <= 0x24f && cp != 0xd7 && cp != 0xf7);
}

static int
is_cyrillic(uint32_t cp)
{
	return cp >= 0x400 && cp <= 0x4ff;
}

int
lang_is_wordchar(uint32_t cp)
{
	return is_latin(cp) || is_cyrillic(cp) || is_cjk(cp) ||
	    (cp >= '0' && cp <= '9') || cp == '\'' || cp == 0x2bc;
}

static int
in_list(const char *const *list, const char *w)
{
	for (; *list; list++)
		if (strcmp(*list, w) == 0)
			return 1;
	return 0;
}

static void
count_word(const char *w, struct lang_score *sc)
{
	if (in_list(uk_common, w))
		sc->uk_words++;
	if (in_list(ru_common, w))
		sc->ru_words++;
	if (in_list(en_common, w))
		sc->en_words++;
}

static void
count_letter(uint32_t cp, struct lang_score *sc)
{
	cp = lang_fold_cp(cp);
	if (is_cjk(cp))
		sc->cjk++;
	else if (is_cyrillic(cp)) {
		sc->cyrillic++;
		if (cp == 0x456 || cp == 0x457 || cp == 0x454 || cp == 0x491)
			sc->uk_letters++;
		else if (cp == 0x44b || cp == 0x44d || cp == 0x44a || cp == 0x451)
			sc->ru_letters++;
	} else if (is_latin(cp))
		sc->latin++;
}

/* One pass: letters by script, and whole words looked up in the lists. */
static void
score(const char *text, struct lang_score *sc)
{
	char word[LANG_WORD_MAX * 4 + 1];
	size_t wl = 0;
	int toolong = 0;
	uint32_t cp;

	do {
		cp = lang_utf8_next(&text);
		if (cp != 0 && lang_is_wordchar(cp) && !is_cjk(cp)) {
			count_letter(cp, sc);
			if (wl + 4 < sizeof(word))
				wl += put_utf8(lang_fold_cp(cp), word + wl);
			else
				toolong = 1;
			continue;
		}
		if (cp != 0)
			count_letter(cp, sc);
		if (wl > 0 && !toolong) {
			word[wl] = '\0';
			count_word(word, sc);
		}
		wl = 0;
		toolong = 0;
	} while (cp != 0);
}

static const char *
pick_cyrillic(const struct lang_score *sc)
{
	int uk = (int)(2 * sc->uk_letters + sc->uk_words);
	int ru = (int)(2 * sc->ru_letters + sc->ru_words);

	return ru > uk ? "ru" : "uk";
}

const char *
lang_detect(const char *text, struct lang_score *why)
{
	struct lang_score sc;
	unsigned letters;

	memset(&sc, 0, sizeof(sc));
	if (text)
		score(text, &sc);
	if (why)
		*why = sc;
	letters = sc.latin + sc.cyrillic + sc.cjk;
	if (letters < LANG_MIN_LETTERS && sc.cjk == 0)
		return NULL;
	/* A Han character carries a word's worth: weigh it so. */
	if (sc.cjk * 3 >= sc.latin && sc.cjk * 3 >= sc.cyrillic)
		return "zh";
	if (sc.cyrillic >= sc.latin)
		return pick_cyrillic(&sc);
	return "en";
}
