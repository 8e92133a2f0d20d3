/* Unit tests: channels/mime.c and channels/mail_thread.c on the corpus in
 * tests/data/mail (written by make_corpus.py there). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "channels/mail_thread.h"
#include "channels/mime.h"

#define UK "Добрий день! Ліки викликали висип, прошу допомогти. Ґанок їжак є."
#define RU "Здравствуйте! После приёма препарата появилась сыпь."
#define ZH "您好，服用药物后出现皮疹，请帮助。"
#define ZH_TW "您好，服用藥物後出現皮疹，請幫助。"
#define PL "Dzień dobry, zażółć gęślą jaźń."
#define DE "Grüße aus München, Straße."

static char *
slurp(const char *name, size_t *len)
{
	const char *src = getenv("RXDESK_SRCDIR");
	char path[1024];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/tests/data/mail/%s", src ? src : ".", name);
	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void
parse(const char *name, struct mime_msg *m)
{
	size_t len;
	char *raw = slurp(name, &len);

	mime_parse(raw, len, 1024 * 1024, m);
	free(raw);
	assert_non_null(m->text);
	assert_non_null(m->subject);
	assert_true(g_utf8_validate(m->text, -1, NULL));
	assert_true(g_utf8_validate(m->subject, -1, NULL));
}

/* Every charset of the issue: body and RFC 2047 subject become UTF-8. */
static void
test_charsets(void **state)
{
	static const struct { const char *file, *text; } cases[] = {
		{ "utf8.eml", UK }, { "cp1251.eml", UK }, { "koi8u.eml", UK },
		{ "koi8r.eml", RU }, { "iso8859-5.eml", RU }, { "gb2312.eml", ZH },
		{ "gbk.eml", ZH }, { "gb18030.eml", ZH }, { "big5.eml", ZH_TW },
		{ "iso8859-2.eml", PL }, { "iso8859-15.eml", DE },
	};
	struct mime_msg m;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char want[256];
		glong n = g_utf8_strlen(cases[i].text, -1);

		parse(cases[i].file, &m);
		if (strstr(m.text, cases[i].text) == NULL)
			fail_msg("%s: text %s", cases[i].file, m.text);
		/* the subject is the first 20 characters */
		g_utf8_strncpy(want, cases[i].text, n < 20 ? (gsize)n : 20);
		if (strcmp(m.subject, want) != 0)
			fail_msg("%s: subject '%s' want '%s'", cases[i].file,
			    m.subject, want);
		assert_string_equal(m.from_addr, "olena@clinic.example.org");
		assert_string_equal(m.from_name, "Olena Koval");
		assert_false(m.malformed);
		mime_free(&m);
	}
}

/* Raw 8-bit headers and bodies with no charset: guessed, not Latin-1. */
static void
test_undeclared(void **state)
{
	static const struct { const char *file, *text; int nsubj; } cases[] = {
		{ "raw-cp1251.eml", UK, 20 }, { "raw-koi8r.eml", RU, 20 },
		{ "raw-gb18030.eml", ZH, 8 },
	};
	struct mime_msg m;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char want[256];

		parse(cases[i].file, &m);
		if (strstr(m.text, cases[i].text) == NULL)
			fail_msg("%s: text %s", cases[i].file, m.text);
		g_utf8_strncpy(want, cases[i].text, (gsize)cases[i].nsubj);
		g_strstrip(want);
		if (strcmp(m.subject, want) != 0)
			fail_msg("%s: subject '%s' want '%s'", cases[i].file,
			    m.subject, want);
		mime_free(&m);
	}
}

static void
test_html(void **state)
{
	struct mime_msg m;

	parse("html-only.eml", &m);
	assert_true(m.html);
	assert_non_null(strstr(m.text, "Dear team,"));
	assert_non_null(strstr(m.text, "the patient had a rash & fever."));
	assert_non_null(strstr(m.text, "- one\n- two"));
	assert_null(strstr(m.text, "alert"));
	assert_null(strstr(m.text, "color"));
	assert_null(strstr(m.text, "<p>"));
	mime_free(&m);
	parse("alternative.eml", &m);
	assert_false(m.html);
	assert_string_equal(m.text, "Plain wins.");
	assert_int_equal(m.natt, 0);
	mime_free(&m);
}

