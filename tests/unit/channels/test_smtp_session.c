/* Unit tests: the SMTP/LMTP session state machine (channels/smtp_session.c)
 * over a libevent bufferevent pair, with a recording deliver function. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <unistd.h>

#include <cmocka.h>

#include "channels/smtp_session.c"

static struct event_base *base;
static struct bufferevent *client;
static struct smtp_params params;
static struct {
	int calls;
	uint64_t id;
	char *data, *from, *rcpt0;
	char *raw;		/* the sender's bytes: data from msg_off on */
	int nrcpt;
	const char *answer;	/* NULL: answer later */
} got;

static void
record(const struct smtp_envelope *env)
{
	got.calls++;
	got.id = env->id;
	free(got.data);
	free(got.from);
	got.data = strndup(env->data, env->len);
	free(got.raw);
	got.raw = strndup(env->data + env->msg_off, env->len - env->msg_off);
	got.from = strdup(env->from);
	free(got.rcpt0);
	got.rcpt0 = strdup(env->rcpts[0]);
	got.nrcpt = env->nrcpt;
	if (got.answer)
		smtp_session_done(env->id, got.answer);
}

static void
spin(int rounds)
{
	for (int i = 0; i < rounds; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
}

/* Read the client's input until a final reply line ("NNN ") arrives. */
static char *
replies(int nfinal)
{
	struct evbuffer *in = bufferevent_get_input(client);
	static char buf[65536];
	size_t len = 0;
	int finals = 0;

	for (int tries = 0; tries < 2000 && finals < nfinal; tries++) {
		char *line;
		size_t n;

		spin(1);
		while (finals < nfinal &&
		    (line = evbuffer_readln(in, &n, EVBUFFER_EOL_CRLF_STRICT))) {
			if (len + n + 2 < sizeof(buf)) {
				memcpy(buf + len, line, n);
				len += n;
				buf[len++] = '\n';
			}
			if (n >= 4 && line[3] == ' ')
				finals++;
			free(line);
		}
		if (finals < nfinal)
			usleep(1000);
	}
	buf[len] = '\0';
	return buf;
}

static void
say(const char *s)
{
	bufferevent_write(client, s, strlen(s));
}

static const char *
chat(const char *s)
{
	say(s);
	return replies(1);
}

static int
setup(void **state)
{
	struct bufferevent *pair[2];

	base = event_base_new();
	params.hostname = "mx.test";
	params.lmtp = 0;
	params.domains = "example.com, example.org";
	params.max_size = 4096;
	params.max_rcpt = 3;
	params.max_errors = 4;
	params.idle_timeout = 30;
	params.session_timeout = 60;
	params.tls = NULL;
	params.deliver = record;
	memset(&got, 0, sizeof(got));
	got.answer = "250 2.0.0 Ok: queued";
	assert_int_equal(bufferevent_pair_new(base, BEV_OPT_CLOSE_ON_FREE, pair), 0);
	client = pair[1];
	bufferevent_enable(client, EV_READ | EV_WRITE);
	smtp_session_new(pair[0], "127.0.0.1", &params);
	assert_non_null(strstr(replies(1), "220 mx.test ESMTP"));
	return 0;
}

static int
teardown(void **state)
{
	smtp_session_close_all();
	bufferevent_free(client);
	event_base_free(base);
	free(got.data);
	free(got.from);
	free(got.rcpt0);
	free(got.raw);
	got.data = got.from = got.rcpt0 = got.raw = NULL;
	return 0;
}

static void
test_ehlo(void **state)
{
	const char *r = chat("EHLO client.test\r\n");

	assert_non_null(strstr(r, "250-mx.test Hello client.test\n"));
	assert_non_null(strstr(r, "250-PIPELINING\n"));
	assert_non_null(strstr(r, "250-SIZE 4096\n"));
	assert_non_null(strstr(r, "250-8BITMIME\n"));
	assert_non_null(strstr(r, "250 ENHANCEDSTATUSCODES\n"));
	assert_null(strstr(r, "STARTTLS"));
	assert_string_equal(chat("HELO x\r\n"), "250 mx.test\n");
	assert_string_equal(chat("LHLO x\r\n"),
	    "500 5.5.1 LHLO is not for this SMTP server\n");
	assert_string_equal(chat("EHLO\r\n"), "501 5.5.4 Syntax: EHLO hostname\n");
}

/* A pipelined transaction, dot-stuffing, then the answer after delivery. */
static void
test_transaction(void **state)
{
	const char *r;

	replies(0);
	say("EHLO c\r\nMAIL FROM:<a@b.org> SIZE=100 BODY=8BITMIME\r\n"
	    "RCPT TO:<Support@Example.com>\r\nRCPT TO:<x@example.org>\r\nDATA\r\n");
	r = replies(5);
	assert_non_null(strstr(r, "250 2.1.0 Ok\n250 2.1.5 Ok\n250 2.1.5 Ok\n354 "));
	got.answer = NULL;
	/* a bare-LF "." is a line of the message, not its end (4.1.1.4) */
	say("Subject: hi\r\n\r\n..leading dot\r\nbare lf\n.\nlast\r\n.\r\n");
	for (int i = 0; i < 200 && got.calls == 0; i++)
		spin(1);
	assert_int_equal(got.calls, 1);
	assert_int_equal(got.nrcpt, 2);
	assert_string_equal(got.from, "a@b.org");
	assert_int_equal(strncmp(got.data, "Received: from c (127.0.0.1)", 28), 0);
	/* the raw copy is exactly what was sent, dot-unstuffed, bare LF kept */
	assert_string_equal(got.raw, "Subject: hi\r\n\r\n.leading dot\r\n"
	    "bare lf\n\nlast\r\n");
	assert_int_equal(smtp_session_busy(), 1);
	smtp_session_done(got.id, "250 2.0.0 Ok: queued as RX-1");
	assert_string_equal(replies(1), "250 2.0.0 Ok: queued as RX-1\n");
	assert_int_equal(smtp_session_busy(), 0);
	/* the session goes on: a second message, null sender */
	got.answer = "451 4.3.0 Storage unavailable";
	say("MAIL FROM:<>\r\nRCPT TO:<a@example.com>\r\nDATA\r\nx\r\n.\r\n");
	r = replies(4);
	assert_non_null(strstr(r, "354 "));
	assert_non_null(strstr(r, "451 4.3.0 Storage unavailable\n"));
	assert_string_equal(got.from, "");
	assert_string_equal(chat("QUIT\r\n"), "221 2.0.0 mx.test Bye\n");
	spin(5);
	assert_int_equal(smtp_session_count(), 0);
}

static void
test_refusals(void **state)
{
	params.max_errors = 100;
	chat("EHLO c\r\n");
	assert_string_equal(chat("RCPT TO:<a@example.com>\r\n"),
	    "503 5.5.1 Need MAIL before RCPT\n");
	assert_string_equal(chat("DATA\r\n"), "503 5.5.1 Need RCPT before DATA\n");
	assert_string_equal(chat("MAIL FROM:<a@b.c> SIZE=5000\r\n"),
	    "552 5.3.4 Message size exceeds the limit of 4096\n");
	assert_string_equal(chat("MAIL FROM:<a@b.c>\r\n"), "250 2.1.0 Ok\n");
	assert_string_equal(chat("MAIL FROM:<a@b.c>\r\n"),
	    "503 5.5.1 Nested MAIL command\n");
	assert_string_equal(chat("RCPT TO:<a@evil.org>\r\n"),
	    "550 5.7.1 <a@evil.org>: Relay access denied\n");
	assert_string_equal(chat("RCPT TO:<PostMaster>\r\n"), "250 2.1.5 Ok\n");
	say("DATA\r\nx\r\n.\r\n");
	replies(2);
	assert_string_equal(got.rcpt0, "postmaster@example.com");
	chat("MAIL FROM:<a@b.c>\r\n");
	assert_string_equal(chat("RCPT TO:<a@example.com.>\r\n"),
	    "550 5.7.1 <a@example.com.>: Relay access denied\n");
	params.max_errors = 4;
}

static void
test_limits(void **state)
{
	char big[1024];
	const char *r;

	chat("EHLO c\r\n");
	chat("MAIL FROM:<a@b.c>\r\n");
	for (int i = 0; i < 3; i++)
		assert_string_equal(chat("RCPT TO:<a@example.com>\r\n"), "250 2.1.5 Ok\n");
	assert_string_equal(chat("RCPT TO:<a@example.com>\r\n"),
	    "452 4.5.3 Too many recipients\n");
	assert_string_equal(chat("DATA\r\n"), "354 End data with <CR><LF>.<CR><LF>\n");
	memset(big, 'x', sizeof(big) - 3);
	memcpy(big + sizeof(big) - 3, "\r\n", 3);
	for (int i = 0; i < 5; i++)
		say(big);
	r = chat(".\r\n");
	assert_string_equal(r, "552 5.3.4 Message size exceeds the limit of 4096\n");
	assert_int_equal(got.calls, 0);
	/* a command line over 512 bytes, sent in pieces */
	say(big);
	assert_string_equal(replies(1), "500 5.5.2 Line too long\n");
	assert_string_equal(chat("NOOP\r\n"), "250 2.0.0 Ok\n");
}

static void
test_errors_close(void **state)
{
	assert_string_equal(chat("FOO\r\n"),
	    "500 5.5.2 Syntax error, command unrecognized\n");
	assert_string_equal(chat("MAIL FROM:<a@b.c>\r\n"), "503 5.5.1 Say EHLO first\n");
	chat("EXPN x\r\n");
	say("BAR\r\n");
	assert_string_equal(replies(2),
	    "500 5.5.2 Syntax error, command unrecognized\n"
	    "421 4.7.0 mx.test Too many errors, closing\n");
	spin(5);
	assert_int_equal(smtp_session_count(), 0);
}

static void
test_misc(void **state)
{
	params.max_errors = 100;
	assert_string_equal(chat("VRFY a@example.com\r\n"),
	    "252 2.5.0 Cannot VRFY user, but will accept message\n");
	assert_non_null(strstr(chat("HELP\r\n"), "214 2.0.0 Commands:"));
	assert_string_equal(chat("STARTTLS\r\n"), "502 5.5.1 STARTTLS not available\n");
	chat("EHLO c\r\n");
	chat("MAIL FROM:<a@b.c>\r\n");
	assert_string_equal(chat("RSET\r\n"), "250 2.0.0 Ok\n");
	assert_string_equal(chat("RCPT TO:<a@example.com>\r\n"),
	    "503 5.5.1 Need MAIL before RCPT\n");
	assert_string_equal(chat("MAIL FROM:<a b@c>\r\n"),
	    "501 5.5.4 Syntax: MAIL FROM:<address>\n");
	assert_string_equal(chat("MAIL FROM:<a@b.c> FOO=1\r\n"),
	    "555 5.5.4 Unsupported parameter FOO=1\n");
	/* NUL inside a command */
	bufferevent_write(client, "NO\0OP\r\n", 7);
	assert_string_equal(replies(1), "500 5.5.2 Syntax error, NUL in command\n");
	params.max_errors = 4;
}

static void
test_lmtp(void **state)
{
	const char *r;

	teardown(state);
	setup(state);
	smtp_session_close_all();
	{
		struct bufferevent *pair[2];

		params.lmtp = 1;
		bufferevent_free(client);
		bufferevent_pair_new(base, BEV_OPT_CLOSE_ON_FREE, pair);
		client = pair[1];
		bufferevent_enable(client, EV_READ | EV_WRITE);
		smtp_session_new(pair[0], "127.0.0.1", &params);
	}
	assert_non_null(strstr(replies(1), "220 mx.test LMTP"));
	assert_string_equal(chat("EHLO c\r\n"),
	    "500 5.5.1 EHLO is not for this LMTP server\n");
	assert_non_null(strstr(chat("LHLO c\r\n"), "250 ENHANCEDSTATUSCODES"));
	say("MAIL FROM:<a@b.c>\r\nRCPT TO:<a@example.com>\r\nRCPT TO:<b@example.com>\r\n"
	    "DATA\r\nhello\r\n.\r\n");
	r = replies(6);
	assert_non_null(strstr(r, "354 End data with <CR><LF>.<CR><LF>\n"
	    "250 2.0.0 Ok: queued\n250 2.0.0 Ok: queued\n"));
	params.lmtp = 0;
}

static void
test_idle_timeout(void **state)
{
	struct bufferevent *pair[2];
	const char *r;

	smtp_session_close_all();
	params.idle_timeout = 1;
	bufferevent_free(client);
	bufferevent_pair_new(base, BEV_OPT_CLOSE_ON_FREE, pair);
	client = pair[1];
	bufferevent_enable(client, EV_READ | EV_WRITE);
	smtp_session_new(pair[0], "127.0.0.1", &params);
	replies(1);
	r = replies(1);		/* waits up to 2 s; the timeout is 1 s */
	for (int i = 0; i < 3 && *r == '\0'; i++)
		r = replies(1);
	assert_string_equal(r, "421 4.4.2 mx.test Idle timeout, closing\n");
	params.idle_timeout = 30;
}

/* Shutdown: the idle session hears 421 at once, a busy one after its
 * answer. */
static void
test_quiesce(void **state)
{
	struct bufferevent *pair[2], *idle;
	const char *r;

	bufferevent_pair_new(base, BEV_OPT_CLOSE_ON_FREE, pair);
	idle = pair[1];
	bufferevent_enable(idle, EV_READ | EV_WRITE);
	smtp_session_new(pair[0], "127.0.0.1", &params);
	got.answer = NULL;
	say("EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<a@example.com>\r\nDATA\r\nx\r\n.\r\n");
	replies(4);
	for (int i = 0; i < 200 && got.calls == 0; i++)
		spin(1);
	assert_int_equal(got.calls, 1);
	assert_int_equal(smtp_session_count(), 2);
	smtp_session_quiesce();
	spin(5);
	assert_int_equal(smtp_session_count(), 1);
	assert_int_equal(smtp_session_busy(), 1);
	smtp_session_done(got.id, "250 2.0.0 Ok");
	r = replies(2);
	assert_string_equal(r, "250 2.0.0 Ok\n"
	    "421 4.3.2 mx.test Service shutting down, try again later\n");
	spin(5);
	assert_int_equal(smtp_session_count(), 0);
	bufferevent_free(idle);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ehlo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_misc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lmtp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quiesce, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
