/* Unit tests for routing/lang.c and routing/triage.c (the screener itself:
 * test_screen.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "routing/lang.h"
#include "routing/screen.h"
#include "routing/screen_model.h"
#include "routing/triage.h"
#include "server/core/config.h"
#include "server/core/interaction.h"

static const char *
detect(const char *s)
{
	const char *l = lang_detect(s, NULL);

	return l ? l : "none";
}

static void
test_lang(void **state)
{
	assert_string_equal(detect("Hello, I have a question about my order"), "en");
	assert_string_equal(detect("Добрий день, у мене питання щодо ліків"), "uk");
	assert_string_equal(detect("Здравствуйте, у меня вопрос о лекарстве"), "ru");
	assert_string_equal(detect("你好，我想咨询一下这个药的用法"), "zh");
	/* No distinctive letters: the common words decide. */
	assert_string_equal(detect("Привет, как дела"), "ru");
	assert_string_equal(detect("Привіт, як справи"), "uk");
	/* Ukrainian text with one English brand name stays Ukrainian. */
	assert_string_equal(detect("Чи можна приймати Aspirin після їжі?"), "uk");
	/* Chinese with a Latin product name. */
	assert_string_equal(detect("Aspirin 的不良反应"), "zh");
	assert_string_equal(detect("ok"), "none");
	assert_string_equal(detect(""), "none");
	assert_string_equal(detect("12345 !!!"), "none");
	assert_null(lang_detect(NULL, NULL));
}

static void
test_lang_score(void **state)
{
	struct lang_score s;

	assert_string_equal(lang_detect("Їжак і ґудзик", &s), "uk");
	assert_int_equal(s.uk_letters, 3);
	assert_int_equal(s.ru_letters, 0);
	assert_string_equal(lang_detect("Съешь этих мягких булок", &s), "ru");
	assert_int_equal(s.ru_letters, 2);	/* ъ э */
}

static void
test_fold(void **state)
{
	char buf[64];
	const char *p = "\xff" "a";

	lang_fold("ПОБІЧНА Дія ЇЖА Ґанок ЁЖ Hello", buf, sizeof(buf));
	assert_string_equal(buf, "побічна дія їжа ґанок ёж hello");
	/* Cut at a code point, never inside one. */
	assert_int_equal(lang_fold("ЖЖЖ", buf, 4), 2);
	assert_string_equal(buf, "ж");
	/* Invalid bytes decode as U+FFFD, one byte at a time. */
	assert_int_equal(lang_utf8_next(&p), 0xfffd);
	assert_int_equal(lang_utf8_next(&p), 'a');
	assert_int_equal(lang_utf8_next(&p), 0);
}

static unsigned
scan(const char *s)
{
	struct screen_result r;

	screen_text(s, NULL, &r);
	return (r.ae != SCREEN_AE_NONE ? SCREEN_KIND_AE : 0) |
	    (r.complaint ? SCREEN_KIND_COMPLAINT : 0);
}

static void
test_lexicon(void **state)
{
	struct screen_result r;
	const char *cause;

	assert_int_equal(screen_load(screen_default_dir(), &cause), 0);
	screen_model_free();
	assert_int_equal(scan("I got a rash after the second tablet"), SCREEN_KIND_AE);
	assert_int_equal(scan("My mother was HOSPITALISED"), SCREEN_KIND_AE);
	assert_int_equal(scan("Після таблетки з'явився висип"), SCREEN_KIND_AE);
	assert_int_equal(scan("Побічна дія: нудота"), SCREEN_KIND_AE);
	assert_int_equal(scan("服药后出现皮疹"), SCREEN_KIND_AE);
	assert_int_equal(scan("The blister was broken"), SCREEN_KIND_COMPLAINT);
	assert_int_equal(scan("Упаковка пошкоджена"), SCREEN_KIND_COMPLAINT);
	assert_int_equal(scan("包装破损"), SCREEN_KIND_COMPLAINT);
	assert_int_equal(scan("Tablets had the wrong colour and I got a rash"),
	    SCREEN_KIND_AE | SCREEN_KIND_COMPLAINT);
	/* Word starts only: no AE inside "crash". */
	assert_int_equal(scan("The app crashed on login"), 0);
	assert_int_equal(scan("Where can I buy it?"), 0);
	assert_int_equal(scan(""), 0);
	assert_int_equal(scan(NULL), 0);
	screen_text("висипання на шкірі", NULL, &r);
	assert_true(r.nhits > 0);
	assert_string_equal(r.hits[0].cue, "symptom");
	assert_int_equal(r.hits[0].start, 0);
	screen_free();
}

