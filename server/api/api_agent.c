/* api_agent: see api_agent.h. */
#include <sys/queue.h>

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "server/api/api_agent.h"
#include "server/auth/auth.h"
#include "server/auth/auth_password.h"
#include "server/core/config.h"
#include "server/core/http.h"
#include "server/core/log.h"
#include "server/store/store.h"

#define BODY_MAX	(64 * 1024)

/* A create or update waiting on its password hash; found again by SEQ. */
struct pending {
	TAILQ_ENTRY(pending) entry;
	uint64_t seq, req;
	char fn[24];		/* rx_agent_add or rx_agent_update */
	json_t *args;
	int status;		/* the answer's status on success */
};
TAILQ_HEAD(pendingq, pending);

static struct {
	struct auth_kdf kdf;
	struct pendingq pending;
	uint64_t seq;
} A;

/* Map a function library error to an HTTP answer (docs/api.md). */
static void
store_error(struct http_req *r, const char *err)
{
	const char *m, *colon;
	char field[64] = "";

	if (strcmp(err, "unavailable") == 0) {
		http_unavailable(r);
		return;
	}
	if (strstr(err, "NOTFOUND") != NULL) {
		http_error(r, 404, "not_found", "no such agent", NULL);
		return;
	}
	if ((m = strstr(err, "BADARG: ")) != NULL || (m = strstr(err, "CONFLICT: ")) != NULL) {
		int conflict = m[0] == 'C';
		m = strchr(m, ' ') + 1;
		if ((colon = strstr(m, ": ")) != NULL && colon - m < (int)sizeof(field) &&
		    strcspn(m, " ") >= (size_t)(colon - m)) {
			snprintf(field, sizeof(field), "%.*s", (int)(colon - m), m);
			m = colon + 2;
		}
		http_error(r, conflict ? 409 : 422, conflict ? "conflict" : "invalid",
		    m, field[0] ? field : NULL);
		return;
	}
	log_warnx("req=%s agent call failed: %s", http_req_tag(r), err);
	http_error(r, 500, "internal", "the agent store failed", NULL);
}

struct call {
	uint64_t req;
	int status;
	int logout;		/* clear the cookie on success */
};

static void
on_call(json_t *res, const char *err, void *arg)
{
	struct call c = *(struct call *)arg;
	struct http_req *r;

	free(arg);
	if ((r = http_req_find(c.req)) == NULL)
		return;
	if (err)
		store_error(r, err);
	else if (c.logout) {
		auth_set_cookie(r, NULL, 0);
		http_reply(r, 204, NULL, NULL, 0);
	} else
		http_reply_json(r, c.status, json_incref(res));
}

/* Call FN with ARGS (taken) and answer R with STATUS and the result. */
static void
call(struct http_req *r, const char *fn, json_t *args, int status)
{
	struct call *c = malloc(sizeof(*c));
	int rc = -1;

	if (c) {
		*c = (struct call){ http_req_id(r), status, status == 204 };
		rc = store_call(fn, args, on_call, c);
	}
	json_decref(args);
	if (rc == -1) {
		free(c);
		http_unavailable(r);
	}
}

static void
on_whoami(struct http_req *r, const struct auth_agent *who, json_t *session,
    void *arg)
{
	http_reply_json(r, 200, json_pack("{s:O, s:O}", "agent",
	    json_object_get(session, "agent"), "expires",
	    json_object_get(session, "expires")));
}

static void
on_session_get(struct http_req *r, void *arg)
{
	auth_require_session(r, ROLE_ANY, on_whoami, NULL);
}

static void
on_logout(struct http_req *r, const struct auth_agent *who, void *arg)
{
	char token[256], hex[65];

	if (auth_request_token(r, token, sizeof(token)) == -1)
		log_fatalx("req=%s the guard passed a request without a token",
		    http_req_tag(r));
	auth_token_hash(token, hex);
	log_info("req=%s agent=%s logout", http_req_tag(r), who->id);
	call(r, "rx_session_delete", json_pack("{s:s}", "hash", hex), 204);
}

static void
on_session_delete(struct http_req *r, void *arg)
{
	auth_require(r, ROLE_ANY, on_logout, NULL);
}

static void
on_list(struct http_req *r, const struct auth_agent *who, void *arg)
{
	call(r, "rx_agent_list", json_object(), 200);
}

static void
on_agents_get(struct http_req *r, void *arg)
{
	auth_require(r, ROLE_SUPERVISOR | ROLE_ADMIN, on_list, NULL);
}