static void
test_nested(void **state)
{
	struct mime_msg m;

	parse("nested.eml", &m);
	assert_string_equal(m.subject, "Вкладення");
	assert_non_null(strstr(m.text, UK));
	assert_int_equal(m.natt, 2);
	assert_string_equal(m.att[0].type, "image/png");
	assert_int_equal(m.att[0].size, 8 + 256);
	assert_memory_equal(m.att[0].data, "\x89PNG\r\n\x1a\n", 8);
	assert_string_equal(m.att[1].type, "application/pdf");
	assert_string_equal(m.att[1].name, "звіт.pdf");
	assert_int_equal(m.att[1].size, 9 + 3000);
	mime_free(&m);
	/* the limit on one attachment drops it and counts it */
	{
		size_t len;
		char *raw = slurp("nested.eml", &len);

		mime_parse(raw, len, 1000, &m);
		free(raw);
		assert_int_equal(m.natt, 1);
		assert_int_equal(m.att_dropped, 1);
		mime_free(&m);
	}
}

/* Broken input: never a crash, never lost, flagged for a person. */
static void
test_broken(void **state)
{
	static const char *const files[] = { "no-boundary.eml", "truncated.eml",
	    "deep.eml", "garbage.eml" };
	struct mime_msg m;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		parse(files[i], &m);
		if (!m.malformed)
			fail_msg("%s: not flagged", files[i]);
		assert_non_null(m.problem);
		mime_free(&m);
	}
	parse("no-boundary.eml", &m);
	assert_non_null(strstr(m.text, "body of a broken multipart"));
	mime_free(&m);
	parse("truncated.eml", &m);
	assert_non_null(strstr(m.text, "the end never comes"));
	mime_free(&m);
}

static void
test_odd_bytes(void **state)
{
	struct mime_msg m;

	parse("nul-bytes.eml", &m);
	assert_string_equal(m.text, "beforeafterend\n");
	mime_free(&m);
	parse("bare-lf.eml", &m);
	assert_string_equal(m.subject, "Bare LF");
	assert_non_null(strstr(m.text, UK));
	assert_non_null(strstr(m.text, "second line"));
	assert_string_equal(m.msgid, "<bare-lf@example.org>");
	mime_free(&m);
	parse("huge-headers.eml", &m);
	assert_int_equal(strncmp(m.subject, "Huge sss", 8), 0);
	assert_non_null(strstr(m.text, "small body after huge headers"));
	mime_free(&m);
}

static void
test_dsn(void **state)
{
	struct mime_msg m;
	const char *why;

	parse("dsn-headers.eml", &m);
	assert_true(m.dsn);
	assert_string_equal(m.dsn_msgid, "<rx.7.abc@rxdesk.localhost>");
	assert_true(mail_thread_classify(&m, "", "rxdesk.localhost",
	    NULL, &why) & MAIL_BOUNCE);
	mime_free(&m);
	parse("dsn-rfc822.eml", &m);
	assert_true(m.dsn);
	assert_string_equal(m.dsn_msgid, "<rx.8.def@rxdesk.localhost>");
	assert_int_equal(m.natt, 0);
	mime_free(&m);
}

