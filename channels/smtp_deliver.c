/* smtp_deliver: see smtp_deliver.h. */
#include <sys/time.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "channels/mail_thread.h"
#include "channels/mime.h"
#include "channels/smtp_deliver.h"
#include "channels/smtp_session.h"
#include "routing/triage.h"
#include "server/core/interaction.h"
#include "server/core/log.h"
#include "server/core/metrics.h"
#include "server/core/redis.h"
#include "server/store/store.h"

#define QUEUES_MAX	32

static struct {
	char *hostname, *msgid_domain;
	size_t max_att;
	struct { char *local, *queue; } map[QUEUES_MAX];
	int nmap;
	struct metric *accepted, *duplicate, *deferred;
} D;

/* One message on its way into Redis: carries the session id, not a
 * pointer, because the session may be gone when Redis answers. */
struct delivery {
	uint64_t session;
	int waiting;		/* replies still to come */
	int failed;		/* one of them was an error */
	int duplicate;
	uint64_t ticket;
	char rawkey[96];
	char *attkeys[MIME_MAX_ATT];
	int natt;
};

static void
map_free(void)
{
	for (int i = 0; i < D.nmap; i++) {
		free(D.map[i].local);
		free(D.map[i].queue);
	}
	D.nmap = 0;
}

static int
map_parse(const char *spec, const char **cause)
{
	char *copy = strdup(spec), *save = NULL, *item, *colon;

	if (copy == NULL)
		log_fatalx("smtp: out of memory");
	for (item = strtok_r(copy, ", ", &save); item;
	    item = strtok_r(NULL, ", ", &save)) {
		if ((colon = strchr(item, ':')) == NULL || colon == item ||
		    colon[1] == '\0' || D.nmap == QUEUES_MAX) {
			*cause = "smtp.queues must be \"local:queue,...\" (at most 32)";
			free(copy);
			return -1;
		}
		*colon = '\0';
		for (char *p = item; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		D.map[D.nmap].local = strdup(item);
		D.map[D.nmap++].queue = strdup(colon + 1);
	}
	free(copy);
	return 0;
}

int
smtp_deliver_setup(const char *hostname, const char *msgid_domain,
    const char *queues, size_t max_att, const char **cause)
{
	smtp_deliver_free();
	if (map_parse(queues, cause) == -1) {
		map_free();
		return -1;
	}
	D.hostname = strdup(hostname);
	D.msgid_domain = strdup(*msgid_domain ? msgid_domain : hostname);
	D.max_att = max_att;
	D.accepted = metrics_counter("rxdesk_smtp_messages_total",
	    "Messages received over SMTP/LMTP, by result.", "result=\"accepted\"");
	D.duplicate = metrics_counter("rxdesk_smtp_messages_total",
	    "Messages received over SMTP/LMTP, by result.", "result=\"duplicate\"");
	D.deferred = metrics_counter("rxdesk_smtp_messages_total",
	    "Messages received over SMTP/LMTP, by result.", "result=\"deferred\"");
	return 0;
}

void
smtp_deliver_free(void)
{
	map_free();
	free(D.hostname);
	free(D.msgid_domain);
	D.hostname = D.msgid_domain = NULL;
}

const char *
smtp_deliver_queue(const char *addr)
{
	char local[128];

	mail_thread_local(addr, local, sizeof(local));
	for (int i = 0; i < D.nmap; i++)
		if (strcmp(D.map[i].local, local) == 0)
			return D.map[i].queue;
	return NULL;
}

static int64_t
now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* An id no other node will make: time and 64 random bits. */
static void
make_id(char *buf, size_t len)
{
	unsigned char r[8];

	if (RAND_bytes(r, sizeof(r)) != 1)
		log_fatalx("smtp: RAND_bytes failed");
	snprintf(buf, len, "%llx-%02x%02x%02x%02x%02x%02x%02x%02x",
	    (unsigned long long)now_ms(), r[0], r[1], r[2], r[3], r[4], r[5],
	    r[6], r[7]);
}

static void
finish(struct delivery *d)
{
	char text[128];

	if (d->failed) {
		metrics_add(D.deferred, 1);
		smtp_session_done(d->session,
		    "451 4.3.0 Temporary storage failure, try again later");
	} else {
		metrics_add(d->duplicate ? D.duplicate : D.accepted, 1);
		snprintf(text, sizeof(text), "250 2.0.0 Ok: %s RX-%llu",
		    d->duplicate ? "already have it as" : "queued as",
		    (unsigned long long)d->ticket);
		smtp_session_done(d->session, text);
	}
	/* a duplicate's copies are not needed: the first one is kept */
	if (d->duplicate && !d->failed) {
		redis_command(NULL, NULL, "DEL %s", d->rawkey);
		for (int i = 0; i < d->natt; i++)
			redis_command(NULL, NULL, "DEL %s", d->attkeys[i]);
	}
	for (int i = 0; i < d->natt; i++)
		free(d->attkeys[i]);
	free(d);
}

static void
on_stored(const struct redisReply *r, const char *err, void *arg)
{
	struct delivery *d = arg;

	if (err) {
		log_warnx("smtp=%llu key write failed: %s",
		    (unsigned long long)d->session, err);
		d->failed = 1;
	}
	if (--d->waiting == 0)
		finish(d);
}

static void
on_ingest(json_t *res, const char *err, void *arg)
{
	struct delivery *d = arg;

	if (err || res == NULL) {
		log_warnx("smtp=%llu ingest failed: %s", (unsigned long long)d->session,
		    err ? err : "no answer");
		d->failed = 1;
	} else {
		d->ticket = (uint64_t)json_integer_value(json_object_get(res, "ticket"));
		d->duplicate = json_is_true(json_object_get(res, "duplicate"));
		log_info("smtp=%llu ticket=RX-%llu duplicate=%d",
		    (unsigned long long)d->session, (unsigned long long)d->ticket,
		    d->duplicate);
	}
	if (--d->waiting == 0)
		finish(d);
}

static json_t *
str_array(char *const *v, int n)
{
	json_t *a = json_array();

	for (int i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* What only mail has, for the ticket and for mail out (docs/email.md). */
static char *
fields(const struct smtp_envelope *env, const struct mime_msg *m,
    unsigned cls, const char *why)
{
	json_t *o = json_object();
	char *s;

	json_object_set_new(o, "to", str_array(m->to, m->nto));
	json_object_set_new(o, "cc", str_array(m->cc, m->ncc));
	json_object_set_new(o, "rcpt", str_array(env->rcpts, env->nrcpt));
	json_object_set_new(o, "envelope_from", json_string(env->from));
	/* "auto" is what mail out reads: no automatic answer to any of these */
	if (cls)
		json_object_set_new(o, "auto", json_true());
	if (cls & MAIL_AUTO)
		json_object_set_new(o, "auto_submitted", json_true());
	if (cls & MAIL_BULK)
		json_object_set_new(o, "bulk", json_true());
	if (cls & MAIL_BOUNCE)
		json_object_set_new(o, "bounce", json_true());
	if (cls & MAIL_LOOP)
		json_object_set_new(o, "loop", json_true());
	if (cls)
		json_object_set_new(o, "no_autoreply", json_string(why));
	if (m->dsn_msgid)
		json_object_set_new(o, "bounced_msgid", json_string(m->dsn_msgid));
	if (m->malformed)
		json_object_set_new(o, "malformed", json_string(m->problem ?
		    m->problem : "malformed"));
	if (m->html)
		json_object_set_new(o, "from_html", json_true());
	if (m->att_dropped)
		json_object_set_new(o, "attachments_dropped",
		    json_integer(m->att_dropped));
	if (env->tls)
		json_object_set_new(o, "tls", json_true());
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

/* Threading keys (DESIGN.md: token address, Message-IDs, subject tag). */
static void
thread_keys(struct interaction *in, const struct smtp_envelope *env,
    const struct mime_msg *m, char *tok, size_t toklen)
{
	for (int i = 0; i < env->nrcpt && in->thread_token == NULL; i++)
		if (mail_thread_token(env->rcpts[i], tok, toklen) == 0)
			in->thread_token = tok;
	if (m->dsn_msgid)
		in->msgids[in->nmsgids++] = m->dsn_msgid;
	for (int i = 0; i < m->nrefs && in->nmsgids < INTERACTION_MAX_MSGIDS; i++)
		in->msgids[in->nmsgids++] = m->refs[i];
	in->subject_tag = mail_thread_tag(m->subject);
	for (int i = 0; i < env->nrcpt && in->queue == NULL; i++)
		in->queue = smtp_deliver_queue(env->rcpts[i]);
}

/* Send the attachments' HSETs; their keys go on D and IN. */
static void
store_atts(struct delivery *d, struct interaction *in, const struct mime_msg *m,
    const char *id)
{
	const char *prefix = store_prefix();
	char size[32];

	for (int i = 0; i < m->natt; i++) {
		const struct mime_att *a = &m->att[i];
		char *key;
		const char *argv[10];
		size_t argvlen[10];

		if ((key = malloc(strlen(prefix) + strlen(id) + 16)) == NULL)
			log_fatalx("smtp: out of memory");
		sprintf(key, "%satt:%s.%d", prefix, id, i);
		snprintf(size, sizeof(size), "%zu", a->size);
		argv[0] = "HSET"; argv[1] = key;
		argv[2] = "name"; argv[3] = a->name;
		argv[4] = "type"; argv[5] = a->type;
		argv[6] = "size"; argv[7] = size;
		argv[8] = "data"; argv[9] = (const char *)a->data;
		for (int k = 0; k < 9; k++)
			argvlen[k] = strlen(argv[k]);
		argvlen[9] = a->size;
		if (redis_commandv(on_stored, d, 10, argv, argvlen) == -1) {
			d->failed = 1;
			free(key);
			continue;
		}
		d->waiting++;
		d->attkeys[d->natt++] = key;
		in->att[in->natt].id = key + strlen(prefix) + 4;
		in->att[in->natt].name = a->name;
		in->att[in->natt].type = a->type;
		in->att[in->natt++].size = a->size;
	}
}

/* mail:<Message-ID>; without one, the digest of the sender's bytes, so
 * that an MTA retrying after our 451 still gets the message stored once. */
static void
dedup_key(const struct smtp_envelope *env, const struct mime_msg *m,
    char *buf, size_t len)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	int n;

	if (m->msgid) {
		snprintf(buf, len, "mail:%s", m->msgid);
		return;
	}
	SHA256((const unsigned char *)env->data + env->msg_off,
	    env->len - env->msg_off, md);
	n = snprintf(buf, len, "mail:sha256:");
	for (size_t i = 0; i < sizeof(md) && (size_t)n + 3 <= len; i++)
		n += snprintf(buf + n, len - (size_t)n, "%02x", md[i]);
}

static void
fill(struct interaction *in, const struct smtp_envelope *env,
    const struct mime_msg *m, char *dedup, size_t deduplen)
{
	memset(in, 0, sizeof(*in));
	in->channel = CH_EMAIL;
	dedup_key(env, m, dedup, deduplen);
	in->dedup = dedup;
	in->email = m->from_addr ? m->from_addr : *env->from ? env->from : NULL;
	in->name = m->from_name;
	in->subject = m->subject;
	in->text = m->text;
	in->msgid = m->msgid;
	in->received_at = now_ms();
}

/*
 * Triage (routing/triage.h): the safety screening, language, queue and
 * category. A queue mapped from the address that names a category (safety@
 * -> ae) sets it too; broken MIME adds the flag "malformed" for a person.
 */
static void
screen(struct interaction *in, const struct mime_msg *m, char *flags,
    size_t len)
{
	static const char *const categories[] = { "general", "medinfo",
	    "complaint", "ae", "order", NULL };

	for (int i = 0; in->queue && categories[i]; i++)
		if (strcmp(in->queue, categories[i]) == 0)
			in->category = categories[i];
	triage_apply(in, NULL, NULL);
	if (m->malformed) {
		snprintf(flags, len, "%s%smalformed", in->flags ? in->flags : "",
		    in->flags ? "," : "");
		in->flags = flags;
	}
}

/* Pipeline the raw message, attachments and rx_ingest; SET goes first so
 * the answer to rx_ingest comes after Redis has the raw message. */
static int
send_all(struct delivery *d, struct interaction *in,
    const struct smtp_envelope *env, const struct mime_msg *m)
{
	char id[64];
	const char *argv[3];
	size_t argvlen[3];

	make_id(id, sizeof(id));
	snprintf(d->rawkey, sizeof(d->rawkey), "%sraw:%s", store_prefix(), id);
	argv[0] = "SET"; argv[1] = d->rawkey; argv[2] = env->data;
	argvlen[0] = 3; argvlen[1] = strlen(d->rawkey); argvlen[2] = env->len;
	if (redis_commandv(on_stored, d, 3, argv, argvlen) == -1)
		return -1;
	d->waiting++;
	in->raw_key = d->rawkey;
	store_atts(d, in, m, id);
	if (store_ingest(in, on_ingest, d) == -1) {
		d->failed = 1;
		return 0;
	}
	d->waiting++;
	return 0;
}

void
smtp_deliver(const struct smtp_envelope *env)
{
	struct mime_msg m;
	struct interaction in;
	struct delivery *d;
	char dedup[512], tok[MAIL_TOKEN_MAX + 1], flags[64], *fj;
	const char *why;
	unsigned cls;

	if (!redis_ready()) {
		metrics_add(D.deferred, 1);
		smtp_session_done(env->id, "451 4.3.0 Storage unavailable, try again later");
		return;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL)
		log_fatalx("smtp: out of memory");
	d->session = env->id;
	mime_parse(env->data, env->len, D.max_att, &m);
	cls = mail_thread_classify(&m, env->from, D.hostname, D.msgid_domain,
	    &why);
	fill(&in, env, &m, dedup, sizeof(dedup));
	thread_keys(&in, env, &m, tok, sizeof(tok));
	in.fields_json = fj = fields(env, &m, cls, why);
	screen(&in, &m, flags, sizeof(flags));
	log_info("smtp=%llu from=<%s> msgid=%s size=%zu natt=%d class=0x%x%s%s",
	    (unsigned long long)env->id, env->from, m.msgid ? m.msgid : "-",
	    env->len, m.natt, cls, m.malformed ? " malformed=" : "",
	    m.malformed ? m.problem : "");
	if (send_all(d, &in, env, &m) == -1)
		d->failed = 1;
	free(fj);
	mime_free(&m);
	if (d->waiting == 0)
		finish(d);
}
