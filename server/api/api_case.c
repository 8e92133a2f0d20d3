/* api_case: see api_case.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "server/api/api_case.h"
#include "server/api/api_error.h"
#include "server/auth/auth.h"
#include "server/cases/case_csv.h"
#include "server/cases/cases.h"
#include "server/core/config.h"
#include "server/core/http.h"
#include "server/store/store.h"
#include "server/store/ticket.h"

#if defined(__has_include)
#if __has_include("server/safety/e2b.h")
#include "server/safety/e2b.h"
#define HAVE_E2B 1
#endif
#endif

#define CASE_ROLES	(ROLE_SAFETY | ROLE_SUPERVISOR | ROLE_ADMIN)
#define CASE_EXPORT_MAX	500	/* cases in one CSV or E2B batch */

static struct {
	char country[8], company[64], org[128];
} A;

/* --- answers ----------------------------------------------------------- */

static void
on_case(json_t *res, const char *err, void *arg)
{
	struct http_req *r = http_resume(arg);

	if (r == NULL)
		return;
	if (err)
		api_error_reply(r, err);
	else
		http_reply_json(r, 200, json_incref(json_object_get(res, "case")));
}

/* --- requests ------------------------------------------------------------ */

/* A state change's body must be JSON; 1 after a refusal. (That a cookie
 * session's state change comes from the console is auth's check, made
 * for every endpoint before this runs: server/auth/auth.c.) */
int
api_case_refused(struct http_req *r)
{
	const char *t = http_header(r, "Content-Type");

	if (t == NULL || strncasecmp(t, "application/json", 16) ||
	    (t[16] && t[16] != ';' && t[16] != ' ')) {
		http_error(r, 415, "unsupported_media_type",
		    "the body must be application/json", NULL);
		return 1;
	}
	return 0;
}

/* The body as a JSON object ("" is {}); NULL after a 400. */
json_t *
api_case_body(struct http_req *r, int empty_ok)
{
	size_t len;
	const char *b = http_body(r, &len);
	json_t *o;

	if (empty_ok && (b == NULL || len == 0))
		return json_object();
	o = json_loadb(b ? b : "", len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		http_error(r, 400, "bad_request", "the body must be a JSON object", NULL);
		return NULL;
	}
	return o;
}

/* "17" or "CASE-17" -> 17; 0 if neither. */
static int64_t
case_id(const char *s)
{
	char *end;
	long long v;

	if (s == NULL)
		return 0;
	if (strncasecmp(s, "CASE-", 5) == 0)
		s += 5;
	if (*s < '1' || *s > '9')
		return 0;
	v = strtoll(s, &end, 10);
	return *end || v <= 0 ? 0 : (int64_t)v;
}

static int64_t
path_case(struct http_req *r)
{
	int64_t id = case_id(http_param(r, 0));

	if (id == 0)
		http_error(r, 404, "not_found", "no such case", NULL);
	return id;
}

static void
actor_of(const struct auth_agent *a, char *buf, size_t len)
{
	snprintf(buf, len, "a:%s", a->id);
}

static json_t *
who_of(const struct auth_agent *a)
{
	char roles[64];

	auth_roles_format(a->roles, roles, sizeof(roles));
	return json_pack("{s:s,s:s}", "agent", a->id, "roles", roles);
}

/* "1700000000000" or "2026-12-07" (to: the end of that day, UTC) into
 * *MS; 0 when absent, -1 after a 400. */
int
api_case_time(struct http_req *r, const char *name, int end, int64_t *ms)
{
	const char *s = http_query(r, name);
	struct tm tm;
	char *rest;

	*ms = -1;
	if (s == NULL || *s == '\0')
		return 0;
	memset(&tm, 0, sizeof(tm));
	if (strlen(s) == 10 && s[4] == '-' && s[7] == '-' && sscanf(s, "%4d-%2d-%2d",
	    &tm.tm_year, &tm.tm_mon, &tm.tm_mday) == 3 && tm.tm_mon >= 1 &&
	    tm.tm_mon <= 12 && tm.tm_mday >= 1 && tm.tm_mday <= 31) {
		tm.tm_year -= 1900;
		tm.tm_mon -= 1;
		*ms = (int64_t)timegm(&tm) * 1000 + (end ? 86400000 - 1 : 0);
	} else {
		long long v = strtoll(s, &rest, 10);
		if (*rest == '\0' && v >= 0)
			*ms = v;
	}
	if (*ms < 0) {
		http_error(r, 400, "bad_request", "a time is YYYY-MM-DD or Unix ms", name);
		return -1;
	}
	return 0;
}

