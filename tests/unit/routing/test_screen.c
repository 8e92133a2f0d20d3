/* Unit tests for routing/screen.c, screen_text.c and screen_data.c: the
 * rules on short texts in every language, offsets, the data files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

#include "routing/screen.h"
#include "routing/screen_dirs.h"
#include "routing/screen_model.h"
#include "routing/screen_text.h"

static int
setup(void **state)
{
	const char *cause = NULL;

	if (screen_load(screen_default_dir(), &cause) == -1) {
		print_message("screening data: %s\n", cause);
		return -1;
	}
	/* the lexicon's rules alone; test_second_signal has the model */
	screen_model_free();
	return 0;
}

static int
teardown(void **state)
{
	screen_free();
	return 0;
}

static enum screen_ae
ae(const char *text)
{
	struct screen_result r;

	screen_text(text, NULL, &r);
	return r.ae;
}

static int
pqc(const char *text)
{
	struct screen_result r;

	screen_text(text, NULL, &r);
	return r.complaint;
}

static void
test_symptoms(void **state)
{
	assert_int_equal(ae("I got a rash after the second tablet"), SCREEN_AE_PROBABLE);
	assert_int_not_equal(ae("Since I started Zenol my heart is racing at night"), SCREEN_AE_NONE);
	assert_int_not_equal(ae("Після уколу в мене сильно паморочиться голова"), SCREEN_AE_NONE);
	assert_int_not_equal(ae("После таблеток меня тошнит и болит живот"), SCREEN_AE_NONE);
	assert_int_not_equal(ae("吃了这个药以后我一直拉肚子"), SCREEN_AE_NONE);
	assert_int_equal(ae("Where can I buy it?"), SCREEN_AE_NONE);
	assert_int_equal(ae("Thank you for the quick delivery"), SCREEN_AE_NONE);
}

static void
test_misspellings(void **state)
{
	assert_int_not_equal(ae("after the pills i had diarhea and felt dizzyness"), SCREEN_AE_NONE);
	assert_int_not_equal(ae("my son was vomitting all nite after the syrup"), SCREEN_AE_NONE);
}

static void
test_denial(void **state)
{
	assert_int_equal(ae("I have taken it for a year with no side effects at all."), SCREEN_AE_NONE);
	assert_int_equal(ae("No rash, itching or swelling after the injection."), SCREEN_AE_NONE);
	assert_int_equal(ae("Жодних побічних ефектів не було, дякую."), SCREEN_AE_NONE);
	assert_int_equal(ae("Никаких побочных эффектов нет."), SCREEN_AE_NONE);
	assert_int_equal(ae("用药以后没有任何不良反应。"), SCREEN_AE_NONE);
	/* A "but" ends the denial. */
	assert_int_not_equal(ae("No side effects at first, but now I feel dizzy after each dose."),
	    SCREEN_AE_NONE);
	/* A denial inside the symptom is the symptom. */
	assert_int_not_equal(ae("After the injection he couldn't breathe."), SCREEN_AE_NONE);
}

static void
test_question(void **state)
{
	assert_int_equal(ae("Can Zenol cause dizziness?"), SCREEN_AE_NONE);
	assert_int_equal(ae("What are the side effects of Zenol?"), SCREEN_AE_NONE);
	assert_int_equal(ae("What should I do if I get a rash?"), SCREEN_AE_NONE);
	assert_int_equal(ae("Чи може цей препарат викликати нудоту?"), SCREEN_AE_NONE);
	assert_int_equal(ae("Может ли препарат вызывать головную боль?"), SCREEN_AE_NONE);
	assert_int_equal(ae("这个药会不会引起头晕？"), SCREEN_AE_NONE);
	/* A question that carries a report is a report. */
	assert_int_not_equal(ae("Is it normal that I've had headaches since starting Zenol?"),
	    SCREEN_AE_NONE);
}

static void
test_third_party_and_buried(void **state)
{
	assert_int_not_equal(ae("My patient developed hives two days after the infusion."),
	    SCREEN_AE_NONE);
	assert_int_not_equal(ae("Please send 20 boxes of Zenol 5 mg to the usual address. "
	    "By the way, Mrs K. was admitted to hospital after her last dose."), SCREEN_AE_NONE);
	assert_int_equal(ae("Please send 20 boxes of Zenol 5 mg to the usual address."),
	    SCREEN_AE_NONE);
}

