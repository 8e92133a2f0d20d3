/* libFuzzer: the SMTP/LMTP command parser and DATA reader
 * (channels/smtp_session.c), fed through a bufferevent pair. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "channels/smtp_session.h"

static struct event_base *base;
static struct smtp_params params;

static void
deliver(const struct smtp_envelope *env)
{
	smtp_session_done(env->id, env->len % 2 ? "250 2.0.0 Ok" :
	    "451 4.3.0 later");
}

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bufferevent *pair[2];

	if (base == NULL) {
		base = event_base_new();
		params.hostname = "fuzz.test";
		params.domains = "example.com";
		params.max_size = 4096;
		params.max_rcpt = 4;
		params.max_errors = 50;
		params.idle_timeout = 60;
		params.session_timeout = 60;
		params.deliver = deliver;
	}
	/* the first byte picks SMTP or LMTP */
	params.lmtp = size > 0 && (data[0] & 1);
	if (bufferevent_pair_new(base, BEV_OPT_CLOSE_ON_FREE, pair) != 0)
		return 0;
	bufferevent_enable(pair[1], EV_READ | EV_WRITE);
	smtp_session_new(pair[0], "127.0.0.1", &params);
	bufferevent_write(pair[1], data, size);
	for (int i = 0; i < 16; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
	smtp_session_close_all();
	bufferevent_free(pair[1]);
	return 0;
}
