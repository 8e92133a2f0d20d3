/* store: see store.h. */
#define _GNU_SOURCE		/* asprintf */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <jansson.h>
#include <openssl/rand.h>

#include "server/core/config.h"
#include "server/core/log.h"
#include "server/core/redis.h"
#include "server/store/store.h"

extern const char rxdesk_lua[];	/* generated from RX_LUA by the build */

static char prefix[64] = "rx:";

struct call {
	store_json_cb *cb;
	void *arg;
};

/* A batch of interactions for one FCALL rx_ingest_batch. */
struct store_batch {
	struct evbuffer *args;	/* each item's arguments, RESP bulk strings */
	int nargs, count;
};

/* Does the library's list (a JSON array of names) hold exactly LIST? */
static int
same_words(json_t *got, const char *const *list)
{
	size_t n = 0;

	for (; list[n]; n++)
		if (!json_is_array(got) || interaction_find(list, json_string_value(
		    json_array_get(got, n))) == -1)
			return 0;
	return json_is_array(got) && json_array_size(got) == n;
}

/* FCALL rx_vocab's answer against server/core/interaction.c. */
static int
check_vocab(const char *answer, size_t len, const char **cause)
{
	json_t *j = json_loadb(answer, len, 0, NULL), *chans;
	const char *name;
	json_t *kind;
	int ok = j != NULL;

	chans = json_object_get(j, "channels");
	if (ok && json_object_size(chans) != CH_COUNT)
		ok = 0;
	json_object_foreach(chans, name, kind) {
		int ch = interaction_channel_find(name);

		if (ch == -1 || strcmp(json_string_value(kind) ? json_string_value(kind) : "",
		    interaction_kind_name(interaction_kind(ch))))
			ok = 0;
	}
	if (!ok)
		*cause = "its channels or their routing kinds differ from server/core/interaction.c";
	else if (!same_words(json_object_get(j, "categories"), interaction_categories))
		*cause = "its ticket categories differ from server/core/interaction.c", ok = 0;
	else if (!same_words(json_object_get(j, "priorities"), interaction_priorities))
		*cause = "its priorities differ from server/core/interaction.c", ok = 0;
	else if (!same_words(json_object_get(j, "flags"), interaction_flags))
		*cause = "its flags differ from server/core/interaction.c", ok = 0;
	else if (json_array_size(json_object_get(j, "missing_hooks")) > 0) {
		static char msg[160];

		snprintf(msg, sizeof(msg), "hook rx.%s is declared in head.lua but "
		    "no part of the library defines it", json_string_value(
		    json_array_get(json_object_get(j, "missing_hooks"), 0)));
		*cause = msg, ok = 0;
	}
	json_decref(j);
	return ok ? 0 : -1;
}

int
store_start(struct event_base *base, const struct config *cf, const char **cause)
{
	(void)base;
	(void)cause;
	snprintf(prefix, sizeof(prefix), "%s", cf->redis_prefix);
	redis_function_library("rxdesk", rxdesk_lua, "rx_vocab", check_vocab);
	return 0;
}

const char *
store_prefix(void)
{
	return prefix;
}

int
store_ready(void)
{
	return redis_ready();
}

static void
on_call(const struct redisReply *r, const char *err, void *arg)
{
	struct call c = *(struct call *)arg;
	json_t *j = NULL;
	const char *s;
	size_t len;

	free(arg);
	if (err) {
		if (r == NULL || strcmp(err, "timeout") == 0)
			err = "unavailable";
		c.cb(NULL, err, c.arg);
		return;
	}
	if ((s = redis_reply_str(r, &len)) == NULL ||
	    (j = json_loadb(s, len, JSON_DECODE_ANY, NULL)) == NULL) {
		c.cb(NULL, "bad reply from the function library", c.arg);
		return;
	}
	c.cb(j, NULL, c.arg);
	json_decref(j);
}

/* FCALL FN 0 <prefix> [TEXT]: TEXT is the JSON argument, or NULL. */
static int
call_text(const char *fn, const char *text, size_t len, store_json_cb *cb,
    void *arg)
{
	const char *av[5] = { "FCALL", fn, "0", prefix, text };
	size_t al[5] = { 5, strlen(fn), 1, strlen(prefix), len };
	struct call *c;
	int rc;

	if ((c = malloc(sizeof(*c))) == NULL)
		return -1;
	c->cb = cb;
	c->arg = arg;
	if ((rc = redis_commandv(on_call, c, text ? 5 : 4, av, al)) == -1)
		free(c);
	return rc;
}

static int
call_fn(const char *fn, json_t *args, store_json_cb *cb, void *arg)
{
	char *text = NULL;
	int rc;

	if (args && (text = json_dumps(args, JSON_COMPACT)) == NULL)
		return -1;
	rc = call_text(fn, text, text ? strlen(text) : 0, cb, arg);
	free(text);
	return rc;
}

int
store_call(const char *fn, json_t *args, store_json_cb *cb, void *arg)
{
	return call_fn(fn, args, cb, arg);
}