static void
test_special_situations(void **state)
{
	assert_int_not_equal(ae("My toddler swallowed several of my tablets."), SCREEN_AE_NONE);
	assert_int_not_equal(ae("The pharmacy gave me 50 mg instead of 5 mg and I took it."),
	    SCREEN_AE_NONE);
	assert_int_not_equal(ae("I took Zenol for two weeks before I found out I was pregnant."),
	    SCREEN_AE_NONE);
}

static void
test_complaints(void **state)
{
	assert_true(pqc("Several tablets in the blister were cracked."));
	assert_true(pqc("The leaflet was missing from the box."));
	assert_true(pqc("Таблетки змінили колір і кришаться."));
	assert_true(pqc("В упаковке не хватает двух таблеток."));
	assert_true(pqc("药片颜色发黄，有的已经碎了。"));
	assert_false(pqc("The parcel arrived two days late."));
	assert_false(pqc("You sent it to the wrong address."));
}

static void
test_chinese_segmentation(void **state)
{
	struct screen_doc d;
	const char *cause;
	const char *text = "服药后出现皮疹和头晕";
	uint8_t scripts[SCREEN_LANGS_MAX] = { SCREEN_SCRIPT_HAN };

	memset(&d, 0, sizeof(d));
	assert_int_equal(screen_text_init(&cause), 0);
	assert_int_equal(screen_text_parse(&d, text, strlen(text), scripts), 0);
	/* Dictionary words, not single characters nor the whole sentence. */
	assert_true(d.ntok >= 4 && d.ntok < 10);

	assert_int_equal(d.tok[0].start, 0);
	assert_int_equal(d.tok[d.ntok - 1].end, strlen(text));
	screen_text_free(&d);
}

static void
test_offsets(void **state)
{
	const char *text = "Hello.\nAfter the JAB my arm went NUMB.";
	struct screen_result r;
	int found = 0;
	json_t *j;

	screen_text(text, NULL, &r);
	assert_int_not_equal(r.ae, SCREEN_AE_NONE);
	for (size_t i = 0; i < r.nhits; i++)
		if (strcmp(r.hits[i].cue, "symptom") == 0 &&
		    r.hits[i].end - r.hits[i].start == 4 &&
		    memcmp(text + r.hits[i].start, "NUMB", 4) == 0)
			found = 1;
	assert_true(found);
	/* Offsets count bytes of the original, whatever folding did. */
	text = "Ｉ ＨＡＤ A RASH: висип після уколу";
	screen_text(text, NULL, &r);
	for (size_t i = 0; i < r.nhits; i++)
		assert_true(r.hits[i].end <= strlen(text));
	j = screen_result_json(&r, text, NULL);
	assert_non_null(json_object_get(j, "hits"));
	assert_string_equal(json_string_value(json_object_get(j, "ae")), "probable");
	json_decref(j);
}

