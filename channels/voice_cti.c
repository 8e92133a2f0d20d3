/* voice_cti: see voice_cti.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "channels/form_parse.h"
#include "channels/voice.h"
#include "channels/voice_cti.h"
#include "server/core/config.h"
#include "server/core/http.h"
#include "server/core/log.h"
#include "server/core/metrics.h"
#include "server/customer/phone.h"

static struct {
	const struct config *cf;
	struct metric *refused, *events;
} C;

/* The token the PBX sent (?token= or "Authorization: Bearer"), compared
 * in constant time with voice.cti_token; an unset token refuses all. */
static int
token_ok(struct http_req *r)
{
	const char *want = voice_config()->voice_cti_token;
	const char *got = http_query(r, "token");
	const char *auth = http_header(r, "Authorization");

	if (got == NULL && auth && strncasecmp(auth, "Bearer ", 7) == 0)
		got = auth + 7;
	if (got == NULL || *want == '\0' || strlen(got) != strlen(want))
		return 0;
	return CRYPTO_memcmp(got, want, strlen(want)) == 0;
}

static void
on_rung(uint64_t id, const struct voice_ring *a, const char *err)
{
	struct http_req *r = http_req_find(id);
	char label[32];

	if (r == NULL)
		return;
	if (err) {
		if (strcmp(err, "unavailable") == 0)
			http_unavailable(r);
		else
			http_error(r, 500, "internal", "the call could not be stored", NULL);
		return;
	}
	snprintf(label, sizeof(label), "RX-%llu", (unsigned long long)a->ticket);
	log_info("req=%s cti ticket=%s customer=%s agent=%s", http_req_tag(r), label,
	    a->customer, *a->agent ? a->agent : "-");
	if (a->ended)
		http_reply_json(r, 200, json_pack("{s:s}", "ticket", label));
	else if (*a->agent)
		http_reply_json(r, 200, json_pack("{s:s, s:s, s:s, s:s}", "action", "dial",
		    "user", *a->identity ? a->identity : a->agent, "agent", a->agent,
		    "ticket", label));
	else
		http_reply_json(r, 200, json_pack("{s:s, s:s}", "action", "queue",
		    "ticket", label));
}

static void
on_stored(uint64_t id, json_t *res, const char *err)
{
	struct http_req *r = http_req_find(id);

	if (r == NULL)
		return;
	if (err && strcmp(err, "unavailable") == 0)
		http_unavailable(r);
	else if (err)
		http_error(r, 422, "invalid", "the event was refused", NULL);
	else
		http_reply_json(r, 200, json_pack("{s:b, s:s}", "duplicate",
		    json_is_true(json_object_get(res, "duplicate")), "outcome",
		    json_string_value(json_object_get(res, "outcome")) ?
		    json_string_value(json_object_get(res, "outcome")) : ""));
}

static void
new_call(struct http_req *r, const struct form_data *fd, const char *id,
    const char *dedup)
{
	const char *from = form_parse_get(fd, "from", NULL);
	const char *dir = form_parse_get(fd, "direction", NULL);
	char e164[PHONE_E164_MAX];
	struct voice_call c = { "cti", id, dedup, from, form_parse_get(fd, "to", NULL),
	    NULL, NULL };

	if (dir && strcmp(dir, "in") != 0) {
		/* calls agents make are theirs to log; nothing to route */
		http_reply_json(r, 200, json_object());
		return;
	}
	if (voice_number(from, e164, sizeof(e164)) == 0 && voice_blocked(e164)) {
		log_info("req=%s cti: blocked caller %s rejected", http_req_tag(r), e164);
		http_reply_json(r, 200, json_pack("{s:s, s:s}", "action", "reject",
		    "reason", "busy"));
		return;
	}
	c.queue = voice_ivr_queue(form_parse_get(fd, "queue", NULL));
	if (voice_ring(&c, on_rung, http_req_id(r)) == -1)
		http_unavailable(r);
}

static const char *
field(const struct form_data *fd, const char *a, const char *b)
{
	const char *v = form_parse_get(fd, a, NULL);

	return v && *v ? v : b ? form_parse_get(fd, b, NULL) : NULL;
}

static void
take(struct http_req *r, const struct form_data *fd)
{
	const char *ev = form_parse_get(fd, "event", NULL);
	const char *id = form_parse_get(fd, "callId", NULL);
	char dedup[VOICE_DEDUP_MAX];
	struct voice_event e = { .scheme = "cti", .call = id, .dedup = dedup, .event = ev };
	size_t n = id ? strlen(id) : 0;

	if (ev == NULL || (strcmp(ev, "newCall") && strcmp(ev, "answer") &&
	    strcmp(ev, "hangup"))) {
		http_error(r, 422, "invalid", "event must be newCall, answer or hangup", "event");
		return;
	}
	if (n == 0 || n > VOICE_ID_MAX || strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_.@:") != n) {
		http_error(r, 422, "invalid", "callId is missing or malformed", "callId");
		return;
	}
	snprintf(dedup, sizeof(dedup), "cti:%s:%s", id, ev);
	metrics_add(C.events, 1);
	if (strcmp(ev, "newCall") == 0) {
		new_call(r, fd, id, dedup);
		return;
	}
	if (strcmp(ev, "answer") == 0) {
		e.event = "answered";
		e.user = field(fd, "user", "answeringNumber");
	} else {
		e.event = "ended";
		e.cause = form_parse_get(fd, "cause", NULL);
	}
	if (voice_event(&e, on_stored, http_req_id(r)) == -1)
		http_unavailable(r);
}

static void
on_cti(struct http_req *r, void *arg)
{
	const char *ctype = http_header(r, "Content-Type"), *cause = NULL;
	struct form_data fd;
	size_t len;
	const char *body = http_body(r, &len);
	int rc;

	(void)arg;
	if (!token_ok(r)) {
		metrics_add(C.refused, 1);
		log_warnx("req=%s cti: bad or missing token from %s", http_req_tag(r),
		    http_peer(r));
		if (http_rate_check(r, "voice") == 0)
			http_error(r, 403, "bad_token", "the CTI token does not match", "token");
		return;
	}
	if ((rc = form_parse(ctype ? ctype : "", body, len, &fd, &cause)) != 0)
		http_error(r, rc, rc == 415 ? "unsupported_media_type" : "bad_request",
		    cause, NULL);
	else
		take(r, &fd);
	form_parse_free(&fd);
}

int
voice_cti_start(struct event_base *base, const struct config *cf, const char **cause)
{
	static const char help[] = "CTI webhooks, by result.";

	(void)base;
	(void)cause;
	C.cf = cf;
	C.refused = metrics_counter("rxdesk_voice_cti_total", help, "result=\"bad_token\"");
	C.events = metrics_counter("rxdesk_voice_cti_total", help, "result=\"event\"");
	http_route("POST", "/api/v1/voice/cti", "voice_cti", on_cti, NULL);
	return 0;
}
