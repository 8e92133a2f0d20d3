/* chat_session: see chat_session.h. Frames: docs/chat.md. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/rand.h>

#include "channels/chat.h"
#include "channels/chat_session.h"
#include "server/core/idtab.h"
#include "server/core/ingest.h"
#include "server/core/interaction.h"
#include "server/core/log.h"
#include "server/core/ws.h"
#include "server/customer/ident.h"
#include "server/customer/phone.h"
#include "server/store/store.h"

#define MAX_NAME	128
#define MAX_TOPIC	200
#define TYPING_MS	1000	/* one typing signal per second at most */

/* What a frame waiting on Redis must answer, found again by id. */
enum pend_kind { P_HELLO, P_MESSAGE, P_LEAVE };
struct pend {
	enum pend_kind kind;
	uint64_t wsid;
	char cid[CHAT_CID_MAX + 1];
};

static struct idtab pending;		/* ingest answers by id */
static unsigned npending;

unsigned
chat_session_pending(void)
{
	return npending;
}

/* --- frames out ---------------------------------------------------------- */

static void
send_frame(struct chat_conn *cc, json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT);

	json_decref(j);
	if (text == NULL)
		log_fatalx("chat: cannot encode a frame");
	ws_send_text(cc->ws, text, strlen(text));
	free(text);
}

static void
send_error(struct chat_conn *cc, const char *code, const char *message,
    const char *cid)
{
	json_t *j = json_pack("{s:s, s:s, s:s}", "type", "error", "code", code,
	    "message", message);

	if (strcmp(code, "unavailable") == 0)
		json_object_set_new(j, "retry", json_true());
	if (cid && *cid)
		json_object_set_new(j, "cid", json_string(cid));
	send_frame(cc, j);
}

/* The error frame for a store or ingest failure ERR. */
static void
send_store_error(struct chat_conn *cc, const char *err, const char *cid)
{
	if (strcmp(err, "unavailable") == 0)
		send_error(cc, "unavailable", "storage is unavailable; retry shortly",
		    cid);
	else if (strncmp(err, "NOTFOUND", 8) == 0)
		send_error(cc, "not_found", "no such chat", cid);
	else {
		log_warnx("ws=%s chat store error=\"%s\"", ws_conn_tag(cc->ws), err);
		send_error(cc, "internal", "the message could not be stored", cid);
	}
}

/* --- small helpers ------------------------------------------------------- */

/* "1712345678901-3" as two numbers, to order log ids. */
static int
log_after(const char *a, const char *b)
{
	unsigned long long a1 = 0, a2 = 0, b1 = 0, b2 = 0;

	sscanf(a, "%llu-%llu", &a1, &a2);
	sscanf(b, "%llu-%llu", &b1, &b2);
	return a1 > b1 || (a1 == b1 && a2 > b2);
}

static void
random_token(char out[CHAT_TOKEN_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[CHAT_TOKEN_LEN / 2];

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		log_fatalx("chat: RAND_bytes failed");
	for (size_t i = 0; i < sizeof(raw); i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 0xf];
	}
	out[CHAT_TOKEN_LEN] = '\0';
}

static int
token_valid(const char *t)
{
	if (t == NULL || strlen(t) != CHAT_TOKEN_LEN)
		return 0;
	for (; *t; t++)
		if (!isxdigit((unsigned char)*t))
			return 0;
	return 1;
}

/* A string field of at most MAX bytes, or NULL; "" counts as absent. */
static const char *
field(json_t *f, const char *name, size_t max, int *bad)
{
	json_t *v = json_object_get(f, name);
	const char *s;

	if (v == NULL || json_is_null(v))
		return NULL;
	if (!json_is_string(v) || json_string_length(v) > max ||
	    strlen(s = json_string_value(v)) != json_string_length(v)) {
		*bad = 1;
		return NULL;
	}
	return *s ? s : NULL;
}

static int
cid_valid(const char *cid)
{
	for (; *cid; cid++)
		if (!isalnum((unsigned char)*cid) && !strchr("-_.:", *cid))
			return 0;
	return 1;
}

static const char *
number(uint64_t n, char *buf, size_t len)
{
	snprintf(buf, len, "RX-%" PRIu64, n);
	return buf;
}

