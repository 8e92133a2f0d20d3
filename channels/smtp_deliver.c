/* smtp_deliver: see smtp_deliver.h. */
#include <sys/time.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/sha.h>

#include "channels/mail_thread.h"
#include "channels/mime.h"
#include "channels/smtp_deliver.h"
#include "channels/smtp_session.h"
#include "server/core/ingest.h"
#include "server/core/interaction.h"
#include "server/core/log.h"
#include "server/core/metrics.h"
#include "server/core/queue_names.h"

#define QUEUES_MAX	32

static struct {
	char *hostname, *msgid_domain, *domains;
	size_t max_att;
	struct { char *local, *queue; } map[QUEUES_MAX];
	int nmap;
	struct metric *accepted, *duplicate, *deferred;
} D;

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
		if (queue_names_check(colon + 1, "[smtp] queues", cause) == -1) {
			free(copy);
			return -1;
		}
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
    const char *domains, const char *queues, size_t max_att,
    const char **cause)
{
	smtp_deliver_free();
	if (map_parse(queues, cause) == -1) {
		map_free();
		return -1;
	}
	D.hostname = strdup(hostname);
	D.msgid_domain = strdup(*msgid_domain ? msgid_domain : hostname);
	D.domains = strdup(domains);
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
	free(D.domains);
	D.hostname = D.msgid_domain = D.domains = NULL;
}

static const char *
smtp_deliver_queue(const char *addr)
{
	char local[128];

	mail_thread_local(addr, local, sizeof(local));
	for (int i = 0; i < D.nmap; i++)
		if (strcmp(D.map[i].local, local) == 0)
			return D.map[i].queue;
	return NULL;
}

/* The core's answer, by the session's id: the session may be gone. */
static void
on_stored(uint64_t session, const struct ingest_answer *a, const char *err)
{
	char text[128];

	if (err) {
		log_warnx("smtp=%llu ingest failed: %s", (unsigned long long)session,
		    err);
		metrics_add(D.deferred, 1);
		smtp_session_done(session,
		    "451 4.3.0 Temporary storage failure, try again later");
		return;
	}
	log_info("smtp=%llu ticket=RX-%llu duplicate=%d", (unsigned long long)session,
	    (unsigned long long)a->ticket, a->duplicate);
	metrics_add(a->duplicate ? D.duplicate : D.accepted, 1);
	snprintf(text, sizeof(text), "250 2.0.0 Ok: %s RX-%llu",
	    a->duplicate ? "already have it as" : "queued as",
	    (unsigned long long)a->ticket);
	smtp_session_done(session, text);
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
	/* our trace line: the raw copy is the sender's bytes alone */
	json_object_set_new(o, "received", json_stringn(env->data,
	    env->msg_off >= 2 ? env->msg_off - 2 : 0));
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
	if (m->malformed) {
		json_object_set_new(o, "malformed", json_string(m->problem ?
		    m->problem : "malformed"));
		json_object_set_new(o, "malformed_reasons", str_array(
		    (char *const *)m->problems, m->nproblems));
	}
	if (m->no_from)
		json_object_set_new(o, "sender_unverified", json_true());
	if (m->ninline)
		json_object_set_new(o, "inline", json_integer(m->ninline));
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
	in->source = "mail";
	/* evidence: exactly the bytes sent after DATA, dot-unstuffed */
	in->raw = (struct interaction_blob){ NULL, "message/rfc822",
	    env->data + env->msg_off, env->len - env->msg_off };
	for (int i = 0; i < m->natt && in->natt < INTERACTION_MAX_ATT; i++)
		in->att[in->natt++] = (struct interaction_blob){ m->att[i].name,
		    m->att[i].type, m->att[i].data, m->att[i].size };
}

/*
 * What the mailbox says before the core triages the text: a queue mapped
 * from the address that names a category (safety@ -> ae) sets it too;
 * broken MIME adds the flag "malformed" for a person to look at.
 */
static void
classify(struct interaction *in, const struct mime_msg *m)
{
	if (in->queue && interaction_find(interaction_categories, in->queue) != -1)
		in->category = in->queue;
	if (m->malformed)
		in->flags = "malformed";
}

void
smtp_deliver(const struct smtp_envelope *env)
{
	struct mime_msg m;
	struct interaction in;
	char dedup[512], tok[MAIL_TOKEN_MAX + 1], *fj;
	const char *why;
	unsigned cls;
	int rc;

	/* the sender's bytes only: our Received: line is no part of the mail */
	mime_parse(env->data + env->msg_off, env->len - env->msg_off, D.max_att,
	    &m);
	cls = mail_thread_classify(&m, env->from, &(struct mail_self){
	    D.hostname, D.msgid_domain, D.domains, env->rcpts, env->nrcpt },
	    &why);
	fill(&in, env, &m, dedup, sizeof(dedup));
	thread_keys(&in, env, &m, tok, sizeof(tok));
	in.fields_json = fj = fields(env, &m, cls, why);
	classify(&in, &m);
	log_info("smtp=%llu from=<%s> msgid=%s size=%zu natt=%d class=0x%x%s%s",
	    (unsigned long long)env->id, env->from, m.msgid ? m.msgid : "-",
	    env->len, m.natt, cls, m.malformed ? " malformed=" : "",
	    m.malformed ? m.problem : "");
	rc = ingest_submit(&in, on_stored, env->id);
	free(fj);
	mime_free(&m);
	if (rc == -1) {
		metrics_add(D.deferred, 1);
		smtp_session_done(env->id, "451 4.3.0 Storage unavailable, try again later");
	}
}