/* The list filters of the query into a new object; NULL after a 400. */
static json_t *
list_filter(struct http_req *r, int export)
{
	static const char *const statuses[] = { "draft", "valid", "forwarded",
	    "closed", NULL };
	const char *status = http_query(r, "status"), *due = http_query(r, "due");
	const char *product = http_query(r, "product"), *cursor = http_query(r, "cursor");
	const char *limit = http_query(r, "limit");
	int64_t from, to;
	json_t *f = json_object();
	int ok = 1;

	if (status && *status) {
		ok = 0;
		for (int i = 0; statuses[i]; i++)
			ok |= !strcmp(statuses[i], status);
		if (!ok)
			http_error(r, 400, "bad_request", "status is draft, valid, "
			    "forwarded or closed", "status");
	}
	if (ok && due && *due && strcmp(due, "overdue") && strcmp(due, "soon")) {
		http_error(r, 400, "bad_request", "due is overdue or soon", "due");
		ok = 0;
	}
	if (ok && ((product && strlen(product) > 200) || (cursor &&
	    strspn(cursor, "0123456789") != strlen(cursor)))) {
		http_error(r, 400, "bad_request", "bad product or cursor", NULL);
		ok = 0;
	}
	if (ok && limit && (atoi(limit) < 1 || atoi(limit) > 100 ||
	    strspn(limit, "0123456789") != strlen(limit))) {
		http_error(r, 400, "bad_request", "limit is 1 to 100", "limit");
		ok = 0;
	}
	if (!ok || api_case_time(r, "from", 0, &from) == -1 ||
	    api_case_time(r, "to", 1, &to) == -1) {
		json_decref(f);
		return NULL;
	}
	if (status && *status)
		json_object_set_new(f, "status", json_string(status));
	if (due && *due)
		json_object_set_new(f, "due", json_string(due));
	if (product && *product)
		json_object_set_new(f, "product", json_string(product));
	if (cursor && *cursor)
		json_object_set_new(f, "cursor", json_string(cursor));
	if (from >= 0)
		json_object_set_new(f, "from", json_integer((json_int_t)from));
	if (to >= 0)
		json_object_set_new(f, "to", json_integer((json_int_t)to));
	json_object_set_new(f, "limit", json_integer(export ? CASE_EXPORT_MAX :
	    limit ? atoi(limit) : 25));
	return f;
}

static void
on_list(json_t *res, const char *err, void *arg)
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
on_list_authed(struct http_req *r, const struct auth_agent *a, void *arg)
{
	json_t *f = list_filter(r, 0);
	struct http_hold *p;

	(void)a;
	(void)arg;
	if (f == NULL)
		return;
	p = http_hold(r);
	http_hold_sent(r, p, cases_list(f, on_list, p));
	json_decref(f);
}

static void
on_get_authed(struct http_req *r, const struct auth_agent *a, void *arg)
{
	int64_t id = path_case(r);
	struct http_hold *p;

	(void)a;
	if (id == 0)
		return;
	p = http_hold(r);
	http_hold_sent(r, p, cases_get(id, arg ? (store_json_cb *)arg : on_case, p));
}

static void
on_duplicates(json_t *res, const char *err, void *arg)
{
	struct http_req *r = http_resume(arg);

	if (r == NULL)
		return;
	if (err)
		api_error_reply(r, err);
	else
		http_reply_json(r, 200, json_pack("{s:O,s:O,s:O}", "case",
		    json_object_get(json_object_get(res, "case"), "id"), "number",
		    json_object_get(json_object_get(res, "case"), "number"),
		    "duplicates", json_object_get(res, "duplicates")));
}

static void
on_patch_authed(struct http_req *r, const struct auth_agent *a, void *arg)
{
	int64_t id;
	json_t *o;
	struct http_hold *p;
	char actor[40];

	(void)arg;
	if (api_case_refused(r) || (id = path_case(r)) == 0 ||
	    (o = api_case_body(r, 0)) == NULL)
		return;
	actor_of(a, actor, sizeof(actor));
	p = http_hold(r);
	http_hold_sent(r, p, cases_update(id, o, actor, on_case, p));
	json_decref(o);
}

