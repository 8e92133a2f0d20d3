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

static void
expect_ext(const char *in, const char *country, const char *want,
    const char *want_ext)
{
	char out[PHONE_E164_MAX], ext[PHONE_EXT_MAX + 1], plain[PHONE_E164_MAX];
	const char *cause = NULL;

	if (phone_normalize_ext(in, country, out, sizeof(out), ext, sizeof(ext),
	    &cause) == -1)
		fail_msg("\"%s\" (%s): %s", in, country, cause);
	if (strcmp(out, want) != 0 || strcmp(ext, want_ext) != 0)
		fail_msg("\"%s\": got %s ext '%s', want %s ext '%s'", in, out,
		    ext, want, want_ext);
	/* the number alone matches the customer: phone_normalize agrees */
	if (phone_normalize(in, country, plain, sizeof(plain), &cause) == -1 ||
	    strcmp(plain, want) != 0)
		fail_msg("\"%s\": phone_normalize gives %s", in, plain);
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
	/* an extension is no longer garbage (issue 12): test_extensions */
	expect_ext("044 123 45 67 ext 5", "UA", "+380441234567", "5");
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

/* Issue 12: numbers with extensions were refused as invalid. */
static void
test_extensions(void **state)
{
	char out[PHONE_E164_MAX], ext[PHONE_EXT_MAX + 1];
	const char *cause;

	expect_ext("+380 67 555 12 34 ext. 7", "UA", "+380675551234", "7");
	expect_ext("067 555 1234 доб. 7", "UA", "+380675551234", "7");
	expect_ext("067 555 1234 Доб.7", "UA", "+380675551234", "7");
	expect_ext("+380675551234 x7", "UA", "+380675551234", "7");
	expect_ext("+1 212 555 0123x123", "US", "+12125550123", "123");
	expect_ext("(044) 123-45-67 вн. 12", "UA", "+380441234567", "12");
	expect_ext("8 (495) 123-45-67 внутр. 305", "RU", "+74951234567", "305");
	expect_ext("010 1234 5678 转7", "CN", "+861012345678", "7");
	expect_ext("010 1234 5678 分机 801", "CN", "+861012345678", "801");
	expect_ext("tel:+1-201-555-0123;ext=1234", "US", "+12015550123", "1234");
	expect_ext("+44 20 7946 0958, ext 22", "GB", "+442079460958", "22");
	expect_ext("+44 20 7946 0958 Extension: 22", "GB", "+442079460958", "22");
	expect_ext("+380441234567", "UA", "+380441234567", "");
	/* what cannot be an extension */
	expect_bad("+380675551234 ext.", "UA", "extension must be digits");
	expect_bad("+380675551234 x 7 y", "UA", "extension must be digits");
	expect_bad("+380675551234 ext 123456789", "UA", "extension too long");
	expect_bad("ext 7", "UA", "unexpected character");
	assert_int_equal(phone_normalize_ext("+380675551234 x7", "UA", out,
	    sizeof(out), ext, 1, &cause), -1);
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
		cmocka_unit_test(test_extensions),
		cmocka_unit_test(test_small_buffer),
		cmocka_unit_test(test_known),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
