/* Unit tests for server/store/ticket.c: the pure parts (numbers, error mapping). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "server/store/ticket.h"

static void
test_number(void **state)
{
	assert_int_equal(ticket_number("17"), 17);
	assert_int_equal(ticket_number("RX-17"), 17);
	assert_int_equal(ticket_number("rx-9"), 9);
	assert_int_equal(ticket_number("RX-"), 0);
	assert_int_equal(ticket_number("-3"), 0);
	assert_int_equal(ticket_number("12a"), 0);
	assert_int_equal(ticket_number(""), 0);
	assert_int_equal(ticket_number(NULL), 0);
	assert_int_equal(ticket_number("99999999999999999999999"), 0);
}

static void
test_error(void **state)
{
	const char *code;
	char msg[128];

	assert_int_equal(ticket_error("NOTFOUND: no ticket 5 script: "
	    "rx_ticket_get, on @user_function:12.", &code, msg, sizeof(msg)), 404);
	assert_string_equal(code, "not_found");
	assert_string_equal(msg, "no ticket 5");
	assert_int_equal(ticket_error("CONFLICT: RX-3 is closed", &code, msg,
	    sizeof(msg)), 409);
	assert_string_equal(msg, "RX-3 is closed");
	assert_int_equal(ticket_error("ERR user_function:17: BADARG: bad cursor "
	    "script: rx_ticket_list, on @user_function:17.", &code, msg,
	    sizeof(msg)), 400);
	assert_string_equal(code, "bad_request");
	assert_string_equal(msg, "bad cursor");
	assert_int_equal(ticket_error("FORBIDDEN: not yours script: x", &code, msg,
	    sizeof(msg)), 403);
	assert_string_equal(code, "forbidden");
	assert_int_equal(ticket_error("unavailable", &code, msg, sizeof(msg)), 503);
	assert_int_equal(ticket_error("OOM command not allowed", &code, msg,
	    sizeof(msg)), 500);
	assert_string_equal(code, "internal");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_number),
		cmocka_unit_test(test_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
