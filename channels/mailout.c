/* mailout: see mailout.h. The only file that includes libesmtp. */
#include <sys/queue.h>

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ssl.h>
#include <auth-client.h>
#include <libesmtp.h>

#include <event2/event.h>

#include "channels/mailout.h"
#include "server/core/config.h"

#define MAILOUT_MAX_WORKERS	64

TAILQ_HEAD(jobq, mailout_job);

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t threads[MAILOUT_MAX_WORKERS];
	int nthreads, stopping, started;
	struct jobq queue, done;
	unsigned pending;		/* queued, sending or done unseen */
	struct event *done_ev;
	mailout_done_cb *cb;
	void *arg;
	char relay[256], hostname[256], user[256], password[256];
	enum starttls_option tls;
	long timeout_ms;
} M = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

void
mailout_job_free(struct mailout_job *j)
{
	if (j == NULL)
		return;
	free(j->from);
	for (int i = 0; i < j->nrcpt; i++)
		free(j->rcpt[i]);
	free(j->message);
	free(j);
}

/* libesmtp asks for the AUTH credentials (RFC 4954) here. */
static int
on_auth_interact(auth_client_request_t req, char **result, int fields, void *arg)
{
	for (int i = 0; i < fields; i++) {
		if (req[i].flags & AUTH_USER)
			result[i] = M.user;
		else if (req[i].flags & AUTH_PASS)
			result[i] = M.password;
		else
			return 0;
	}
	return 1;
}

struct worst {
	int code;
	const char *text;
};

static void
on_recipient(smtp_recipient_t r, const char *mailbox, void *arg)
{
	const smtp_status_t *st = smtp_recipient_status(r);
	struct worst *w = arg;

	if (st && st->code >= 400 && w->code == 0) {
		w->code = st->code;
		w->text = st->text;
	}
}

static void
set_reason(struct mailout_job *j, int code, const char *text)
{
	size_t n;

	snprintf(j->reason, sizeof(j->reason), "%d %s", code, text ? text : "");
	n = strlen(j->reason);
	while (n > 0 && (j->reason[n - 1] == '\n' || j->reason[n - 1] == '\r' ||
	    j->reason[n - 1] == ' '))
		j->reason[--n] = '\0';
}

/* The relay's verdict. A greeting timeout returns "success" from
 * smtp_start_session with no status at all, so a message without a 2xx
 * is never taken as sent; only a 5xx reply makes a failure permanent. */
static void
classify(struct mailout_job *j, smtp_message_t m, int started)
{
	const smtp_status_t *st = smtp_message_transfer_status(m), *rp;
	struct worst w = { 0, NULL };
	char buf[128];
	int err;

	if (started && st && st->code >= 200 && st->code < 300) {
		j->status = MAILOUT_SENT;
		j->code = st->code;
		return;
	}
	/* The envelope's answers first: with PIPELINING a refused RCPT is
	 * followed by "503 need RCPT" to DATA, which says nothing. */
	if ((rp = smtp_reverse_path_status(m)) && rp->code >= 400)
		w.code = rp->code, w.text = rp->text;
	if (w.code == 0)
		smtp_enumerate_recipients(m, on_recipient, &w);
	if (w.code == 0 && st && st->code >= 400)
		w.code = st->code, w.text = st->text;
	if (w.code == 0) {
		err = smtp_errno();
		j->status = MAILOUT_TEMPFAIL;
		j->code = 0;
		snprintf(j->reason, sizeof(j->reason), "relay %.100s: %.120s", M.relay,
		    err ? smtp_strerror(err, buf, sizeof(buf)) : "no answer");
		return;
	}
	j->code = w.code;
	j->status = w.code >= 500 ? MAILOUT_PERMFAIL : MAILOUT_TEMPFAIL;
	set_reason(j, w.code, w.text);
}

static void
set_timeouts(smtp_session_t s)
{
	static const int which[] = { Timeout_GREETING, Timeout_ENVELOPE,
	    Timeout_DATA, Timeout_TRANSFER, Timeout_DATA2 };

	for (size_t i = 0; i < sizeof(which) / sizeof(which[0]); i++)
		smtp_set_timeout(s, which[i] | Timeout_OVERRIDE_RFC2822_MINIMUM,
		    M.timeout_ms);
}

/* One SMTP session for one job; blocks, worker threads only. */
static void
send_job(struct mailout_job *j)
{
	smtp_session_t s;
	smtp_message_t m;
	auth_context_t a = NULL;
	int ok;

	if ((s = smtp_create_session()) == NULL ||
	    (m = smtp_add_message(s)) == NULL) {
		if (s)
			smtp_destroy_session(s);
		j->status = MAILOUT_TEMPFAIL;
		snprintf(j->reason, sizeof(j->reason), "out of memory");
		return;
	}
	smtp_set_server(s, M.relay);
	smtp_set_hostname(s, M.hostname);
	set_timeouts(s);
	smtp_starttls_enable(s, M.tls);
	if (M.user[0] && (a = auth_create_context()) != NULL) {
		auth_set_mechanism_flags(a, AUTH_PLUGIN_PLAIN, 0);
		auth_set_interact_cb(a, on_auth_interact, NULL);
		smtp_auth_set_context(s, a);
	}
	smtp_set_reverse_path(m, j->from);
	smtp_set_message_str(m, (void *)j->message);
	for (int i = 0; i < j->nrcpt; i++)
		smtp_add_recipient(m, j->rcpt[i]);
	ok = smtp_start_session(s);
	classify(j, m, ok);
	smtp_destroy_session(s);
	if (a)
		auth_destroy_context(a);
}

