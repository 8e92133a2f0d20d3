/* Unit tests for server/core/config.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "server/core/config.h"

static char path[64];

static void
write_file(const char *text)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/rxcfgXXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void
test_defaults(void **state)
{
	char err[CONFIG_ERR_MAX];
	struct config *cf = config_load(NULL, err, sizeof(err));

	assert_non_null(cf);
	assert_string_equal(cf->http_listen, "127.0.0.1:8080");
	assert_string_equal(cf->smtp_listen, "127.0.0.1:2525");
	assert_string_equal(cf->redis_prefix, "rx:");
	assert_string_equal(cf->redis_appendfsync, "always");
	config_free(cf);
}

static void
test_file_values(void **state)
{
	char err[CONFIG_ERR_MAX];
	struct config *cf;

	write_file("[http]\nlisten = 127.0.0.1:9000\nmax_body = 2M\n"
	    "[smtp]\nmode = lmtp ; a comment\n");
	cf = config_load(path, err, sizeof(err));
	unlink(path);
	assert_non_null(cf);
	assert_string_equal(cf->http_listen, "127.0.0.1:9000");
	assert_int_equal(cf->http_max_body, 2 * 1024 * 1024);
	assert_string_equal(cf->smtp_mode, "lmtp");
	config_free(cf);
}

static void
expect_error(const char *text, const char *needle)
{
	char err[CONFIG_ERR_MAX];
	struct config *cf;

	write_file(text);
	cf = config_load(path, err, sizeof(err));
	unlink(path);
	assert_null(cf);
	if (strstr(err, needle) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err, needle);
}

static void
test_errors(void **state)
{
	expect_error("[http]\nlisten = x:1\nbogus = 1\n", ":3: [http] bogus: unknown key");
	expect_error("[smtp]\n\nmode = pop3\n", ":3: [smtp] mode: not one of the allowed values");
	expect_error("[http]\ntimeout = -5\n", "must be between 1 and 3600");
	expect_error("[http]\ntimeout = soon\n", "not a number");
	expect_error("[nosuch]\nkey = 1\n", "unknown key");
	expect_error("[form x]\nkey = 1\n", "unknown section");
}

static void
test_env_override(void **state)
{
	char err[CONFIG_ERR_MAX];
	struct config *cf;

	write_file("[http]\nlisten = 127.0.0.1:9000\n");
	setenv("RXDESK_HTTP_LISTEN", "127.0.0.1:9100", 1);
	setenv("RXDESK_REDIS_TIMEOUT_MS", "750", 1);
	cf = config_load(path, err, sizeof(err));
	assert_non_null(cf);
	assert_string_equal(cf->http_listen, "127.0.0.1:9100");
	assert_int_equal(cf->redis_timeout_ms, 750);
	config_free(cf);
	setenv("RXDESK_REDIS_TIMEOUT_MS", "fast", 1);
	cf = config_load(path, err, sizeof(err));
	assert_null(cf);
	assert_non_null(strstr(err, "RXDESK_REDIS_TIMEOUT_MS"));
	unsetenv("RXDESK_HTTP_LISTEN");
	unsetenv("RXDESK_REDIS_TIMEOUT_MS");
	unlink(path);
}

static int hook_calls;

static int
hook(const char *name, const char *key, const char *value, const char **cause)
{
	if (strcmp(key, "bad") == 0) {
		*cause = "bad key for widget";
		return -1;
	}
	assert_string_equal(name, "blue");
	hook_calls++;
	return 0;
}

static void
test_section_hook(void **state)
{
	char err[CONFIG_ERR_MAX];
	struct config *cf;

	config_section_hook("widget", hook);
	write_file("[widget blue]\ncolour = blue\nsize = 3\n");
	cf = config_load(path, err, sizeof(err));
	unlink(path);
	assert_non_null(cf);
	assert_int_equal(hook_calls, 2);
	config_free(cf);
	expect_error("[widget blue]\nbad = 1\n", ":2: [widget blue] bad: bad key for widget");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_file_values),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_env_override),
		cmocka_unit_test(test_section_hook),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
