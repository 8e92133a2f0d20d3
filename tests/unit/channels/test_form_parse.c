/* Unit tests for the web form parsers, checks and configuration. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <cmocka.h>

#include "channels/form_check.h"
#include "channels/form_config.h"
#include "channels/form_parse.h"
#include "channels/mime.h"
#include "server/core/config.h"
#include "server/core/queue_names.h"

#define URLENC	"application/x-www-form-urlencoded"
#define JSON	"application/json"
#define MP	"multipart/form-data; boundary=XyZ"

static int
parse(const char *ctype, const char *body, struct form_data *fd)
{
	const char *cause = NULL;
	int rc = form_parse(ctype, body, strlen(body), fd, &cause);

	if (rc != 0)
		assert_non_null(cause);
	return rc;
}

static void
test_urlencoded(void **state)
{
	struct form_data fd;
	size_t len;

	assert_int_equal(parse(URLENC, "name=Ol%D0%B5na+K&email=a%40b.org&empty=&flag", &fd), 0);
	assert_int_equal(fd.nv, 4);
	assert_string_equal(form_parse_get(&fd, "name", NULL), "Ol\xd0\xb5na K");
	assert_string_equal(form_parse_get(&fd, "email", NULL), "a@b.org");
	assert_string_equal(form_parse_get(&fd, "empty", &len), "");
	assert_int_equal(len, 0);
	assert_non_null(form_parse_get(&fd, "flag", NULL));
	assert_null(form_parse_get(&fd, "nope", NULL));
	form_parse_free(&fd);
	/* a NUL byte keeps its length, so the check can refuse it */
	assert_int_equal(parse(URLENC, "a=x%00y", &fd), 0);
	form_parse_get(&fd, "a", &len);
	assert_int_equal(len, 3);
	assert_false(form_parse_utf8_valid(form_parse_get(&fd, "a", NULL), len));
	form_parse_free(&fd);
}

static void
test_urlencoded_bad(void **state)
{
	struct form_data fd;
	char big[FORM_PARSE_MAX_VALUES * 8 + 64], *p = big;

	assert_int_equal(parse(URLENC, "a=%zz", &fd), 400);
	form_parse_free(&fd);
	assert_int_equal(parse(URLENC, "a=%4", &fd), 400);
	form_parse_free(&fd);
	assert_int_equal(parse(URLENC, "a=1&a=2", &fd), 400);
	form_parse_free(&fd);
	assert_int_equal(parse(URLENC, "=1", &fd), 400);
	form_parse_free(&fd);
	for (int i = 0; i <= FORM_PARSE_MAX_VALUES; i++)
		p += sprintf(p, "f%d=1&", i);
	assert_int_equal(parse(URLENC, big, &fd), 413);
	form_parse_free(&fd);
}

static void
test_json(void **state)
{
	struct form_data fd;

	assert_int_equal(parse(JSON, "{\"name\":\"\xe7\x8e\x8b\",\"age\":42,"
	    "\"ok\":true,\"n\":null,\"attachments\":[{\"name\":\"a.txt\","
	    "\"type\":\"text/plain\",\"data\":\"aGVsbG8=\"}]}", &fd), 0);
	assert_string_equal(form_parse_get(&fd, "name", NULL), "\xe7\x8e\x8b");
	assert_string_equal(form_parse_get(&fd, "age", NULL), "42");
	assert_string_equal(form_parse_get(&fd, "ok", NULL), "yes");
	assert_null(form_parse_get(&fd, "n", NULL));
	assert_int_equal(fd.nf, 1);
	assert_int_equal(fd.f[0].size, 5);
	assert_memory_equal(fd.f[0].data, "hello", 5);
	assert_string_equal(fd.f[0].name, "a.txt");
	form_parse_free(&fd);
}

static void
test_json_bad(void **state)
{
	static const char *const bad[] = {
		"{\"a\":", "[1,2]", "\"x\"", "{\"a\":{\"b\":1}}", "{\"a\":1,\"a\":2}",
		"[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]", "{\"attachments\":[{\"data\":\"@@@\"}]}",
		"{\"attachments\":{\"data\":\"aGk=\"}}", "{\"a\":\"\xff\"}", "",
	};
	struct form_data fd;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(JSON, bad[i], &fd), 400);
		form_parse_free(&fd);
	}
}

static const char mp_ok[] =
    "preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\n"
    "\xd0\x9e\xd0\xbb\xd0\xb5\xd0\xbd\xd0\xb0\r\n"
    "--XyZ\r\nContent-Disposition: form-data; name=\"message\"\r\n\r\nline 1\r\nline 2\r\n"
    "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\xe6\x8a\xa5\xe5\x91\x8a.txt\"\r\n"
    "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8gd29ybGQ=\r\n"
    "--XyZ\r\nContent-Disposition: form-data; name=\"empty\"; filename=\"\"\r\n"
    "Content-Type: application/octet-stream\r\n\r\n\r\n"
    "--XyZ--\r\n";

