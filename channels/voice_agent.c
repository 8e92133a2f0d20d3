/* voice_agent: see voice_agent.h. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "channels/voice_agent.h"
#include "server/auth/auth.h"
#include "server/core/http.h"
#include "server/core/log.h"
#include "server/store/store.h"

static void
on_set(json_t *res, const char *err, void *arg)
{
	struct http_req *r = http_resume(arg);
	const char *code;
	char msg[256];
	int status;

	if (r == NULL)
		return;
	if (err) {
		status = store_error_http(err, &code, msg, sizeof(msg));
		if (status == 400)
			status = 422, code = "invalid";
		http_error(r, status, code, msg, status == 422 ? "identity" : NULL);
		return;
	}
	http_reply_json(r, 200, json_incref(res));
}

static void
on_authed(struct http_req *r, const struct auth_agent *who, void *arg)
{
	const char *target = http_param(r, 0), *ident;
	size_t len;
	const char *body = http_body(r, &len);
	json_t *b, *args;
	struct http_hold *h;

	(void)arg;
	if (strcmp(target, "me") == 0)
		target = who->id;
	if (strcmp(target, who->id) != 0 && !(who->roles & ROLE_ADMIN)) {
		http_error(r, 403, "forbidden", "only admins set another agent's "
		    "voice identity", NULL);
		return;
	}
	b = json_loadb(body, len, 0, NULL);
	ident = json_string_value(json_object_get(b, "identity"));
	if (json_is_object(b) && http_json_known(r, b,
	    (const char *const[]){ "identity", NULL }) == -1) {
		json_decref(b);
		return;
	}
	if (!json_is_object(b) || ident == NULL) {
		json_decref(b);
		http_error(r, 400, "bad_request", "the body must be {\"identity\": "
		    "\"...\"}", "identity");
		return;
	}
	args = json_pack("{s:s, s:s}", "agent", target, "identity", ident);
	h = http_hold(r);
	http_hold_sent(r, h, store_call("rx_voice_identity", args, on_set, h));
	json_decref(args);
	json_decref(b);
}

static void
on_put(struct http_req *r, void *arg)
{
	(void)arg;
	auth_require(r, ROLE_ANY, on_authed, NULL);
}

int
voice_agent_start(struct event_base *base, const struct config *cf,
    const char **cause)
{
	(void)base;
	(void)cf;
	(void)cause;
	http_route("PUT", "/api/v1/agents/{}/voice", "agent_voice", on_put, NULL);
	return 0;
}
