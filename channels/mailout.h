/*
 * mailout: hands composed mail to the relay (mail_out.relay) through
 * libesmtp, the only file that includes it. smtp_start_session blocks for
 * the whole dialogue, so sessions run on mail_out.workers threads fed by a
 * queue; each result comes back to the event loop through event_active and
 * the callback given to mailout_start runs there.
 */
#ifndef RX_MAILOUT_H
#define RX_MAILOUT_H

#include <stdint.h>
#include <sys/queue.h>

#include "channels/mail_compose.h"

struct event_base;
struct config;

enum mailout_status {
	MAILOUT_SENT,		/* the relay took it (2xx) */
	MAILOUT_TEMPFAIL,	/* 4xx, no connection, timeout: try again */
	MAILOUT_PERMFAIL	/* 5xx: will never go */
};

struct mailout_job {
	uint64_t ref;			/* the owner's id for the job */
	char *from;			/* envelope sender */
	char *rcpt[MAIL_COMPOSE_MAX_RCPT];
	int nrcpt;
	char *message;			/* CRLF text from mail_compose */
	/* filled by the worker */
	enum mailout_status status;
	int code;			/* SMTP reply code, 0: none */
	char reason[256];		/* for the ticket log */
	TAILQ_ENTRY(mailout_job) entry;
};

/* A finished job, on the loop thread; the callee owns it now. */
typedef void mailout_done_cb(struct mailout_job *, void *arg);

/* Start the worker threads for the relay in CF. 0, or -1 with *cause. */
int mailout_start(struct event_base *, const struct config *,
    mailout_done_cb *cb, void *arg, const char **cause);
/* Queue JOB (now owned by mailout until it comes back to the callback). */
void mailout_submit(struct mailout_job *);
/* Free a job and everything it holds. */
void mailout_job_free(struct mailout_job *);
/* Let sessions in progress finish, join the threads, free queued jobs. */
void mailout_stop(void);

#endif
