/* Unit tests for server/customer/ident.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "server/customer/ident.h"

static void
email_ok(const char *in, const char *want)
{
	char out[IDENT_EMAIL_MAX];
	const char *cause = NULL;

	if (ident_email(in, out, sizeof(out), &cause) == -1)
		fail_msg("\"%s\": %s", in, cause);
	if (strcmp(out, want) != 0)
		fail_msg("\"%s\": got %s, want %s", in, out, want);
}

static void
email_bad(const char *in, const char *reason)
{
	char out[IDENT_EMAIL_MAX];
	const char *cause = NULL;

	if (ident_email(in, out, sizeof(out), &cause) == 0)
		fail_msg("\"%s\": accepted as %s", in, out);
	if (cause == NULL || strstr(cause, reason) == NULL)
		fail_msg("\"%s\": reason \"%s\" lacks \"%s\"", in, cause, reason);
}

static void
test_email_forms(void **state)
{
	email_ok("a@b.com", "a@b.com");
	email_ok("  A@B.Com \t", "a@b.com");
	email_ok("\"\xd0\x86\xd0\xbc'\xd1\x8f\" <A@B.com>", "a@b.com");
	email_ok("Olena Kovalenko <Olena.Kovalenko@Clinic.example.org>",
	    "olena.kovalenko@clinic.example.org");
	email_ok("<x+tag@example.com>", "x+tag@example.com");
	email_ok("Name <  a@b.com >", "a@b.com");
	email_ok("< a@b.com>", "a@b.com");
	email_ok("mailto:Info@Example.COM", "info@example.com");
	email_ok("o'brien@example.co.uk", "o'brien@example.co.uk");
	email_ok("\xd1\x96\xd0\xbc\xd1\x8f@\xd0\xbf\xd0\xbe\xd1\x88\xd1\x82\xd0\xb0.\xd1\x83\xd0\xba\xd1\x80",
	    "\xd1\x96\xd0\xbc\xd1\x8f@\xd0\xbf\xd0\xbe\xd1\x88\xd1\x82\xd0\xb0.\xd1\x83\xd0\xba\xd1\x80");
}

static void
test_email_bad(void **state)
{
	char big[IDENT_EMAIL_INPUT_MAX + 10], local[80];

	email_bad("", "empty");
	email_bad("   ", "empty");
	email_bad("Name <>", "empty");
	email_bad("plainaddress", "exactly one '@'");
	email_bad("a@b@c.com", "exactly one '@'");
	email_bad("@example.com", "local part");
	email_bad(".a@example.com", "local part");
	email_bad("a..b@example.com", "local part");
	email_bad("a b@example.com", "local part");
	email_bad("a@localhost", "domain");
	email_bad("a@-x.com", "domain");
	email_bad("a@x-.com", "domain");
	email_bad("a@x..com", "domain");
	email_bad("a@x.com.", "domain");
	email_bad("a@x_y.com", "domain");
	email_bad("Name <a@b.com", "angle brackets");
	email_bad("Name <a@b.com> trailing", "angle brackets");
	email_bad("\xff@example.com", "UTF-8");
	memset(local, 'a', sizeof(local) - 1);
	local[sizeof(local) - 1] = '\0';
	snprintf(big, sizeof(big), "%s@example.com", local);
	email_bad(big, "local part");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	email_bad(big, "too long");
}

static void
test_ext(void **state)
{
	char s[IDENT_SCHEME_MAX], v[IDENT_VALUE_MAX];
	const char *cause = NULL;

	assert_int_equal(ident_ext(" Licence ", " ab 123-456 ", s, sizeof(s), v,
	    sizeof(v), &cause), 0);
	assert_string_equal(s, "licence");
	assert_string_equal(v, "AB123-456");
	assert_int_equal(ident_ext_parse("NPI:1234567893", s, sizeof(s), v,
	    sizeof(v), &cause), 0);
	assert_string_equal(s, "npi");
	assert_string_equal(v, "1234567893");
	assert_int_equal(ident_ext_parse("urn:x:y", s, sizeof(s), v, sizeof(v),
	    &cause), 0);
	assert_string_equal(v, "X:Y");
	assert_int_equal(ident_ext_parse("nocolon", s, sizeof(s), v, sizeof(v),
	    &cause), -1);
	assert_non_null(strstr(cause, "scheme:value"));
	assert_int_equal(ident_ext_parse(":123", s, sizeof(s), v, sizeof(v),
	    &cause), -1);
	assert_non_null(strstr(cause, "without a scheme"));
	assert_int_equal(ident_ext_parse("npi:  ", s, sizeof(s), v, sizeof(v),
	    &cause), -1);
	assert_non_null(strstr(cause, "without a value"));
	assert_int_equal(ident_ext_parse("n p:1", s, sizeof(s), v, sizeof(v),
	    &cause), -1);
	assert_int_equal(ident_ext_parse("npi:a\x01", s, sizeof(s), v, sizeof(v),
	    &cause), -1);
	assert_int_equal(ident_ext_parse("npi:\xc3", s, sizeof(s), v, sizeof(v),
	    &cause), -1);
	assert_non_null(strstr(cause, "UTF-8"));
	assert_int_equal(ident_ext_parse("averyveryveryveryverylongschemename12:1",
	    s, sizeof(s), v, sizeof(v), &cause), -1);
}

static void
test_utf8(void **state)
{
	assert_true(ident_utf8_valid("abc", 3));
	assert_true(ident_utf8_valid("\xd0\x86\xe4\xb8\xad\xf0\x9f\x98\x80", 9));
	assert_false(ident_utf8_valid("\xc0\xaf", 2));		/* overlong */
	assert_false(ident_utf8_valid("\xe0\x80\xaf", 3));	/* overlong */
	assert_false(ident_utf8_valid("\xed\xa0\x80", 3));	/* surrogate */
	assert_false(ident_utf8_valid("\xf4\x90\x80\x80", 4));	/* > U+10FFFF */
	assert_false(ident_utf8_valid("\xe4\xb8", 2));		/* truncated */
	assert_false(ident_utf8_valid("\x80", 1));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_email_forms),
		cmocka_unit_test(test_email_bad),
		cmocka_unit_test(test_ext),
		cmocka_unit_test(test_utf8),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
