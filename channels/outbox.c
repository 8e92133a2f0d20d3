/* outbox: see outbox.h. */
#include <sys/queue.h>
#include <sys/time.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>
#include <openssl/rand.h>

#include "channels/ack.h"
#include "channels/mail_compose.h"
#include "channels/mailout.h"
#include "channels/outbox.h"
#include "server/core/config.h"
#include "server/core/interaction.h"
#include "server/core/log.h"
#include "server/core/metrics.h"
#include "server/store/store.h"

#define OUTBOX_TAKE_MAX		32	/* jobs per poll */
#define OUTBOX_PER_WORKER	4	/* jobs in flight per worker thread */

struct outjob {
	TAILQ_ENTRY(outjob) entry;
	uint64_t ref;
	char *id;			/* the stream entry */
	json_t *f;			/* its fields, re-added on retry */
	uint64_t ticket;
	int attempt;
	int recording;			/* its outcome is on its way to Redis */
	char msgid[320];
};

static struct {
	const struct config *cf;
	struct event *poll;
	int running, quiescing, taking, cfg_sent;
	uint64_t next_ref;
	TAILQ_HEAD(, outjob) jobs;
	unsigned njobs;
	char consumer[64], from[MAIL_COMPOSE_MAX_ADDR + 1], domain[256];
	char claim_from[64];		/* XAUTOCLAIM cursor */
	struct metric *sent, *deferred, *failed;
} O;

static void record(struct outjob *, const char *status, const char *reason,
    int64_t due);

static const char *
field(const struct outjob *oj, const char *key)
{
	const char *s = json_string_value(json_object_get(oj->f, key));

	return s ? s : "";
}

static struct outjob *
job_find(uint64_t ref)
{
	struct outjob *oj;

	TAILQ_FOREACH(oj, &O.jobs, entry)
		if (oj->ref == ref)
			return oj;
	return NULL;
}

static int
job_taken(const char *id)
{
	struct outjob *oj;

	TAILQ_FOREACH(oj, &O.jobs, entry)
		if (strcmp(oj->id, id) == 0)
			return 1;
	return 0;
}

static void
job_free(struct outjob *oj)
{
	TAILQ_REMOVE(&O.jobs, oj, entry);
	O.njobs--;
	json_decref(oj->f);
	free(oj->id);
	free(oj);
}

/* Ours, unless a retry carries the one its first attempt used: a relay
 * that took the mail but failed to answer must not thread it twice. */
static void
job_msgid(struct outjob *oj)
{
	unsigned char r[6];

	if (*field(oj, "msgid") && strlen(field(oj, "msgid")) < sizeof(oj->msgid)) {
		snprintf(oj->msgid, sizeof(oj->msgid), "%s", field(oj, "msgid"));
		return;
	}
	if (RAND_bytes(r, sizeof(r)) != 1)
		memset(r, 0, sizeof(r));
	snprintf(oj->msgid, sizeof(oj->msgid),
	    "<RX-%" PRIu64 ".%s.%02x%02x%02x%02x%02x%02x@%s>", oj->ticket, oj->id,
	    r[0], r[1], r[2], r[3], r[4], r[5], O.domain);
}

/* support+<token>@domain from mail_out.from, so a reply threads even when
 * the customer's client drops our Message-IDs and the subject tag. */