static char dir[64];

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
test_bad_file(void **state)
{
	char path[128];
	const char *cause = NULL;

	snprintf(dir, sizeof(dir), "/tmp/rxscreenXXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/en", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/en/symptoms.txt", dir);
	write_file(path, "# fine\n[symptom]\nrash\n[no-such-cue]\nitch\n");
	assert_int_equal(screen_load(dir, &cause), -1);
	assert_non_null(strstr(cause, "symptoms.txt:4: unknown cue"));
	/* The knowledge in force stays. */
	assert_int_not_equal(ae("I got a rash after the injection"), SCREEN_AE_NONE);
	write_file(path, "rash\n");
	assert_int_equal(screen_load(dir, &cause), -1);
	assert_non_null(strstr(cause, ":1: a term before any [cue] header"));
	write_file(path, "[symptom]\nwobbl*\n");
	assert_int_equal(screen_load(dir, &cause), 0);
	assert_int_equal(ae("I got a rash after the injection"), SCREEN_AE_NONE);
	assert_int_not_equal(ae("I feel wobbly"), SCREEN_AE_NONE);
	unlink(path);
	snprintf(path, sizeof(path), "%s/en", dir);
	rmdir(path);
	rmdir(dir);
	assert_int_equal(screen_load(dir, &cause), -1);
	assert_int_equal(screen_load(screen_default_dir(), &cause), 0);
	screen_model_free();
}

/*
 * The engine's rules on a small vocabulary of their own, so that they
 * hold whatever the language files say: each test loads it, checks, and
 * puts the real knowledge back.
 */
static const char tiny_en[] =
    "[symptom]\nmigrain*\nvomit*\nrash*\nitch*\nheadache\nnumbness\n[generic]\nside effect*\n"
    "[inefficacy]\neffect*\n[negation]\nno\nnot\nwithout\n[indication]\nfor\n"
    "[question]\nasking\ncan .. cause\n[exposure]\ntook\n[report]\nis it normal\n"
    "[list]\nand\nor\n[history]\nhistory of\n[history_after]\nfor years\n"
    "[not_yet]\nnot started .. yet\n[improvement]\nis gone\n"
    "[not_negation]\nnot sure\nno {n}\n[experience]\nsince i started .. i\n"
    "[error]\ntook {n} instead of {n}\n[lab]\nglucose {n>13}\n{n>169}/{n>99}\n"
    "[defect_pack]\ntorn\n[pack]\nbox\n[delivery]\ncourier's box\n";
static const char tiny_zh[] =
    "[symptom]\n痛\n金属味\n苦\n掉头发\n[question]\n什么\n吗\n[exposure]\n吃\n"
    "[hypothetical]\n担心会\n[negation]\n没\n[not_negation]\n没想到\n";

static char tiny[64];

/* Load a tiny vocabulary: pairs of a language folder and its one file,
 * NULL-terminated (en and zh above when none are given). */
static void
tiny_load_langs(const char *const *files)
{
	static const char *const dflt[] = { "en", tiny_en, "zh", tiny_zh, NULL };
	char path[128];
	const char *cause = NULL;

	if (files == NULL)
		files = dflt;
	snprintf(tiny, sizeof(tiny), "/tmp/rxscreenXXXXXX");
	assert_non_null(mkdtemp(tiny));
	for (int i = 0; files[i]; i += 2) {
		snprintf(path, sizeof(path), "%s/%s", tiny, files[i]);
		assert_int_equal(mkdir(path, 0700), 0);
		snprintf(path, sizeof(path), "%s/%s/t.txt", tiny, files[i]);
		write_file(path, files[i + 1]);
	}
	assert_int_equal(screen_load(tiny, &cause), 0);
}

static void
tiny_load(void)
{
	tiny_load_langs(NULL);
}

static void
tiny_drop(void)
{
	const char *const langs[] = { "en", "zh", "uk", "ru", NULL };
	char path[128];
	const char *cause;

	for (int i = 0; langs[i]; i++) {
		snprintf(path, sizeof(path), "%s/%s/t.txt", tiny, langs[i]);
		remove(path);
		snprintf(path, sizeof(path), "%s/%s", tiny, langs[i]);
		remove(path);
	}
	remove(tiny);
	assert_int_equal(screen_load(screen_default_dir(), &cause), 0);
	screen_model_free();
}

/* The rule of the first hit of cue CUE, or "" when there is none. */
static const char *
rule_for(const char *text, const char *cue)
{
	static struct screen_result r;

	screen_text(text, NULL, &r);
	for (size_t i = 0; i < r.nhits; i++)
		if (strcmp(r.hits[i].cue, cue) == 0)
			return r.hits[i].rule;
	return "";
}

static void
test_rule_indication(void **state)
{
	tiny_load();
	assert_string_equal(rule_for("I take it for my migraines.", "symptom"),
	    "indication");
	/* A list after it is the condition too; a special situation is not. */
	assert_int_equal(ae("Prescribed for migraine and rash."), SCREEN_AE_NONE);
	assert_int_not_equal(ae("Took it for migraine, effect nil."), SCREEN_AE_NONE);
	/* What follows the condition is not held. */
	assert_int_not_equal(ae("Took it for migraine vomiting all night."),
	    SCREEN_AE_NONE);
	tiny_drop();
}

static void
test_rule_negation(void **state)
{
	tiny_load();
	assert_int_equal(ae("No rash, itching or vomiting."), SCREEN_AE_NONE);
	/* A negation does not deny an inefficacy, except "no side effects". */
	assert_string_equal(rule_for("It did not have any effect.", "inefficacy"),
	    "inefficacy despite negation");
	assert_int_equal(ae("No side effects."), SCREEN_AE_NONE);
	/* A comma continues a denial only after something it denied. */
	assert_int_not_equal(ae("Two days without the dose, vomiting."), SCREEN_AE_NONE);
	tiny_drop();
}

static void
test_rule_question(void **state)
{
	tiny_load();
	assert_int_equal(ae("Can it cause a rash?"), SCREEN_AE_NONE);
	assert_int_equal(ae("Caller asking about rash and itching."), SCREEN_AE_NONE);
	assert_int_not_equal(ae("Is it normal to get a rash since I took it?"),
	    SCREEN_AE_NONE);
	/* What was told before the question word is not asked. */
	assert_int_not_equal(ae("吃了药嘴里一股金属味，吃什么都是苦的"), SCREEN_AE_NONE);
	assert_int_equal(ae("吃这个药会头痛吗"), SCREEN_AE_NONE);
	tiny_drop();
}

static void
test_rule_han_word(void **state)
{
	tiny_load();
	assert_int_not_equal(ae("吃药以后头很痛。"), SCREEN_AE_NONE);
	assert_int_equal(ae("今天玩得很痛快。"), SCREEN_AE_NONE);
	assert_string_equal(rule_for("今天玩得很痛快。", "symptom"), "inside a word");
	tiny_drop();
}

static void
test_rule_misspelling(void **state)
{
	tiny_load();
	assert_string_equal(rule_for("I took it and had a headace.", "symptom"),
	    "misspelling+exposure");
	assert_int_not_equal(ae("a bad headacke"), SCREEN_AE_NONE);
	/* A word the word list knows is not a misspelling. */
	assert_int_equal(ae("Account numbers 88120 and 88121."), SCREEN_AE_NONE);
	tiny_drop();
}

static void
test_rule_history(void **state)
{
	tiny_load();
	assert_string_equal(rule_for("I have a history of migraines.", "symptom"),
	    "history");
	assert_string_equal(rule_for("Migraines for years, nothing helps.", "symptom"),
	    "history");
	/* Not what an exposure before it brought on. */
	assert_int_not_equal(ae("I took it, now a history of rash."), SCREEN_AE_NONE);
	/* Not started yet: the whole text is what the writer fears. */
	assert_int_equal(ae("Have not started it yet. Rash? Vomiting? Headache?"),
	    SCREEN_AE_NONE);
	assert_string_equal(rule_for("Have not started it yet. Will I get a rash",
	    "symptom"), "not started yet");
	/* What got better was what it treats. */
	assert_string_equal(rule_for("My migraine is gone.", "symptom"), "improvement");
	tiny_drop();
}

static void
test_rule_experience(void **state)
{
	tiny_load();
	/* An experience after the product without a known symptom word. */
	assert_int_equal(ae("Since I started Zenol I just cannot cope."),
	    SCREEN_AE_POSSIBLE);
	assert_string_equal(rule_for("Since I started Zenol I am not myself.",
	    "experience"), "experience");
	assert_int_equal(ae("Can I drink since I started it, I wonder?"), SCREEN_AE_NONE);
	tiny_drop();
}

static void
test_rule_numbers(void **state)
{
	tiny_load();
	assert_int_not_equal(ae("I took 2 instead of 1."), SCREEN_AE_NONE);
	assert_int_equal(ae("I took 2 as prescribed."), SCREEN_AE_NONE);
	assert_int_not_equal(ae("Glucose 19.8 this morning"), SCREEN_AE_NONE);
	assert_int_not_equal(ae("Glucose 19,8 this morning"), SCREEN_AE_NONE);
	assert_int_equal(ae("Glucose 5.2 this morning"), SCREEN_AE_NONE);
	assert_int_not_equal(ae("It was 190/110 today"), SCREEN_AE_NONE);
	assert_int_equal(ae("It was 120/80 today"), SCREEN_AE_NONE);
	assert_int_equal(ae("It was 190 110 today"), SCREEN_AE_NONE);
	/* "no 28" and "№28" are numbers, not denials. */
	assert_int_not_equal(ae("Pack no 28 rash all over"), SCREEN_AE_NONE);
	assert_int_not_equal(ae("Pack №28 rash all over"), SCREEN_AE_NONE);
	tiny_drop();
}

static void
test_rule_product_name(void **state)
{
	tiny_load();
	/* A capitalised word no word list knows, not first in its sentence,
	 * or one a dose follows, is a product, not a symptom. */
	assert_string_equal(rule_for("He takes Vomitex daily.", "symptom"), "product name");
	assert_int_equal(ae("I take Rashonil 5 mg daily."), SCREEN_AE_NONE);
	assert_int_not_equal(ae("Rashes all over since I took it."), SCREEN_AE_NONE);
	assert_int_not_equal(ae("He took it and had a Rash."), SCREEN_AE_NONE);
	tiny_drop();
}

static void
test_rule_delivery(void **state)
{
	tiny_load();
	/* The courier's box is not the product's pack. */
	assert_int_equal(pqc("The courier's box was torn, the blisters are fine."), 0);
	assert_string_equal(rule_for("The courier's box was torn.", "defect_pack"),
	    "delivery");
	assert_int_equal(pqc("The box was torn."), 1);
	tiny_drop();
}

static void
test_rule_not_negation(void **state)
{
	tiny_load();
	assert_int_not_equal(ae("Not sure what this rash is."), SCREEN_AE_NONE);
	assert_int_not_equal(ae("没想到吃药以后头很痛。"), SCREEN_AE_NONE);
	/* A comma continues a denial into a list, not into a new clause. */
	assert_int_equal(ae("No vomiting, rash or itching."), SCREEN_AE_NONE);
	assert_int_not_equal(ae("No rash, vomiting came back."), SCREEN_AE_NONE);
	tiny_drop();
}

static void
test_rule_han_scopes(void **state)
{
	tiny_load();
	/* A scope word inside an ICU word (会掉) still reaches what follows. */
	assert_int_equal(ae("我担心会掉头发。"), SCREEN_AE_NONE);
	/* A question word that ends the last clause asks that clause only. */
	assert_int_not_equal(ae("吃药以后头很痛，会好吗"), SCREEN_AE_NONE);
	assert_int_equal(ae("吃这个药会头痛吗"), SCREEN_AE_NONE);
	tiny_drop();
}

static const char tiny_ru[] =
    "[symptom]\nболит*\nзапор*\n[negation]\nне\n[indication]\nпри\n"
    "[exposure]\nпосле\nприем*\n";
static const char tiny_uk[] =
    "[symptom]\nнудот*\n=знепритомнів\n[negation]\nне\n[exposure]\nпісля\n";

static void
test_rule_exact(void **state)
{
	static const char *const files[] = { "ru", tiny_ru, "uk", tiny_uk, NULL };

	tiny_load_langs(files);
	/* A scope word that is its own stem is that form only: "неё" is not
	 * "не", "приём" is not "при". */
	assert_int_not_equal(ae("У неё болит голова после таблеток."), SCREEN_AE_NONE);
	assert_int_equal(ae("Голова не болит."), SCREEN_AE_NONE);
	assert_string_equal(rule_for("Приём утром, болит живот.", "symptom"),
	    "symptom+exposure");
	assert_string_equal(rule_for("Пью при болит живот.", "symptom"), "indication");
	/* "=word": that form, not the words that stem like it. */
	assert_int_not_equal(ae("Він знепритомнів після уколу."), SCREEN_AE_NONE);
	assert_int_equal(ae("Він знепритомніла після уколу."), SCREEN_AE_NONE);
	tiny_drop();
}

static void
test_rule_translit(void **state)
{
	static const char *const files[] = { "ru", tiny_ru, "uk", tiny_uk,
	    "en", tiny_en, NULL };
	struct screen_result r;

	tiny_load_langs(files);
	/* Russian typed in Latin letters is read as Cyrillic; offsets stay. */
	screen_text("posle tabletok bolit golova i spina", NULL, &r);
	assert_int_not_equal(r.ae, SCREEN_AE_NONE);
	assert_string_equal(r.hits[0].rule, "transliterated");
	assert_int_equal(r.hits[0].start, 15);
	/* Ukrainian too ("pislia", "nudyt'"). */
	assert_int_not_equal(ae("pislia ukolu i nudota"), SCREEN_AE_NONE);
	/* English is not read so. */
	assert_int_equal(ae("I will post a bolt and the tablets to you"), SCREEN_AE_NONE);
	tiny_drop();
}

static void
test_rule_traditional(void **state)
{
	tiny_load();
	/* Traditional Chinese is read as Simplified (金屬味 is 金属味). */
	assert_int_not_equal(ae("吃藥以後嘴裡一股金屬味"), SCREEN_AE_NONE);
	tiny_drop();
}

static void
test_rule_language(void **state)
{
	static const char *const files[] = { "ru", tiny_ru, "uk", tiny_uk, NULL };

	tiny_load_langs(files);
	/* A clearly Ukrainian text gets the Ukrainian vocabulary only. */
	assert_int_equal(ae("Я з Запоріжжя, їду до лікаря після роботи."), SCREEN_AE_NONE);
	assert_int_not_equal(ae("У меня запор после этих таблеток."), SCREEN_AE_NONE);
	/* Surzhyk (both alphabets) gets both. */
	assert_int_not_equal(ae("у мене запор після ліків, мы не знаем что делать"),
	    SCREEN_AE_NONE);
	tiny_drop();
}


/* Every development text: the model only adds "possible" flags where the
 * lexicon raised none, each with a hit that names it, and never clears
 * one; and it does add some (it is loaded and in use). */
#define SIGNAL_TEXTS	4096

static int
signal_pass(int with_model, unsigned char *flags, int *nmodel)
{
	static const char *const langs[] = { "en", "uk", "ru", "zh" };
	struct screen_result r;
	const char *cause = NULL;
	char path[4096], line[65536];
	int n = 0;

	assert_int_equal(screen_load(screen_default_dir(), &cause), 0);
	if (!with_model)
		screen_model_free();
	for (size_t l = 0; l < 4; l++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/../../tests/screening/corpus/%s/dev.jsonl",
		    SCREEN_SOURCE_DIR, langs[l]);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		while (fgets(line, sizeof(line), f) && n < SIGNAL_TEXTS) {
			json_t *j = json_loads(line, 0, NULL);
			const char *t = json_string_value(json_object_get(j, "text"));

			if (t) {
				screen_text(t, NULL, &r);
				flags[n++] = (unsigned char)((r.ae != SCREEN_AE_NONE) |
				    (r.complaint ? 2 : 0));
				for (size_t i = 0; i < r.nhits; i++)
					if (strcmp(r.hits[i].rule, "model") == 0)
						(*nmodel)++;
			}
			json_decref(j);
		}
		fclose(f);
	}
	return n;
}