static void
test_multipart(void **state)
{
	struct form_data fd;

	assert_int_equal(parse(MP, mp_ok, &fd), 0);
	assert_int_equal(fd.nv, 2);
	assert_string_equal(form_parse_get(&fd, "name", NULL), "\xd0\x9e\xd0\xbb\xd0\xb5\xd0\xbd\xd0\xb0");
	assert_string_equal(form_parse_get(&fd, "message", NULL), "line 1\r\nline 2");
	assert_int_equal(fd.nf, 1);
	assert_string_equal(fd.f[0].field, "file");
	assert_string_equal(fd.f[0].name, "\xe6\x8a\xa5\xe5\x91\x8a.txt");
	assert_string_equal(fd.f[0].type, "text/plain");
	assert_int_equal(fd.f[0].size, 11);
	assert_memory_equal(fd.f[0].data, "hello world", 11);
	form_parse_free(&fd);
}

static void
test_multipart_bad(void **state)
{
	struct form_data fd;
	char cut[sizeof(mp_ok)];

	snprintf(cut, sizeof(cut), "%.*s", (int)sizeof(mp_ok) - 12, mp_ok);
	assert_int_equal(parse(MP, cut, &fd), 400);
	form_parse_free(&fd);
	assert_int_equal(parse("multipart/form-data", mp_ok, &fd), 400);
	form_parse_free(&fd);
	assert_int_equal(parse(MP, "--XyZ\r\nContent-Type: text/plain\r\n\r\nx\r\n--XyZ--\r\n", &fd), 400);
	form_parse_free(&fd);
	assert_int_equal(parse(MP, "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n"
	    "Content-Type: multipart/mixed; boundary=in\r\n\r\n--in\r\n\r\nx\r\n--in--\r\n--XyZ--\r\n", &fd), 400);
	form_parse_free(&fd);
	assert_int_equal(parse(MP, "garbage", &fd), 400);
	form_parse_free(&fd);
}

static void
test_encodings(void **state)
{
	struct form_data fd;

	assert_int_equal(form_parse_enc("Application/JSON; charset=utf-8"), FORM_ENC_JSON);
	assert_int_equal(form_parse_enc(URLENC), FORM_ENC_URLENCODED);
	assert_int_equal(form_parse_enc(MP), FORM_ENC_MULTIPART);
	assert_int_equal(form_parse_enc("application/jsonx"), FORM_ENC_UNKNOWN);
	assert_int_equal(form_parse_enc(NULL), FORM_ENC_UNKNOWN);
	assert_int_equal(parse("text/plain", "a=1", &fd), 415);
	form_parse_free(&fd);
}

static void
test_utf8(void **state)
{
	assert_true(form_parse_utf8_valid("\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd1\x96\xd1\x82 \xe4\xbd\xa0\xe5\xa5\xbd \xf0\x9f\x98\x80", 24));
	assert_false(form_parse_utf8_valid("\xc0\xaf", 2));		/* overlong */
	assert_false(form_parse_utf8_valid("\xed\xa0\x80", 3));	/* surrogate */
	assert_false(form_parse_utf8_valid("\xe4\xbd", 2));		/* cut short */
	assert_false(form_parse_utf8_valid("\xf4\x90\x80\x80", 4));	/* > U+10FFFF */
	assert_false(form_parse_utf8_valid("\xff", 1));
}

/* Check BODY (urlencoded) against form NAME; the number of errors. */
static int
check(const char *name, const char *body, struct form_checked *ck)
{
	struct form_data fd;
	int n;

	assert_int_equal(parse(URLENC, body, &fd), 0);
	assert_non_null(form_config_find(name));
	n = form_check(form_config_find(name), &fd, "UA", ck);
	form_parse_free(&fd);
	return n;
}

static const char *
error_code(const struct form_checked *ck, const char *field)
{
	for (int i = 0; i < ck->nerr; i++)
		if (strcmp(ck->err[i].field, field) == 0)
			return ck->err[i].code;
	return "";
}