static void
reply_to(const char *token, char *buf, size_t len)
{
	const char *at = strrchr(O.from, '@');

	buf[0] = '\0';
	if (!*token || at == NULL || strspn(token, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != strlen(token))
		return;
	snprintf(buf, len, "%.*s+%s%s", (int)(at - O.from), O.from, token, at);
}

/* A header value must be one line: an agent's subject may have pasted
 * line breaks, which become spaces. */
static char *
one_line(const char *s)
{
	char *out = strdup(s), *p;

	for (p = out; p && *p; p++)
		if (*p == '\r' || *p == '\n')
			*p = ' ';
	return out;
}

/* Compose JOB's mail and fill MJ's envelope; NULL on success, else why. */
static const char *
job_compose(struct outjob *oj, const json_t *job, struct mailout_job *mj)
{
	struct mail_compose m = { 0 };
	char rto[512], all[8192], *subj = NULL, *text = NULL;
	const char *cause = NULL;
	int n;
	const char *tsubject = json_string_value(json_object_get(job, "tsubject"));
	const char *token = json_string_value(json_object_get(job, "token"));

	if (strcmp(field(oj, "kind"), "ack") == 0) {
		if (ack_render(field(oj, "lang"), oj->ticket, *field(oj, "subject") ?
		    field(oj, "subject") : (tsubject ? tsubject : ""),
		    json_string_value(json_object_get(job, "name")), &subj, &text) == -1)
			return "out of memory";
	} else {
		subj = one_line(*field(oj, "subject") || !tsubject ?
		    field(oj, "subject") : tsubject);
		text = strdup(field(oj, "text"));
	}
	reply_to(token ? token : "", rto, sizeof(rto));
	m.from = O.from;
	m.reply_to = rto;
	m.to = field(oj, "to");
	m.cc = field(oj, "cc");
	m.subject = subj ? subj : "";
	m.ticket = oj->ticket;
	m.text = text ? text : "";
	m.html = field(oj, "html");
	m.msgid = oj->msgid;
	m.in_reply_to = *field(oj, "in_reply_to") ? field(oj, "in_reply_to") : NULL;
	m.references = field(oj, "references");
	m.automatic = strcmp(field(oj, "auto"), "1") == 0;
	m.x_loop = O.cf->smtp_hostname;	/* what the SMTP channel detects */
	m.date = time(NULL);
	mj->message = mail_compose(&m, &cause);
	free(subj);
	free(text);
	if (mj->message == NULL)
		return cause;
	snprintf(all, sizeof(all), "%s,%s", m.to, m.cc);
	n = mail_compose_addresses(all, mj->rcpt, MAIL_COMPOSE_MAX_RCPT, &cause);
	if (n <= 0)
		return n == 0 ? "no recipient" : cause;
	mj->nrcpt = n;
	return (mj->from = strdup(O.from)) == NULL ? "out of memory" : NULL;
}

/* One job from rx_outbox_take: compose it and hand it to a worker. */
static void
job_start(const json_t *job)
{
	const char *id = json_string_value(json_object_get(job, "id")), *cause;
	json_t *f = json_object_get(job, "f");
	struct mailout_job *mj;
	struct outjob *oj;

	if (id == NULL || !json_is_object(f) || job_taken(id))
		return;
	if ((oj = calloc(1, sizeof(*oj))) == NULL ||
	    (oj->id = strdup(id)) == NULL) {
		free(oj);
		return;
	}
	oj->ref = ++O.next_ref;
	oj->f = json_incref(f);
	TAILQ_INSERT_TAIL(&O.jobs, oj, entry);
	O.njobs++;
	oj->ticket = strtoull(field(oj, "ticket"), NULL, 10);
	oj->attempt = atoi(field(oj, "attempt"));
	job_msgid(oj);
	if ((mj = calloc(1, sizeof(*mj))) == NULL) {
		job_free(oj);
		return;
	}
	mj->ref = oj->ref;
	if ((cause = job_compose(oj, job, mj)) != NULL) {
		mailout_job_free(mj);
		log_warnx("outbox job=%s ticket=%" PRIu64 " cannot be sent: %s",
		    oj->id, oj->ticket, cause);
		record(oj, "failed", cause, 0);
		return;
	}
	mailout_submit(mj);
}

static void
on_recorded(json_t *result, const char *err, void *arg)
{
	struct outjob *oj;

	if (!O.running || (oj = job_find((uint64_t)(uintptr_t)arg)) == NULL)
		return;
	if (err)
		log_warnx("outbox job=%s not recorded, it stays pending: %s",
		    oj->id, err);
	job_free(oj);
}

/* Write the outcome; a job not recorded stays pending in the stream and
 * is claimed again after mail_out.claim_after. */
static void
record(struct outjob *oj, const char *status, const char *reason, int64_t due)
{
	json_t *a;

	oj->recording = 1;
	a = json_pack("{s:s, s:s, s:O, s:s, s:s, s:I}", "id", oj->id,
	    "status", status, "job", oj->f, "msgid", oj->msgid,
	    "reason", reason ? reason : "", "due", (json_int_t)due);

	if (a == NULL || store_call("rx_outbox_done", a, on_recorded,
	    (void *)(uintptr_t)oj->ref) == -1) {
		log_warnx("outbox job=%s not recorded (Redis away), it stays pending",
		    oj->id);
		job_free(oj);
	}
	json_decref(a);
}

/* Exponential back-off: retry_min, twice that, ..., at most retry_max. */
static int64_t
retry_due(int attempt)
{
	int64_t wait = O.cf->mailout_retry_min;

	for (int i = 0; i < attempt && wait < O.cf->mailout_retry_max; i++)
		wait *= 2;
	if (wait > O.cf->mailout_retry_max)
		wait = O.cf->mailout_retry_max;
	return interaction_now_ms() + wait * 1000;
}

/* A worker's answer, on the loop thread. */
static void
on_sent(struct mailout_job *mj, void *arg)
{
	struct outjob *oj = job_find(mj->ref);
	char reason[320];

	if (oj == NULL) {
		mailout_job_free(mj);
		return;
	}
	log_info("outbox job=%s ticket=%" PRIu64 " to=%s attempt=%d status=%s "
	    "reason=\"%s\"", oj->id, oj->ticket, field(oj, "to"), oj->attempt + 1,
	    mj->status == MAILOUT_SENT ? "sent" : mj->status == MAILOUT_PERMFAIL ?
	    "failed" : "deferred", mj->reason);
	if (mj->status == MAILOUT_SENT) {
		metrics_add(O.sent, 1);
		record(oj, "sent", NULL, 0);
	} else if (mj->status == MAILOUT_PERMFAIL) {
		metrics_add(O.failed, 1);
		record(oj, "failed", mj->reason, 0);
	} else if (oj->attempt + 1 >= O.cf->mailout_max_attempts) {
		metrics_add(O.failed, 1);
		snprintf(reason, sizeof(reason), "%s (gave up after %d attempts)",
		    mj->reason, oj->attempt + 1);
		record(oj, "failed", reason, 0);
	} else {
		metrics_add(O.deferred, 1);
		record(oj, "retry", mj->reason, retry_due(oj->attempt));
	}
	mailout_job_free(mj);
}

static void
on_take(json_t *result, const char *err, void *arg)
{
	json_t *jobs, *job;
	size_t i;

	if (!O.running)
		return;
	O.taking = 0;
	if (err) {
		O.cfg_sent = 0;
		if (strcmp(err, "unavailable") != 0)
			log_warnx("outbox poll failed: %s", err);
		return;
	}
	O.cfg_sent = 1;
	snprintf(O.claim_from, sizeof(O.claim_from), "%s",
	    json_string_value(json_object_get(result, "claim_next")) ?
	    json_string_value(json_object_get(result, "claim_next")) : "0-0");
	json_array_foreach(json_object_get(result, "lost"), i, job)
		log_warnx("outbox job=%s was claimed by another node while this one "
		    "held it (this node stalled past mail_out.claim_after)",
		    json_string_value(job));
	jobs = json_object_get(result, "jobs");
	json_array_foreach(jobs, i, job)
		job_start(job);
}

/* The ids of the jobs this node holds: their lease is renewed each poll. */
static json_t *
held_ids(void)
{
	json_t *a = json_array();
	struct outjob *oj;

	TAILQ_FOREACH(oj, &O.jobs, entry)
		if (!oj->recording)
			json_array_append_new(a, json_string(oj->id));
	return a;
}

/*
 * Every poll renews the lease on what this node holds, even with no room
 * for more work (count 0) and while draining: a job a slow relay or a long
 * queue is still working on must never look abandoned to another node.
 */
static void
on_poll(evutil_socket_t fd, short ev, void *arg)
{
	unsigned max = (unsigned)O.cf->mailout_workers * OUTBOX_PER_WORKER;
	unsigned room = max > O.njobs ? max - O.njobs : 0;
	json_t *a;

	(void)fd;
	(void)ev;
	(void)arg;
	if (O.quiescing)
		room = 0;
	if (O.taking || (room == 0 && O.njobs == 0) || !store_ready())
		return;
	a = json_pack("{s:s, s:i, s:I, s:s, s:o}", "consumer", O.consumer, "count",
	    room < OUTBOX_TAKE_MAX ? (int)room : OUTBOX_TAKE_MAX, "claim_ms",
	    (json_int_t)O.cf->mailout_claim_after * 1000, "claim_from",
	    O.claim_from[0] ? O.claim_from : "0-0", "held", held_ids());
	if (a && !O.cfg_sent)
		json_object_set_new(a, "cfg", json_pack("{s:i, s:i, s:i}",
		    "auto_per_ticket", O.cf->mailout_auto_per_ticket,
		    "auto_per_address", O.cf->mailout_auto_per_address,
		    "auto_per_hour", O.cf->mailout_auto_per_hour));
	if (a && store_call("rx_outbox_take", a, on_take, NULL) == 0)
		O.taking = 1;
	json_decref(a);
}

int
outbox_check(const struct config *cf, char *err, size_t errlen)
{
	const char *colon = strrchr(cf->mailout_relay, ':');
	char *addr[1];
	const char *cause;

	if (cf->mailout_relay[0] && (colon == NULL || colon[1] == '\0' ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1))) {
		snprintf(err, errlen, "mail_out.relay: not host:port");
		return -1;
	}
	if (mail_compose_addresses(cf->mailout_from, addr, 1, &cause) != 1) {
		snprintf(err, errlen, "mail_out.from: not one address");
		return -1;
	}
	free(addr[0]);
	return 0;
}

