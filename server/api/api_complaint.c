/* api_complaint: see api_complaint.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "server/api/api_case.h"
#include "server/api/api_error.h"
#include "server/api/api_complaint.h"
#include "server/auth/auth.h"
#include "server/core/http.h"
#include "server/store/store.h"
#include "server/store/ticket.h"

#define QC_ROLES	(ROLE_SAFETY | ROLE_SUPERVISOR | ROLE_ADMIN)
#define QC_EXPORT_MAX	1000

static void
on_json(json_t *res, const char *err, void *arg)
{
	struct http_req *r = http_resume(arg);

	if (r == NULL)
		return;
	if (err)
		api_error_reply(r, err);
	else
		http_reply_json(r, 200, json_incref(res));
}

static void
on_created(json_t *res, const char *err, void *arg)
{
	struct http_req *r = http_resume(arg);

	if (r == NULL)
		return;
	if (err)
		api_error_reply(r, err);
	else
		http_reply_json(r, 201, json_incref(res));
}

static json_t *
who_of(const struct auth_agent *a, char *actor, size_t len)
{
	char roles[64];

	auth_roles_format(a->roles, roles, sizeof(roles));
	snprintf(actor, len, "a:%s", a->id);
	return json_pack("{s:s,s:s}", "agent", a->id, "roles", roles);
}

/* "17" or "QC-17" -> 17; 0 (after a 404) if neither. */
static long long
path_id(struct http_req *r)
{
	const char *s = http_param(r, 0);
	char *end;
	long long v;

	if (s && strncasecmp(s, "QC-", 3) == 0)
		s += 3;
	v = s && *s >= '1' && *s <= '9' ? strtoll(s, &end, 10) : 0;
	if (v <= 0 || *end) {
		http_error(r, 404, "not_found", "no such complaint", NULL);
		return 0;
	}
	return v;
}

/* Call FN with ARGS (consumed) for R, answering through CB. */
static void
call_for(struct http_req *r, const char *fn, json_t *args, store_json_cb *cb)
{
	struct http_hold *p = http_hold(r);

	http_hold_sent(r, p, store_call(fn, args, cb, p));
	json_decref(args);
}

static void
on_open_authed(struct http_req *r, const struct auth_agent *a, void *arg)
{
	uint64_t n = ticket_number(http_param(r, 0));
	char actor[40];
	json_t *o, *who;

	if (api_case_refused(r))
		return;
	if (n == 0) {
		http_error(r, 404, "not_found", "no such ticket", NULL);
		return;
	}
	if ((o = api_case_body(r, 1)) == NULL)
		return;
	who = who_of(a, actor, sizeof(actor));
	call_for(r, "rx_complaint_open", json_pack("{s:I,s:o,s:s,s:o}", "ticket",
	    (json_int_t)n, "who", who, "actor", actor, "set", o), on_created);
}

static void
on_get_authed(struct http_req *r, const struct auth_agent *a, void *arg)
{
	long long id = path_id(r);

	if (id)
		call_for(r, "rx_complaint_get", json_pack("{s:I}", "id", id), on_json);
}

static void
on_patch_authed(struct http_req *r, const struct auth_agent *a, void *arg)
{
	long long id;
	char actor[40];
	json_t *o;

	if (api_case_refused(r) || (id = path_id(r)) == 0 ||
	    (o = api_case_body(r, 0)) == NULL)
		return;
	call_for(r, "rx_complaint_update", json_pack("{s:I,s:o,s:o,s:s}", "id", id,
	    "set", o, "who", who_of(a, actor, sizeof(actor)), "actor", actor), on_json);
}

/* The list's filters from the query; NULL after a 400. */
static json_t *
filter(struct http_req *r, int limit)
{
	static const char *const names[] = { "product", "lot", "status", "cursor" };
	int64_t from, to;
	json_t *f = json_pack("{s:i}", "limit", limit);
	const char *l = http_query(r, "limit");

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *v = http_query(r, names[i]);
		if (v && strlen(v) > 200) {
			http_error(r, 400, "bad_request", "too long", names[i]);
			json_decref(f);
			return NULL;
		}
		if (v && *v)
			json_object_set_new(f, names[i], json_string(v));
	}
	if (api_case_time(r, "from", 0, &from) == -1 ||
	    api_case_time(r, "to", 1, &to) == -1) {
		json_decref(f);
		return NULL;
	}
	if (from >= 0)
		json_object_set_new(f, "from", json_integer((json_int_t)from));
	if (to >= 0)
		json_object_set_new(f, "to", json_integer((json_int_t)to));
	if (l && limit != QC_EXPORT_MAX)
		json_object_set_new(f, "limit", json_integer(atoi(l) < 1 ? 1 :
		    atoi(l) > 100 ? 100 : atoi(l)));
	return f;
}

