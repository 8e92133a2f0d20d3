/* api_ticket: see api_ticket.h. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "server/api/api_screening.h"
#include "server/api/api_ticket.h"
#include "server/auth/auth.h"
#include "server/core/http.h"
#include "server/core/ingest.h"
#include "server/core/interaction.h"
#include "server/core/log.h"
#include "server/store/ticket.h"

#define API_MAX_TEXT	(1024 * 1024)	/* a reply or note, bytes */
#define API_MAX_FIELD	64		/* status, queue, agent id ... */

static void
reply_error(struct http_req *r, const char *err)
{
	const char *code;
	char msg[256];
	int status = ticket_error(err, &code, msg, sizeof(msg));

	if (status == 503)
		http_unavailable(r);
	else
		http_error(r, status, code, msg, NULL);
}

static void
who_of(const struct auth_agent *a, struct ticket_who *who, char *actor,
    size_t len)
{
	who->agent = a->id;
	who->roles = a->roles;
	snprintf(actor, len, "a:%s", a->id);
}

/* Supervisors and admins may act for others; agents for themselves. */
static int
is_lead(const struct auth_agent *a)
{
	return (a->roles & (ROLE_SUPERVISOR | ROLE_ADMIN)) != 0;
}

static uint64_t
path_ticket(struct http_req *r)
{
	uint64_t n = ticket_number(http_param(r, 0));

	if (n == 0)
		http_error(r, 404, "not_found", "no such ticket", NULL);
	return n;
}

/* The answer of a function as it is with STATUS, or its error. */
static void
reply_with(json_t *res, const char *err, void *arg, int status)
{
	struct http_req *r = http_resume(arg);

	if (r == NULL)
		return;
	if (err)
		reply_error(r, err);
	else
		http_reply_json(r, status, json_incref(res));
}

static void
on_json(json_t *res, const char *err, void *arg)
{
	reply_with(res, err, arg, 200);
}

static void
on_created(json_t *res, const char *err, void *arg)
{
	reply_with(res, err, arg, 201);
}

/* A query value of at most API_MAX_FIELD bytes, or -1 after a 400. */
static int
query_field(struct http_req *r, const char *name, const char **out)
{
	const char *v = http_query(r, name);

	*out = v && *v ? v : NULL;
	if (v && strlen(v) > API_MAX_FIELD) {
		http_error(r, 400, "bad_request", "value too long", name);
		return -1;
	}
	return 0;
}

static void
on_list_authed(struct http_req *r, const struct auth_agent *a, void *arg)
{
	static const char *const names[] = { "queue", "status", "category",
	    "agent", "customer", "cursor" };
	const char *v[6], *lim;
	struct ticket_filter f;
	struct ticket_who who;
	char actor[40], *end;
	struct http_hold *p;

	for (size_t i = 0; i < 6; i++)
		if (query_field(r, names[i], &v[i]) == -1)
			return;
	memset(&f, 0, sizeof(f));
	f.queue = v[0], f.status = v[1], f.category = v[2];
	f.agent = v[3] && strcmp(v[3], "me") == 0 ? a->id : v[3];
	f.customer = v[4], f.cursor = v[5];
	if ((lim = http_query(r, "limit")) != NULL) {
		long l = strtol(lim, &end, 10);
		if (*lim == '\0' || *end != '\0' || l < 1 || l > 100) {
			http_error(r, 400, "bad_request", "limit is 1 to 100", "limit");
			return;
		}
		f.limit = (int)l;
	}
	who_of(a, &who, actor, sizeof(actor));
	p = http_hold(r);
	http_hold_sent(r, p, ticket_list(&f, &who, on_json, p));
}

static void
on_list(struct http_req *r, void *arg)
{
	auth_require(r, ROLE_ANY, on_list_authed, NULL);
}

/* rx_ticket_get's answer with "log" called "messages", as docs/api.md says. */
static void
on_get_done(json_t *res, const char *err, void *arg)
{
	struct http_req *r = http_resume(arg);
	json_t *o;

	if (r == NULL)
		return;
	if (err) {
		reply_error(r, err);
		return;
	}
	o = json_deep_copy(res);
	json_object_set(o, "messages", json_object_get(o, "log"));
	json_object_set(o, "messages_next", json_object_get(o, "next"));
	json_object_del(o, "log");
	json_object_del(o, "next");
	http_reply_json(r, 200, o);
}

static void
on_get_authed(struct http_req *r, const struct auth_agent *a, void *arg)
{
	const char *after, *count;
	struct ticket_who who;
	struct http_hold *p;
	char actor[40];
	uint64_t n;
	int c = 0;

	if ((n = path_ticket(r)) == 0 || query_field(r, "after", &after) == -1)
		return;
	if ((count = http_query(r, "count")) != NULL &&
	    ((c = atoi(count)) < 1 || c > 500)) {
		http_error(r, 400, "bad_request", "count is 1 to 500", "count");
		return;
	}
	who_of(a, &who, actor, sizeof(actor));
	p = http_hold(r);
	http_hold_sent(r, p, ticket_get(n, &who, after, c, on_get_done, p));
}

