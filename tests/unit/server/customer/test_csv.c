/* Unit tests for server/customer/csv.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "server/customer/csv.h"

static struct csv_record *rec;

static int
setup(void **state)
{
	rec = malloc(sizeof(*rec));
	return rec ? 0 : -1;
}

static int
teardown(void **state)
{
	free(rec);
	return 0;
}

static void
test_plain(void **state)
{
	static const char text[] = "\xef\xbb\xbftype,name\r\nhcp,Ivan\n\n,x,\n";
	struct csv_reader r;
	const char *cause;

	csv_reader_init(&r, text, sizeof(text) - 1);
	assert_int_equal(csv_read(&r, rec, &cause), 1);
	assert_int_equal(rec->nfields, 2);
	assert_string_equal(rec->field[0], "type");
	assert_string_equal(rec->field[1], "name");
	assert_int_equal(rec->line, 1);
	assert_int_equal(csv_read(&r, rec, &cause), 1);
	assert_string_equal(rec->field[1], "Ivan");
	assert_int_equal(rec->line, 2);
	assert_int_equal(csv_read(&r, rec, &cause), 1);
	assert_int_equal(rec->line, 4);
	assert_int_equal(rec->nfields, 3);
	assert_string_equal(rec->field[0], "");
	assert_string_equal(rec->field[2], "");
	assert_int_equal(csv_read(&r, rec, &cause), 0);
}

static void
test_quoted(void **state)
{
	static const char text[] = "\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\"\n"
	    "\"\xd0\x86\xd0\xb2\xd0\xb0\xd0\xbd\",\xe4\xb8\xad,\"\"";
	struct csv_reader r;
	const char *cause;

	csv_reader_init(&r, text, sizeof(text) - 1);
	assert_int_equal(csv_read(&r, rec, &cause), 1);
	assert_int_equal(rec->nfields, 3);
	assert_string_equal(rec->field[0], "a,b");
	assert_string_equal(rec->field[1], "say \"hi\"");
	assert_string_equal(rec->field[2], "two\nlines");
	assert_int_equal(csv_read(&r, rec, &cause), 1);
	assert_int_equal(rec->line, 3);
	assert_string_equal(rec->field[0], "\xd0\x86\xd0\xb2\xd0\xb0\xd0\xbd");
	assert_string_equal(rec->field[2], "");
	assert_int_equal(csv_read(&r, rec, &cause), 0);
}

/* A bad record is reported with its line and the next one still reads. */
static void
expect_bad(const char *text, const char *reason, size_t line)
{
	struct csv_reader r;
	const char *cause = NULL;

	csv_reader_init(&r, text, strlen(text));
	assert_int_equal(csv_read(&r, rec, &cause), 1);
	assert_int_equal(csv_read(&r, rec, &cause), -1);
	if (strstr(cause, reason) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\"", cause, reason);
	assert_int_equal(rec->line, line);
	if (strstr(reason, "unterminated") == NULL) {
		assert_int_equal(csv_read(&r, rec, &cause), 1);
		assert_string_equal(rec->field[0], "ok");
	}
}

static void
test_bad(void **state)
{
	char *big;
	size_t n = CSV_RECORD_MAX + 10;

	expect_bad("h\na\"b,c\nok\n", "quote inside", 2);
	expect_bad("h\n\"a\"b,c\nok\n", "after a closing quote", 2);
	expect_bad("h\n\"abc\n", "unterminated", 2);
	expect_bad("h\nab\xff,c\nok\n", "UTF-8", 2);
	expect_bad("h\n,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,\nok\n",
	    "too many fields", 2);
	big = malloc(n + 16);
	assert_non_null(big);
	memcpy(big, "h\n", 2);
	memset(big + 2, 'x', n);
	memcpy(big + 2 + n, "\nok\n", 5);
	expect_bad(big, "too long", 2);
	free(big);
}

static void
test_write(void **state)
{
	const char *fields[] = { "plain", "a,b", "say \"hi\"", "two\nlines", "", NULL };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct csv_reader r;
	const char *cause;

	csv_write(f, fields, 6);
	fclose(f);
	assert_string_equal(buf,
	    "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",,\r\n");
	csv_reader_init(&r, buf, len);
	assert_int_equal(csv_read(&r, rec, &cause), 1);
	assert_int_equal(rec->nfields, 6);
	for (int i = 0; i < 5; i++)
		assert_string_equal(rec->field[i], fields[i]);
	assert_int_equal(csv_read(&r, rec, &cause), 0);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_quoted),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_write),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
