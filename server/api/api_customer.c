/* api_customer: see api_customer.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "server/api/api_customer.h"
#include "server/auth/auth.h"
#include "server/core/config.h"
#include "server/core/http.h"
#include "server/core/log.h"
#include "server/customer/phone.h"
#include "server/store/store_customer.h"
#include "server/store/ticket.h"

#define API_MAX_QUERY	256	/* a search string, bytes */
#define API_MAX_ID	20	/* a customer id, digits */
#define API_MAX_CURSOR	48	/* a stream entry id */

static char country[8] = "UA";

static void
on_json(json_t *res, const char *err, void *arg)
{
	struct http_req *r = http_resume(arg);
	const char *code;
	char msg[256];
	int status;

	if (r == NULL)
		return;
	if (err == NULL) {
		http_reply_json(r, 200, json_incref(res));
		return;
	}
	if ((status = store_customer_error(err, &code, msg, sizeof(msg))) == 503)
		http_unavailable(r);
	else
		http_error(r, status, code, msg, NULL);
}

/* The {id} of the path if it is a customer id; else a 404 was sent. */
static const char *
path_id(struct http_req *r)
{
	const char *id = http_param(r, 0);

	if (id == NULL || *id == '\0' || strlen(id) > API_MAX_ID ||
	    strspn(id, "0123456789") != strlen(id)) {
		http_error(r, 404, "not_found", "no such customer", NULL);
		return NULL;
	}
	return id;
}

/* Query LIMIT in 1..MAX (DEF when absent); -1 after a 400. */
static int
query_limit(struct http_req *r, int def, int max)
{
	const char *s = http_query(r, "limit");
	char *end;
	long l;

	if (s == NULL)
		return def;
	l = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || l < 1 || l > max) {
		http_error(r, 400, "bad_request", "limit out of range", "limit");
		return -1;
	}
	return (int)l;
}

static void
on_search_authed(struct http_req *r, const struct auth_agent *a, void *arg)
{
	const char *q = http_query(r, "q");
	struct http_hold *p;
	int limit;

	if (q == NULL || *q == '\0' || strlen(q) > API_MAX_QUERY) {
		http_error(r, 400, "bad_request", q && *q ? "q too long" :
		    "q is required", "q");
		return;
	}
	if ((limit = query_limit(r, 20, 100)) == -1)
		return;
	p = http_hold(r);
	http_hold_sent(r, p, store_customer_search(q, country, limit, on_json, p));
}

static void
on_get_authed(struct http_req *r, const struct auth_agent *a, void *arg)
{
	const char *id = path_id(r);
	struct http_hold *p;

	if (id == NULL)
		return;
	p = http_hold(r);
	http_hold_sent(r, p, store_customer_get(id, &(struct ticket_who){ a->id,
	    a->roles }, on_json, p));
}

static void
on_history_authed(struct http_req *r, const struct auth_agent *a, void *arg)
{
	const char *id = path_id(r), *cursor;
	struct http_hold *p;
	int limit;

	if (id == NULL || (limit = query_limit(r, 30, 200)) == -1)
		return;
	cursor = http_query(r, "cursor");
	if (cursor && (strlen(cursor) > API_MAX_CURSOR ||
	    strspn(cursor, "0123456789-") != strlen(cursor))) {
		http_error(r, 400, "bad_request", "bad cursor", "cursor");
		return;
	}
	p = http_hold(r);
	http_hold_sent(r, p, store_customer_history(id, cursor, limit,
	    &(struct ticket_who){ a->id, a->roles }, on_json, p));
}

/* The JSON object of R's body, or NULL after a 400. */
static json_t *
body_object(struct http_req *r)
{
	json_error_t e;
	size_t len;
	const char *body = http_body(r, &len);
	json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &e);

	if (j == NULL || !json_is_object(j)) {
		json_decref(j);
		http_error(r, 400, "bad_request", "the body must be a JSON object",
		    NULL);
		return NULL;
	}
	return j;
}

static void
on_patch_authed(struct http_req *r, const struct auth_agent *a, void *arg)
{
	const char *id = path_id(r);
	struct http_hold *p;
	char actor[40];
	json_t *j;

	if (id == NULL || (j = body_object(r)) == NULL)
		return;
	snprintf(actor, sizeof(actor), "a:%s", a->id);
	p = http_hold(r);
	http_hold_sent(r, p, store_customer_update(id, j, actor, on_json, p));
	json_decref(j);
}

static void
on_merge_authed(struct http_req *r, const struct auth_agent *a, void *arg)
{
	const char *id = path_id(r), *from;
	struct http_hold *p;
	char actor[40], loser[API_MAX_ID + 1];
	json_t *j, *f;

	if (id == NULL || (j = body_object(r)) == NULL)
		return;
	if (http_json_known(r, j, (const char *const[]){ "from", NULL }) == -1) {
		json_decref(j);
		return;
	}
	f = json_object_get(j, "from");
	if (json_is_integer(f))
		snprintf(loser, sizeof(loser), "%lld", (long long)json_integer_value(f));
	else
		snprintf(loser, sizeof(loser), "%s", (from = json_string_value(f)) ?
		    from : "");
	json_decref(j);
	if (loser[0] == '\0' || strspn(loser, "0123456789") != strlen(loser)) {
		http_error(r, 400, "bad_request", "from must be a customer id", "from");
		return;
	}
	snprintf(actor, sizeof(actor), "a:%s", a->id);
	p = http_hold(r);
	http_hold_sent(r, p, store_customer_merge(id, loser, actor, on_json, p));
}

static void
on_search(struct http_req *r, void *arg)
{
	auth_require(r, ROLE_ANY, on_search_authed, NULL);
}

static void
on_get(struct http_req *r, void *arg)
{
	auth_require(r, ROLE_ANY, on_get_authed, NULL);
}

static void
on_history(struct http_req *r, void *arg)
{
	auth_require(r, ROLE_ANY, on_history_authed, NULL);
}

static void
on_patch(struct http_req *r, void *arg)
{
	auth_require(r, ROLE_ANY, on_patch_authed, NULL);
}

static void
on_merge(struct http_req *r, void *arg)
{
	auth_require(r, ROLE_SUPERVISOR | ROLE_ADMIN, on_merge_authed, NULL);
}

int
api_customer_check(const struct config *cf, char *err, size_t errlen)
{
	if (phone_country_known(cf->default_country))
		return 0;
	snprintf(err, errlen, "server.default_country: \"%s\" is not one of "
	    "the countries phone numbers are known for (docs/customers.md)",
	    cf->default_country);
	return -1;
}

void
api_customer_reload(const struct config *cf)
{
	snprintf(country, sizeof(country), "%s", cf->default_country);
}

int
api_customer_start(struct event_base *base, const struct config *cf,
    const char **cause)
{
	api_customer_reload(cf);
	http_route("GET", "/api/v1/customers", "customers.search", on_search, NULL);
	http_route("GET", "/api/v1/customers/{}", "customers.get", on_get, NULL);
	http_route("GET", "/api/v1/customers/{}/history", "customers.history",
	    on_history, NULL);
	http_route("PATCH", "/api/v1/customers/{}", "customers.edit", on_patch, NULL);
	http_route("POST", "/api/v1/customers/{}/merge", "customers.merge",
	    on_merge, NULL);
	return 0;
}