static struct chat_conn *
conn_of(uint64_t wsid)
{
	struct ws_conn *c = ws_find(wsid);

	return c ? ws_conn_arg(c) : NULL;
}

static uint64_t
pend_add(enum pend_kind kind, struct chat_conn *cc, const char *cid)
{
	struct pend *p = calloc(1, sizeof(*p));

	if (p == NULL)
		log_fatalx("chat: out of memory");
	p->kind = kind;
	p->wsid = cc->wsid;
	snprintf(p->cid, sizeof(p->cid), "%s", cid ? cid : "");
	npending++;
	return idtab_add(&pending, p);
}

static struct pend *
pend_take(uint64_t id)
{
	struct pend *p = idtab_find(&pending, id);

	if (p == NULL)
		log_fatalx("chat: an answer for no submission");
	idtab_remove(&pending, id, p);
	npending--;
	return p;
}

static void
pend_drop(uint64_t id)
{
	free(pend_take(id));
}

/* A call into the chat's Redis functions: ARGS is consumed; CB gets the
 * socket's id back. -1: Redis is away (CB is not called). */
struct call {
	uint64_t wsid;
	void (*fn)(struct chat_conn *, json_t *, const char *);
};

static void
on_called(json_t *result, const char *err, void *arg)
{
	struct call *c = arg;
	struct chat_conn *cc = conn_of(c->wsid);

	if (cc && c->fn)
		c->fn(cc, result, err);
	free(c);
}

static int
call(struct chat_conn *cc, const char *fn, json_t *args,
    void (*cb)(struct chat_conn *, json_t *, const char *))
{
	struct call *c = calloc(1, sizeof(*c));
	int rc;

	if (c == NULL)
		log_fatalx("chat: out of memory");
	*c = (struct call){ cc ? cc->wsid : 0, cb };
	json_object_set_new(args, "handle",
	    json_integer(chat_limits()->handle_seconds));
	rc = store_call(fn, args, on_called, c);
	json_decref(args);
	if (rc == -1)
		free(c);
	return rc;
}

/* --- the ticket's state -------------------------------------------------- */

static void
on_state(struct chat_conn *cc, json_t *st, const char *err)
{
	if (err == NULL)
		chat_session_state(cc, st);
}

static void
refresh(struct chat_conn *cc)
{
	if (cc->ticket)
		call(cc, "rx_chat_get", json_pack("{s:I}", "ticket",
		    (json_int_t)cc->ticket), on_state);
}

static void
state_active(struct chat_conn *cc, json_t *agent)
{
	const char *id = json_string_value(json_object_get(agent, "id"));
	const char *name = json_string_value(json_object_get(agent, "name"));

	cc->waiting = 0;
	cc->waiting_since = 0;
	if (id == NULL || strcmp(id, cc->agent) == 0)
		return;
	snprintf(cc->agent, sizeof(cc->agent), "%s", id);
	snprintf(cc->agent_name, sizeof(cc->agent_name), "%s", name ? name : "");
	send_frame(cc, json_pack("{s:s, s:s}", "type", "agent_joined", "name",
	    cc->agent_name));
}

static void
state_waiting(struct chat_conn *cc, json_t *st, int64_t now)
{
	const struct chat_limits *lim = chat_limits();

	cc->agent[0] = '\0';
	if (!cc->waiting)
		cc->waiting_since = now;
	cc->waiting = 1;
	send_frame(cc, json_pack("{s:s, s:O, s:O, s:O}", "type", "queue",
	    "position", json_object_get(st, "position"),
	    "waiting", json_object_get(st, "waiting"),
	    "estimate_s", json_object_get(st, "estimate_s")));
	if (lim->offer_after > 0 && !cc->offered &&
	    now - cc->waiting_since >= (int64_t)lim->offer_after * 1000) {
		cc->offered = 1;
		send_frame(cc, json_pack("{s:s, s:s}", "type", "offer_message",
		    "reason", "no_agent"));
	}
}

void
chat_session_state(struct chat_conn *cc, const json_t *st)
{
	const char *s = json_string_value(json_object_get(st, "state"));

	if (cc->state != CHAT_OPEN || s == NULL)
		return;
	if (strcmp(s, "active") == 0)
		state_active(cc, json_object_get(st, "agent"));
	else if (strcmp(s, "waiting") == 0)
		state_waiting(cc, (json_t *)st, interaction_now_ms());
	else
		cc->waiting = 0;
}