static void
on_get(struct http_req *r, void *arg)
{
	auth_require(r, ROLE_ANY, on_get_authed, NULL);
}

/* The request body as a JSON object, or NULL after a 400. */
static json_t *
body_object(struct http_req *r)
{
	json_error_t e;
	const char *body;
	size_t len;
	json_t *j;

	body = http_body(r, &len);
	j = json_loadb(body ? body : "", len, JSON_REJECT_DUPLICATES, &e);
	if (j == NULL || !json_is_object(j)) {
		json_decref(j);
		http_error(r, 400, "bad_request", "the body must be a JSON object", NULL);
		return NULL;
	}
	return j;
}

/* String member KEY of O into *OUT (absent: NULL); -1 after a 422. */
static int
member_str(struct http_req *r, json_t *o, const char *key, size_t max,
    int nullable, const char **out)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (v == NULL)
		return 0;
	if (nullable && json_is_null(v)) {
		*out = "";
		return 0;
	}
	if (!json_is_string(v) || json_string_length(v) > max) {
		http_error(r, 422, "invalid", "must be a string of limited size", key);
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

static int
one_of(const char *v, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(v, *set) == 0)
			return 1;
	return 0;
}

/* Enumerated values are checked here so the error names the field. */
static int
check_change(struct http_req *r, const struct ticket_change *ch)
{
	static const char *const statuses[] = { "new", "open", "pending",
	    "resolved", "closed", NULL };

	if (ch->status && !one_of(ch->status, statuses)) {
		http_error(r, 422, "invalid", "unknown status", "status");
		return -1;
	}
	if (ch->category && !one_of(ch->category, interaction_categories)) {
		http_error(r, 422, "invalid", "unknown category", "category");
		return -1;
	}
	if (ch->priority && !one_of(ch->priority, interaction_priorities)) {
		http_error(r, 422, "invalid", "unknown priority", "priority");
		return -1;
	}
	if (ch->tags && !json_is_array(ch->tags) && !json_is_string(ch->tags)) {
		http_error(r, 422, "invalid", "tags is a list of strings", "tags");
		return -1;
	}
	return 0;
}

static int
parse_change(struct http_req *r, json_t *o, struct ticket_change *ch)
{
	static const char *const known[] = { "status", "category", "priority",
	    "tags", "queue", "agent", NULL };
	const char *key;
	json_t *v;

	memset(ch, 0, sizeof(*ch));
	json_object_foreach(o, key, v) {
		if (!one_of(key, known)) {
			http_error(r, 422, "invalid", "unknown field", key);
			return -1;
		}
	}
	if (member_str(r, o, "status", API_MAX_FIELD, 0, &ch->status) == -1 ||
	    member_str(r, o, "category", API_MAX_FIELD, 0, &ch->category) == -1 ||
	    member_str(r, o, "priority", API_MAX_FIELD, 0, &ch->priority) == -1 ||
	    member_str(r, o, "queue", API_MAX_FIELD, 0, &ch->queue) == -1 ||
	    member_str(r, o, "agent", API_MAX_FIELD, 1, &ch->agent) == -1)
		return -1;
	ch->tags = json_object_get(o, "tags");
	return check_change(r, ch);
}

static void
on_patch_authed(struct http_req *r, const struct auth_agent *a, void *arg)
{
	struct ticket_change ch;
	struct ticket_who who;
	struct http_hold *p;
	char actor[40];
	json_t *o;
	uint64_t n;

	if ((n = path_ticket(r)) == 0 || (o = body_object(r)) == NULL)
		return;
	if (parse_change(r, o, &ch) == -1) {
		json_decref(o);
		return;
	}
	if (ch.agent && strcmp(ch.agent, "me") == 0)
		ch.agent = a->id;
	if (ch.agent && *ch.agent && strcmp(ch.agent, a->id) && !is_lead(a)) {
		json_decref(o);
		http_error(r, 403, "forbidden", "only a supervisor assigns others",
		    "agent");
		return;
	}
	who_of(a, &who, actor, sizeof(actor));
	p = http_hold(r);
	http_hold_sent(r, p, ticket_update(n, actor, &who, &ch, on_json, p));
	json_decref(o);
}

static void
on_patch(struct http_req *r, void *arg)
{
	auth_require(r, ROLE_ANY, on_patch_authed, NULL);
}

/* {"text": ...} (and "status" for a reply); -1 after an error answer. */
static int
parse_text(struct http_req *r, json_t *o, const char **text,
    const char **status)
{
	if (member_str(r, o, "text", API_MAX_TEXT, 0, text) == -1)
		return -1;
	if (*text == NULL || **text == '\0') {
		http_error(r, 422, "invalid", "text is required", "text");
		return -1;
	}
	if (status) {
		struct ticket_change ch = { 0 };
		if (member_str(r, o, "status", API_MAX_FIELD, 0, status) == -1)
			return -1;
		ch.status = *status;
		return check_change(r, &ch);
	}
	return 0;
}