static void
test_lexicon_config(void **state)
{
	const char *cause = NULL;
	char big[100];

	assert_int_equal(screen_load(screen_default_dir(), &cause), 0);
	screen_model_free();
	/* A made-up word: no vocabulary has it ("fizz" is a paraesthesia). */
	assert_int_equal(scan("the tablets zorble in the box"), 0);
	assert_int_equal(screen_extra_add(SCREEN_KIND_COMPLAINT, "Zorble", &cause), 0);
	/* Not in force before the commit. */
	assert_int_equal(scan("the tablets zorble in the box"), 0);
	screen_commit();
	assert_int_equal(scan("the tablets ZORBLE in the box"), SCREEN_KIND_COMPLAINT);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(screen_extra_add(SCREEN_KIND_AE, big, &cause), -1);
	assert_non_null(cause);
	assert_int_equal(screen_extra_add(SCREEN_KIND_AE, "", &cause), -1);
	/* A reload without the term drops it. */
	screen_commit();
	assert_int_equal(scan("the tablets zorble in the box"), 0);
	screen_free();
}

static char path[64];

static struct config *
load(const char *text)
{
	char err[CONFIG_ERR_MAX];
	struct config *cf;
	int fd;

	snprintf(path, sizeof(path), "/tmp/rxtriageXXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	cf = config_load(path, err, sizeof(err));
	unlink(path);
	if (cf == NULL)
		print_message("config: %s\n", err);
	return cf;
}

static const char *rules_conf =
    "[routing]\ndefault_queue = frontdesk\n"
    "[product aspirin]\nnames = Aspirin, Аспірин, Аспирин, 阿司匹林\n"
    "[product zenol]\nnames = Zenol\n"
    "[rule safety]\nflags = ae, complaint\nqueue = safety\n"
    "[rule vip]\nsegment = key-account\nqueue = vip\npriority = high\n"
    "[rule hcp-uk]\ncustomer_type = hcp, pharmacy\nlang = uk\n"
    "queue = medinfo-uk\ncategory = medinfo\n"
    "[rule aspirin-chat]\nchannel = chat\nproduct = aspirin\nqueue = aspirin\n"
    "[rule orders]\nform = order\ncategory = order\nqueue = orders\n"
    "[rule urgent-words]\ntext = urgent, терміново, срочно\npriority = urgent\n"
    "[lexicon complaint]\nen = crumbl, sticky\n";

static struct config *
setup_rules(void)
{
	struct config *cf;

	triage_config();
	cf = load(rules_conf);
	assert_non_null(cf);
	triage_commit(cf);
	screen_model_free();	/* the rules and the lexicon, without the model */
	return cf;
}

static void
in_init(struct interaction *in, enum channel ch, const char *text)
{
	memset(in, 0, sizeof(*in));
	in->channel = ch;
	in->text = text;
}

static void
test_rules(void **state)
{
	struct config *cf = setup_rules();
	struct interaction in;
	struct triage_ctx ctx = { 0 };
	struct triage_why why;

	in_init(&in, CH_EMAIL, "Hello, what are your opening hours?");
	triage_apply(&in, NULL, &why);
	assert_null(why.rule);
	assert_string_equal(in.queue, "frontdesk");
	assert_string_equal(in.category, "general");
	assert_string_equal(in.priority, "normal");
	assert_string_equal(in.lang, "en");
	assert_null(in.flags);

	/* Order matters: the AE rule comes before the HCP rule. */
	in_init(&in, CH_EMAIL, "Добрий день, у пацієнта висип після Аспірину");
	in.customer_type = "hcp";
	triage_apply(&in, NULL, &why);
	assert_string_equal(why.rule, "safety");
	assert_string_equal(in.queue, "safety");
	assert_string_equal(in.category, "ae");
	assert_string_equal(in.priority, "high");
	assert_string_equal(in.flags, "ae");
	assert_string_equal(why.product, "aspirin");

	in_init(&in, CH_FORM, "Добрий день, чи є інструкція українською?");
	ctx.customer_type = "Pharmacy";
	triage_apply(&in, &ctx, &why);
	assert_string_equal(why.rule, "hcp-uk");
	assert_string_equal(in.queue, "medinfo-uk");
	assert_string_equal(in.category, "medinfo");
	assert_string_equal(in.lang, "uk");

	/* The same from a Russian speaker: no rule. */
	in_init(&in, CH_FORM, "Здравствуйте, есть ли инструкция на русском?");
	triage_apply(&in, &ctx, &why);
	assert_null(why.rule);
	assert_string_equal(in.lang, "ru");

	in_init(&in, CH_CHAT, "Can I take aspirin with food?");
	triage_apply(&in, NULL, &why);
	assert_string_equal(why.rule, "aspirin-chat");
	in_init(&in, CH_EMAIL, "Can I take aspirin with food?");
	triage_apply(&in, NULL, &why);
	assert_null(why.rule);

	memset(&ctx, 0, sizeof(ctx));
	ctx.form = "order";
	in_init(&in, CH_FORM, "10 boxes please");
	triage_apply(&in, &ctx, &why);
	assert_string_equal(in.queue, "orders");
	assert_string_equal(in.category, "order");

	ctx.form = NULL;
	ctx.segment = "key-account";
	in_init(&in, CH_EMAIL, "Please call me");
	triage_apply(&in, &ctx, &why);
	assert_string_equal(in.queue, "vip");
	assert_string_equal(in.priority, "high");

	in_init(&in, CH_EMAIL, "Срочно перезвоните");
	triage_apply(&in, NULL, &why);
	assert_string_equal(why.rule, "urgent-words");
	assert_string_equal(in.priority, "urgent");

	/* A configured complaint term: the safety rule's queue wins over the
	 * channel's (a mailbox's, a form's) default (issue 14) ... */
	in_init(&in, CH_EMAIL, "The tablets crumble in the box");
	in.queue = "from-channel";
	triage_apply(&in, NULL, &why);
	assert_string_equal(why.rule, "safety");
	assert_string_equal(in.queue, "safety");
	assert_string_equal(in.category, "complaint");
	assert_string_equal(in.flags, "complaint");
	/* ... and with no rule matching, the channel's queue is kept. */
	in_init(&in, CH_EMAIL, "Please call me back tomorrow");
	in.queue = "from-channel";
	triage_apply(&in, NULL, &why);
	assert_null(why.rule);
	assert_string_equal(in.queue, "from-channel");
	triage_free();
	config_free(cf);
}

static void
test_safety_raises_only(void **state)
{
	struct config *cf = setup_rules();
	struct interaction in;

	/* An urgent AE stays urgent; an order becomes an AE. */
	in_init(&in, CH_EMAIL, "rash");
	in.priority = "urgent";
	in.category = "order";
	in.subject = "Broken box";
	triage_apply(&in, NULL, NULL);
	assert_string_equal(in.priority, "urgent");
	assert_string_equal(in.category, "ae");
	assert_string_equal(in.flags, "ae,complaint");
	triage_free();
	config_free(cf);
}

static void
test_explain(void **state)
{
	struct config *cf = setup_rules();
	struct interaction in;
	char buf[TRIAGE_EXPLAIN_MAX];

	in_init(&in, CH_CHAT, "Чи можна Аспірин дітям?");
	triage_explain(&in, NULL, buf, sizeof(buf));
	assert_non_null(strstr(buf, "rule: aspirin-chat (channel in [chat], product in [aspirin])"));
	assert_non_null(strstr(buf, "lang: uk"));
	assert_non_null(strstr(buf, "product: aspirin"));
	assert_non_null(strstr(buf, "result: queue=aspirin category=general priority=normal"));
	triage_free();
	config_free(cf);
}

static void
test_bad_rules(void **state)
{
	static const char *bad[] = {
		"[rule x]\ncategory = weird\n",
		"[rule x]\npriority = asap\n",
		"[rule x]\nchannel = fax\n",
		"[rule x]\nflags = maybe\n",
		"[rule x]\ncolour = red\n",
		"[rule x]\nlang = ,\n",
		"[product x]\naliases = a\n",
		"[lexicon other]\nen = a\n",
	};
	struct config *cf;

	triage_config();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cf = load(bad[i]);
		assert_null(cf);
	}
	triage_free();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lang),
		cmocka_unit_test(test_lang_score),
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_lexicon),
		cmocka_unit_test(test_lexicon_config),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_safety_raises_only),
		cmocka_unit_test(test_explain),
		cmocka_unit_test(test_bad_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
