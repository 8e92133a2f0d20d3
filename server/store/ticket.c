/* ticket: see ticket.h. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "server/auth/auth.h"
#include "server/core/config.h"
#include "server/core/redis.h"
#include "server/store/store.h"
#include "server/store/ticket.h"

static char mail_domain[256] = "rxdesk.invalid";

struct att_call {
	ticket_att_cb *cb;
	void *arg;
};

/* Our Message-IDs end in the domain mail out uses (docs/mailout.md). */
void
ticket_init(const struct config *cf)
{
	const char *d = cf->mailout_domain && *cf->mailout_domain ?
	    cf->mailout_domain : cf->smtp_hostname;

	if (d && *d && strlen(d) < sizeof(mail_domain))
		snprintf(mail_domain, sizeof(mail_domain), "%s", d);
}

uint64_t
ticket_number(const char *s)
{
	unsigned long long v;
	char *end;

	if (s == NULL)
		return 0;
	if (strncasecmp(s, "RX-", 3) == 0)
		s += 3;
	if (!isdigit((unsigned char)*s))
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end != '\0' || v > (1ULL << 53))
		return 0;
	return v;
}

static void
set_str(json_t *o, const char *key, const char *v)
{
	if (v && *v)
		json_object_set_new(o, key, json_string(v));
}

/* {"agent":"5","roles":"agent,safety"}, as ticket_visible reads it. */
static json_t *
who_json(const struct ticket_who *who)
{
	static const struct { unsigned bit; const char *name; } roles[] = {
		{ ROLE_AGENT, "agent" }, { ROLE_SUPERVISOR, "supervisor" },
		{ ROLE_SAFETY, "safety" }, { ROLE_ADMIN, "admin" },
	};
	char buf[64] = "";
	size_t off = 0;
	json_t *o = json_object();

	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		if ((who->roles & roles[i].bit) == 0)
			continue;
		off += snprintf(buf + off, sizeof(buf) - off, "%s%s",
		    off ? "," : "", roles[i].name);
	}
	json_object_set_new(o, "agent", json_string(who->agent ? who->agent : ""));
	json_object_set_new(o, "roles", json_string(buf));
	return o;
}

json_t *
ticket_who_json(const struct ticket_who *who)
{
	return who_json(who);
}

/* A new argument object for ticket N, with WHO when given. */
static json_t *
args_new(uint64_t n, const struct ticket_who *who)
{
	json_t *o = json_object();

	if (n)
		json_object_set_new(o, "ticket", json_integer((json_int_t)n));
	if (who)
		json_object_set_new(o, "who", who_json(who));
	return o;
}

/* Call FN with A (consumed). */
static int
call(const char *fn, json_t *a, store_json_cb *cb, void *arg)
{
	int rc = store_call(fn, a, cb, arg);

	json_decref(a);
	return rc;
}

int
ticket_get(uint64_t n, const struct ticket_who *who, const char *after,
    int count, store_json_cb *cb, void *arg)
{
	json_t *a = args_new(n, who);

	set_str(a, "after", after);
	if (count > 0)
		json_object_set_new(a, "count", json_integer(count));
	return call("rx_ticket_get", a, cb, arg);
}

int
ticket_list(const struct ticket_filter *f, const struct ticket_who *who,
    store_json_cb *cb, void *arg)
{
	json_t *a = args_new(0, who);

	set_str(a, "queue", f->queue);
	set_str(a, "status", f->status);
	set_str(a, "category", f->category);
	set_str(a, "agent", f->agent);
	set_str(a, "customer", f->customer);
	set_str(a, "cursor", f->cursor);
	if (f->limit > 0)
		json_object_set_new(a, "limit", json_integer(f->limit));
	return call("rx_ticket_list", a, cb, arg);
}