static void
test_second_signal(void **state)
{
	static unsigned char with[SIGNAL_TEXTS], without[SIGNAL_TEXTS];
	int hits_with = 0, hits_without = 0, added = 0, n;

	(void)state;
	n = signal_pass(1, with, &hits_with);
	assert_int_equal(signal_pass(0, without, &hits_without), n);
	assert_true(n > 1000);
	assert_int_equal(hits_without, 0);
	for (int i = 0; i < n; i++) {
		assert_int_equal(without[i] & ~with[i], 0);	/* never cleared */
		added += with[i] != without[i];
	}
	assert_int_equal(added > 0, hits_with > 0);
	assert_true(added > 0);
	screen_model_free();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_symptoms),
		cmocka_unit_test(test_misspellings),
		cmocka_unit_test(test_denial),
		cmocka_unit_test(test_question),
		cmocka_unit_test(test_third_party_and_buried),
		cmocka_unit_test(test_special_situations),
		cmocka_unit_test(test_complaints),
		cmocka_unit_test(test_chinese_segmentation),
		cmocka_unit_test(test_offsets),
		cmocka_unit_test(test_bad_file),
		cmocka_unit_test(test_rule_indication),
		cmocka_unit_test(test_rule_negation),
		cmocka_unit_test(test_rule_question),
		cmocka_unit_test(test_rule_han_word),
		cmocka_unit_test(test_rule_misspelling),
		cmocka_unit_test(test_rule_exact),
		cmocka_unit_test(test_rule_history),
		cmocka_unit_test(test_rule_not_negation),
		cmocka_unit_test(test_rule_experience),
		cmocka_unit_test(test_rule_numbers),
		cmocka_unit_test(test_rule_product_name),
		cmocka_unit_test(test_rule_delivery),
		cmocka_unit_test(test_rule_han_scopes),
		cmocka_unit_test(test_rule_language),
		cmocka_unit_test(test_rule_translit),
		cmocka_unit_test(test_rule_traditional),
		cmocka_unit_test(test_second_signal),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