static void
set_str(json_t *o, const char *key, const char *v)
{
	if (v && *v)
		json_object_set_new(o, key, json_string(v));
}

static json_t *
ident_json(const struct interaction *in)
{
	json_t *id = json_object(), *ext = json_array();

	set_str(id, "customer", in->customer_id);
	for (int i = 0; i < in->next; i++)
		json_array_append_new(ext, json_pack("[ss]", in->ext[i].scheme,
		    in->ext[i].value));
	json_object_set_new(id, "ext", ext);
	set_str(id, "email", in->email);
	set_str(id, "phone", in->phone);
	set_str(id, "phone_ext", in->phone_ext);
	set_str(id, "chat", in->chat_token);
	set_str(id, "name", in->name);
	set_str(id, "type", in->customer_type);
	return id;
}

static json_t *
thread_json(const struct interaction *in)
{
	json_t *t = json_object(), *ids = json_array();

	set_str(t, "token", in->thread_token);
	for (int i = 0; i < in->nmsgids; i++)
		json_array_append_new(ids, json_string(in->msgids[i]));
	json_object_set_new(t, "msgids", ids);
	if (in->subject_tag)
		json_object_set_new(t, "tag", json_integer((json_int_t)in->subject_tag));
	return t;
}

/*
 * The mail reply token a new ticket gets (rx:tok:<token>): random here,
 * because Lua in Redis has no source of unpredictable numbers.
 */
static void
set_token(json_t *o)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char raw[16];
	char hex[sizeof(raw) * 2];

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		log_fatalx("store: RAND_bytes failed");
	/* by hand: sixteen snprintf calls were 2% of a form's CPU */
	for (size_t i = 0; i < sizeof(raw); i++) {
		hex[2 * i] = digits[raw[i] >> 4];
		hex[2 * i + 1] = digits[raw[i] & 0xf];
	}
	json_object_set_new(o, "token", json_stringn(hex, sizeof(hex)));
}

/* The interaction as rx_ingest reads it (docs/datamodel.md); its blobs
 * are named by position among the item's byte arguments, 1 first. */
static json_t *
interaction_json(const struct interaction *in)
{
	json_t *o = json_object(), *att = json_array();

	json_object_set_new(o, "channel", json_string(interaction_channel_name(in->channel)));
	json_object_set_new(o, "kind", json_string(interaction_kind_name(
	    interaction_kind(in->channel))));
	json_object_set_new(o, "direction", json_string(in->outbound ? "out" : "in"));
	set_str(o, "dedup", in->dedup);
	if (in->dedup_ttl)
		json_object_set_new(o, "dedup_ttl", json_integer(in->dedup_ttl));
	set_str(o, "source", in->source);
	json_object_set_new(o, "ident", ident_json(in));
	if (in->ticket)
		json_object_set_new(o, "ticket", json_integer((json_int_t)in->ticket));
	json_object_set_new(o, "thread", thread_json(in));
	if (in->continue_open)
		json_object_set_new(o, "continue_open", json_integer(in->continue_open));
	set_str(o, "subject", in->subject);
	set_str(o, "text", in->text);
	set_str(o, "msgid", in->msgid);
	set_str(o, "category", in->category);
	set_str(o, "priority", in->priority);
	set_str(o, "queue", in->queue);
	set_str(o, "lang", in->lang);
	set_str(o, "flags", in->flags);
	for (int i = 0; i < in->natt; i++)
		json_array_append_new(att, json_pack("{s:s, s:s, s:i}",
		    "name", in->att[i].name ? in->att[i].name : "",
		    "type", in->att[i].type ? in->att[i].type : "application/octet-stream",
		    "blob", i + 1));
	json_object_set_new(o, "attachments", att);
	if (in->raw.size)
		json_object_set_new(o, "raw_blob", json_integer(in->natt + 1));
	json_object_set_new(o, "received_at", json_integer(in->received_at));
	set_token(o);
	return o;
}

/* The JSON text of IN, with the channel's fields and the screening (JSON
 * they wrote themselves) spliced in rather than parsed back and printed
 * again. Caller frees. */
static char *
interaction_text(const struct interaction *in, size_t *lenp)
{
	json_t *j = interaction_json(in);
	char *text = json_dumps(j, JSON_COMPACT), *all;
	const char *fj = in->fields_json && *in->fields_json == '{' ? in->fields_json : NULL;
	const char *sj = in->screening && *in->screening == '{' ? in->screening : NULL;
	size_t len;

	json_decref(j);
	if (text == NULL)
		log_fatalx("store: out of memory");
	len = strlen(text);
	if (fj == NULL && sj == NULL) {
		*lenp = len;
		return text;
	}
	if (asprintf(&all, "%.*s%s%s%s%s}", (int)(len - 1), text,
	    fj ? ",\"fields\":" : "", fj ? fj : "", sj ? ",\"screening\":" : "",
	    sj ? sj : "") == -1)
		log_fatalx("store: out of memory");
	free(text);
	*lenp = strlen(all);
	return all;
}

