/* Unit tests for server/customer/phone.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "server/customer/phone.h"

static void
expect_ok(const char *in, const char *country, const char *want)
{
	char out[PHONE_E164_MAX];
	const char *cause = NULL;

	if (phone_normalize(in, country, out, sizeof(out), &cause) == -1)
		fail_msg("\"%s\" (%s): %s", in, country, cause);
	if (strcmp(out, want) != 0)
		fail_msg("\"%s\" (%s): got %s, want %s", in, country, out, want);
}

static void
expect_bad(const char *in, const char *country, const char *reason)
{
	char out[PHONE_E164_MAX];
	const char *cause = NULL;

	if (phone_normalize(in, country, out, sizeof(out), &cause) == 0)
		fail_msg("\"%s\" (%s): accepted as %s", in, country, out);
	assert_non_null(cause);
	if (strstr(cause, reason) == NULL)
		fail_msg("\"%s\": reason \"%s\" lacks \"%s\"", in, cause, reason);
}

/* The forms the issue names must all reach one customer. */
static void
test_ukrainian_forms(void **state)
{
	static const char *const forms[] = {
		"044 123 45 67", "+380 (44) 123-45-67", "0 44 123 4567",
		"8 (044) 123-45-67", "380441234567", "00380 44 123 45 67",
		"+380441234567", "+380 (0)44 123 45 67", "tel:+380-44-123-45-67",
		"(044) 123.45.67", "441234567", " \t044/123 45 67 ",
		"044\xc2\xa0" "123\xc2\xa0" "45\xc2\xa0" "67",
	};

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
		expect_ok(forms[i], "UA", "+380441234567");
	expect_ok("050 123 45 67", "ua", "+380501234567");
	expect_ok("0800 123 456", "UA", "+380800123456");
}

static void
test_other_countries(void **state)
{
	expect_ok("+48 601 234 567", "UA", "+48601234567");
	expect_ok("601 234 567", "PL", "+48601234567");
	expect_ok("030 1234567", "DE", "+49301234567");
	expect_ok("0049 30 1234567", "UA", "+49301234567");
	expect_ok("020 7946 0958", "GB", "+442079460958");
	expect_ok("+44 (0)20 7946 0958", "UA", "+442079460958");
	expect_ok("(212) 555-0123", "US", "+12125550123");
	expect_ok("1 212 555 0123", "US", "+12125550123");
	expect_ok("011 380 44 123 45 67", "US", "+380441234567");
	expect_ok("+1 416 555 0199", "UA", "+14165550199");
	expect_ok("010 1234 5678", "CN", "+861012345678");
	expect_ok("138 0013 8000", "CN", "+8613800138000");
	expect_ok("+86 138 0013 8000", "UA", "+8613800138000");
	expect_ok("8 (495) 123-45-67", "RU", "+74951234567");
	expect_ok("8 10 380 44 123 45 67", "RU", "+380441234567");
	expect_ok("8 701 123 4567", "KZ", "+77011234567");
	expect_ok("01 23 45 67 89", "FR", "+33123456789");
	expect_ok("06 12 34 56 78", "FR", "+33612345678");
	expect_ok("06 1234 5678", "IT", "+390612345678");
	expect_ok("+39 06 1234 5678", "UA", "+390612345678");
	expect_ok("612 34 56 78", "ES", "+34612345678");
	/* A calling code outside the table: the generic E.164 bounds. */
	expect_ok("+995 32 212 3456", "UA", "+995322123456");
}

static void
test_garbage(void **state)
{
	char big[PHONE_INPUT_MAX + 2];

	expect_bad("", "UA", "no digits");
	expect_bad("  - ( ) ", "UA", "no digits");
	expect_bad("call me", "UA", "unexpected character");
	expect_bad("044 123 45 67 ext 5", "UA", "unexpected character");
	expect_bad("044+1234567", "UA", "only at the start");
	expect_bad("++380441234567", "UA", "only at the start");
	expect_bad("044 123 45", "UA", "not a valid national number");
	expect_bad("044 123 45 678", "UA", "not a valid national number");
	expect_bad("+380 44 123 45", "UA", "wrong number of digits");
	expect_bad("+0 44 123 45 67", "UA", "cannot start with 0");
	expect_bad("+999 1", "UA", "wrong number of digits");
	expect_bad("+999 1234 5678 9012 34", "UA", "digits");
	expect_bad("123456789012345678901", "UA", "too many digits");
	expect_bad("044 123 45 67", "XX", "unknown default country");
	expect_bad("044 123 45 67", "PL", "not a valid national number");
	expect_bad("(012) 555-0123", "US", "not a valid national number");
	memset(big, ' ', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[0] = '1';
	expect_bad(big, "UA", "too long");
}

static void
test_small_buffer(void **state)
{
	char out[8];
	const char *cause = NULL;

	assert_int_equal(phone_normalize("+380441234567", "UA", out, sizeof(out),
	    &cause), -1);
	assert_non_null(cause);
}

static void
test_known(void **state)
{
	assert_true(phone_country_known("UA"));
	assert_true(phone_country_known("gb"));
	assert_false(phone_country_known("XX"));
	assert_false(phone_country_known(""));
	assert_false(phone_country_known(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ukrainian_forms),
		cmocka_unit_test(test_other_countries),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_small_buffer),
		cmocka_unit_test(test_known),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