/* A case opened from a ticket: 201 with the case for safety staff; for
 * anyone else its number and status only (case details are the safety
 * role's, docs/safety.md). */
static void
opened(void *arg, json_t *res, const char *err, int full)
{
	struct http_req *r = http_resume(arg);
	json_t *c = json_object_get(res, "case");

	if (r == NULL)
		return;
	if (err) {
		api_error_reply(r, err);
		return;
	}
	http_reply_json(r, 201, full ? json_incref(c) : json_pack("{s:O,s:O,s:O,s:O}",
	    "id", json_object_get(c, "id"), "number", json_object_get(c, "number"),
	    "status", json_object_get(c, "status"), "ticket",
	    json_object_get(c, "ticket")));
}

static void
on_opened_full(json_t *res, const char *err, void *arg)
{
	opened(arg, res, err, 1);
}

static void
on_opened_brief(json_t *res, const char *err, void *arg)
{
	opened(arg, res, err, 0);
}

static void
on_open_authed(struct http_req *r, const struct auth_agent *a, void *arg)
{
	uint64_t n = ticket_number(http_param(r, 0));
	store_json_cb *cb = (a->roles & CASE_ROLES) ? on_opened_full : on_opened_brief;
	json_t *o, *who, *into;
	struct http_hold *p;
	char actor[40];
	int rc;

	(void)arg;
	if (api_case_refused(r))
		return;
	if (n == 0) {
		http_error(r, 404, "not_found", "no such ticket", NULL);
		return;
	}
	if ((o = api_case_body(r, 1)) == NULL)
		return;
	into = json_object_get(o, "case");
	if (into && (!(a->roles & CASE_ROLES) || !json_is_integer(into) ||
	    json_object_size(o) != 1)) {
		json_decref(o);
		http_error(r, (a->roles & CASE_ROLES) ? 422 : 403, (a->roles &
		    CASE_ROLES) ? "invalid" : "forbidden", "a follow-up is attached by "
		    "safety staff to a case id alone", "case");
		return;
	}
	actor_of(a, actor, sizeof(actor));
	who = who_of(a);
	p = http_hold(r);
	rc = into ? cases_followup(json_integer_value(into), (int64_t)n, who, actor,
	    cb, p) : cases_open((int64_t)n, who, actor, json_object_size(o) ? o : NULL,
	    cb, p);
	http_hold_sent(r, p, rc);
	json_decref(who);
	json_decref(o);
}

/* --- exports ----------------------------------------------------------- */

static void
on_csv(json_t *res, const char *err, void *arg)
{
	struct http_req *r = http_resume(arg);
	struct evbuffer *b;

	if (r == NULL)
		return;
	if (err) {
		api_error_reply(r, err);
		return;
	}
	b = evbuffer_new();
	case_csv_header(b);
	case_csv_rows(b, json_object_get(res, "items"));
	http_set_header(r, "Content-Disposition", "attachment; filename=\"cases.csv\"");
	http_reply_buf(r, 200, "text/csv; charset=utf-8", b);
	evbuffer_free(b);
}

static void
on_csv_authed(struct http_req *r, const struct auth_agent *a, void *arg)
{
	json_t *f = list_filter(r, 1);
	struct http_hold *p;

	(void)a;
	(void)arg;
	if (f == NULL)
		return;
	p = http_hold(r);
	http_hold_sent(r, p, cases_list(f, on_csv, p));
	json_decref(f);
}

#ifdef HAVE_E2B
/* CASES (an array of open cases, borrowed) as one E2B(R3) batch. */
static void
reply_e2b(struct http_req *r, json_t *cases)
{
	struct timespec ts;
	char batch[96];
	const char *cause = NULL;
	struct e2b_sender s;
	char *xml;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(batch, sizeof(batch), "%s-%lld", A.company, (long long)ts.tv_sec);
	s = (struct e2b_sender){ .org = A.org, .country = A.country, .company =
	    A.company, .batch_id = batch, .now_ms = (int64_t)ts.tv_sec * 1000 +
	    ts.tv_nsec / 1000000 };
	if ((xml = e2b_batch(cases, &s, &cause)) == NULL) {
		http_error(r, 422, "invalid", cause ? cause : "E2B export failed", NULL);
		return;
	}
	http_set_header(r, "Content-Disposition", "attachment; filename=\"e2b.xml\"");
	http_reply(r, 200, "application/xml; charset=utf-8", xml, strlen(xml));
	free(xml);
}

