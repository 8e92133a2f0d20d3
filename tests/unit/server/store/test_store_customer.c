/* Unit tests for server/store/store_customer.c: the error mapping. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "server/store/store_customer.h"

static void
expect(const char *err, int status, const char *code, const char *msg)
{
	const char *c = NULL;
	char m[64];

	assert_int_equal(store_customer_error(err, &c, m, sizeof(m)), status);
	assert_string_equal(c, code);
	if (msg)
		assert_string_equal(m, msg);
}

static void
test_errors(void **state)
{
	expect("NOTFOUND: no customer 7 script: rx_customer_get, on @user_function:12.",
	    404, "not_found", "no customer 7");
	expect("BADARG: unknown field \"x\"", 400, "bad_request", "unknown field \"x\"");
	expect("ERR BADARG: argument 2 is not a JSON object script: x", 400,
	    "bad_request", "argument 2 is not a JSON object");
	expect("CONFLICT: customer 3 was merged into another customer", 409,
	    "conflict", NULL);
	expect("unavailable", 503, "unavailable", NULL);
	expect(NULL, 503, "unavailable", NULL);
	expect("ERR something odd", 500, "internal", "internal error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
