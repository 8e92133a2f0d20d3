/* Unit tests for server/auth/auth_password.c and the helpers of server/auth/auth.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "server/auth/auth.h"
#include "server/auth/auth_password.h"

/* RFC 7914 section 12, the third vector, in our encoding. */
#define RFC7914 "scrypt$16384$8$1$U29kaXVtQ2hsb3JpZGU=$cCO9yzr9c0hGHAbNgf04" \
	"6/2o+7qQT44+qbVD9lRdofLVQylVYT8Pz2LUlwUkKpr55h6F3A1lHkDfzwF7RVdYhw=="

static const struct auth_kdf fast = { 1024, 8, 1 };

static void
test_vector(void **state)
{
	assert_int_equal(auth_password_verify("pleaseletmein", RFC7914), 1);
	assert_int_equal(auth_password_verify("pleaseletmeIn", RFC7914), 0);
}

static void
test_roundtrip(void **state)
{
	char a[AUTH_HASH_MAX], b[AUTH_HASH_MAX];
	const char *cause = NULL;

	assert_int_equal(auth_password_hash("correct horse", &fast, a, sizeof(a),
	    &cause), 0);
	assert_int_equal(strncmp(a, "scrypt$1024$8$1$", 16), 0);
	assert_int_equal(auth_password_verify("correct horse", a), 1);
	assert_int_equal(auth_password_verify("correct horsf", a), 0);
	assert_int_equal(auth_password_verify("", a), 0);
	assert_int_equal(auth_password_hash("correct horse", &fast, b, sizeof(b),
	    &cause), 0);
	assert_string_not_equal(a, b);	/* a fresh salt each time */
	assert_int_equal(auth_password_hash("x", &fast, a, 20, &cause), -1);
}

static void
test_bounds(void **state)
{
	const struct auth_kdf not_pow2 = { 1000, 8, 1 }, huge = { 1ULL << 30, 8, 1 };
	char enc[AUTH_HASH_MAX];
	const char *cause = NULL;

	assert_int_equal(auth_password_hash("pw", &not_pow2, enc, sizeof(enc), &cause), -1);
	assert_non_null(cause);
	assert_int_equal(auth_password_hash("pw", &huge, enc, sizeof(enc), &cause), -1);
}

static void
test_malformed(void **state)
{
	static const char *const bad[] = {
		"", "scrypt", "scrypt$", "bcrypt$1024$8$1$MDEy$MDEy",
		"scrypt$1024$8$1$MDEyMzQ1Njc4OWFiY2RlZg==",
		"scrypt$1024$8$1$$MDEyMzQ1Njc4OWFiY2RlZg==",
		"scrypt$1023$8$1$MDEyMzQ1Njc4OWFiY2RlZg==$MDEyMzQ1Njc4OWFiY2RlZg==",
		"scrypt$1073741824$8$1$MDEyMzQ1Njc4OWFiY2RlZg==$MDEyMzQ1Njc4OWFiY2RlZg==",
		"scrypt$1024$0$1$MDEyMzQ1Njc4OWFiY2RlZg==$MDEyMzQ1Njc4OWFiY2RlZg==",
		"scrypt$1024$8$99$MDEyMzQ1Njc4OWFiY2RlZg==$MDEyMzQ1Njc4OWFiY2RlZg==",
		"scrypt$1024$8$1$!!!!$MDEyMzQ1Njc4OWFiY2RlZg==",
		"scrypt$1024$8$1$MDEyMzQ1Njc4OWFiY2RlZg==$MDEy",
		"scrypt$1024$8$1$MDEyMzQ1Njc4OWFiY2RlZg==$MDEyMzQ1Njc4OWFiY2RlZg",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(auth_password_verify("pw", bad[i]), -1);
}

static void
test_roles(void **state)
{
	unsigned r;
	char buf[64];

	assert_int_equal(auth_roles_parse("agent,supervisor", &r), 0);
	assert_int_equal(r, ROLE_AGENT | ROLE_SUPERVISOR);
	assert_int_equal(auth_roles_parse("admin, safety", &r), 0);
	assert_int_equal(r, ROLE_ADMIN | ROLE_SAFETY);
	assert_int_equal(auth_roles_parse("agent,boss", &r), -1);
	assert_int_equal(auth_roles_parse("", &r), -1);
	assert_int_equal(auth_roles_parse(",", &r), -1);
	auth_roles_format(ROLE_ANY, buf, sizeof(buf));
	assert_string_equal(buf, "agent,supervisor,safety,admin");
	auth_roles_format(ROLE_SAFETY, buf, sizeof(buf));
	assert_string_equal(buf, "safety");
	auth_roles_format(0, buf, sizeof(buf));
	assert_string_equal(buf, "");
	auth_roles_format(ROLE_ANY, buf, 10);
	assert_true(strlen(buf) < 10);
}

static void
test_tokens(void **state)
{
	char a[64], b[64], hex[65];

	auth_token_new(a, sizeof(a));
	auth_token_new(b, sizeof(b));
	assert_int_equal(strlen(a), 43);
	assert_int_equal(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_"), 43);
	assert_string_not_equal(a, b);
	auth_token_hash("abc", hex);
	assert_string_equal(hex,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vector),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_tokens),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
