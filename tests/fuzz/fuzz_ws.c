/* libFuzzer: WebSocket framing (server/core/ws.c over wslay) from the client's
 * side, fed through a bufferevent pair: masking, lengths, fragments,
 * control frames, UTF-8, close codes and the message limit. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "server/core/config.h"
#include "server/core/log.h"
#include "server/core/ws.h"

static struct event_base *base;
static struct config *cf;

/* Echo what came, so the send path and the queue bound run too. */
static void
on_text(struct ws_conn *c, const char *msg, size_t len, void *arg)
{
	ws_send_text(c, msg, len);
	if (len > 0 && msg[0] == 'q')
		ws_close(c, 1000, "bye");
}

static void
on_close(struct ws_conn *c, int code, void *arg)
{
}

static const struct ws_handler handler = { "agent_ws", 256, on_text, on_close };

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bufferevent *pair[2];
	char err[CONFIG_ERR_MAX];

	if (base == NULL) {
		log_setup(LOG_LVL_WARN, LOG_FMT_TEXT);
		base = event_base_new();
		cf = config_load(NULL, err, sizeof(err));
		cf->ws_max_queue = 4096;
	}
	ws_start(base, cf, &(const char *){ NULL });
	if (bufferevent_pair_new(base, 0, pair) != 0)
		return 0;
	bufferevent_enable(pair[1], EV_READ | EV_WRITE);
	ws_attach(pair[0], "fuzz", &handler, NULL);
	/* the first byte decides whether the client reads its answers */
	if (size > 0 && (data[0] & 1))
		bufferevent_disable(pair[1], EV_READ);
	bufferevent_write(pair[1], data, size);
	for (int i = 0; i < 16; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
	ws_stop();
	bufferevent_free(pair[0]);
	bufferevent_free(pair[1]);
	return 0;
}
