/*
 * Unit tests for server/core/ws.c: the handshake's pure parts (accept key, key
 * syntax, Origin, UTF-8) and the framing limits, driven through a
 * bufferevent pair standing in for the socket. Includes the .c to reach
 * its statics.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "server/core/ws.c"

#include <event2/bufferevent.h>

static void
test_accept_key(void **state)
{
	char out[32];

	/* RFC 6455 section 1.3's example. */
	ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out, sizeof(out));
	assert_string_equal(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	ws_accept_key("x3JJHMbDL1EzLkh9GBhXDw==", out, sizeof(out));
	assert_string_equal(out, "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
}

static void
test_key_valid(void **state)
{
	assert_true(ws_key_valid("dGhlIHNhbXBsZSBub25jZQ=="));
	assert_false(ws_key_valid(NULL));
	assert_false(ws_key_valid(""));
	assert_false(ws_key_valid("dGhlIHNhbXBsZSBub25jZQ="));
	assert_false(ws_key_valid("dGhlIHNhbXBsZSBub25jZQ=a"));
	assert_false(ws_key_valid("dGhlIHNhbXBsZSBub25j*Q=="));
	/* 17 bytes of base64 is not a key. */
	assert_false(ws_key_valid("dGhlIHNhbXBsZSBub25jZQ1="));
}

static void
test_origin(void **state)
{
	const char *allowed = "https://desk.example.com, http://localhost:3000";

	assert_true(ws_origin_allowed(NULL, "h:1", ""));
	assert_true(ws_origin_allowed("http://127.0.0.1:8080", "http://127.0.0.1:8080", ""));
	assert_true(ws_origin_allowed("http://DESK.example.com", "http://desk.example.com", ""));
	assert_false(ws_origin_allowed("http://evil.example", "http://127.0.0.1:8080", ""));
	assert_false(ws_origin_allowed("http://127.0.0.1:8081", "http://127.0.0.1:8080", ""));
	assert_false(ws_origin_allowed("http://127.0.0.1:8080/x", "http://127.0.0.1:8080", ""));
	assert_false(ws_origin_allowed("null", "http://127.0.0.1:8080", ""));
	assert_false(ws_origin_allowed("http://a.example", NULL, ""));
	/* issue 18: an https origin for an http console, and the shape of DNS
	 * rebinding (Host and Origin both the attacker's) */
	assert_false(ws_origin_allowed("https://127.0.0.1:8080", "http://127.0.0.1:8080", ""));
	assert_false(ws_origin_allowed("http://evil.example", "http://desk.example.com", ""));
	assert_false(ws_origin_allowed("http://evil.example", "", ""));
	assert_true(ws_origin_allowed("https://desk.example.com", "x", allowed));
	assert_true(ws_origin_allowed("http://localhost:3000", "x", allowed));
	assert_false(ws_origin_allowed("http://localhost:30000", "x", allowed));
	assert_false(ws_origin_allowed("https://desk.example.co", "x", allowed));
	assert_true(ws_origin_allowed("http://any.example", "x", "*"));
}

static void
test_utf8(void **state)
{
	assert_true(ws_utf8_valid("", 0));
	assert_true(ws_utf8_valid("plain", 5));
	assert_true(ws_utf8_valid("\xd0\x9f\xd1\x80\xd0\xb8", 6));	/* При */
	assert_true(ws_utf8_valid("\xe4\xbd\xa0\xe5\xa5\xbd", 6));	/* 你好 */
	assert_true(ws_utf8_valid("\xf0\x9f\x98\x80", 4));		/* U+1F600 */
	assert_false(ws_utf8_valid("\xc0\xaf", 2));		/* overlong / */
	assert_false(ws_utf8_valid("\xe0\x80\xaf", 3));		/* overlong */
	assert_false(ws_utf8_valid("\xed\xa0\x80", 3));		/* surrogate */
	assert_false(ws_utf8_valid("\xf4\x90\x80\x80", 4));	/* > U+10FFFF */
	assert_false(ws_utf8_valid("\xd0", 1));			/* cut short */
	assert_false(ws_utf8_valid("\xff", 1));
	assert_false(ws_utf8_valid("a\x80", 2));
}

/* --- framing, through a bufferevent pair ---------------------------- */

struct peer {
	char last[256];
	size_t nlast;
	int texts, closes, close_code;
};

static void
on_test_text(struct ws_conn *c, const char *msg, size_t len, void *arg)
{
	struct peer *p = arg;

	p->texts++;
	p->nlast = len < sizeof(p->last) ? len : sizeof(p->last);
	memcpy(p->last, msg, p->nlast);
	if (len == 4 && memcmp(msg, "echo", 4) == 0)
		ws_send_text(c, msg, len);
}

static void
on_test_close(struct ws_conn *c, int code, void *arg)
{
	struct peer *p = arg;

	p->closes++;
	p->close_code = code;
}

static const struct ws_handler test_handler = {
	"agent_ws", 64, on_test_text, on_test_close
};

struct rig {
	struct event_base *base;
	struct config *cf;
	struct bufferevent *pair[2];	/* [0] the server's, [1] the client's */
	struct ws_conn *c;	/* may be freed by the loop: use id */
	uint64_t id;
	struct peer peer;
};

static int
rig_setup(void **state)
{
	struct rig *g = calloc(1, sizeof(*g));
	char err[CONFIG_ERR_MAX];

	g->base = event_base_new();
	g->cf = config_load(NULL, err, sizeof(err));
	g->cf->ws_max_queue = 4096;
	ws_start(g->base, g->cf, &(const char *){ NULL });
	bufferevent_pair_new(g->base, 0, g->pair);
	bufferevent_enable(g->pair[1], EV_READ | EV_WRITE);
	g->c = conn_new("test", &test_handler, &g->peer);
	conn_start(g->c, g->pair[0]);
	g->id = ws_conn_id(g->c);
	*state = g;
	return 0;
}

static int
rig_teardown(void **state)
{
	struct rig *g = *state;

	ws_stop();
	bufferevent_free(g->pair[0]);
	bufferevent_free(g->pair[1]);
	config_free(g->cf);
	event_base_free(g->base);
	free(g);
	return 0;
}

static void
rig_run(struct rig *g)
{
	for (int i = 0; i < 10; i++)
		event_base_loop(g->base, EVLOOP_NONBLOCK);
}

/* A client frame: masked, as RFC 6455 5.3 requires, unless MASKED is 0. */
static void
client_frame(struct rig *g, int fin, int opcode, const void *data, size_t len,
    int masked)
{
	unsigned char hdr[14], mask[4] = { 0x12, 0x34, 0x56, 0x78 };
	unsigned char *body = malloc(len + 1);
	size_t n = 0;

	hdr[n++] = (unsigned char)((fin ? 0x80 : 0) | opcode);
	if (len < 126)
		hdr[n++] = (unsigned char)((masked ? 0x80 : 0) | len);
	else {
		hdr[n++] = (unsigned char)((masked ? 0x80 : 0) | 126);
		hdr[n++] = (unsigned char)(len >> 8);
		hdr[n++] = (unsigned char)len;
	}
	if (masked) {
		memcpy(hdr + n, mask, 4);
		n += 4;
	}
	for (size_t i = 0; i < len; i++)
		body[i] = ((const unsigned char *)data)[i] ^ (masked ? mask[i % 4] : 0);
	bufferevent_write(g->pair[1], hdr, n);
	bufferevent_write(g->pair[1], body, len);
	free(body);
	rig_run(g);
}

/* The next server frame's opcode and payload, or -1 if none waits. */
static int
server_frame(struct rig *g, unsigned char *payload, size_t *len)
{
	struct evbuffer *in = bufferevent_get_input(g->pair[1]);
	unsigned char h[4];
	size_t n, hl = 2;

	if (evbuffer_copyout(in, h, 4) < 2)
		return -1;
	assert_int_equal(h[1] & 0x80, 0);	/* servers never mask */
	n = h[1] & 0x7f;
	if (n == 126) {
		n = (size_t)h[2] << 8 | h[3];
		hl = 4;
	}
	assert_true(n < 126 || hl == 4);
	assert_true(evbuffer_get_length(in) >= hl + n);
	evbuffer_drain(in, hl);
	*len = n;
	evbuffer_remove(in, payload, n);
	return h[0] & 0x0f;
}

/* Skip pings and return the close frame's status code, or -1. */
static int
server_close_code(struct rig *g)
{
	unsigned char p[256];
	size_t n;
	int op;

	while ((op = server_frame(g, p, &n)) != -1)
		if (op == WSLAY_CONNECTION_CLOSE)
			return n >= 2 ? (p[0] << 8 | p[1]) : 1005;
	return -1;
}

static void
test_text_roundtrip(void **state)
{
	struct rig *g = *state;
	unsigned char p[256];
	size_t n;

	client_frame(g, 1, WSLAY_TEXT_FRAME, "echo", 4, 1);
	assert_int_equal(g->peer.texts, 1);
	assert_int_equal(server_frame(g, p, &n), WSLAY_TEXT_FRAME);
	assert_int_equal(n, 4);
	assert_memory_equal(p, "echo", 4);
	/* Fragments are joined into one message. */
	client_frame(g, 0, WSLAY_TEXT_FRAME, "\xd0\x9f\xd1", 3, 1);
	client_frame(g, 1, WSLAY_CONTINUATION_FRAME, "\x80\xd0\xb8", 3, 1);
	assert_int_equal(g->peer.texts, 2);
	assert_int_equal(g->peer.nlast, 6);
	assert_memory_equal(g->peer.last, "\xd0\x9f\xd1\x80\xd0\xb8", 6);
	/* A ping is answered with a pong carrying its payload. */
	client_frame(g, 1, WSLAY_PING, "hi", 2, 1);
	assert_int_equal(server_frame(g, p, &n), WSLAY_PONG);
	assert_int_equal(n, 2);
	assert_non_null(ws_find(g->id));
}

static void
test_too_big(void **state)
{
	struct rig *g = *state;
	char big[65];

	memset(big, 'a', sizeof(big));
	client_frame(g, 1, WSLAY_TEXT_FRAME, big, sizeof(big), 1);
	assert_int_equal(g->peer.texts, 0);
	assert_int_equal(server_close_code(g), 1009);
	assert_null(ws_find(g->id));
}

/* The limit holds for a message split into frames too. */
static void
test_too_big_fragments(void **state)
{
	struct rig *g = *state;
	char part[40];

	memset(part, 'b', sizeof(part));
	client_frame(g, 0, WSLAY_TEXT_FRAME, part, sizeof(part), 1);
	client_frame(g, 1, WSLAY_CONTINUATION_FRAME, part, sizeof(part), 1);
	assert_int_equal(g->peer.texts, 0);
	assert_int_equal(server_close_code(g), 1009);
}

static void
test_bad_utf8(void **state)
{
	struct rig *g = *state;

	client_frame(g, 1, WSLAY_TEXT_FRAME, "ok\xc0\xaf", 4, 1);
	assert_int_equal(g->peer.texts, 0);
	assert_int_equal(server_close_code(g), 1007);
	assert_null(ws_find(g->id));
}

static void
test_unmasked(void **state)
{
	struct rig *g = *state;

	client_frame(g, 1, WSLAY_TEXT_FRAME, "hey", 3, 0);
	assert_int_equal(g->peer.texts, 0);
	assert_int_equal(server_close_code(g), 1002);
}

static void
test_binary_refused(void **state)
{
	struct rig *g = *state;

	client_frame(g, 1, WSLAY_BINARY_FRAME, "\x01\x02", 2, 1);
	assert_int_equal(g->peer.texts, 0);
	assert_int_equal(server_close_code(g), 1003);
}

static void
test_close_handshake(void **state)
{
	struct rig *g = *state;

	client_frame(g, 1, WSLAY_CONNECTION_CLOSE, "\x03\xe8" "bye", 5, 1);
	assert_int_equal(server_close_code(g), 1000);
	rig_run(g);
	assert_int_equal(g->peer.closes, 1);
	assert_int_equal(g->peer.close_code, 1000);
}

static void
test_slow_consumer(void **state)
{
	struct rig *g = *state;
	char msg[1000];
	int sent = 0;

	memset(msg, 'z', sizeof(msg));
	bufferevent_disable(g->pair[1], EV_READ);	/* the peer stops reading */
	while (sent < 100 && ws_send_text(g->c, msg, sizeof(msg)) == 0)
		sent++;
	assert_true(sent > 0 && sent < 10);
	assert_true(ws_conn_queued(g->c) <= 4096 + 16);
	/* Closing, not yet freed: the close waits for the peer. */
	assert_null(ws_find(g->id));
	assert_int_equal(ws_send_text(g->c, msg, 10), -1);
}

/* Pings from a peer that never reads its pongs cannot grow the queue. */
static void
test_ping_flood(void **state)
{
	struct rig *g = *state;
	char payload[60];	/* under the rig's max_message: pings count too */
	int i;

	memset(payload, 'p', sizeof(payload));
	bufferevent_disable(g->pair[1], EV_READ);
	for (i = 0; i < 500 && ws_find(g->id) != NULL; i++)
		client_frame(g, 1, WSLAY_PING, payload, sizeof(payload), 1);
	assert_true(i < 500);
	assert_int_equal(wslay_event_get_status_code_sent(g->c->ctx), 1008);
	for (int j = 0; j < 200; j++)
		client_frame(g, 1, WSLAY_PING, payload, sizeof(payload), 1);
	/* Still closing or already reaped: never much past the bound. */
	if (g->peer.closes == 0)
		assert_true(ws_conn_queued(g->c) <= 4096 + 2 * 64);
}

/* wslay's 8 kB context exists only while something is in it. */
static void
test_idle_releases(void **state)
{
	struct rig *g = *state;
	/* "hi", masked with 0: a text frame sent one byte at a time */
	const unsigned char f[] = { 0x81, 0x82, 0, 0, 0, 0, 'h', 'i' };
	unsigned char p[256];
	size_t n;

	assert_null(g->c->ctx);
	client_frame(g, 1, WSLAY_TEXT_FRAME, "echo", 4, 1);
	assert_int_equal(server_frame(g, p, &n), WSLAY_TEXT_FRAME);
	assert_null(g->c->ctx);
	for (size_t i = 0; i < sizeof(f); i++) {
		assert_int_equal(g->peer.texts, 1);
		bufferevent_write(g->pair[1], f + i, 1);
		rig_run(g);
		if (i + 1 < sizeof(f))
			assert_non_null(g->c->ctx);
	}
	assert_int_equal(g->peer.texts, 2);
	assert_memory_equal(g->peer.last, "hi", 2);
	assert_null(g->c->ctx);
	/* Kept through a fragmented message, a ping between its frames. */
	client_frame(g, 0, WSLAY_TEXT_FRAME, "ab", 2, 1);
	assert_non_null(g->c->ctx);
	client_frame(g, 1, WSLAY_PING, "x", 1, 1);
	assert_int_equal(server_frame(g, p, &n), WSLAY_PONG);
	assert_non_null(g->c->ctx);
	client_frame(g, 1, WSLAY_CONTINUATION_FRAME, "cd", 2, 1);
	assert_int_equal(g->peer.texts, 3);
	assert_memory_equal(g->peer.last, "abcd", 4);
	assert_null(g->c->ctx);
	/* Our pings, and a close after an idle spell, still work. */
	on_timer(-1, EV_TIMEOUT, g->c);
	assert_int_equal(server_frame(g, p, &n), WSLAY_PING);
	assert_null(g->c->ctx);
	client_frame(g, 1, WSLAY_PONG, "rx", 2, 1);
	assert_int_equal(g->c->pong_due, 0);
	ws_close(g->c, 1000, "done");
	assert_int_equal(server_close_code(g), 1000);
	client_frame(g, 1, WSLAY_CONNECTION_CLOSE, "\x03\xe8", 2, 1);
	rig_run(g);
	assert_int_equal(g->peer.closes, 1);
	assert_int_equal(g->peer.close_code, 1000);
}

/* The frame follower reads 16- and 64-bit lengths (RFC 6455 5.2). */
static void
test_reader_lengths(void **state)
{
	struct reader r = { 0 };
	const uint8_t h16[] = { 0x01, 0xfe, 0x01, 0x00, 1, 2, 3, 4 };
	const uint8_t h64[] = { 0x80, 0x7f, 0, 0, 0, 1, 0, 0, 0, 5 };

	(void)state;
	reader_track(&r, h16, sizeof(h16));
	assert_int_equal(r.left, 256);
	assert_int_equal(r.in_msg, 1);
	reader_track(&r, (const uint8_t *)"x", 1);
	assert_int_equal(r.left, 255);
	r.left = 0;
	reader_track(&r, h64, sizeof(h64));
	assert_int_equal(r.left, 0x100000005ULL);
	assert_int_equal(r.in_msg, 0);
	assert_int_equal(r.hlen, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accept_key),
		cmocka_unit_test(test_key_valid),
		cmocka_unit_test(test_origin),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test_setup_teardown(test_text_roundtrip, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_too_big, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_too_big_fragments, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_bad_utf8, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_unmasked, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_binary_refused, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_close_handshake, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_slow_consumer, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_ping_flood, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_idle_releases, rig_setup, rig_teardown),
		cmocka_unit_test(test_reader_lengths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
