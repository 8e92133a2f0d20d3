/*
 * bare_http: the HTTP ceiling. A plain evhttp server that reads a POST body
 * and answers a small JSON object, as fast as libevent allows: what rxdeskd
 * would do if ingest cost nothing.
 *   bare_http PORT
 */
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

static void
on_request(struct evhttp_request *req, void *arg)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	struct evbuffer *out = evbuffer_new();

	evbuffer_drain(in, evbuffer_get_length(in));
	evbuffer_add_printf(out, "{\"ticket\":\"RX-1\",\"id\":1,\"duplicate\":false}\n");
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    "application/json");
	evhttp_send_reply(req, 201, "Created", out);
	evbuffer_free(out);
}

static void
on_term(evutil_socket_t sig, short ev, void *arg)
{
	event_base_loopexit(arg, NULL);
}

int
main(int argc, char **argv)
{
	struct event_base *base;
	struct evhttp *http;
	struct event *term;

	if (argc != 2) {
		fprintf(stderr, "usage: bare_http PORT\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	base = event_base_new();
	http = evhttp_new(base);
	evhttp_set_gencb(http, on_request, NULL);
	if (evhttp_bind_socket(http, "127.0.0.1", (ev_uint16_t)atoi(argv[1])) != 0) {
		perror("bind");
		return 1;
	}
	term = evsignal_new(base, SIGTERM, on_term, base);
	evsignal_add(term, NULL);
	event_base_dispatch(base);
	event_free(term);
	evhttp_free(http);
	event_base_free(base);
	return 0;
}
