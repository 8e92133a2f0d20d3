/* Unit tests for routing/screen_model.cc: the fastText second signal of
 * screening. The normalisation is the one of scripts/train-screening-model
 * (the strings below are what its --print-text writes), the shipped model
 * routing/screening/model.ftz loads and scores plain cases in every
 * language, and errors leave the model in force. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "routing/screen.h"
#include "routing/screen_model.h"

static char model_path[4096];

static int
setup(void **state)
{
	const char *cause = NULL;

	snprintf(model_path, sizeof(model_path), "%s/%s", screen_default_dir(),
	    SCREEN_MODEL_FILE);
	if (screen_model_load(model_path, &cause) == -1) {
		print_message("%s: %s\n", model_path, cause);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	screen_model_free();
	return 0;
}

static void
norm_is(const char *text, const char *want)
{
	char *got = screen_model_normalise(text);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void
test_normalise(void **state)
{
	norm_is("I didn\u2019t take 5mg of Nauseril \u2014 HEADACHE!!",
	    "i didn't take 0mg of nauseril headache");
	norm_is("\u0412\u0441\u0451 \u0431\u043e\u043b\u0438\u0442, \u0401\u041b\u041a\u0418.",
	    "\u0432\u0441\u0435 \u0431\u043e\u043b\u0438\u0442 \u0435\u043b\u043a\u0438");
	/* Chinese: ICU's dictionary words, punctuation dropped. */
	norm_is("\u5403\u4e86\u836f\u4ee5\u540e\u5934\u5f88\u75db\uff0c\u8fd8\u6076\u5fc3\u3002",
	    "\u5403\u4e86 \u836f \u4ee5\u540e \u5934 \u5f88 \u75db \u8fd8 \u6076\u5fc3");
	/* Full-width letters and digits fold (NFKC). */
	norm_is("\uff2c\uff4f\uff54 \uff11\uff12", "lot 00");
	norm_is("", "");
	norm_is("\xff\xfe bad bytes", "bad bytes");
}

static void
scores(const char *text, float *ae, float *pqc)
{
	assert_int_equal(screen_model_score(text, ae, pqc, NULL), 0);
	assert_true(*ae >= 0.0f && *ae <= 1.0f);
	assert_true(*pqc >= 0.0f && *pqc <= 1.0f);
}

static void
test_score(void **state)
{
	float ae, pqc;

	scores("Since starting Lipranol I have had a terrible headache and I threw up twice.", &ae, &pqc);
	assert_true(ae >= SCREEN_MODEL_AE_THRESHOLD);
	assert_true(pqc < SCREEN_MODEL_COMPLAINT_THRESHOLD);
	scores("The blister pack arrived cracked and two tablets were crumbled into powder.", &ae, &pqc);
	assert_true(pqc >= SCREEN_MODEL_COMPLAINT_THRESHOLD);
	assert_true(ae < SCREEN_MODEL_AE_THRESHOLD);
	scores("Please send me the invoice for order 4411, thank you.", &ae, &pqc);
	assert_true(ae < SCREEN_MODEL_AE_THRESHOLD && pqc < SCREEN_MODEL_COMPLAINT_THRESHOLD);
	scores("\u041f\u0456\u0441\u043b\u044f \u0446\u0438\u0445 \u0442\u0430\u0431\u043b\u0435\u0442\u043e\u043a "
	    "\u0443 \u043c\u0435\u043d\u0435 \u0432\u0438\u0441\u0438\u043f \u043d\u0430 \u0440\u0443\u043a\u0430\u0445 "
	    "\u0456 \u0441\u0432\u0435\u0440\u0431\u0456\u0436.", &ae, &pqc);
	assert_true(ae >= SCREEN_MODEL_AE_THRESHOLD);
	scores("\u5403\u4e86\u8fd9\u4e2a\u836f\u4ee5\u540e\u4e00\u76f4\u6076\u5fc3\uff0c\u5934\u6655\u3002", &ae, &pqc);
	assert_true(ae >= SCREEN_MODEL_AE_THRESHOLD);
	scores("\u0423\u043f\u0430\u043a\u043e\u0432\u043a\u0430 \u043f\u0440\u0438\u0448\u043b\u0430 "
	    "\u043c\u044f\u0442\u0430\u044f, \u0442\u0430\u0431\u043b\u0435\u0442\u043a\u0438 "
	    "\u0440\u0430\u0441\u043a\u0440\u043e\u0448\u0435\u043d\u044b.", &ae, &pqc);
	assert_true(pqc >= SCREEN_MODEL_COMPLAINT_THRESHOLD);
	/* The same text, the same figures (scoring keeps no state). */
	float ae2, pqc2;
	scores("\u0423\u043f\u0430\u043a\u043e\u0432\u043a\u0430 \u043f\u0440\u0438\u0448\u043b\u0430 "
	    "\u043c\u044f\u0442\u0430\u044f, \u0442\u0430\u0431\u043b\u0435\u0442\u043a\u0438 "
	    "\u0440\u0430\u0441\u043a\u0440\u043e\u0448\u0435\u043d\u044b.", &ae2, &pqc2);
	assert_true(ae == ae2 && pqc == pqc2);
	scores("", &ae, &pqc);
}

static void
test_errors(void **state)
{
	const char *cause = NULL;
	char bad[] = "/tmp/rx-screen-model-XXXXXX";
	float ae, pqc;
	int fd;

	/* A missing file or one that is not a model: -1 and a cause, and the
	 * model in force stays. */
	assert_int_equal(screen_model_load("/nonexistent/model.ftz", &cause), -1);
	assert_non_null(cause);
	fd = mkstemp(bad);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "not a model\n", 12), 12);
	close(fd);
	cause = NULL;
	assert_int_equal(screen_model_load(bad, &cause), -1);
	assert_non_null(cause);
	unlink(bad);
	assert_true(screen_model_loaded());
	scores("I threw up all night after the injection.", &ae, &pqc);
	assert_true(ae >= SCREEN_MODEL_AE_THRESHOLD);
	assert_int_equal(screen_model_score(NULL, &ae, &pqc, NULL), -1);

	/* Without a model: -1 and zeros; loading again works. */
	screen_model_free();
	assert_false(screen_model_loaded());
	ae = pqc = 1.0f;
	assert_int_equal(screen_model_score("headache", &ae, &pqc, NULL), -1);
	assert_true(ae == 0.0f && pqc == 0.0f);
	assert_int_equal(screen_model_load(model_path, &cause), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalise),
		cmocka_unit_test(test_score),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