static void
bulk(struct evbuffer *b, const void *data, size_t len)
{
	evbuffer_add_printf(b, "$%zu\r\n", len);
	evbuffer_add(b, data, len);
	evbuffer_add(b, "\r\n", 2);
}

struct store_batch *
store_batch_new(void)
{
	struct store_batch *b = calloc(1, sizeof(*b));

	if (b == NULL || (b->args = evbuffer_new()) == NULL)
		log_fatalx("store: out of memory");
	return b;
}

void
store_batch_free(struct store_batch *b)
{
	if (b == NULL)
		return;
	evbuffer_free(b->args);
	free(b);
}

size_t
store_batch_bytes(const struct store_batch *b)
{
	return evbuffer_get_length(b->args);
}

void
store_batch_add(struct store_batch *b, const struct interaction *in)
{
	char nb[16];
	char *text;
	size_t len;
	int nblobs = in->natt + (in->raw.size ? 1 : 0);

	if (in->discard) {
		bulk(b->args, "discard", 7);
		bulk(b->args, "0", 1);
		b->nargs += 2;
		b->count++;
		return;
	}
	text = interaction_text(in, &len);
	bulk(b->args, text, len);
	free(text);
	bulk(b->args, nb, (size_t)snprintf(nb, sizeof(nb), "%d", nblobs));
	for (int i = 0; i < in->natt; i++)
		bulk(b->args, in->att[i].data, in->att[i].size);
	if (in->raw.size)
		bulk(b->args, in->raw.data, in->raw.size);
	b->nargs += 2 + nblobs;
	b->count++;
}

struct batch_call {
	store_batch_cb *cb;
	void *arg;
	int count;
};

/* Item I's part of the answer: its JSON, or its error. */
static void
batch_item(struct batch_call *c, int i, const struct redisReply *e)
{
	json_t *j = NULL;
	const char *s;
	size_t len;

	if (e == NULL) {
		c->cb(i, NULL, "bad reply from the function library", c->arg);
		return;
	}
	s = redis_reply_str(e, &len);
	if (redis_reply_type(e) == REDIS_T_ERROR) {
		c->cb(i, NULL, s ? s : "error", c->arg);
		return;
	}
	if (s == NULL || (j = json_loadb(s, len, 0, NULL)) == NULL) {
		c->cb(i, NULL, "bad reply from the function library", c->arg);
		return;
	}
	c->cb(i, j, NULL, c->arg);
	json_decref(j);
}

static void
on_batch(const struct redisReply *r, const char *err, void *arg)
{
	struct batch_call *c = arg;

	if (err && (r == NULL || strcmp(err, "timeout") == 0))
		err = "unavailable";
	for (int i = 0; i < c->count; i++) {
		if (err)
			c->cb(i, NULL, err, c->arg);
		else
			batch_item(c, i, redis_reply_at(r, (size_t)i));
	}
	free(c);
}

int
store_batch_send(struct store_batch *b, store_batch_cb *cb, void *arg)
{
	struct evbuffer *cmd = evbuffer_new();
	struct batch_call *c = malloc(sizeof(*c));
	char n[16];
	int rc = -1;

	if (cmd == NULL || c == NULL)
		log_fatalx("store: out of memory");
	*c = (struct batch_call){ cb, arg, b->count };
	evbuffer_add_printf(cmd, "*%d\r\n", 5 + b->nargs);
	bulk(cmd, "FCALL", 5);
	bulk(cmd, "rx_ingest_batch", 15);
	bulk(cmd, "0", 1);
	bulk(cmd, prefix, strlen(prefix));
	bulk(cmd, n, (size_t)snprintf(n, sizeof(n), "%d", b->count));
	evbuffer_add_buffer(cmd, b->args);
	rc = redis_command_resp(on_batch, c, (const char *)evbuffer_pullup(cmd, -1),
	    evbuffer_get_length(cmd));
	if (rc == -1)
		free(c);
	evbuffer_free(cmd);
	store_batch_free(b);
	return rc;
}

int
store_error_http(const char *err, const char **code, char *msg, size_t len)
{
	static const struct { const char *tag, *code; int status; } map[] = {
		{ "NOTFOUND: ", "not_found", 404 },
		{ "CONFLICT: ", "conflict", 409 },
		{ "FORBIDDEN: ", "forbidden", 403 },
		{ "BADARG: ", "bad_request", 400 },
		{ "INVALID: ", "invalid", 422 },	/* a field the call does not take */
	};
	const char *p, *end;

	if (err == NULL || strcmp(err, "unavailable") == 0) {
		*code = "unavailable";
		snprintf(msg, len, "the store is unavailable, retry later");
		return 503;
	}
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if ((p = strstr(err, map[i].tag)) == NULL)
			continue;
		p += strlen(map[i].tag);
		/* Redis appends " script: <where>" to errors raised in Lua. */
		if ((end = strstr(p, " script: ")) == NULL)
			end = p + strlen(p);
		snprintf(msg, len, "%.*s", (int)(end - p), p);
		*code = map[i].code;
		return map[i].status;
	}
	*code = "internal";
	snprintf(msg, len, "internal error");
	return 500;
}
