/* api_screening: see api_screening.h. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "server/api/api_error.h"
#include "server/api/api_screening.h"
#include "server/auth/auth.h"
#include "server/core/config.h"
#include "server/core/http.h"
#include "server/store/store.h"
#include "server/store/ticket.h"

#define SCREEN_MAX_REASON	1000	/* bytes, as screening.lua bounds it */
#define SCREEN_MAX_ID		64	/* a log entry id "<ms>-<seq>" */

/* JSON only as application/json (with parameters such as charset). */
static int
json_type_ok(const struct http_req *r)
{
	const char *t = http_header(r, "Content-Type");
	size_t n = strlen("application/json");

	return t && strncasecmp(t, "application/json", n) == 0 &&
	    (t[n] == '\0' || t[n] == ';' || t[n] == ' ');
}

/* The type check of a state change (the console-origin check of a cookie
 * session is auth's, for every endpoint); 1 after a refusal. */
static int
request_refused(struct http_req *r)
{
	if (!json_type_ok(r)) {
		http_error(r, 415, "unsupported_media_type",
		    "the body must be application/json", NULL);
		return 1;
	}
	return 0;
}

static void
invalid(struct http_req *r, const char *field, const char *msg)
{
	http_error(r, 422, "invalid", msg, field);
}

/* A string member of at most MAX bytes (absent: NULL); -1 after a 422. */
static int
member(struct http_req *r, json_t *o, const char *key, size_t max,
    const char **out)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v) || json_string_length(v) > max) {
		invalid(r, key, "must be a string of limited size");
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

/* Is S empty or only blanks? A reason of spaces is no reason. */
static int
blank(const char *s)
{
	return s == NULL || s[strspn(s, " \t\r\n")] == '\0';
}

/* {flag, decision, reason, message} checked field by field, so that the
 * 422 names the field at fault; -1 after the answer. */
static int
parse_decision(struct http_req *r, json_t *o, json_t *args)
{
	static const char *const known[] = { "flag", "decision", "reason",
	    "message" };
	const char *key, *flag, *decision, *reason, *msg;
	json_t *v;
	size_t i;

	json_object_foreach(o, key, v) {
		for (i = 0; i < 4 && strcmp(key, known[i]); i++)
			;
		if (i == 4) {
			invalid(r, key, "unknown field");
			return -1;
		}
	}
	if (member(r, o, "flag", 16, &flag) == -1 ||
	    member(r, o, "decision", 16, &decision) == -1 ||
	    member(r, o, "reason", SCREEN_MAX_REASON, &reason) == -1 ||
	    member(r, o, "message", SCREEN_MAX_ID, &msg) == -1)
		return -1;
	if (flag == NULL || (strcmp(flag, "ae") && strcmp(flag, "complaint"))) {
		invalid(r, "flag", "flag is ae or complaint");
		return -1;
	}
	if (decision == NULL || (strcmp(decision, "confirm") &&
	    strcmp(decision, "reject"))) {
		invalid(r, "decision", "decision is confirm or reject");
		return -1;
	}
	if (strcmp(decision, "reject") == 0 && blank(reason)) {
		invalid(r, "reason", "a rejection needs a reason");
		return -1;
	}
	json_object_set_new(args, "flag", json_string(flag));
	json_object_set_new(args, "decision", json_string(decision));
	json_object_set_new(args, "reason", json_string(reason ? reason : ""));
	if (msg && *msg)
		json_object_set_new(args, "message", json_string(msg));
	return 0;
}

static void
on_decided(json_t *res, const char *err, void *arg)
{
	struct http_req *r = http_resume(arg);

	if (r == NULL)
		return;
	if (err)
		api_error_reply(r, err);
	else
		http_reply_json(r, 200, json_incref(res));
}

static json_t *
who_json(const struct auth_agent *a)
{
	char roles[64];

	auth_roles_format(a->roles, roles, sizeof(roles));
	return json_pack("{s:s,s:s}", "agent", a->id, "roles", roles);
}

static void
on_decide_authed(struct http_req *r, const struct auth_agent *a, void *arg)
{
	uint64_t n = ticket_number(http_param(r, 0));
	const char *body;
	struct http_hold *p;
	json_t *o, *args;
	char actor[40];
	size_t len;

	if (request_refused(r))
		return;
	if (n == 0) {
		http_error(r, 404, "not_found", "no such ticket", NULL);
		return;
	}
	body = http_body(r, &len);
	o = json_loadb(body ? body : "", len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		http_error(r, 400, "bad_request", "the body must be a JSON object", NULL);
		return;
	}
	args = json_pack("{s:I,s:o}", "ticket", (json_int_t)n, "who", who_json(a));
	if (parse_decision(r, o, args) == -1) {
		json_decref(o);
		json_decref(args);
		return;
	}
	snprintf(actor, sizeof(actor), "a:%s", a->id);
	json_object_set_new(args, "actor", json_string(actor));
	p = http_hold(r);
	http_hold_sent(r, p, store_call("rx_screening_decide", args, on_decided, p));
	json_decref(args);
	json_decref(o);
}

static void
on_decide(struct http_req *r, void *arg)
{
	(void)arg;
	auth_require(r, ROLE_ANY, on_decide_authed, NULL);
}

void
api_screening_start(const struct config *cf)
{
	http_route("POST", "/api/v1/tickets/{}/screening", "ticket_screening",
	    on_decide, NULL);
}