/* --- hello --------------------------------------------------------------- */

static void
welcome(struct chat_conn *cc, json_t *st, int resumed)
{
	char num[32];

	send_frame(cc, json_pack("{s:s, s:s, s:s, s:O, s:b}", "type", "welcome",
	    "token", cc->token, "ticket", number(cc->ticket, num, sizeof(num)),
	    "state", json_object_get(st, "state"), "resumed", resumed));
}

static void
on_opened(struct chat_conn *cc, json_t *st, const char *err)
{
	if (err) {
		cc->state = CHAT_NEW;
		send_store_error(cc, err, NULL);
		return;
	}
	cc->state = CHAT_OPEN;
	chat_bind(cc, (uint64_t)json_integer_value(json_object_get(st, "ticket")));
	welcome(cc, st, 0);
	chat_session_state(cc, st);
}

static void
on_hello_stored(uint64_t id, const struct ingest_answer *a, const char *err)
{
	struct pend *p = pend_take(id);
	struct chat_conn *cc = conn_of(p->wsid);

	free(p);
	if (cc == NULL)
		return;
	if (err) {
		cc->state = CHAT_NEW;
		send_store_error(cc, err, NULL);
		return;
	}
	if (call(cc, "rx_chat_open", json_pack("{s:s, s:I, s:s}", "token",
	    cc->token, "ticket", (json_int_t)a->ticket, "customer",
	    a->customer), on_opened) == -1)
		on_opened(cc, NULL, "unavailable");
}

struct hello {
	const char *name, *email, *phone, *topic, *lang;
	char email_n[256], phone_n[32], phone_ext[16];
};

/* The pre-chat fields, checked; -1 after an error frame. */
static int
hello_read(struct chat_conn *cc, json_t *f, struct hello *h)
{
	const char *cause;
	int bad = 0;

	h->name = field(f, "name", MAX_NAME, &bad);
	h->email = field(f, "email", 254, &bad);
	h->phone = field(f, "phone", 32, &bad);
	h->topic = field(f, "topic", MAX_TOPIC, &bad);
	h->lang = field(f, "language", 7, &bad);
	if (bad) {
		send_error(cc, "bad_frame", "a pre-chat field is too long or not a string", NULL);
		return -1;
	}
	if (h->email && ident_email(h->email, h->email_n, sizeof(h->email_n), &cause) == -1) {
		send_error(cc, "bad_email", cause, NULL);
		return -1;
	}
	if (h->phone && phone_normalize_ext(h->phone, chat_limits()->country,
	    h->phone_n, sizeof(h->phone_n), h->phone_ext, sizeof(h->phone_ext),
	    &cause) == -1) {
		send_error(cc, "bad_phone", cause, NULL);
		return -1;
	}
	if (h->lang)
		for (const char *s = h->lang; *s; s++)
			if (!isalpha((unsigned char)*s)) {
				send_error(cc, "bad_frame", "language is a language tag", NULL);
				return -1;
			}
	return 0;
}