/* The {id} of the path if it is a number; else answer 404 and NULL. */
static const char *
agent_id(struct http_req *r)
{
	const char *id = http_param(r, 0);
	size_t n = id ? strspn(id, "0123456789") : 0;

	if (id == NULL || n == 0 || n > 18 || id[n] != '\0') {
		http_error(r, 404, "not_found", "no such agent", NULL);
		return NULL;
	}
	return id;
}

static void
on_one(struct http_req *r, const struct auth_agent *who, void *arg)
{
	const char *id;

	if ((id = agent_id(r)) == NULL)
		return;
	if (!(who->roles & (ROLE_ADMIN | ROLE_SUPERVISOR)) && strcmp(id, who->id)) {
		http_error(r, 403, "forbidden", "agents may read only themselves", NULL);
		return;
	}
	call(r, "rx_agent_get", json_pack("{s:s}", "id", id), 200);
}

static void
on_agent_get(struct http_req *r, void *arg)
{
	auth_require(r, ROLE_ANY, on_one, NULL);
}

static void
on_revoke(struct http_req *r, const struct auth_agent *who, void *arg)
{
	const char *id;

	if ((id = agent_id(r)) == NULL)
		return;
	log_info("req=%s agent=%s revoke sessions of agent=%s", http_req_tag(r),
	    who->id, id);
	call(r, "rx_session_delete", json_pack("{s:s}", "agent", id), 200);
}

static void
on_sessions_delete(struct http_req *r, void *arg)
{
	auth_require(r, ROLE_ADMIN, on_revoke, NULL);
}

static struct pending *
pending_find(uint64_t seq)
{
	struct pending *p;

	TAILQ_FOREACH(p, &A.pending, entry)
		if (p->seq == seq)
			return p;
	return NULL;
}

static void
pending_free(struct pending *p)
{
	TAILQ_REMOVE(&A.pending, p, entry);
	json_decref(p->args);
	free(p);
}

/* The new password's hash is ready: store it with the rest. */
static void
on_hashed(int result, const char *encoded, void *arg)
{
	struct pending *p = pending_find((uint64_t)(uintptr_t)arg);
	struct http_req *r;
	json_t *target;

	if (p == NULL)
		return;
	if ((r = http_req_find(p->req)) != NULL) {
		if (result == -1 || encoded == NULL)
			http_error(r, 500, "internal", "cannot hash the password", NULL);
		else {
			target = json_object_get(p->args, "set") ?: p->args;
			json_object_set_new(target, "pwhash", json_string(encoded));
			call(r, p->fn, json_incref(p->args), p->status);
		}
	}
	pending_free(p);
}

/* Call FN with ARGS (taken); hash PASSWORD into them first if given. */
static void
store_with_password(struct http_req *r, const char *fn, json_t *args,
    const char *password, int status)
{
	struct pending *p;

	if (password == NULL) {
		call(r, fn, args, status);
		return;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		json_decref(args);
		http_unavailable(r);
		return;
	}
	p->seq = ++A.seq;
	p->req = http_req_id(r);
	snprintf(p->fn, sizeof(p->fn), "%s", fn);
	p->args = args;
	p->status = status;
	TAILQ_INSERT_TAIL(&A.pending, p, entry);
	if (auth_password_hash_async(password, &A.kdf, on_hashed,
	    (void *)(uintptr_t)p->seq) == -1) {
		pending_free(p);
		http_unavailable(r);
	}
}

/* The body as a JSON object, or NULL after answering 400. */
static json_t *
body_object(struct http_req *r)
{
	size_t len;
	const char *body = http_body(r, &len);
	json_t *j = NULL;

	if (len > BODY_MAX || (j = json_loadb(body, len, 0, NULL)) == NULL ||
	    !json_is_object(j)) {
		json_decref(j);
		http_error(r, 400, "bad_request", "the body must be a JSON object", NULL);
		return NULL;
	}
	return j;
}

/* Take "password" out of J: 0 with *PW (NULL if absent) or -1 answered.
 * *PW points into SAVE, which the caller wipes. */
static int
take_password(struct http_req *r, json_t *j, char *save, size_t savelen,
    const char **pw)
{
	json_t *v = json_object_get(j, "password");
	const char *s = json_string_value(v);

	*pw = NULL;
	if (v == NULL)
		return 0;
	if (s == NULL || strlen(s) < AUTH_PASSWORD_MIN || strlen(s) >= savelen) {
		http_error(r, 422, "invalid", "the password must have 8 to 1024 bytes",
		    "password");
		return -1;
	}
	snprintf(save, savelen, "%s", s);
	json_object_del(j, "password");
	*pw = save;
	return 0;
}

