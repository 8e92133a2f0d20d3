/* store: see store.h. */
#define _GNU_SOURCE		/* asprintf */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/rand.h>

#include "server/core/config.h"
#include "server/core/log.h"
#include "server/core/metrics.h"
#include "server/core/redis.h"
#include "server/store/store.h"

extern const char rxdesk_lua[];	/* generated from RX_LUA by the build */

static char prefix[64] = "rx:";

struct call {
	store_json_cb *cb;
	void *arg;
	struct metric *counted;	/* ingest: counted once Redis has it */
};

static struct metric *ingested[CH_AGENT + 1];

void
store_init(const struct config *cf)
{
	char labels[64];

	snprintf(prefix, sizeof(prefix), "%s", cf->redis_prefix);
	redis_function_library("rxdesk", rxdesk_lua);
	for (int ch = CH_EMAIL; ch <= CH_AGENT; ch++) {
		snprintf(labels, sizeof(labels), "channel=\"%s\"",
		    interaction_channel_name(ch));
		ingested[ch] = metrics_counter("rxdesk_interactions_total",
		    "Interactions persisted, by channel.", labels);
	}
}

const char *
store_prefix(void)
{
	return prefix;
}

const char *
interaction_channel_name(enum channel ch)
{
	static const char *const names[] = { "email", "form", "chat", "voice", "agent" };

	return (unsigned)ch < sizeof(names) / sizeof(names[0]) ? names[ch] : "other";
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
	if (c.counted)
		metrics_add(c.counted, 1);
	c.cb(j, NULL, c.arg);
	json_decref(j);
}

/* FCALL FN 0 <prefix> [TEXT]: TEXT is the JSON argument, or NULL. */
static int
call_text(const char *fn, const char *text, size_t len, store_json_cb *cb,
    void *arg, struct metric *counted)
{
	const char *av[5] = { "FCALL", fn, "0", prefix, text };
	size_t al[5] = { 5, strlen(fn), 1, strlen(prefix), len };
	struct call *c;
	int rc;

	if ((c = malloc(sizeof(*c))) == NULL)
		return -1;
	c->cb = cb;
	c->arg = arg;
	c->counted = counted;
	if ((rc = redis_commandv(on_call, c, text ? 5 : 4, av, al)) == -1)
		free(c);
	return rc;
}

static int
call_fn(const char *fn, json_t *args, store_json_cb *cb, void *arg,
    struct metric *counted)
{
	char *text = NULL;
	int rc;

	if (args && (text = json_dumps(args, JSON_COMPACT)) == NULL)
		return -1;
	rc = call_text(fn, text, text ? strlen(text) : 0, cb, arg, counted);
	free(text);
	return rc;
}

int
store_call(const char *fn, json_t *args, store_json_cb *cb, void *arg)
{
	return call_fn(fn, args, cb, arg, NULL);
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

/* The interaction as rx_ingest reads it (docs/datamodel.md). */
static json_t *
interaction_json(const struct interaction *in)
{
	json_t *o = json_object(), *att = json_array();

	json_object_set_new(o, "channel", json_string(interaction_channel_name(in->channel)));
	json_object_set_new(o, "direction", json_string(in->outbound ? "out" : "in"));
	set_str(o, "dedup", in->dedup);
	json_object_set_new(o, "ident", ident_json(in));
	if (in->ticket)
		json_object_set_new(o, "ticket", json_integer((json_int_t)in->ticket));
	json_object_set_new(o, "thread", thread_json(in));
	set_str(o, "subject", in->subject);
	set_str(o, "text", in->text);
	set_str(o, "msgid", in->msgid);
	set_str(o, "raw", in->raw_key);
	set_str(o, "category", in->category);
	set_str(o, "priority", in->priority);
	set_str(o, "queue", in->queue);
	set_str(o, "lang", in->lang);
	set_str(o, "flags", in->flags);
	for (int i = 0; i < in->natt; i++)
		json_array_append_new(att, json_pack("{s:s, s:s, s:s, s:I}",
		    "id", in->att[i].id, "name", in->att[i].name ? in->att[i].name : "",
		    "type", in->att[i].type ? in->att[i].type : "application/octet-stream",
		    "size", (json_int_t)in->att[i].size));
	json_object_set_new(o, "attachments", att);
	json_object_set_new(o, "received_at", json_integer(in->received_at));
	set_token(o);
	return o;
}

int
store_ingest(const struct interaction *in, store_json_cb *cb, void *arg)
{
	json_t *j = interaction_json(in);
	char *text = json_dumps(j, JSON_COMPACT), *all = NULL;
	size_t len;
	int rc;

	json_decref(j);
	if (text == NULL)
		return -1;
	len = strlen(text);
	/* The channel's fields are JSON it wrote itself: splice the text in
	 * rather than parse it back into objects only to print it again. */
	if (in->fields_json && *in->fields_json == '{') {
		if (asprintf(&all, "%.*s,\"fields\":%s}", (int)(len - 1), text,
		    in->fields_json) == -1) {
			free(text);
			return -1;
		}
		free(text);
		text = all;
		len = strlen(text);
	}
	rc = call_text("rx_ingest", text, len, cb, arg, ingested[in->channel]);
	free(text);
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