static void
test_classify(void **state)
{
	struct mime_msg m;
	const char *why;
	unsigned c;

	parse("autoreply.eml", &m);
	c = mail_thread_classify(&m, "olena@clinic.example.org",
	    "rxdesk.localhost", NULL, &why);
	assert_int_equal(c, MAIL_AUTO);
	assert_string_equal(why, "auto-submitted");
	mime_free(&m);
	parse("list.eml", &m);
	c = mail_thread_classify(&m, "x@example.org", "rxdesk.localhost",
	    NULL, &why);
	assert_int_equal(c, MAIL_BULK);
	mime_free(&m);
	parse("utf8.eml", &m);
	c = mail_thread_classify(&m, "olena@clinic.example.org",
	    "rxdesk.localhost", NULL, &why);
	assert_int_equal(c, 0);
	assert_null(why);
	assert_true(mail_thread_classify(&m, "", "h", NULL, &why) & MAIL_AUTO);
	assert_true(mail_thread_classify(&m, "No-Reply@x.org", "h", NULL, &why) & MAIL_AUTO);
	assert_true(mail_thread_classify(&m, "mailer-daemon@x.org", "h", NULL, &why) & MAIL_AUTO);
	free(m.msgid);
	m.msgid = strdup("<rx.1.2@rxdesk.localhost>");
	assert_true(mail_thread_classify(&m, "a@b.c", "rxdesk.localhost", NULL,
	    &why) & MAIL_LOOP);
	assert_false(mail_thread_classify(&m, "a@b.c", "rxdesk.localhost",
	    "mail.example.com", &why) & MAIL_LOOP);
	assert_true(mail_thread_classify(&m, "a@b.c", "x", "rxdesk.localhost",
	    &why) & MAIL_LOOP);
	m.noise.auto_submitted = strdup("no");
	assert_false(mail_thread_classify(&m, "a@b.c", "other", NULL, &why));
	free(m.noise.auto_submitted);
	m.noise.auto_submitted = strdup("auto-generated");
	assert_true(mail_thread_classify(&m, "a@b.c", "other", NULL, &why) & MAIL_AUTO);
	m.noise.x_loop = strdup("rxdesk.localhost");
	assert_true(mail_thread_classify(&m, "a@b.c", "rxdesk.localhost", NULL,
	    &why) & MAIL_LOOP);
	mime_free(&m);
}

static void
test_thread_keys(void **state)
{
	char tok[MAIL_TOKEN_MAX + 1], local[64];

	assert_int_equal(mail_thread_tag("Re: [RX-17] rash"), 17);
	assert_int_equal(mail_thread_tag("AW: [rx-9]"), 9);
	assert_int_equal(mail_thread_tag("[RX-] [RX-x] [RX-12"), 0);
	assert_int_equal(mail_thread_tag("[ticket] Re: [RX-5]"), 5);
	assert_int_equal(mail_thread_tag(""), 0);
	assert_int_equal(mail_thread_tag("[RX-99999999999999999999999]"), 0);
	assert_int_equal(mail_thread_token("support+Ab_3-x@example.com", tok,
	    sizeof(tok)), 0);
	assert_string_equal(tok, "Ab_3-x");
	assert_int_equal(mail_thread_token("support@example.com", tok, sizeof(tok)), -1);
	assert_int_equal(mail_thread_token("support+@example.com", tok, sizeof(tok)), -1);
	assert_int_equal(mail_thread_token("support+a.b@example.com", tok, sizeof(tok)), -1);
	mail_thread_local("Safety+x@Example.com", local, sizeof(local));
	assert_string_equal(local, "safety");
	assert_true(mail_thread_domain_ok("a@Example.COM", "foo.org, example.com"));
	assert_false(mail_thread_domain_ok("a@example.com.evil", "example.com"));
	assert_false(mail_thread_domain_ok("a@evil.org", "example.com"));
	assert_false(mail_thread_domain_ok("example.com", "example.com"));
}

static void
test_to_utf8(void **state)
{
	char *s;

	s = mime_to_utf8("\xcf\xf0\xe8\xe2\xb3\xf2", 6, "windows-1251");
	assert_string_equal(s, "Привіт");
	free(s);
	s = mime_to_utf8("abc\xff", 4, "utf-8");
	assert_true(g_utf8_validate(s, -1, NULL));
	free(s);
	s = mime_to_utf8("abc", 3, "x-no-such-charset");
	assert_string_equal(s, "abc");
	free(s);
	s = mime_html_text("<p>a<br>b</p><table><tr><td>1</td><td>2</td></tr></table>", 57);
	assert_string_equal(s, "a\nb\n\n1 2");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_charsets),
		cmocka_unit_test(test_undeclared),
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_broken),
		cmocka_unit_test(test_odd_bytes),
		cmocka_unit_test(test_dsn),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_thread_keys),
		cmocka_unit_test(test_to_utf8),
	};
	int rc;

	mime_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	mime_shutdown();
	return rc;
}
