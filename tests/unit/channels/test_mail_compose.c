/* Unit tests for channels/mail_compose.c and channels/ack.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "channels/ack.h"
#include "channels/mail_compose.h"

static struct mail_compose
base(void)
{
	struct mail_compose m = {
		.from = "support@example.com",
		.reply_to = "support+tok@example.com",
		.to = "Olena <olena@example.org>",
		.subject = "Hello",
		.ticket = 17,
		.text = "line one\nline two\n",
		.msgid = "<a.1@rxdesk.localhost>",
		.in_reply_to = "<c.2@example.org>",
		.references = "<c.1@example.org>",
		.date = 1700000000,
	};
	return m;
}

static void
test_subject_tag_once(void **state)
{
	char *s = mail_compose_subject("Re: [RX-17] Dose", 17);

	assert_string_equal(s, "Re: [RX-17] Dose");
	free(s);
	s = mail_compose_subject("Dose", 17);
	assert_string_equal(s, "[RX-17] Dose");
	free(s);
	s = mail_compose_subject("Re: [RX-170] Dose", 17);
	assert_string_equal(s, "[RX-17] Re: [RX-170] Dose");
	free(s);
}

static void
test_headers(void **state)
{
	struct mail_compose m = base();
	const char *cause = NULL;
	char *t = mail_compose(&m, &cause);

	assert_non_null(t);
	assert_non_null(strstr(t, "Message-ID: <a.1@rxdesk.localhost>\r\n"));
	assert_non_null(strstr(t, "In-Reply-To: <c.2@example.org>\r\n"));
	assert_non_null(strstr(t, "References: <c.1@example.org>\r\n <c.2@example.org>\r\n"));
	assert_non_null(strstr(t, "Subject: [RX-17] Hello\r\n"));
	assert_non_null(strstr(t, "Reply-To: support+tok@example.com\r\n"));
	assert_null(strstr(t, "Auto-Submitted"));
	assert_non_null(strstr(t, "\r\n\r\nline one\r\nline two\r\n"));
	assert_null(strstr(t, "\n\n"));
	free(t);
	m.automatic = 1;
	t = mail_compose(&m, &cause);
	assert_non_null(strstr(t, "Auto-Submitted: auto-replied\r\n"));
	assert_non_null(strstr(t, "X-Loop: support@example.com\r\n"));
	free(t);
	m.x_loop = "rxdesk.localhost";
	t = mail_compose(&m, &cause);
	assert_non_null(strstr(t, "X-Loop: rxdesk.localhost\r\n"));
	free(t);
}

static void
test_injection_refused(void **state)
{
	struct mail_compose m = base();
	const char *cause = NULL;

	m.subject = "hi\r\nBcc: victim@example.net";
	assert_null(mail_compose(&m, &cause));
	assert_non_null(cause);
	m = base();
	m.to = "a@example.org\nBcc: b@example.org";
	assert_null(mail_compose(&m, &cause));
	m = base();
	m.to = "not an address";
	assert_null(mail_compose(&m, &cause));
}

static void
test_encoded_words(void **state)
{
	/* 40 Cyrillic letters: 80 bytes, so more than one word. */
	char *h = mail_compose_header("Subject",
	    "Побічна дія після прийому препарату, прошу допомогти");
	char *p, *q;

	assert_non_null(h);
	assert_int_equal(strncmp(h, "Subject: =?UTF-8?B?", 19), 0);
	for (p = h; (p = strstr(p, "=?UTF-8?B?")) != NULL; p = q) {
		q = strstr(p, "?=");
		assert_non_null(q);
		q += 2;
		assert_true(q - p <= 75);	/* RFC 2047 section 2 */
	}
	assert_non_null(strstr(h, "?=\r\n =?UTF-8?B?"));
	free(h);
}

static void
test_qp_lines(void **state)
{
	struct mail_compose m = base();
	char text[400], *t, *line;
	const char *cause;

	memset(text, 'a', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	text[100] = '=';
	m.text = text;
	t = mail_compose(&m, &cause);
	assert_non_null(strstr(t, "quoted-printable"));
	assert_non_null(strstr(t, "=3D"));
	for (line = strstr(t, "\r\n\r\n") + 4; *line; line = strstr(line, "\r\n") + 2)
		assert_true(strstr(line, "\r\n") - line <= 76);
	free(t);
	m.text = "你好，我们已收到您的请求。";
	t = mail_compose(&m, &cause);
	assert_non_null(strstr(t, "Content-Transfer-Encoding: base64"));
	free(t);
}

static void
test_addresses(void **state)
{
	char *out[4];
	const char *cause = NULL;
	int n = mail_compose_addresses("a@x.org, B <b@y.org>,,", out, 4, &cause);

	assert_int_equal(n, 2);
	assert_string_equal(out[0], "a@x.org");
	assert_string_equal(out[1], "b@y.org");
	free(out[0]);
	free(out[1]);
	assert_int_equal(mail_compose_addresses("a@x.org,b@x.org", out, 1, &cause), -1);
	assert_int_equal(mail_compose_addresses("@x.org", out, 4, &cause), -1);
	assert_int_equal(mail_compose_addresses("", out, 4, &cause), 0);
}

static void
test_ack_builtin(void **state)
{
	char *s, *t;

	assert_int_equal(ack_load("/nonexistent-rx", &(const char *){ NULL }), -1);
	assert_int_equal(ack_render("uk", 42, "Dose", NULL, &s, &t), 0);
	assert_string_equal(s, "We have received your request: Dose");
	assert_non_null(strstr(t, "RX-42"));
	assert_non_null(strstr(t, "Hello,"));
	free(s);
	free(t);
	ack_free();
}

static void
test_ack_templates(void **state)
{
	const char *src = getenv("RXDESK_SRCDIR"), *cause = NULL;
	char dir[1024], *s, *t;

	snprintf(dir, sizeof(dir), "%s/etc/templates", src ? src : "..");
	assert_true(ack_load(dir, &cause) >= 4);
	assert_int_equal(ack_render("zh-CN", 5, "药品", NULL, &s, &t), 0);
	assert_non_null(strstr(s, "我们已收到您的请求"));
	assert_non_null(strstr(s, "药品"));
	assert_non_null(strstr(t, "RX-5"));
	free(s);
	free(t);
	assert_int_equal(ack_render("uk", 6, "Доза", "Олена", &s, &t), 0);
	assert_non_null(strstr(t, "Вітаємо Олена"));
	assert_null(strstr(t, "{{"));
	free(s);
	free(t);
	assert_int_equal(ack_render("xx", 7, "Dose", NULL, &s, &t), 0);
	assert_string_equal(s, "We have received your request: Dose");
	assert_non_null(strstr(t, "Hello,"));
	free(s);
	free(t);
	ack_free();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subject_tag_once),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_injection_refused),
		cmocka_unit_test(test_encoded_words),
		cmocka_unit_test(test_qp_lines),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_ack_builtin),
		cmocka_unit_test(test_ack_templates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