static void
on_post_authed(struct http_req *r, const struct auth_agent *a, void *arg)
{
	int reply = arg != NULL;
	const char *text, *status = NULL;
	struct ticket_who who;
	struct http_hold *p;
	char actor[40];
	json_t *o;
	uint64_t n;
	int rc;

	static const char *const note_fields[] = { "text", NULL };
	static const char *const reply_fields[] = { "text", "status", NULL };

	if ((n = path_ticket(r)) == 0 || (o = body_object(r)) == NULL)
		return;
	if (http_json_known(r, o, reply ? reply_fields : note_fields) == -1 ||
	    parse_text(r, o, &text, reply ? &status : NULL) == -1) {
		json_decref(o);
		return;
	}
	who_of(a, &who, actor, sizeof(actor));
	p = http_hold(r);
	if (reply)
		rc = ticket_reply(n, actor, &who, text, status, on_created, p);
	else {
		/* every note is screened: what an agent heard on a call or
		 * read elsewhere is safety information too (docs/voice.md) */
		struct interaction in = { .channel = CH_AGENT, .text = text };

		ingest_screen(&in);
		rc = ticket_note(n, actor, &who, text, in.flags, in.screening,
		    on_created, p);
	}
	http_hold_sent(r, p, rc);
	json_decref(o);
}

static void
on_note(struct http_req *r, void *arg)
{
	auth_require(r, ROLE_ANY, on_post_authed, NULL);
}

static void
on_reply(struct http_req *r, void *arg)
{
	static int reply = 1;

	auth_require(r, ROLE_ANY, on_post_authed, &reply);
}

/* A stored content type if it looks like one, else octet-stream. */
static const char *
safe_type(const char *t)
{
	const char *s;

	if (t == NULL || *t == '\0' || strlen(t) > 100 || strchr(t, '/') == NULL)
		return "application/octet-stream";
	for (s = t; *s; s++)
		if (!isalnum((unsigned char)*s) && strchr("/.+-_", *s) == NULL)
			return "application/octet-stream";
	return t;
}

/* Content-Disposition with the name percent-encoded (RFC 6266, 5987). */
static void
set_disposition(struct http_req *r, const char *name)
{
	char buf[1024];
	size_t off;

	off = (size_t)snprintf(buf, sizeof(buf), "attachment; filename*=UTF-8''");
	for (const unsigned char *s = (const unsigned char *)name;
	    *s && off + 4 < sizeof(buf); s++) {
		if (isalnum(*s) || strchr(".-_", *s))
			buf[off++] = (char)*s;
		else
			off += (size_t)snprintf(buf + off, sizeof(buf) - off,
			    "%%%02X", *s);
	}
	buf[off] = '\0';
	http_set_header(r, "Content-Disposition", buf);
}

static void
on_attachment_done(json_t *meta, const void *data, size_t len, const char *err,
    void *arg)
{
	struct http_req *r = http_resume(arg);
	const char *name;

	if (r == NULL)
		return;
	if (err) {
		reply_error(r, err);
		return;
	}
	name = json_string_value(json_object_get(meta, "name"));
	set_disposition(r, name && *name ? name : "attachment");
	http_reply(r, 200, safe_type(json_string_value(json_object_get(meta,
	    "type"))), data, len);
}

static void
on_attachment_authed(struct http_req *r, const struct auth_agent *a, void *arg)
{
	const char *id = http_param(r, 0);
	struct ticket_who who;
	struct http_hold *p;
	char actor[40];

	if (id == NULL || *id == '\0' || strlen(id) > API_MAX_FIELD ||
	    strspn(id, "0123456789") != strlen(id)) {
		http_error(r, 404, "not_found", "no such attachment", NULL);
		return;
	}
	who_of(a, &who, actor, sizeof(actor));
	p = http_hold(r);
	http_hold_sent(r, p, ticket_attachment(id, &who, on_attachment_done, p));
}

static void
on_attachment(struct http_req *r, void *arg)
{
	auth_require(r, ROLE_ANY, on_attachment_authed, NULL);
}

int
api_ticket_start(struct event_base *base, const struct config *cf,
    const char **cause)
{
	ticket_init(cf);
	http_route("GET", "/api/v1/tickets", "tickets", on_list, NULL);
	http_route("GET", "/api/v1/tickets/{}", "ticket", on_get, NULL);
	http_route("PATCH", "/api/v1/tickets/{}", "ticket_update", on_patch, NULL);
	http_route("POST", "/api/v1/tickets/{}/notes", "ticket_note", on_note, NULL);
	http_route("POST", "/api/v1/tickets/{}/replies", "ticket_reply", on_reply,
	    NULL);
	http_route("GET", "/api/v1/attachments/{}", "attachment", on_attachment,
	    NULL);
	api_screening_start(cf);
	return 0;
}
