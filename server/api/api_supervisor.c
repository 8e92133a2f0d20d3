/* api_supervisor: see api_supervisor.h. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "server/api/api_supervisor.h"
#include "server/auth/auth.h"
#include "server/core/http.h"
#include "server/core/log.h"
#include "server/store/store.h"

#define BODY_MAX	(16 * 1024)
#define SUPERVISORS	(ROLE_SUPERVISOR | ROLE_ADMIN)

/* Map "CODE: message" from the function library to an HTTP answer. */
static void
answer_error(struct http_req *r, const char *err)
{
	const char *m;

	if (strcmp(err, "unavailable") == 0) {
		http_unavailable(r);
		return;
	}
	if ((m = strstr(err, "NOTFOUND: ")) != NULL)
		http_error(r, 404, "not_found", m + 10, NULL);
	else if ((m = strstr(err, "CONFLICT: ")) != NULL)
		http_error(r, 409, "conflict", m + 10, NULL);
	else if ((m = strstr(err, "BADARG: ")) != NULL) {
		/* Redis appends " script: <where>": not for the client */
		char msg[256];
		snprintf(msg, sizeof(msg), "%.*s", (int)strcspn(m + 8, "\n"), m + 8);
		if (strstr(msg, " script: "))
			*strstr(msg, " script: ") = '\0';
		http_error(r, 422, "invalid", msg, NULL);
	}
	else {
		log_warnx("req=%s routing call failed: %s", http_req_tag(r), err);
		http_error(r, 500, "internal", "the routing store failed", NULL);
	}
}

static void
on_result(json_t *res, const char *err, void *arg)
{
	uint64_t *id = arg;
	struct http_req *r = http_req_find(*id);

	free(id);
	if (r == NULL)
		return;
	if (err)
		answer_error(r, err);
	else
		http_reply_json(r, 200, json_incref(res));
}

/* Call FN with ARGS (taken); the answer goes to R once Redis replies. */
static void
call(struct http_req *r, const char *fn, json_t *args)
{
	uint64_t *id = malloc(sizeof(*id));
	int rc = -1;

	if (id) {
		*id = http_req_id(r);
		rc = store_call(fn, args, on_result, id);
	}
	json_decref(args);
	if (rc == -1) {
		free(id);
		http_unavailable(r);
	}
}

/* The JSON object body of R, or NULL after answering 400. */
static json_t *
body_object(struct http_req *r)
{
	size_t len;
	const char *b = http_body(r, &len);
	json_t *j;

	if (len > BODY_MAX) {
		http_error(r, 413, "too_large", "body too large", NULL);
		return NULL;
	}
	if (b == NULL || (j = json_loadb(b, len, 0, NULL)) == NULL || !json_is_object(j)) {
		if (b && len)
			json_decref(j);
		http_error(r, 400, "bad_json", "the body must be a JSON object", NULL);
		return NULL;
	}
	return j;
}

static void
on_queues(struct http_req *r, const struct auth_agent *who, void *arg)
{
	const char *q = http_param(r, 0);

	call(r, "rx_route_stats", q ? json_pack("{s:s}", "queue", q) : json_object());
}

static void
on_queues_get(struct http_req *r, void *arg)
{
	auth_require(r, SUPERVISORS, on_queues, NULL);
}

static void
on_queue_change(struct http_req *r, const struct auth_agent *who, void *arg)
{
	json_t *set;

	if ((set = body_object(r)) == NULL)
		return;
	call(r, "rx_route_queue_set", json_pack("{s:s,s:o}", "queue", http_param(r, 0),
	    "set", set));
}

static void
on_queue_patch(struct http_req *r, void *arg)
{
	auth_require(r, SUPERVISORS, on_queue_change, NULL);
}

static void
on_assign(struct http_req *r, const struct auth_agent *who, void *arg)
{
	json_t *b, *agent;
	char actor[32];
	const char *n = http_param(r, 0);

	if ((b = body_object(r)) == NULL)
		return;
	if (http_json_known(r, b, (const char *const[]){ "agent", NULL }) == -1) {
		json_decref(b);
		return;
	}
	agent = json_object_get(b, "agent");
	if (!json_is_string(agent)) {
		json_decref(b);
		http_error(r, 422, "invalid", "agent must be a string (\"\" for the queue)",
		    "agent");
		return;
	}
	if (strncmp(n, "RX-", 3) == 0)
		n += 3;
	snprintf(actor, sizeof(actor), "a:%s", who->id);
	call(r, "rx_route_reassign", json_pack("{s:s,s:O,s:s}", "ticket", n,
	    "agent", agent, "actor", actor));
	json_decref(b);
}

static void
on_assign_post(struct http_req *r, void *arg)
{
	auth_require(r, SUPERVISORS, on_assign, NULL);
}

static void
on_presence(struct http_req *r, const struct auth_agent *who, void *arg)
{
	static const char *const allowed[] = { "available", "away", "offline", NULL };
	const char *target = http_param(r, 0), *st;
	json_t *b;
	int ok = 0;

	if (target && strcmp(target, "me") != 0 &&
	    !(who->roles & SUPERVISORS)) {
		http_error(r, 403, "forbidden", "only supervisors set others' presence", NULL);
		return;
	}
	if ((b = body_object(r)) == NULL)
		return;
	if (http_json_known(r, b, (const char *const[]){ "state", NULL }) == -1) {
		json_decref(b);
		return;
	}
	st = json_string_value(json_object_get(b, "state"));
	for (int i = 0; st && allowed[i]; i++)
		ok |= strcmp(st, allowed[i]) == 0;
	if (!ok) {
		json_decref(b);
		http_error(r, 422, "invalid", "state must be available, away or offline",
		    "state");
		return;
	}
	call(r, "rx_route_agent", json_pack("{s:s,s:s}", "agent",
	    target && strcmp(target, "me") ? target : who->id, "state", st));
	json_decref(b);
}

static void
on_presence_post(struct http_req *r, void *arg)
{
	auth_require(r, ROLE_ANY, on_presence, NULL);
}

int
api_supervisor_start(struct event_base *base, const struct config *cf, const char **cause)
{
	(void)base;
	(void)cf;
	(void)cause;
	http_route("GET", "/api/v1/queues", "queues", on_queues_get, NULL);
	http_route("GET", "/api/v1/queues/{}", "queue", on_queues_get, NULL);
	http_route("PATCH", "/api/v1/queues/{}", "queue_update", on_queue_patch, NULL);
	http_route("POST", "/api/v1/tickets/{}/assign", "ticket_assign", on_assign_post,
	    NULL);
	http_route("POST", "/api/v1/agents/{}/presence", "agent_presence",
	    on_presence_post, NULL);
	return 0;
}