static void
on_e2b_one(json_t *res, const char *err, void *arg)
{
	struct http_req *r = http_resume(arg);
	json_t *list;

	if (r == NULL)
		return;
	if (err) {
		api_error_reply(r, err);
		return;
	}
	list = json_pack("[O]", json_object_get(res, "case"));
	reply_e2b(r, list);
	json_decref(list);
}

static void
on_e2b_batch(json_t *res, const char *err, void *arg)
{
	struct http_req *r = http_resume(arg);

	if (r == NULL)
		return;
	if (err)
		api_error_reply(r, err);
	else
		reply_e2b(r, json_object_get(res, "items"));
}

static void
on_e2b_authed(struct http_req *r, const struct auth_agent *a, void *arg)
{
	json_t *f;
	struct http_hold *p;

	if (arg) {		/* one case */
		on_get_authed(r, a, (void *)on_e2b_one);
		return;
	}
	if ((f = list_filter(r, 1)) == NULL)
		return;
	p = http_hold(r);
	http_hold_sent(r, p, cases_list(f, on_e2b_batch, p));
	json_decref(f);
}
#else
/* The E2B(R3) writer (server/safety/e2b.c) is not in this build yet. */
static void
on_e2b_authed(struct http_req *r, const struct auth_agent *a, void *arg)
{
	(void)a;
	(void)arg;
	http_error(r, 501, "not_implemented", "the E2B(R3) writer is not in this "
	    "build yet; use the CSV export meanwhile", NULL);
}
#endif

/* --- routes -------------------------------------------------------------- */

static void
on_list_req(struct http_req *r, void *arg)
{
	auth_require(r, CASE_ROLES, on_list_authed, NULL);
}

static void
on_csv_req(struct http_req *r, void *arg)
{
	auth_require(r, CASE_ROLES, on_csv_authed, NULL);
}

static void
on_e2b_batch_req(struct http_req *r, void *arg)
{
	auth_require(r, CASE_ROLES, on_e2b_authed, NULL);
}

static void
on_e2b_one_req(struct http_req *r, void *arg)
{
	auth_require(r, CASE_ROLES, on_e2b_authed, (void *)1);
}
static void
on_get_req(struct http_req *r, void *arg)
{
	auth_require(r, CASE_ROLES, on_get_authed, NULL);
}

/* The case read as for GET, answered as its duplicates. */
static void
on_dup_req(struct http_req *r, void *arg)
{
	auth_require(r, CASE_ROLES, on_get_authed, (void *)on_duplicates);
}
static void
on_patch_req(struct http_req *r, void *arg)
{
	auth_require(r, CASE_ROLES, on_patch_authed, NULL);
}

static void
on_open_req(struct http_req *r, void *arg)
{
	auth_require(r, ROLE_ANY, on_open_authed, NULL);
}


int
api_case_start(struct event_base *base, const struct config *cf,
    const char **cause)
{
	(void)base;
	(void)cause;
	snprintf(A.country, sizeof(A.country), "%s", cf->default_country);
	snprintf(A.company, sizeof(A.company), "%s", cf->safety_company);
	snprintf(A.org, sizeof(A.org), "%s", cf->safety_sender_org);
	http_route("GET", "/api/v1/cases", "cases", on_list_req, NULL);
	http_route("GET", "/api/v1/cases.csv", "cases_csv", on_csv_req, NULL);
	http_route("GET", "/api/v1/cases/e2b", "cases_e2b", on_e2b_batch_req, NULL);
	http_route("GET", "/api/v1/cases/{}", "case", on_get_req, NULL);
	http_route("PATCH", "/api/v1/cases/{}", "case_update", on_patch_req, NULL);
	http_route("GET", "/api/v1/cases/{}/e2b", "case_e2b", on_e2b_one_req, NULL);
	http_route("GET", "/api/v1/cases/{}/duplicates", "case_duplicates",
	    on_dup_req, NULL);
	http_route("POST", "/api/v1/tickets/{}/case", "ticket_case", on_open_req,
	    NULL);
	return 0;
}