static void
hello_remember(struct chat_conn *cc, const struct hello *h)
{
	snprintf(cc->name, sizeof(cc->name), "%s", h->name ? h->name : "");
	snprintf(cc->email, sizeof(cc->email), "%s", h->email ? h->email_n : "");
	snprintf(cc->lang, sizeof(cc->lang), "%s", h->lang ? h->lang : "");
	for (char *s = cc->lang; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

static void
hello_submit(struct chat_conn *cc, const struct hello *h)
{
	struct interaction in = { 0 };
	char dedup[64], subject[MAX_TOPIC + 16];
	uint64_t id;

	random_token(cc->token);
	snprintf(dedup, sizeof(dedup), "chat:%s:hello", cc->token);
	snprintf(subject, sizeof(subject), "Chat: %s", h->topic ? h->topic : "web chat");
	in.channel = CH_CHAT;
	in.dedup = dedup;
	in.source = "widget";
	in.email = h->email ? h->email_n : NULL;
	in.phone = h->phone ? h->phone_n : NULL;
	in.phone_ext = h->phone && h->phone_ext[0] ? h->phone_ext : NULL;
	in.chat_token = cc->token;
	in.name = h->name;
	in.subject = subject;
	in.text = h->topic ? h->topic : "(chat started)";
	in.lang = cc->lang[0] ? cc->lang : NULL;
	/* a live chat needs no mail acknowledgement (outbox_ack skips "auto") */
	in.fields_json = "{\"chat\":\"hello\",\"auto\":true}";
	id = pend_add(P_HELLO, cc, NULL);
	if (ingest_submit(&in, on_hello_stored, id) == -1) {
		pend_drop(id);
		send_store_error(cc, "unavailable", NULL);
		return;
	}
	cc->state = CHAT_OPENING;
}

static void
on_hello(struct chat_conn *cc, json_t *f)
{
	struct hello h = { 0 };

	if (cc->state != CHAT_NEW) {
		send_error(cc, "bad_state", "this socket already has a chat", NULL);
		return;
	}
	if (!json_is_true(json_object_get(f, "consent"))) {
		send_error(cc, "consent_required",
		    "the privacy notice must be accepted (\"consent\": true)", NULL);
		return;
	}
	if (hello_read(cc, f, &h) == -1)
		return;
	hello_remember(cc, &h);
	if (chat_hours_open(chat_limits()->hours, interaction_now_ms() / 1000) == 0) {
		send_frame(cc, json_pack("{s:s, s:s}", "type", "offer_message",
		    "reason", "closed"));
		return;
	}
	hello_submit(cc, &h);
}

/* --- resume -------------------------------------------------------------- */

static void
send_message(struct chat_conn *cc, json_t *m)
{
	const char *id = json_string_value(json_object_get(m, "id"));

	if (id == NULL || (cc->last[0] && !log_after(id, cc->last)))
		return;
	snprintf(cc->last, sizeof(cc->last), "%s", id);
	send_frame(cc, m);
}

/* A ticket.message event as the widget's message frame, or NULL. */
static json_t *
event_message(struct chat_conn *cc, const json_t *ev)
{
	const char *kind = json_string_value(json_object_get(ev, "kind"));
	const char *text = json_string_value(json_object_get(ev, "text"));
	const char *log = json_string_value(json_object_get(ev, "log"));

	if (kind == NULL || strcmp(kind, "reply") || text == NULL || log == NULL)
		return NULL;
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "message", "id",
	    log, "from", "agent", "name", cc->agent_name[0] ? cc->agent_name :
	    "Agent", "text", text);
}

static void
replay_recent(const void *ev, void *arg)
{
	struct chat_conn *cc = arg;
	const char *type = json_string_value(json_object_get(ev, "type"));
	json_t *m;

	if (type && strcmp(type, "ticket.message") == 0 &&
	    (m = event_message(cc, ev)) != NULL)
		send_message(cc, m);
}

static void
on_resumed(struct chat_conn *cc, json_t *st, const char *err)
{
	json_t *m;
	size_t i;

	if (err) {
		cc->state = CHAT_NEW;
		cc->token[0] = '\0';
		if (strncmp(err, "NOTFOUND", 8) == 0)
			send_error(cc, "unknown_token", "no chat with this token; say hello", NULL);
		else
			send_store_error(cc, err, NULL);
		return;
	}
	cc->state = CHAT_OPEN;
	chat_bind(cc, (uint64_t)json_integer_value(json_object_get(st, "ticket")));
	welcome(cc, st, 1);
	json_array_foreach(json_object_get(st, "messages"), i, m) {
		json_object_set_new(m, "type", json_string("message"));
		send_message(cc, json_incref(m));
	}
	/* what was published while Redis read the transcript */
	chat_recent(cc->ticket, replay_recent, cc);
	chat_session_state(cc, st);
}

static void
on_resume(struct chat_conn *cc, json_t *f)
{
	const char *tok = json_string_value(json_object_get(f, "token"));
	const char *after = json_string_value(json_object_get(f, "after"));

	if (cc->state != CHAT_NEW) {
		send_error(cc, "bad_state", "this socket already has a chat", NULL);
		return;
	}
	if (!token_valid(tok) || (after && strlen(after) >= sizeof(cc->last))) {
		send_error(cc, "bad_frame", "resume needs the chat's token", NULL);
		return;
	}
	snprintf(cc->token, sizeof(cc->token), "%s", tok);
	snprintf(cc->last, sizeof(cc->last), "%s", after ? after : "");
	cc->state = CHAT_OPENING;
	if (call(cc, "rx_chat_resume", json_pack("{s:s, s:s}", "token", tok,
	    "after", after ? after : ""), on_resumed) == -1)
		on_resumed(cc, NULL, "unavailable");
}

/* --- messages ------------------------------------------------------------ */

static void
on_message_stored(uint64_t id, const struct ingest_answer *a, const char *err)
{
	struct pend *p = pend_take(id);
	struct chat_conn *cc = conn_of(p->wsid);
	const char *log;

	if (cc == NULL)
		goto done;
	if (err) {
		send_store_error(cc, err, p->cid);
		goto done;
	}
	log = json_string_value(json_object_get(a->json, "log"));
	send_frame(cc, json_pack("{s:s, s:s, s:s, s:b}", "type", "ack", "cid",
	    p->cid, "id", log ? log : "", "duplicate", a->duplicate));
	if (a->ticket != cc->ticket) {
		/* the chat had been closed: this message opened a new one */
		chat_bind(cc, a->ticket);
		cc->agent[0] = '\0';
		if (call(cc, "rx_chat_open", json_pack("{s:s, s:I, s:s}", "token",
		    cc->token, "ticket", (json_int_t)a->ticket, "customer",
		    a->customer), on_state) == -1)
			log_debug("ws=%s chat reopen not recorded", ws_conn_tag(cc->ws));
	} else if (a->ticket_new || json_is_true(json_object_get(a->json, "reopened")))
		refresh(cc);
done:
	free(p);
}

static void
on_message(struct chat_conn *cc, json_t *f)
{
	struct interaction in = { 0 };
	const char *cid, *text;
	char dedup[CHAT_CID_MAX + CHAT_TOKEN_LEN + 8], *fields;
	json_t *fj;
	uint64_t id;
	int bad = 0;

	cid = field(f, "cid", CHAT_CID_MAX, &bad);
	text = field(f, "text", 1 << 24, &bad);
	if (bad || cid == NULL || !cid_valid(cid) || text == NULL) {
		send_error(cc, "bad_frame", "a message needs a \"cid\" (letters, digits, "
		    "-_.:, at most 64) and a non-empty \"text\"", cid);
		return;
	}
	if (cc->state != CHAT_OPEN) {
		send_error(cc, "no_chat", "say hello or resume first", cid);
		return;
	}
	snprintf(dedup, sizeof(dedup), "chat:%s:%s", cc->token, cid);
	fj = json_pack("{s:s}", "cid", cid);
	fields = json_dumps(fj, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(fj);
	in.channel = CH_CHAT;
	in.dedup = dedup;
	in.source = "widget";
	in.ticket = cc->ticket;
	in.chat_token = cc->token;
	in.text = text;
	in.lang = cc->lang[0] ? cc->lang : NULL;
	in.fields_json = fields;
	id = pend_add(P_MESSAGE, cc, cid);
	if (ingest_submit(&in, on_message_stored, id) == -1) {
		pend_drop(id);
		send_store_error(cc, "unavailable", cid);
	}
	free(fields);
}

/* --- typing, read, leave, close ------------------------------------------ */

static void
signal_send(struct chat_conn *cc, const char *what, const char *id)
{
	json_t *a = json_pack("{s:I, s:s, s:s}", "ticket", (json_int_t)cc->ticket,
	    "what", what, "from", "customer");

	if (id)
		json_object_set_new(a, "id", json_string(id));
	call(NULL, "rx_chat_signal", a, NULL);
}

static void
on_typing(struct chat_conn *cc, json_t *f)
{
	int64_t now = interaction_now_ms();

	if (cc->state != CHAT_OPEN || now - cc->last_typing < TYPING_MS)
		return;
	cc->last_typing = now;
	signal_send(cc, "typing", NULL);
}

static void
on_read(struct chat_conn *cc, json_t *f)
{
	const char *id = json_string_value(json_object_get(f, "id"));

	if (cc->state == CHAT_OPEN && id && strlen(id) < 32)
		signal_send(cc, "read", id);
}

static void
on_closed(struct chat_conn *cc, json_t *res, const char *err)
{
	if (err) {
		send_store_error(cc, err, NULL);
		return;
	}
	cc->state = CHAT_DONE;
	send_frame(cc, json_pack("{s:s, s:s, s:O}", "type", "close", "by",
	    "customer", "transcript", json_object_get(res, "transcript")));
	ws_close(cc->ws, 1000, "chat closed");
}

static void
close_chat(struct chat_conn *cc, int transcript, const char *reason)
{
	json_t *a = json_pack("{s:I, s:s, s:b}", "ticket", (json_int_t)cc->ticket,
	    "token", cc->token, "transcript", transcript);

	if (reason)
		json_object_set_new(a, "reason", json_string(reason));
	if (call(cc, "rx_chat_close", a, on_closed) == -1)
		send_store_error(cc, "unavailable", NULL);
}

static void
on_close_frame(struct chat_conn *cc, json_t *f)
{
	if (cc->state != CHAT_OPEN) {
		ws_close(cc->ws, 1000, "chat closed");
		return;
	}
	close_chat(cc, json_is_true(json_object_get(f, "transcript")), NULL);
}

static void
on_left(uint64_t id, const struct ingest_answer *a, const char *err)
{
	struct pend *p = pend_take(id);
	struct chat_conn *cc = conn_of(p->wsid);
	char num[32];

	if (cc && err)
		send_store_error(cc, err, p->cid);
	else if (cc) {
		send_frame(cc, json_pack("{s:s, s:s, s:s}", "type", "left", "ticket",
		    number(a->ticket, num, sizeof(num)), "cid", p->cid));
		if (cc->state == CHAT_OPEN)
			close_chat(cc, 0, "left_message");
		else
			cc->state = CHAT_DONE;
	}
	free(p);
}

/* Leave a message: a ticket answered by mail, like a web form's. */
static void
on_leave(struct chat_conn *cc, json_t *f)
{
	struct interaction in = { 0 };
	const char *email, *text, *name, *cid, *cause;
	char email_n[256], dedup[CHAT_CID_MAX + 16];
	uint64_t id;
	int bad = 0;

	email = field(f, "email", 254, &bad);
	text = field(f, "text", 1 << 24, &bad);
	name = field(f, "name", MAX_NAME, &bad);
	cid = field(f, "cid", CHAT_CID_MAX, &bad);
	if (email == NULL && cc->email[0])
		email = cc->email;
	if (bad || text == NULL || email == NULL || (cid && !cid_valid(cid))) {
		send_error(cc, "bad_frame", "leave needs \"email\" and \"text\"", cid);
		return;
	}
	if (ident_email(email, email_n, sizeof(email_n), &cause) == -1) {
		send_error(cc, "bad_email", cause, cid);
		return;
	}
	snprintf(dedup, sizeof(dedup), "chat-leave:%s", cid ? cid : "");
	in.channel = CH_FORM;
	in.source = "chat";
	in.dedup = cid ? dedup : NULL;
	in.email = email_n;
	in.name = name ? name : (cc->name[0] ? cc->name : NULL);
	in.subject = "Message left in the web chat";
	in.text = text;
	in.lang = cc->lang[0] ? cc->lang : NULL;
	in.fields_json = "{\"via\":\"chat\"}";
	id = pend_add(P_LEAVE, cc, cid);
	if (ingest_submit(&in, on_left, id) == -1) {
		pend_drop(id);
		send_store_error(cc, "unavailable", cid);
	}
}

/* --- the frame dispatcher ------------------------------------------------ */

static const struct {
	const char *type;
	void (*fn)(struct chat_conn *, json_t *);
} frames[] = {
	{ "hello", on_hello }, { "resume", on_resume }, { "message", on_message },
	{ "typing", on_typing }, { "read", on_read }, { "leave", on_leave },
	{ "close", on_close_frame },
};

/* The rate limit: a bucket of chat.burst frames refilled at chat.rate per
 * second. 0: take the frame. */
static int
rate_exceeded(struct chat_conn *cc, int64_t now)
{
	const struct chat_limits *lim = chat_limits();

	cc->tokens += (double)(now - cc->refilled) * lim->rate / 1000.0;
	if (cc->tokens > lim->burst)
		cc->tokens = lim->burst;
	cc->refilled = now;
	if (cc->tokens >= 1.0) {
		cc->tokens -= 1.0;
		return 0;
	}
	if (++cc->strikes > CHAT_STRIKES)
		ws_close(cc->ws, 1008, "rate limit");
	else
		send_error(cc, "rate_limited", "too many frames; slow down", NULL);
	return 1;
}

void
chat_session_text(struct chat_conn *cc, const char *msg, size_t len)
{
	int64_t now = interaction_now_ms();
	const char *type;
	json_t *f;

	cc->last_seen = now;
	if (rate_exceeded(cc, now))
		return;
	f = json_loadb(msg, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(f) ||
	    (type = json_string_value(json_object_get(f, "type"))) == NULL) {
		send_error(cc, "bad_frame", "a frame is a JSON object with a \"type\"", NULL);
		json_decref(f);
		return;
	}
	for (size_t i = 0; i < sizeof(frames) / sizeof(frames[0]); i++)
		if (strcmp(frames[i].type, type) == 0) {
			frames[i].fn(cc, f);
			json_decref(f);
			return;
		}
	send_error(cc, "unknown_frame", "no such frame type", NULL);
	json_decref(f);
}

/* --- events -------------------------------------------------------------- */

static void
event_closed(struct chat_conn *cc, const json_t *ev)
{
	const char *by = json_string_value(json_object_get(ev, "by"));

	if (by && strcmp(by, "customer") == 0)
		return;		/* on_closed tells the one who asked */
	cc->state = CHAT_DONE;
	send_frame(cc, json_pack("{s:s, s:s}", "type", "close", "by", "agent"));
	ws_close(cc->ws, 1000, "chat closed");
}

static void
event_transfer(struct chat_conn *cc, const json_t *ev, const char *reason)
{
	json_t *j = json_pack("{s:s, s:s}", "type", "transfer", "reason", reason);
	const char *name = json_string_value(json_object_get(ev, "name"));

	if (name && *name)
		json_object_set_new(j, "name", json_string(name));
	send_frame(cc, j);
	cc->agent[0] = '\0';
	refresh(cc);
}

void
chat_session_event(struct chat_conn *cc, const json_t *ev)
{
	const char *type = json_string_value(json_object_get(ev, "type"));
	const char *from = json_string_value(json_object_get(ev, "from"));
	json_t *m;

	if (cc->state != CHAT_OPEN || type == NULL)
		return;
	if (strcmp(type, "ticket.message") == 0) {
		if ((m = event_message(cc, ev)) != NULL)
			send_message(cc, m);
	} else if (strcmp(type, "ticket.assigned") == 0)
		refresh(cc);
	else if (strcmp(type, "chat.typing") == 0 && from && !strcmp(from, "agent"))
		send_frame(cc, json_pack("{s:s, s:s}", "type", "typing", "from", "agent"));
	else if (strcmp(type, "chat.read") == 0 && from && !strcmp(from, "agent"))
		send_frame(cc, json_pack("{s:s, s:O?}", "type", "read", "id",
		    json_object_get(ev, "id")));
	else if (strcmp(type, "chat.transfer") == 0)
		event_transfer(cc, ev, "transfer");
	else if (strcmp(type, "chat.requeued") == 0)
		event_transfer(cc, ev, "agent_left");
	else if (strcmp(type, "chat.closed") == 0)
		event_closed(cc, ev);
}

/* --- life ---------------------------------------------------------------- */

struct chat_conn *
chat_session_new(struct ws_conn *ws, unsigned iphash)
{
	struct chat_conn *cc = calloc(1, sizeof(*cc));
	int64_t now = interaction_now_ms();

	if (cc == NULL)
		log_fatalx("chat: out of memory");
	cc->ws = ws;
	cc->iphash = iphash;
	cc->last_seen = cc->refilled = now;
	cc->tokens = chat_limits()->burst;
	return cc;
}

void
chat_session_free(struct chat_conn *cc)
{
	if (cc->state == CHAT_OPEN && cc->ticket)
		signal_send(cc, "offline", NULL);
	free(cc);
}

void
chat_session_tick(struct chat_conn *cc, int64_t now)
{
	if (now - cc->last_seen > (int64_t)chat_limits()->idle_timeout * 1000)
		ws_close(cc->ws, 4000, "idle timeout");
}