static void
copy_config(const struct config *cf)
{
	char *addr[1];
	const char *cause;

	O.cf = cf;
	if (cf->node_id[0])
		snprintf(O.consumer, sizeof(O.consumer), "%s", cf->node_id);
	else
		snprintf(O.consumer, sizeof(O.consumer), "n%d", (int)getpid());
	if (mail_compose_addresses(cf->mailout_from, addr, 1, &cause) == 1) {
		snprintf(O.from, sizeof(O.from), "%s", addr[0]);
		free(addr[0]);
	}
	snprintf(O.domain, sizeof(O.domain), "%s", cf->mailout_domain[0] ?
	    cf->mailout_domain : cf->smtp_hostname);
	O.sent = metrics_counter("rxdesk_mail_out_total",
	    "Outgoing mail attempts, by result.", "result=\"sent\"");
	O.deferred = metrics_counter("rxdesk_mail_out_total",
	    "Outgoing mail attempts, by result.", "result=\"deferred\"");
	O.failed = metrics_counter("rxdesk_mail_out_total",
	    "Outgoing mail attempts, by result.", "result=\"failed\"");
}

int
outbox_start(struct event_base *base, const struct config *cf, const char **cause)
{
	struct timeval tv = { cf->mailout_poll_ms / 1000,
	    (cf->mailout_poll_ms % 1000) * 1000 };
	char err[128];
	const char *why;

	if (outbox_check(cf, err, sizeof(err)) == -1) {
		*cause = "mail_out: bad relay or from (see --check-config)";
		return -1;
	}
	copy_config(cf);
	TAILQ_INIT(&O.jobs);
	if (ack_load(cf->mailout_templates, &why) == -1)
		log_warnx("mail_out.templates=\"%s\": %s; acknowledgements in "
		    "built-in English", cf->mailout_templates, why);
	O.running = 1;
	if (cf->mailout_relay[0] == '\0') {
		log_info("mail_out.relay not set: outgoing mail stays queued");
		return 0;
	}
	if (mailout_start(base, cf, on_sent, NULL, cause) == -1)
		return -1;
	O.poll = event_new(base, -1, EV_PERSIST, on_poll, NULL);
	event_add(O.poll, &tv);
	return 0;
}

void
outbox_quiesce(void)
{
	O.quiescing = 1;
}

unsigned
outbox_busy(void)
{
	return O.njobs;
}

void
outbox_stop(void)
{
	if (!O.running)
		return;
	O.running = 0;
	if (O.poll)
		event_free(O.poll);
	O.poll = NULL;
	mailout_stop();
	while (!TAILQ_EMPTY(&O.jobs))
		job_free(TAILQ_FIRST(&O.jobs));
	ack_free();
}