static void
on_create(struct http_req *r, const struct auth_agent *who, void *arg)
{
	char pwbuf[AUTH_PASSWORD_MAX + 1], actor[32];
	const char *pw;
	json_t *j;

	static const char *const fields[] = { "name", "email", "roles", "password",
	    "skills", "capacity", "languages", "disabled", NULL };

	if ((j = body_object(r)) == NULL)
		return;
	if (http_json_known(r, j, fields) == -1) {
		json_decref(j);
		return;
	}
	if (take_password(r, j, pwbuf, sizeof(pwbuf), &pw) == -1) {
		json_decref(j);
		return;
	}
	if (pw == NULL) {
		json_decref(j);
		http_error(r, 422, "invalid", "a password is required", "password");
		return;
	}
	json_object_del(j, "pwhash");
	snprintf(actor, sizeof(actor), "a:%s", who->id);
	json_object_set_new(j, "actor", json_string(actor));
	store_with_password(r, "rx_agent_add", j, pw, 201);
	OPENSSL_cleanse(pwbuf, sizeof(pwbuf));
}

static void
on_agents_post(struct http_req *r, void *arg)
{
	auth_require(r, ROLE_ADMIN, on_create, NULL);
}

static void
on_patch(struct http_req *r, const struct auth_agent *who, void *arg)
{
	static const char *const allowed[] = { "name", "email", "roles",
	    "skills", "languages", "capacity", "disabled", NULL };
	char pwbuf[AUTH_PASSWORD_MAX + 1], actor[32];
	const char *id, *pw, *key;
	json_t *j, *v;
	int i;

	if ((id = agent_id(r)) == NULL || (j = body_object(r)) == NULL)
		return;
	if (take_password(r, j, pwbuf, sizeof(pwbuf), &pw) == -1) {
		json_decref(j);
		return;
	}
	json_object_foreach(j, key, v) {
		for (i = 0; allowed[i] && strcmp(allowed[i], key); i++)
			;
		if (allowed[i] == NULL) {
			http_error(r, 422, "invalid", "this field cannot be changed", key);
			json_decref(j);
			OPENSSL_cleanse(pwbuf, sizeof(pwbuf));
			return;
		}
	}
	snprintf(actor, sizeof(actor), "a:%s", who->id);
	store_with_password(r, "rx_agent_update", json_pack("{s:s, s:s, s:o}",
	    "id", id, "actor", actor, "set", j), pw, 200);
	OPENSSL_cleanse(pwbuf, sizeof(pwbuf));
}

static void
on_agent_patch(struct http_req *r, void *arg)
{
	auth_require(r, ROLE_ADMIN, on_patch, NULL);
}

static void
add_route(const char *method, const char *pattern, const char *name, void *arg)
{
	json_array_append_new(arg, json_pack("{s:s, s:s, s:s}", "method", method,
	    "path", pattern, "name", name));
}

static void
on_routes_authed(struct http_req *r, const struct auth_agent *who, void *arg)
{
	json_t *items = json_array();

	http_routes_foreach(add_route, items);
	http_reply_json(r, 200, json_pack("{s:o}", "items", items));
}

/* The route table, for admins (and the role-matrix test). */
static void
on_routes(struct http_req *r, void *arg)
{
	auth_require(r, ROLE_ADMIN, on_routes_authed, NULL);
}

int
api_agent_start(struct event_base *base, const struct config *cf, const char **cause)
{
	(void)base;
	(void)cause;
	A.kdf = (struct auth_kdf){ (uint64_t)cf->auth_scrypt_n,
	    (uint32_t)cf->auth_scrypt_r, (uint32_t)cf->auth_scrypt_p };
	TAILQ_INIT(&A.pending);
	http_route("GET", "/api/v1/session", "session_get", on_session_get, NULL);
	http_route("DELETE", "/api/v1/session", "session_delete", on_session_delete, NULL);
	http_route("GET", "/api/v1/agents", "agents_list", on_agents_get, NULL);
	http_route("POST", "/api/v1/agents", "agents_create", on_agents_post, NULL);
	http_route("GET", "/api/v1/agents/{}", "agent_get", on_agent_get, NULL);
	http_route("PATCH", "/api/v1/agents/{}", "agent_update", on_agent_patch, NULL);
	http_route("DELETE", "/api/v1/agents/{}/sessions", "agent_sessions_delete",
	    on_sessions_delete, NULL);
	http_route("GET", "/api/v1/routes", "routes", on_routes, NULL);
	return 0;
}

void
api_agent_stop(void)
{
	while (A.pending.tqh_first != NULL)
		pending_free(TAILQ_FIRST(&A.pending));
}
