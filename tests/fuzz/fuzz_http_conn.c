/* libFuzzer: the HTTP connection guard's view of a request head
 * (server/core/http_conn.c): bytes arrive in chunks of any size (the first
 * byte of each chunk gives its length), are scanned from the evbuffer as
 * they come, and the head's end, its Content-Length values and a
 * Transfer-Encoding are found across chunk and segment borders. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "server/core/http_conn.c"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct event_base *base;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_conn c;
	struct evbuffer *in;
	size_t i = 0;

	if (base == NULL) {
		log_setup(LOG_LVL_ERROR, LOG_FMT_TEXT);
		base = event_base_new();
		G.header_s = G.body_s = 10;
		G.framing = metrics_counter("rxdesk_fuzz_framing", "fuzz", "");
	}
	memset(&c, 0, sizeof(c));
	c.ev = evtimer_new(base, on_event, &c);
	in = evbuffer_new();
	evbuffer_add_cb(in, on_input, &c);
	while (i < size) {
		size_t n = (size_t)data[i++] % 64 + 1;
		if (n > size - i)
			n = size - i;
		evbuffer_add(in, data + i, n);
		i += n;
		if (c.phase == C_BODY) {
			/* the head is complete: what it said must be consistent */
			if (c.bad == 0 && c.te && c.nclen)
				__builtin_trap();
			evbuffer_drain(in, evbuffer_get_length(in));
			c.phase = C_IDLE;
		}
		if (evbuffer_get_length(in) > 1 << 16)
			evbuffer_drain(in, evbuffer_get_length(in) / 2);
	}
	evbuffer_free(in);
	event_free(c.ev);
	return 0;
}