static void
test_check(void **state)
{
	struct form_checked ck;

	form_config_commit();
	assert_int_equal(check("contact", "name=A&email=+A%40Example.ORG+&message=hi", &ck), 0);
	assert_string_equal(ck.email, "a@example.org");
	assert_int_equal(check("contact", "name=A&phone=044+123-45-67&message=hi&ticket=rx-17", &ck), 0);
	assert_string_equal(ck.phone, "+380441234567");
	assert_string_equal(ck.phone_ext, "");
	assert_int_equal(ck.ticket, 17);
	/* issue 12: an extension is split off, the number still matches */
	assert_int_equal(check("contact", "name=A&phone=067+555+1234+%D0%B4%D0%BE%D0%B1.+7&message=hi", &ck), 0);
	assert_string_equal(ck.phone, "+380675551234");
	assert_string_equal(ck.phone_ext, "7");
	assert_int_equal(check("contact", "name=A&phone=%2B1+(555)+123-4567&message=hi", &ck), 0);
	assert_string_equal(ck.phone, "+15551234567");
	assert_int_equal(check("contact", "name=A&phone=0048221234567&message=hi", &ck), 0);
	assert_string_equal(ck.phone, "+48221234567");
	assert_int_equal(check("contact", "name=+&message=hi", &ck), 2);
	assert_string_equal(error_code(&ck, "name"), "required");
	assert_string_equal(error_code(&ck, "email"), "required");
	assert_int_equal(check("contact", "name=A&email=a%40b&phone=12ab&message=hi&ticket=x", &ck), 3);
	assert_string_equal(error_code(&ck, "email"), "invalid_email");
	assert_string_equal(error_code(&ck, "phone"), "invalid_phone");
	assert_string_equal(error_code(&ck, "ticket"), "invalid_ticket");
	assert_int_equal(check("contact", "name=%FF&email=a%40b.org&message=hi", &ck), 1);
	assert_string_equal(error_code(&ck, "name"), "invalid_utf8");
	assert_int_equal(check("ae-report", "name=A&email=a%40b.org&product=X", &ck), 1);
	assert_string_equal(error_code(&ck, "reaction"), "required");
	assert_int_equal(check("contact", "name=A&email=a%40b.org&message=hi&website=http", &ck), 0);
	assert_true(ck.honeypot);
	assert_int_equal(check("contact", "name=A&email=a%40b.org&message=hi&website=", &ck), 0);
	assert_false(ck.honeypot);
}

static void
test_check_sizes(void **state)
{
	struct form_checked ck;
	struct form_data fd;
	char *body = malloc(70000);
	const struct form *f;

	form_config_commit();
	snprintf(body, 70000, "name=A&email=a%%40b.org&message=hi&subject=");
	memset(body + strlen(body), 'x', 301);
	body[strlen("name=A&email=a%40b.org&message=hi&subject=") + 301] = '\0';
	assert_int_equal(check("contact", body, &ck), 1);
	assert_string_equal(error_code(&ck, "subject"), "too_long");
	free(body);
	f = form_config_find("contact");
	assert_int_equal(parse(URLENC, "name=A&email=a%40b.org&message=hi", &fd), 0);
	for (size_t i = 0; i <= f->max_files; i++)
		assert_int_equal(form_parse_add_file(&fd, "file", "a.txt", "text/plain",
		    strdup("abc"), 3, &(const char *){ NULL }), 0);
	assert_int_equal(form_check(f, &fd, "UA", &ck), 1);
	assert_string_equal(error_code(&ck, "file"), "too_many_files");
	form_parse_free(&fd);
}

static void
test_config(void **state)
{
	char path[] = "/tmp/rxformXXXXXX", err[CONFIG_ERR_MAX];
	const char *text = "[form recall]\nfields = name, email:100, message, lot:10\n"
	    "required = email, lot\ncategory = complaint\nqueue = quality\n"
	    "redirect = /done.html?x=1\nmax_files = 2\nmax_file_size = 1k\n"
	    "[form contact]\nenabled = no\n";
	int fd = mkstemp(path);
	struct config *cf;
	const struct form *f;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	form_config_register();
	cf = config_load(path, err, sizeof(err));
	assert_non_null(cf);
	/* a form's queue must be one the configuration defines */
	queue_names_reset(path);
	assert_int_equal(form_config_check(err, sizeof(err)), -1);
	assert_non_null(strstr(err, "[form recall] queue: unknown queue \"quality\""));
	queue_names_add("quality");
	assert_int_equal(form_config_check(err, sizeof(err)), 0);
	form_config_commit();
	config_free(cf);
	assert_non_null(f = form_config_find("recall"));
	assert_string_equal(f->category, "complaint");
	assert_string_equal(f->queue, "quality");
	assert_int_equal(f->max_file_size, 1024);
	assert_int_equal(form_config_field(f, "email")->max, 100);
	assert_true(form_config_field(f, "lot")->required);
	assert_false(form_config_field(f, "name")->required);
	assert_false(form_config_find("contact")->enabled);
	assert_true(form_config_find("medinfo")->enabled);
	/* a reload without the sections brings back the built-ins only */
	form_config_commit();
	assert_null(form_config_find("recall"));
	assert_true(form_config_find("contact")->enabled);

	text = "[form bad]\nrequired = nosuch\n";
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	cf = config_load(path, err, sizeof(err));
	assert_non_null(cf);
	assert_int_equal(form_config_check(err, sizeof(err)), -1);
	assert_non_null(strstr(err, "nosuch"));
	form_config_commit();
	assert_null(form_config_find("bad"));
	config_free(cf);
	text = "[form x]\ncategory = weird\n";
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_null(config_load(path, err, sizeof(err)));
	assert_non_null(strstr(err, "category"));
	form_config_commit();
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_urlencoded),
		cmocka_unit_test(test_urlencoded_bad),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_json_bad),
		cmocka_unit_test(test_multipart),
		cmocka_unit_test(test_multipart_bad),
		cmocka_unit_test(test_encodings),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_check_sizes),
		cmocka_unit_test(test_config),
	};
	int rc;

	mime_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	mime_shutdown();
	return rc;
}
