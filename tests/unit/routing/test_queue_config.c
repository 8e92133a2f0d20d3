/* Unit tests for routing/queue_config.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>

#include "routing/queue_config.h"
#include "server/core/config.h"

static struct config *
load(const char *text, char *err, size_t errlen)
{
	char path[64];
	struct config *cf;
	int fd;

	snprintf(path, sizeof(path), "/tmp/rxqueueXXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	cf = config_load(path, err, errlen);
	unlink(path);
	return cf;
}

static void
test_queue(void **state)
{
	char err[CONFIG_ERR_MAX];
	struct config *cf;
	json_t *q, *cal;
	char *dump;

	queue_config_register();
	cf = load("[queue medinfo]\nskills = medinfo, uk\nstrategy = rrmemory\n"
	    "aging = 300\noverflow = general\noverflow_timeout = 1800\n"
	    "sticky_wait = 20\nmail_release = yes\nlang_match = no\n"
	    "sla_first = urgent:900, *:3600\nsla_resolution = *:86400\n"
	    "hours = mon-fri 09:00-18:00, sat 10:00-14:00\ntz = +02:00\n"
	    "holidays = 2026-12-25, 2027-01-01\nholidays = 2027-01-07\n"
	    "breach_raise = yes\n[queue general]\n", err, sizeof(err));
	assert_non_null(cf);
	queue_config_commit();
	q = json_object_get(queue_config_all(), "medinfo");
	assert_non_null(q);
	assert_string_equal(json_string_value(json_object_get(q, "skills")), "medinfo, uk");
	assert_string_equal(json_string_value(json_object_get(q, "strategy")), "rrmemory");
	assert_int_equal(json_integer_value(json_object_get(q, "aging")), 300);
	assert_string_equal(json_string_value(json_object_get(q, "mail_release")), "1");
	assert_string_equal(json_string_value(json_object_get(q, "lang_match")), "0");
	dump = json_dumps(json_object_get(q, "sla"), JSON_SORT_KEYS | JSON_COMPACT);
	assert_string_equal(dump, "{\"*\":{\"first\":3600,\"resolution\":86400},"
	    "\"urgent\":{\"first\":900}}");
	free(dump);
	cal = json_object_get(q, "calendar");
	assert_int_equal(json_integer_value(json_object_get(cal, "tz")), 120);
	dump = json_dumps(json_object_get(cal, "hours"), JSON_SORT_KEYS | JSON_COMPACT);
	assert_string_equal(dump, "{\"fri\":\"09:00-18:00\",\"mon\":\"09:00-18:00\","
	    "\"sat\":\"10:00-14:00\",\"thu\":\"09:00-18:00\",\"tue\":\"09:00-18:00\","
	    "\"wed\":\"09:00-18:00\"}");
	free(dump);
	assert_int_equal(json_array_size(json_object_get(cal, "holidays")), 3);
	config_free(cf);
	/* A reload without the section forgets it. */
	cf = load("[queue other]\naging = 5\n", err, sizeof(err));
	assert_non_null(cf);
	queue_config_commit();
	assert_null(json_object_get(queue_config_all(), "medinfo"));
	assert_non_null(json_object_get(queue_config_all(), "other"));
	config_free(cf);
	queue_config_free();
}

static void
test_bad(void **state)
{
	static const char *bad[][2] = {
		{ "[queue a b]\naging = 1\n", "queue name" },
		{ "[queue q]\nstrategy = random\n", "unknown strategy" },
		{ "[queue q]\naging = soon\n", "seconds" },
		{ "[queue q]\nmail_release = perhaps\n", "boolean" },
		{ "[queue q]\nsla_first = asap:10\n", "priority:seconds" },
		{ "[queue q]\nsla_first = high\n", "priority:seconds" },
		{ "[queue q]\nsla_later = *:10\n", "unknown key" },
		{ "[queue q]\nhours = mon 18:00-09:00\n", "HH:MM" },
		{ "[queue q]\nhours = fri-mon 09:00-18:00\n", "HH:MM" },
		{ "[queue q]\nhours = someday 09:00-18:00\n", "HH:MM" },
		{ "[queue q]\ntz = Europe/Kyiv\n", "+HH:MM" },
		{ "[queue q]\nholidays = 25.12.2026\n", "YYYY-MM-DD" },
	};
	char err[CONFIG_ERR_MAX];

	queue_config_register();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_null(load(bad[i][0], err, sizeof(err)));
		if (strstr(err, bad[i][1]) == NULL)
			fail_msg("%s: got \"%s\"", bad[i][0], err);
	}
	queue_config_free();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_queue),
		cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