int
ticket_update(uint64_t n, const char *actor, const struct ticket_who *who,
    const struct ticket_change *ch, store_json_cb *cb, void *arg)
{
	json_t *a = args_new(n, who), *set = json_object();

	json_object_set_new(a, "actor", json_string(actor));
	/* "" is a value here: it unassigns the agent */
	if (ch->status)
		json_object_set_new(set, "status", json_string(ch->status));
	if (ch->category)
		json_object_set_new(set, "category", json_string(ch->category));
	if (ch->priority)
		json_object_set_new(set, "priority", json_string(ch->priority));
	if (ch->queue)
		json_object_set_new(set, "queue", json_string(ch->queue));
	if (ch->agent)
		json_object_set_new(set, "agent", json_string(ch->agent));
	if (ch->tags)
		json_object_set(set, "tags", ch->tags);
	json_object_set_new(a, "set", set);
	return call("rx_ticket_update", a, cb, arg);
}

int
ticket_note(uint64_t n, const char *author, const struct ticket_who *who,
    const char *text, const char *flags, const char *screening,
    store_json_cb *cb, void *arg)
{
	json_t *a = args_new(n, who), *s;

	json_object_set_new(a, "author", json_string(author));
	json_object_set_new(a, "text", json_string(text ? text : ""));
	set_str(a, "flags", flags);
	if (screening && (s = json_loads(screening, 0, NULL)) != NULL)
		json_object_set_new(a, "screening", s);
	return call("rx_ticket_note", a, cb, arg);
}

int
ticket_reply(uint64_t n, const char *author, const struct ticket_who *who,
    const char *text, const char *status, store_json_cb *cb, void *arg)
{
	json_t *a = args_new(n, who);

	json_object_set_new(a, "author", json_string(author));
	json_object_set_new(a, "text", json_string(text ? text : ""));
	json_object_set_new(a, "domain", json_string(mail_domain));
	set_str(a, "status", status);
	return call("rx_ticket_reply", a, cb, arg);
}

int
ticket_audit_verify(const char *cursor, int count, store_json_cb *cb, void *arg)
{
	json_t *a = json_object();

	json_object_set_new(a, "cursor", json_string(cursor ? cursor : ""));
	if (count > 0)
		json_object_set_new(a, "count", json_integer(count));
	return call("rx_audit_verify", a, cb, arg);
}

static void
on_attachment(const struct redisReply *r, const char *err, void *arg)
{
	struct att_call c = *(struct att_call *)arg;
	const struct redisReply *m, *d;
	const char *s, *data;
	size_t len, dlen;
	json_t *meta;

	free(arg);
	if (err) {
		c.cb(NULL, NULL, 0, r == NULL || strcmp(err, "timeout") == 0 ?
		    "unavailable" : err, c.arg);
		return;
	}
	if (redis_reply_count(r) != 2 || (m = redis_reply_at(r, 0)) == NULL ||
	    (d = redis_reply_at(r, 1)) == NULL ||
	    (s = redis_reply_str(m, &len)) == NULL ||
	    (data = redis_reply_str(d, &dlen)) == NULL ||
	    (meta = json_loadb(s, len, 0, NULL)) == NULL) {
		c.cb(NULL, NULL, 0, "bad reply from the function library", c.arg);
		return;
	}
	c.cb(meta, data, dlen, NULL, c.arg);
	json_decref(meta);
}

int
ticket_attachment(const char *id, const struct ticket_who *who,
    ticket_att_cb *cb, void *arg)
{
	json_t *a = args_new(0, who);
	struct att_call *c;
	const char *argv[5];
	size_t argvlen[5];
	char *text;
	int rc = -1;

	json_object_set_new(a, "id", json_string(id));
	text = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	if (text == NULL || (c = malloc(sizeof(*c))) == NULL) {
		free(text);
		return -1;
	}
	c->cb = cb;
	c->arg = arg;
	argv[0] = "FCALL";
	argv[1] = "rx_attachment_get";
	argv[2] = "0";
	argv[3] = store_prefix();
	argv[4] = text;
	for (int i = 0; i < 5; i++)
		argvlen[i] = strlen(argv[i]);
	if ((rc = redis_commandv(on_attachment, c, 5, argv, argvlen)) == -1)
		free(c);
	free(text);
	return rc;
}

/*
 * Function errors read "CODE: message", but Redis may put "ERR
 * user_function:N: " before and " script: ..." after them.
 */
int
ticket_error(const char *err, const char **code, char *msg, size_t len)
{
	return store_error_http(err, code, msg, len);
}