static void *
worker(void *arg)
{
	struct mailout_job *j;

	pthread_mutex_lock(&M.lock);
	for (;;) {
		while (!M.stopping && TAILQ_EMPTY(&M.queue))
			pthread_cond_wait(&M.cond, &M.lock);
		if (M.stopping)
			break;
		j = TAILQ_FIRST(&M.queue);
		TAILQ_REMOVE(&M.queue, j, entry);
		pthread_mutex_unlock(&M.lock);
		send_job(j);
		pthread_mutex_lock(&M.lock);
		TAILQ_INSERT_TAIL(&M.done, j, entry);
		event_active(M.done_ev, EV_READ, 0);
	}
	pthread_mutex_unlock(&M.lock);
	return NULL;
}

/* On the loop thread: hand every finished job to the owner. */
static void
on_done(evutil_socket_t fd, short ev, void *arg)
{
	struct jobq done = TAILQ_HEAD_INITIALIZER(done);
	struct mailout_job *j;

	pthread_mutex_lock(&M.lock);
	TAILQ_CONCAT(&done, &M.done, entry);
	pthread_mutex_unlock(&M.lock);
	while ((j = TAILQ_FIRST(&done)) != NULL) {
		TAILQ_REMOVE(&done, j, entry);
		pthread_mutex_lock(&M.lock);
		M.pending--;
		pthread_mutex_unlock(&M.lock);
		M.cb(j, M.arg);
	}
}

static void
copy_relay(const struct config *cf)
{
	snprintf(M.relay, sizeof(M.relay), "%s", cf->mailout_relay);
	snprintf(M.hostname, sizeof(M.hostname), "%s", cf->smtp_hostname);
	snprintf(M.user, sizeof(M.user), "%s", cf->mailout_user);
	snprintf(M.password, sizeof(M.password), "%s", cf->mailout_password);
	M.tls = !strcmp(cf->mailout_starttls, "required") ? Starttls_REQUIRED :
	    !strcmp(cf->mailout_starttls, "no") ? Starttls_DISABLED : Starttls_ENABLED;
	M.timeout_ms = (long)cf->mailout_timeout * 1000;
}

int
mailout_start(struct event_base *base, const struct config *cf,
    mailout_done_cb *cb, void *arg, const char **cause)
{
	int n = cf->mailout_workers;

	TAILQ_INIT(&M.queue);
	TAILQ_INIT(&M.done);
	copy_relay(cf);
	M.cb = cb;
	M.arg = arg;
	M.stopping = 0;
	if ((M.done_ev = event_new(base, -1, 0, on_done, NULL)) == NULL) {
		*cause = "mailout: cannot create an event";
		return -1;
	}
	auth_client_init();
	M.started = 1;
	if (n > MAILOUT_MAX_WORKERS)
		n = MAILOUT_MAX_WORKERS;
	for (M.nthreads = 0; M.nthreads < n; M.nthreads++)
		if (pthread_create(&M.threads[M.nthreads], NULL, worker, NULL) != 0) {
			*cause = "mailout: cannot start a worker thread";
			mailout_stop();
			return -1;
		}
	return 0;
}

void
mailout_submit(struct mailout_job *j)
{
	pthread_mutex_lock(&M.lock);
	TAILQ_INSERT_TAIL(&M.queue, j, entry);
	M.pending++;
	pthread_cond_signal(&M.cond);
	pthread_mutex_unlock(&M.lock);
}

static void
free_queue(struct jobq *q)
{
	struct mailout_job *j;

	while ((j = TAILQ_FIRST(q)) != NULL) {
		TAILQ_REMOVE(q, j, entry);
		mailout_job_free(j);
	}
}

void
mailout_stop(void)
{
	if (!M.started)
		return;
	pthread_mutex_lock(&M.lock);
	M.stopping = 1;
	pthread_cond_broadcast(&M.cond);
	pthread_mutex_unlock(&M.lock);
	for (int i = 0; i < M.nthreads; i++)
		pthread_join(M.threads[i], NULL);
	M.nthreads = 0;
	/* Jobs never answered stay pending in the stream: another node, or
	 * this one after a restart, claims them. */
	free_queue(&M.queue);
	free_queue(&M.done);
	M.pending = 0;
	event_free(M.done_ev);
	M.done_ev = NULL;
	auth_client_exit();
	M.started = 0;
}
