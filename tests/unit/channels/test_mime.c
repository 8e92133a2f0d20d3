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

/* The classification with only a host name and a Message-ID domain. */
static unsigned
classify(const struct mime_msg *m, const char *from, const char *host,
    const char *msgid_domain, const char **why)
{
	struct mail_self self = { host, msgid_domain, NULL, NULL, 0 };

	return mail_thread_classify(m, from, &self, why);
}

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
	/* the PNG with a Content-ID in multipart/related is inline */
	assert_int_equal(m.natt, 1);
	assert_int_equal(m.ninline, 1);
	assert_string_equal(m.att[0].type, "application/pdf");
	assert_string_equal(m.att[0].name, "звіт.pdf");
	assert_int_equal(m.att[0].size, 9 + 3000);
	mime_free(&m);
	/* the limit on one attachment drops it and counts it */
	{
		size_t len;
		char *raw = slurp("nested.eml", &len);

		mime_parse(raw, len, 1000, &m);
		free(raw);
		assert_int_equal(m.natt, 0);
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
	assert_true(classify(&m, "", "rxdesk.localhost",
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
	c = classify(&m, "olena@clinic.example.org",
	    "rxdesk.localhost", NULL, &why);
	assert_int_equal(c, MAIL_AUTO);
	assert_string_equal(why, "auto-submitted");
	mime_free(&m);
	parse("list.eml", &m);
	c = classify(&m, "x@example.org", "rxdesk.localhost",
	    NULL, &why);
	assert_int_equal(c, MAIL_BULK);
	mime_free(&m);
	parse("utf8.eml", &m);
	c = classify(&m, "olena@clinic.example.org",
	    "rxdesk.localhost", NULL, &why);
	assert_int_equal(c, 0);
	assert_null(why);
	assert_true(classify(&m, "", "h", NULL, &why) & MAIL_AUTO);
	assert_true(classify(&m, "No-Reply@x.org", "h", NULL, &why) & MAIL_AUTO);
	assert_true(classify(&m, "mailer-daemon@x.org", "h", NULL, &why) & MAIL_AUTO);
	free(m.msgid);
	m.msgid = strdup("<rx.1.2@rxdesk.localhost>");
	assert_true(classify(&m, "a@b.c", "rxdesk.localhost", NULL,
	    &why) & MAIL_LOOP);
	assert_false(classify(&m, "a@b.c", "rxdesk.localhost",
	    "mail.example.com", &why) & MAIL_LOOP);
	assert_true(classify(&m, "a@b.c", "x", "rxdesk.localhost",
	    &why) & MAIL_LOOP);
	m.noise.auto_submitted = strdup("no");
	assert_false(classify(&m, "a@b.c", "other", NULL, &why));
	free(m.noise.auto_submitted);
	m.noise.auto_submitted = strdup("auto-generated");
	assert_true(classify(&m, "a@b.c", "other", NULL, &why) & MAIL_AUTO);
	m.noise.x_loop = strdup("rxdesk.localhost");
	assert_true(classify(&m, "a@b.c", "rxdesk.localhost", NULL,
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

/* A message from a C string; the caller frees it with mime_free. */
static void
parse_str(const char *raw, struct mime_msg *m)
{
	mime_parse(raw, strlen(raw), 1024 * 1024, m);
	assert_true(g_utf8_validate(m->text, -1, NULL));
	assert_true(g_utf8_validate(m->subject, -1, NULL));
}

#define HDR	"From: a@example.org\r\nTo: support@example.com\r\n"
#define MIME	"MIME-Version: 1.0\r\n"

/* Issue 12: GMime cut a Subject of several B-words after the first when
 * it was padded; every form of RFC 2047 encoded word. */
static void
test_encoded_subjects(void **state)
{
	static const struct { const char *subject, *want; } cases[] = {
		/* padded B-words, folded as Outlook and Gmail fold them */
		{ "=?UTF-8?B?0J/QvtCx0ZbRh9C90LAg0LTRltGPINC/0ZbRgdC70Y8=?=\r\n"
		  " =?UTF-8?B?INC00YDRg9Cz0L7RlyDQtNC+0LfQuA==?=",
		  "Побічна дія після другої дози" },
		/* unpadded, folded with a tab */
		{ "=?utf-8?b?0KDQtdGG0LXQv9GC?=\r\n\t=?utf-8?b?INC90LAg0LvRltC60Lg?=",
		  "Рецепт на ліки" },
		/* Q-words: underscores, hex, two words joined */
		{ "=?iso-8859-1?q?Gr=FC=DFe_aus?= =?iso-8859-1?q?_M=FCnchen?=",
		  "Grüße aus München" },
		/* two charsets in one header */
		{ "=?koi8-r?B?89nQ2A==?= =?utf-8?Q?_=D0=B2=D1=96=D0=B4?=",
		  "Сыпь від" },
		/* a character split between two words */
		{ "=?utf-8?B?0LTR?= =?utf-8?B?ltGP?=", "дія" },
		/* plain text around words keeps its blanks */
		{ "Re: =?utf-8?Q?=D0=B4=D1=96=D1=8F?= [RX-5] ok", "Re: дія [RX-5] ok" },
		/* a lone encoded word with a language (RFC 2231 section 5) */
		{ "=?utf-8*uk?Q?=D0=B4=D1=96=D1=8F?=", "дія" },
		{ "not =?encoded", "not =?encoded" },
	};
	struct mime_msg m;
	char raw[1024];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(raw, sizeof(raw), HDR "Subject: %s\r\n\r\nx\r\n",
		    cases[i].subject);
		parse_str(raw, &m);
		if (strcmp(m.subject, cases[i].want) != 0)
			fail_msg("case %zu: '%s' want '%s'", i, m.subject,
			    cases[i].want);
		assert_false(m.malformed);
		mime_free(&m);
	}
	/* a display name of two padded words, the same defect */
	parse_str("From: =?UTF-8?B?0J7Qu9C10L3QsA==?= =?UTF-8?B?INCa0L7QstCw0LvRjA==?="
	    " <olena@example.org>\r\nSubject: x\r\n\r\nx\r\n", &m);
	assert_string_equal(m.from_name, "Олена Коваль");
	assert_string_equal(m.from_addr, "olena@example.org");
	mime_free(&m);
	/* an attachment's name in encoded words (Outlook), the same defect */
	parse_str(HDR MIME "Subject: f\r\nContent-Type: multipart/mixed; boundary=M\r\n\r\n"
	    "--M\r\nContent-Type: text/plain\r\n\r\nhi\r\n--M\r\n"
	    "Content-Type: application/pdf\r\nContent-Disposition: attachment;\r\n"
	    " filename=\"=?UTF-8?B?0J/QvtCx0ZbRh9C90LAg0LTRltGPINC/0ZbRgdC70Y8=?= "
	    "=?UTF-8?B?INC00YDRg9Cz0L7RlyDQtNC+0LfQuA==?=.pdf\"\r\n\r\n%PDF\r\n--M--\r\n", &m);
	assert_int_equal(m.natt, 1);
	assert_string_equal(m.att[0].name, "Побічна дія після другої дози.pdf");
	mime_free(&m);
	/* broken base64 in a word: what decodes stays, the rest is U+FFFD, flagged */
	parse_str(HDR "Subject: =?utf-8?B?0LTR!ltGP?= =?utf-8?B?/w==?=\r\n\r\nx\r\n", &m);
	assert_non_null(strstr(m.subject, "дія"));
	assert_non_null(strstr(m.subject, "\xef\xbf\xbd"));
	assert_true(m.malformed);
	assert_non_null(strstr(m.problem, "invalid base64 in an encoded word"));
	mime_free(&m);
}

static const char related[] = HDR MIME "Subject: inline\r\n"
    "Content-Type: multipart/mixed; boundary=M\r\n\r\n"
    "--M\r\nContent-Type: multipart/related; boundary=R\r\n\r\n"
    "--R\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    "<p>see <img src=\"cid:logo@x\"></p>\r\n"
    "--R\r\nContent-Type: image/png\r\nContent-ID: <logo@x>\r\n"
    "Content-Disposition: inline\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    "iVBORw0KGgo=\r\n--R--\r\n"
    "--M\r\nContent-Type: image/jpeg; name=\"scan.jpg\"\r\n"
    "Content-Disposition: attachment; filename=\"scan.jpg\"\r\n"
    "Content-ID: <scan@x>\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    "/9j/4A==\r\n"
    "--M\r\nContent-Type: message/rfc822\r\n\r\n"
    "From: b@example.org\r\nSubject: fwd\r\nMIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=I\r\n\r\n"
    "--I\r\nContent-Type: text/plain\r\n\r\ninner\r\n"
    "--I\r\nContent-Type: application/pdf; name=a.pdf\r\n\r\n%PDF\r\n--I--\r\n"
    "--M--\r\n";

/* Images the HTML shows by cid: are inline, not attachments; an attached
 * message is one attachment, whatever it holds. */
static void
test_inline(void **state)
{
	struct mime_msg m;

	parse_str(related, &m);
	assert_int_equal(m.ninline, 1);
	assert_int_equal(m.natt, 2);
	assert_string_equal(m.att[0].name, "scan.jpg");
	assert_string_equal(m.att[1].type, "message/rfc822");
	assert_null(strstr(m.text, "inner"));
	assert_false(m.malformed);
	mime_free(&m);
	/* outside multipart/related: inline when the HTML names its cid */
	parse_str(HDR MIME "Subject: x\r\nContent-Type: multipart/mixed; boundary=M\r\n\r\n"
	    "--M\r\nContent-Type: text/html\r\n\r\n<img src=\"cid:a1\">hi\r\n"
	    "--M\r\nContent-Type: image/gif\r\nContent-ID: <a1>\r\n\r\nGIF89a\r\n"
	    "--M\r\nContent-Type: image/gif\r\nContent-ID: <other>\r\n\r\nGIF89a\r\n"
	    "--M--\r\n", &m);
	assert_int_equal(m.ninline, 1);
	assert_int_equal(m.natt, 1);
	mime_free(&m);
	/* a text file attached is not the body; a named inline text part is */
	parse_str(HDR MIME "Subject: x\r\nContent-Type: multipart/mixed; boundary=M\r\n\r\n"
	    "--M\r\nContent-Type: text/plain\r\nContent-Disposition: inline; filename=a.txt\r\n\r\nbody\r\n"
	    "--M\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=log.txt\r\n\r\n"
	    "file\r\n--M--\r\n", &m);
	assert_string_equal(m.text, "body");
	assert_int_equal(m.natt, 1);
	assert_string_equal(m.att[0].name, "log.txt");
	mime_free(&m);
	/* an inner multipart with its parent's boundary (RFC 2046 5.1.1) */
	parse_str(HDR MIME "Subject: x\r\nContent-Type: multipart/mixed; boundary=S\r\n\r\n"
	    "--S\r\nContent-Type: multipart/alternative; boundary=S\r\n\r\n"
	    "--S\r\nContent-Type: text/plain\r\n\r\nsame boundary\r\n--S--\r\n", &m);
	assert_true(m.malformed);
	assert_non_null(strstr(m.problem, "reuses an outer boundary"));
	mime_free(&m);
}

/* RFC 3676: soft breaks joined, DelSp, quotes, stuffing, signature. */
static void
test_flowed(void **state)
{
	struct mime_msg m;

	parse_str(HDR MIME "Subject: f\r\nContent-Type: text/plain; charset=utf-8; format=flowed\r\n\r\n"
	    "The patient took \r\nthe tablets \r\ntwice.\r\n"
	    "> quoted soft \r\n> line\r\n"
	    " >stuffed\r\n"
	    "-- \r\nsig\r\n", &m);
	assert_string_equal(m.text, "The patient took the tablets twice.\n"
	    "> quoted soft line\n>stuffed\n-- \nsig\n");
	mime_free(&m);
	parse_str(HDR MIME "Subject: f\r\nContent-Type: text/plain; format=Flowed; DelSp=Yes\r\n\r\n"
	    "Висип з'явився після дру \r\nгої дози.\r\n", &m);
	assert_string_equal(m.text, "Висип з'явився після другої дози.\n");
	mime_free(&m);
	/* not flowed: trailing blanks stay line ends */
	parse_str(HDR "Subject: f\r\n\r\na \r\nb\r\n", &m);
	assert_string_equal(m.text, "a \nb\n");
	mime_free(&m);
}

/* Each defect of the issue: accepted, decoded, flagged with its reason. */
static void
test_malformed(void **state)
{
	static const struct { const char *raw, *why, *text; } cases[] = {
		{ NULL, "a line longer than 998 octets", "tail" },
		{ HDR MIME "Subject: x\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
		  "--B\r\nContent-Type: text/plain\r\n\r\nno close\r\n",
		  "a multipart without its closing boundary", "no close" },
		{ HDR MIME "Subject: x\r\nContent-Type: multipart/mixed; boundary=NEVER\r\n\r\n"
		  "--OTHER\r\nContent-Type: text/plain\r\n\r\nlost boundary\r\n",
		  "a multipart whose boundary never appears", "lost boundary" },
		{ HDR "Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\n"
		  "Content-Transfer-Encoding: 8bit\r\n\r\nбез версії\r\n",
		  "MIME headers without MIME-Version", "без версії" },
		{ HDR "Subject: \xcf\xf0\xe8\xe2\xb3\xf2\r\n\r\nraw subject\r\n",
		  "raw 8-bit bytes in the Subject header", "raw subject" },
		{ HDR MIME "Subject: x\r\nContent-Type: text/plain\r\n"
		  "Content-Transfer-Encoding: base64\r\n\r\naGVsbG8gd29ybGQ*!\r\n",
		  "invalid base64 in a part", "hello" },
		{ "To: support@example.com\r\nSubject: anonymous\r\n\r\nwho am I\r\n",
		  "no From header", "who am I" },
	};
	struct mime_msg m;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *raw = (char *)cases[i].raw;

		if (raw == NULL) {	/* 1200 octets on one line */
			raw = malloc(2000);
			snprintf(raw, 2000, HDR "Subject: x\r\n\r\n%01200d\r\ntail\r\n", 0);
		}
		parse_str(raw, &m);
		if (!m.malformed || strstr(m.problem, cases[i].why) == NULL)
			fail_msg("case %zu: problem '%s' want '%s'", i,
			    m.problem ? m.problem : "(none)", cases[i].why);
		if (strstr(m.problem, "truncated"))
			fail_msg("case %zu: '%s'", i, m.problem);
		if (strstr(m.text, cases[i].text) == NULL)
			fail_msg("case %zu: text '%s'", i, m.text);
		assert_int_equal(m.no_from, i == 6);
		if (raw != cases[i].raw)
			free(raw);
		mime_free(&m);
	}
	/* a well-formed message has no complaint */
	parse_str(related, &m);
	assert_false(m.malformed);
	assert_null(m.problem);
	mime_free(&m);
}

/* Undecodable bytes are U+FFFD, never '?' and never dropped. */
static void
test_replacement(void **state)
{
	struct mime_msg m;
	char *s;

	parse_str(HDR MIME "Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
	    "ok \xff\xfe end\r\n", &m);
	assert_string_equal(m.text, "ok \xef\xbf\xbd\xef\xbf\xbd end\n");
	mime_free(&m);
	s = mime_to_utf8("\xc4\xe3\xff\xba\xc3", 5, "gb2312");	/* 你 ? 好 */
	assert_string_equal(s, "你\xef\xbf\xbd好");
	free(s);
	s = mime_to_utf8("a\x98z", 3, "windows-1251");	/* 0x98 is unassigned */
	assert_null(strchr(s, '?'));
	assert_non_null(strstr(s, "\xef\xbf\xbd"));
	free(s);
	parse_str(HDR "Subject: =?utf-8?Q?bad_=FF_byte?=\r\n\r\nx\r\n", &m);
	assert_string_equal(m.subject, "bad \xef\xbf\xbd byte");
	mime_free(&m);
}

/* RFC 3834 and the product's own markers (issue 12's loop). */
static void
test_loops(void **state)
{
	static char *rcpts[] = { "support@example.com" };
	struct mail_self self = { "rxdesk.localhost", NULL, "example.com, example.org",
	    rcpts, 1 };
	static const struct { const char *hdrs; unsigned want; const char *why; } cases[] = {
		{ "From: a@x.org\r\nX-Loop: rxdesk\r\n", MAIL_LOOP, "x-loop" },
		{ "From: a@x.org\r\nX-Loop: helpdesk.example.com\r\n", MAIL_LOOP, "x-loop" },
		{ "From: a@x.org\r\nX-Loop: support@example.com\r\n", MAIL_LOOP, "x-loop" },
		{ "From: a@x.org\r\nMessage-ID: <RX-12.1-0.ab@mail.other.org>\r\n",
		  MAIL_LOOP, "our message-id" },
		{ "From: support@example.com\r\n", MAIL_LOOP, "from our own address" },
		{ "From: a@x.org\r\nReturn-Path: <>\r\n", MAIL_AUTO, "empty return-path" },
		{ "From: a@x.org\r\nPrecedence: junk\r\n", MAIL_BULK, "precedence" },
		{ "From: a@x.org\r\nPrecedence: auto_reply\r\n", MAIL_AUTO, "precedence" },
		{ "From: a@x.org\r\nX-Autoreply: yes\r\n", MAIL_AUTO, "x-autoreply" },
		{ "From: a@x.org\r\nAuto-Submitted: auto-replied\r\n", MAIL_AUTO,
		  "auto-submitted" },
		{ "From: a@x.org\r\nX-Loop: someone@else.net\r\nReturn-Path: <a@x.org>\r\n",
		  0, NULL },
	};
	struct mime_msg m;
	const char *why;
	char raw[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(raw, sizeof(raw), "%sSubject: l\r\n\r\nx\r\n", cases[i].hdrs);
		parse_str(raw, &m);
		if (mail_thread_classify(&m, "a@x.org", &self, &why) != cases[i].want ||
		    (why == NULL) != (cases[i].why == NULL) ||
		    (why && strcmp(why, cases[i].why)))
			fail_msg("case %zu: why %s", i, why ? why : "(none)");
		mime_free(&m);
	}
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
		cmocka_unit_test(test_encoded_subjects),
		cmocka_unit_test(test_inline),
		cmocka_unit_test(test_flowed),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_replacement),
		cmocka_unit_test(test_loops),
	};
	int rc;

	mime_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	mime_shutdown();
	return rc;
}