static void
on_list_authed(struct http_req *r, const struct auth_agent *a, void *arg)
{
	json_t *f = filter(r, 25);

	if (f)
		call_for(r, "rx_complaint_list", f, on_json);
}

/* One CSV field (RFC 4180), a formula-looking text quoted with '. */
static void
put(struct evbuffer *b, const char *s, int first)
{
	evbuffer_add_printf(b, "%s\"%s", first ? "" : ",", s && *s &&
	    strchr("=+-@\t\r", *s) ? "'" : "");
	for (; s && *s; s++) {
		evbuffer_add(b, s, 1);
		if (*s == '"')
			evbuffer_add(b, "\"", 1);
	}
	evbuffer_add(b, "\"", 1);
}

static void
on_csv(json_t *res, const char *err, void *arg)
{
	static const char *const cols[] = { "number", "status", "product",
	    "strength", "lot", "expiry", "pack", "type", "nature", "investigation",
	    "reply", NULL };
	struct http_req *r = http_resume(arg);
	struct evbuffer *b;
	json_t *it, *rev;
	size_t i;

	if (r == NULL)
		return;
	if (err) {
		api_error_reply(r, err);
		return;
	}
	b = evbuffer_new();
	evbuffer_add_printf(b, "number,status,product,strength,lot,expiry,pack,type,"
	    "nature,investigation,reply,sample_available,complainant,ae_review,"
	    "case,ticket\r\n");
	json_array_foreach(json_object_get(res, "items"), i, it) {
		char num[32];
		for (int c = 0; cols[c]; c++)
			put(b, json_string_value(json_object_get(it, cols[c])), c == 0);
		put(b, json_is_true(json_object_get(it, "sample_available")) ? "yes" :
		    "no", 0);
		put(b, json_string_value(json_object_get(json_object_get(it,
		    "complainant"), "name")), 0);
		rev = json_object_get(it, "ae_review");
		put(b, json_string_value(json_object_get(rev, "decision")), 0);
		snprintf(num, sizeof(num), json_is_integer(json_object_get(it, "case")) ?
		    "CASE-%lld" : "", (long long)json_integer_value(json_object_get(it,
		    "case")));
		put(b, num, 0);
		snprintf(num, sizeof(num), "RX-%lld", (long long)json_integer_value(
		    json_object_get(it, "ticket")));
		put(b, num, 0);
		evbuffer_add(b, "\r\n", 2);
	}
	http_set_header(r, "Content-Disposition",
	    "attachment; filename=\"complaints.csv\"");
	http_reply_buf(r, 200, "text/csv; charset=utf-8", b);
	evbuffer_free(b);
}

static void
on_csv_authed(struct http_req *r, const struct auth_agent *a, void *arg)
{
	json_t *f = filter(r, QC_EXPORT_MAX);

	if (f)
		call_for(r, "rx_complaint_list", f, on_csv);
}

static void
on_list_req(struct http_req *r, void *arg)
{
	auth_require(r, QC_ROLES, on_list_authed, NULL);
}

static void
on_csv_req(struct http_req *r, void *arg)
{
	auth_require(r, QC_ROLES, on_csv_authed, NULL);
}

static void
on_get_req(struct http_req *r, void *arg)
{
	auth_require(r, QC_ROLES, on_get_authed, NULL);
}

static void
on_patch_req(struct http_req *r, void *arg)
{
	auth_require(r, QC_ROLES, on_patch_authed, NULL);
}

static void
on_open_req(struct http_req *r, void *arg)
{
	auth_require(r, ROLE_ANY, on_open_authed, NULL);
}

int
api_complaint_start(struct event_base *base, const struct config *cf,
    const char **cause)
{
	http_route("GET", "/api/v1/complaints", "complaints", on_list_req, NULL);
	http_route("GET", "/api/v1/complaints.csv", "complaints_csv", on_csv_req,
	    NULL);
	http_route("GET", "/api/v1/complaints/{}", "complaint", on_get_req, NULL);
	http_route("PATCH", "/api/v1/complaints/{}", "complaint_update",
	    on_patch_req, NULL);
	http_route("POST", "/api/v1/tickets/{}/complaint", "ticket_complaint",
	    on_open_req, NULL);
	return 0;
}
