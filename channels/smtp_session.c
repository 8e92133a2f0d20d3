/* smtp_session: see smtp_session.h. */
#include <sys/queue.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/ssl.h>

#include "channels/mail_thread.h"
#include "channels/smtp_session.h"
#include "server/core/log.h"
#include "server/core/metrics.h"

#define SMTP_FLUSH_TRIES	100	/* x 20 ms for the last reply to leave */

enum state {
	S_INIT,		/* greeted, waiting for EHLO/HELO/LHLO */
	S_HELO,		/* ready for MAIL */
	S_MAIL,		/* MAIL given */
	S_RCPT,		/* at least one RCPT accepted */
	S_DATA,		/* reading the message */
	S_DELIVER,	/* waiting for smtp_session_done */
	S_CLOSING	/* flushing the last reply */
};

struct session {
	TAILQ_ENTRY(session) entry;
	uint64_t id;
	enum state state;
	struct bufferevent *bev;
	const struct smtp_params *p;
	struct event *resume;	/* deferred: read on, or free when closing */
	struct event *deadline;	/* smtp.session_timeout */
	struct event *bound;	/* a command line or DATA in progress */
	char peer[64];
	char helo[SMTP_LINE_MAX];
	int esmtp, tls, errors, skip_line;
	int dead;		/* the peer is gone: nothing more to flush */
	int flush_tries;	/* closing: times we waited for the output */
	char *from;
	char **rcpts;
	int nrcpt, max_rcpt;	/* the size of rcpts, fixed at the start */
	struct evbuffer *data;
	size_t datalen, msg_off;
	int too_big;
};

static TAILQ_HEAD(, session) sessions = TAILQ_HEAD_INITIALIZER(sessions);
static uint64_t next_id = 1;
static unsigned nsessions;
static struct metric *open_gauge;	/* rxdesk_open_connections{kind="smtp"} */

static void
count_sessions(void)
{
	if (open_gauge == NULL)
		open_gauge = metrics_gauge("rxdesk_open_connections",
		    "Open connections (HTTP: requests in flight), by kind.",
		    "kind=\"smtp\"");
	metrics_set(open_gauge, nsessions);
}
static int draining;		/* shutting down: close after each answer */

static void process(struct session *);
static void on_read(struct bufferevent *, void *);
static void on_write(struct bufferevent *, void *);
static void on_event(struct bufferevent *, short, void *);

static struct session *
find(uint64_t id)
{
	struct session *s;

	TAILQ_FOREACH(s, &sessions, entry)
		if (s->id == id)
			return s;
	return NULL;
}

static void
reply(struct session *s, const char *fmt, ...)
{
	struct evbuffer *out = bufferevent_get_output(s->bev);
	va_list ap;

	va_start(ap, fmt);
	evbuffer_add_vprintf(out, fmt, ap);
	va_end(ap);
	evbuffer_add(out, "\r\n", 2);
}

static void
reset_txn(struct session *s)
{
	free(s->from);
	s->from = NULL;
	for (int i = 0; i < s->nrcpt; i++)
		free(s->rcpts[i]);
	s->nrcpt = 0;
	if (s->data)
		evbuffer_free(s->data);
	s->data = NULL;
	s->datalen = 0;
	s->too_big = 0;
	if (s->state > S_HELO && s->state != S_CLOSING)
		s->state = S_HELO;
}

static void
session_free(struct session *s)
{
	reset_txn(s);
	free(s->rcpts);
	TAILQ_REMOVE(&sessions, s, entry);
	nsessions--;
	count_sessions();
	event_free(s->resume);
	event_free(s->deadline);
	event_free(s->bound);
	bufferevent_free(s->bev);
	log_debug("smtp=%llu closed", (unsigned long long)s->id);
	free(s);
}

/* Never free a session inside its own callback: the loop does it next. */
static void
close_later(struct session *s)
{
	s->state = S_CLOSING;
	bufferevent_disable(s->bev, EV_READ);
	event_active(s->resume, 0, 0);
}

/* Bytes not yet written, the TLS layer's included. */
static size_t
unsent(struct session *s)
{
	struct bufferevent *under = bufferevent_get_underlying(s->bev);

	return evbuffer_get_length(bufferevent_get_output(s->bev)) +
	    (under ? evbuffer_get_length(bufferevent_get_output(under)) : 0);
}

static void
on_resume(evutil_socket_t fd, short ev, void *arg)
{
	struct session *s = arg;
	struct timeval tick = { 0, 20 * 1000 };

	if (s->state == S_CLOSING) {
		/* the last reply (221, 421) goes out before the close */
		if (!s->dead && unsent(s) && ++s->flush_tries < SMTP_FLUSH_TRIES) {
			event_add(s->resume, &tick);
			return;
		}
		session_free(s);
		return;
	}
	bufferevent_enable(s->bev, EV_READ);
	process(s);
}

/* RFC 5321 3.8: a server going down says 421 and closes. */
static void
say_goodbye(struct session *s)
{
	reply(s, "421 4.3.2 %s Service shutting down, try again later",
	    s->p->hostname);
	close_later(s);
}

static void
on_deadline(evutil_socket_t fd, short ev, void *arg)
{
	struct session *s = arg;

	if (s->state == S_CLOSING)
		return;
	reply(s, "421 4.4.2 %s Session time limit exceeded, closing",
	    s->p->hostname);
	close_later(s);
}

/* A command line not complete within smtp.command_timeout of its first
 * byte, or a message within smtp.data_timeout of the 354: the idle timeout
 * restarts on every byte, so a client sending one byte a minute would
 * otherwise hold the session (and its per-address place) for good. */
static void
on_bound(evutil_socket_t fd, short ev, void *arg)
{
	struct session *s = arg;

	if (s->state == S_CLOSING || s->state == S_DELIVER)
		return;
	reply(s, "421 4.4.2 %s %s not complete in time, closing", s->p->hostname,
	    s->state == S_DATA ? "Message" : "Command");
	close_later(s);
}

/* SECONDS 0: no bound (an embedding that sets none, as the unit tests). */
static void
bound_arm(struct session *s, int seconds)
{
	struct timeval tv = { seconds, 0 };

	if (seconds > 0)
		evtimer_add(s->bound, &tv);
}

/* A bad command: 5xx now, and after smtp.max_errors of them, goodbye. */
static void
reject(struct session *s, const char *fmt, ...)
{
	struct evbuffer *out = bufferevent_get_output(s->bev);
	va_list ap;

	va_start(ap, fmt);
	evbuffer_add_vprintf(out, fmt, ap);
	va_end(ap);
	evbuffer_add(out, "\r\n", 2);
	if (++s->errors >= s->p->max_errors) {
		reply(s, "421 4.7.0 %s Too many errors, closing", s->p->hostname);
		close_later(s);
	}
}

uint64_t
smtp_session_new(struct bufferevent *bev, const char *peer,
    const struct smtp_params *p)
{
	struct session *s;
	struct event_base *base = bufferevent_get_base(bev);
	struct timeval idle = { p->idle_timeout, 0 }, all = { p->session_timeout, 0 };

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->rcpts = calloc((size_t)p->max_rcpt, sizeof(char *))) == NULL)
		log_fatalx("smtp: out of memory");
	s->id = next_id++;
	s->max_rcpt = p->max_rcpt;
	s->bev = bev;
	s->p = p;
	snprintf(s->peer, sizeof(s->peer), "%s", peer);
	s->resume = event_new(base, -1, 0, on_resume, s);
	s->deadline = evtimer_new(base, on_deadline, s);
	s->bound = evtimer_new(base, on_bound, s);
	evtimer_add(s->deadline, &all);
	TAILQ_INSERT_TAIL(&sessions, s, entry);
	nsessions++;
	count_sessions();
	bufferevent_setcb(bev, on_read, on_write, on_event, s);
	bufferevent_set_timeouts(bev, &idle, &idle);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	reply(s, "220 %s %s rxdesk ready", p->hostname, p->lmtp ? "LMTP" : "ESMTP");
	log_debug("smtp=%llu peer=%s open", (unsigned long long)s->id, s->peer);
	return s->id;
}

/* The argument after a command word, or "" (never NULL). */
static const char *
arg_of(const char *line, size_t cmdlen)
{
	line += cmdlen;
	while (*line == ' ')
		line++;
	return line;
}

/* The HELO name goes into our Received: line: visible ASCII only. */
static int
printable_word(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

static void
cmd_helo(struct session *s, const char *verb, const char *arg)
{
	int ehlo = strcasecmp(verb, "HELO") != 0;
	int lhlo = strcasecmp(verb, "LHLO") == 0;

	if (lhlo != s->p->lmtp) {
		reject(s, "500 5.5.1 %s is not for this %s server", verb,
		    s->p->lmtp ? "LMTP" : "SMTP");
		return;
	}
	if (*arg == '\0' || !printable_word(arg)) {
		reject(s, "501 5.5.4 Syntax: %s hostname", verb);
		return;
	}
	reset_txn(s);
	snprintf(s->helo, sizeof(s->helo), "%s", arg);
	s->esmtp = ehlo;
	s->state = S_HELO;
	if (!ehlo) {
		reply(s, "250 %s", s->p->hostname);
		return;
	}
	reply(s, "250-%s Hello %s", s->p->hostname, arg);
	reply(s, "250-PIPELINING");
	reply(s, "250-SIZE %zu", s->p->max_size);
	reply(s, "250-8BITMIME");
	if (s->p->tls && !s->tls)
		reply(s, "250-STARTTLS");
	reply(s, "250 ENHANCEDSTATUSCODES");
}

/*
 * "<path>" after "FROM:" or "TO:" (a space after the colon is tolerated,
 * as most servers do). Copies the address into OUT; returns the rest of
 * the line (the ESMTP parameters) or NULL on a syntax error.
 */
static const char *
parse_path(const char *arg, const char *kw, char *out, size_t outlen)
{
	size_t kwlen = strlen(kw), n;
	const char *gt;

	if (strncasecmp(arg, kw, kwlen) != 0)
		return NULL;
	arg += kwlen;
	while (*arg == ' ')
		arg++;
	if (*arg != '<' || (gt = strchr(arg, '>')) == NULL)
		return NULL;
	n = (size_t)(gt - arg - 1);
	if (n >= outlen || n > SMTP_ADDR_MAX)
		return NULL;
	for (const char *p = arg + 1; p < gt; p++)
		if ((unsigned char)*p <= ' ' || *p == '<' || *p == 0x7f)
			return NULL;
	memcpy(out, arg + 1, n);
	out[n] = '\0';
	/* a source route (RFC 5321 4.1.2) is ignored: keep what follows ':' */
	if (out[0] == '@' && strchr(out, ':'))
		memmove(out, strchr(out, ':') + 1, strlen(strchr(out, ':')));
	arg = gt + 1;
	while (*arg == ' ')
		arg++;
	return arg;
}

/* MAIL parameters: SIZE= and BODY=; -1 after replying to a bad one. */
static int
mail_params(struct session *s, const char *p)
{
	char kw[SMTP_LINE_MAX];

	while (*p) {
		size_t n = strcspn(p, " ");

		memcpy(kw, p, n);
		kw[n] = '\0';
		if (strncasecmp(kw, "SIZE=", 5) == 0) {
			char *end;
			unsigned long long v = strtoull(kw + 5, &end, 10);

			if (*end || end == kw + 5) {
				reject(s, "501 5.5.4 Bad SIZE parameter");
				return -1;
			}
			if (v > s->p->max_size) {
				reply(s, "552 5.3.4 Message size exceeds the limit of %zu",
				    s->p->max_size);
				return -1;
			}
		} else if (strcasecmp(kw, "BODY=8BITMIME") != 0 &&
		    strcasecmp(kw, "BODY=7BIT") != 0) {
			reject(s, "555 5.5.4 Unsupported parameter %s", kw);
			return -1;
		}
		p += n;
		while (*p == ' ')
			p++;
	}
	return 0;
}

static void
cmd_mail(struct session *s, const char *arg)
{
	char addr[SMTP_ADDR_MAX + 1];
	const char *rest;

	if (s->state == S_INIT) {
		reject(s, "503 5.5.1 Say %s first", s->p->lmtp ? "LHLO" : "EHLO");
		return;
	}
	if (s->p->require_tls && !s->tls) {
		/* RFC 3207 section 4: a server may insist on TLS first */
		reject(s, "530 5.7.0 Must issue a STARTTLS command first");
		return;
	}
	if (s->state != S_HELO) {
		reject(s, "503 5.5.1 Nested MAIL command");
		return;
	}
	if ((rest = parse_path(arg, "FROM:", addr, sizeof(addr))) == NULL) {
		reject(s, "501 5.5.4 Syntax: MAIL FROM:<address>");
		return;
	}
	if (*rest && !s->esmtp) {
		reject(s, "555 5.5.4 Parameters need EHLO");
		return;
	}
	if (mail_params(s, rest) == -1)
		return;
	if ((s->from = strdup(addr)) == NULL)
		log_fatalx("smtp: out of memory");
	s->state = S_MAIL;
	reply(s, "250 2.1.0 Ok");
}

/* RFC 5321 4.5.1: "postmaster" without a domain must be accepted; it is
 * the postmaster of our first domain. */
static void
postmaster(struct session *s, char *addr, size_t len)
{
	const char *d = s->p->domains + strspn(s->p->domains, " \t,");
	size_t n = strcspn(d, " \t,");

	snprintf(addr, len, "postmaster@%.*s", (int)n, d);
}

static void
cmd_rcpt(struct session *s, const char *arg)
{
	char addr[SMTP_ADDR_MAX + 1];
	const char *rest;

	if (s->state != S_MAIL && s->state != S_RCPT) {
		reject(s, "503 5.5.1 Need MAIL before RCPT");
		return;
	}
	if ((rest = parse_path(arg, "TO:", addr, sizeof(addr))) == NULL ||
	    *addr == '\0') {
		reject(s, "501 5.5.4 Syntax: RCPT TO:<address>");
		return;
	}
	if (*rest) {
		reject(s, "555 5.5.4 Unsupported RCPT parameter");
		return;
	}
	if (strcasecmp(addr, "postmaster") == 0)
		postmaster(s, addr, sizeof(addr));
	if (!mail_thread_domain_ok(addr, s->p->domains)) {
		reject(s, "550 5.7.1 <%s>: Relay access denied", addr);
		return;
	}
	if (s->nrcpt >= s->max_rcpt || s->nrcpt >= s->p->max_rcpt) {
		reply(s, "452 4.5.3 Too many recipients");
		return;
	}
	for (char *p = addr; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if ((s->rcpts[s->nrcpt++] = strdup(addr)) == NULL)
		log_fatalx("smtp: out of memory");
	s->state = S_RCPT;
	reply(s, "250 2.1.5 Ok");
}

/* Our trace field (RFC 5321 4.4), the first line of what we keep. */
static void
add_received(struct session *s)
{
	char date[64];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	evbuffer_add_printf(s->data, "Received: from %s (%s)\r\n\tby %s with %s"
	    " id %llu;\r\n\t%s\r\n", s->helo, s->peer, s->p->hostname,
	    s->p->lmtp ? "LMTP" : s->tls ? "ESMTPS" : s->esmtp ? "ESMTP" : "SMTP",
	    (unsigned long long)s->id, date);
}

static void
cmd_data(struct session *s, const char *arg)
{
	if (s->state == S_MAIL) {
		reject(s, "554 5.5.1 No valid recipients");
		return;
	}
	if (s->state != S_RCPT) {
		reject(s, "503 5.5.1 Need RCPT before DATA");
		return;
	}
	if (*arg) {
		reject(s, "501 5.5.4 DATA takes no argument");
		return;
	}
	if ((s->data = evbuffer_new()) == NULL)
		log_fatalx("smtp: out of memory");
	add_received(s);
	s->msg_off = evbuffer_get_length(s->data);
	s->state = S_DATA;
	bound_arm(s, s->p->data_timeout);
	reply(s, "354 End data with <CR><LF>.<CR><LF>");
}

/* RFC 3207 section 4.2: forget everything said before, input included. */
static void
cmd_starttls(struct session *s, const char *arg)
{
	struct bufferevent *tls;
	SSL *ssl;

	if (s->p->tls == NULL || s->tls) {
		reject(s, "502 5.5.1 STARTTLS not available");
		return;
	}
	if (*arg) {
		reject(s, "501 5.5.4 STARTTLS takes no argument");
		return;
	}
	if ((ssl = SSL_new(s->p->tls)) == NULL) {
		reply(s, "454 4.7.0 TLS not available now");
		return;
	}
	reply(s, "220 2.0.0 Ready to start TLS");
	evbuffer_drain(bufferevent_get_input(s->bev),
	    evbuffer_get_length(bufferevent_get_input(s->bev)));
	tls = bufferevent_openssl_filter_new(bufferevent_get_base(s->bev), s->bev,
	    ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (tls == NULL) {
		SSL_free(ssl);
		close_later(s);
		return;
	}
	s->bev = tls;
	s->tls = 1;
	s->state = S_INIT;
	reset_txn(s);
	bufferevent_setcb(tls, on_read, on_write, on_event, s);
	bufferevent_enable(tls, EV_READ | EV_WRITE);
	/* the handshake is bounded like a command: its bytes restart the idle
	 * timeout but never reach process(); BEV_EVENT_CONNECTED ends it */
	bound_arm(s, s->p->command_timeout);
}

static void
command(struct session *s, const char *line)
{
	char verb[16];
	size_t n = strcspn(line, " ");

	if (n == 0 || n >= sizeof(verb)) {
		reject(s, "500 5.5.2 Syntax error, command unrecognized");
		return;
	}
	memcpy(verb, line, n);
	verb[n] = '\0';
	if (!strcasecmp(verb, "EHLO") || !strcasecmp(verb, "HELO") ||
	    !strcasecmp(verb, "LHLO"))
		cmd_helo(s, verb, arg_of(line, n));
	else if (!strcasecmp(verb, "MAIL"))
		cmd_mail(s, arg_of(line, n));
	else if (!strcasecmp(verb, "RCPT"))
		cmd_rcpt(s, arg_of(line, n));
	else if (!strcasecmp(verb, "DATA"))
		cmd_data(s, arg_of(line, n));
	else if (!strcasecmp(verb, "RSET")) {
		reset_txn(s);
		reply(s, "250 2.0.0 Ok");
	} else if (!strcasecmp(verb, "NOOP"))
		reply(s, "250 2.0.0 Ok");
	else if (!strcasecmp(verb, "QUIT")) {
		reply(s, "221 2.0.0 %s Bye", s->p->hostname);
		close_later(s);
	} else if (!strcasecmp(verb, "HELP"))
		reply(s, "214 2.0.0 Commands: %s MAIL RCPT DATA RSET NOOP QUIT HELP VRFY%s",
		    s->p->lmtp ? "LHLO" : "EHLO HELO", s->p->tls ? " STARTTLS" : "");
	else if (!strcasecmp(verb, "VRFY"))
		reply(s, "252 2.5.0 Cannot VRFY user, but will accept message");
	else if (!strcasecmp(verb, "STARTTLS"))
		cmd_starttls(s, arg_of(line, n));
	else if (!strcasecmp(verb, "EXPN") || !strcasecmp(verb, "TURN") ||
	    !strcasecmp(verb, "ETRN") || !strcasecmp(verb, "AUTH"))
		reject(s, "502 5.5.1 Command not implemented");
	else
		reject(s, "500 5.5.2 Syntax error, command unrecognized");
}

static void
deliver(struct session *s)
{
	struct smtp_envelope env;

	if (s->too_big) {
		reply(s, "552 5.3.4 Message size exceeds the limit of %zu",
		    s->p->max_size);
		reset_txn(s);
		if (draining)
			say_goodbye(s);
		return;
	}
	s->state = S_DELIVER;
	evtimer_del(s->bound);
	bufferevent_disable(s->bev, EV_READ);
	env.id = s->id;
	env.helo = s->helo;
	env.peer = s->peer;
	env.from = s->from;
	env.rcpts = s->rcpts;
	env.nrcpt = s->nrcpt;
	env.len = evbuffer_get_length(s->data);
	env.data = (const char *)evbuffer_pullup(s->data, -1);
	env.msg_off = s->msg_off;
	env.tls = s->tls;
	s->p->deliver(&env);
}

/*
 * One line of the message, N bytes up to its LF (a CR before it is part
 * of LINE). Kept byte for byte with its own line end, bare LF or CRLF, so
 * that the raw copy is evidence; only the leading dot of a stuffed line
 * goes (RFC 5321 4.5.2). Only "." with CRLF ends the message (4.1.1.4):
 * a bare-LF "." does not, which also closes the door on SMTP smuggling.
 */
static void
data_line(struct session *s, const char *line, size_t n)
{
	if (n == 2 && line[0] == '.' && line[1] == '\r') {
		deliver(s);
		return;
	}
	if (n && line[0] == '.')
		line++, n--;
	s->datalen += n + 1;
	if (s->datalen > s->p->max_size) {
		s->too_big = 1;
		return;
	}
	evbuffer_add(s->data, line, n);
	evbuffer_add(s->data, "\n", 1);
}

/* Discard the rest of an over-long line; 1 while it has not ended. */
static int
skip_long_line(struct session *s, struct evbuffer *in)
{
	struct evbuffer_ptr eol;
	size_t eollen;

	eol = evbuffer_search_eol(in, NULL, &eollen, EVBUFFER_EOL_LF);
	if (eol.pos == -1) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return 1;
	}
	evbuffer_drain(in, (size_t)eol.pos + eollen);
	s->skip_line = 0;
	return 0;
}

/* A line longer than the limit: answer once and skip it. */
static void
line_too_long(struct session *s, struct evbuffer *in)
{
	s->skip_line = 1;
	if (s->state == S_DATA)
		s->too_big = 1;
	else
		reject(s, "500 5.5.2 Line too long");
	skip_long_line(s, in);
}

static void
process(struct session *s)
{
	struct evbuffer *in = bufferevent_get_input(s->bev);
	size_t n, max;
	char *line;

	while (s->state != S_DELIVER && s->state != S_CLOSING) {
		if (s->skip_line && skip_long_line(s, in))
			return;
		max = s->state == S_DATA ? SMTP_DATA_LINE_MAX : SMTP_LINE_MAX;
		if ((line = evbuffer_readln(in, &n, s->state == S_DATA ?
		    EVBUFFER_EOL_LF : EVBUFFER_EOL_CRLF)) == NULL) {
			if (evbuffer_get_length(in) > max)
				line_too_long(s, in);
			else {
				/* part of a command: its clock runs */
				if (s->state != S_DATA && evbuffer_get_length(in) &&
				    !evtimer_pending(s->bound, NULL))
					bound_arm(s, s->p->command_timeout);
				return;
			}
			continue;
		}
		if (s->state != S_DATA)
			evtimer_del(s->bound);
		if (s->state == S_DATA)
			data_line(s, line, n);
		else if (n + 2 > max || memchr(line, '\0', n))
			reject(s, n + 2 > max ? "500 5.5.2 Line too long" :
			    "500 5.5.2 Syntax error, NUL in command");
		else
			command(s, line);
		free(line);
	}
}

static void
on_read(struct bufferevent *bev, void *arg)
{
	process(arg);
}

static void
on_write(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;

	if (s->state == S_CLOSING && !unsent(s))
		event_active(s->resume, 0, 0);
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct session *s = arg;

	if (what & BEV_EVENT_CONNECTED) {
		evtimer_del(s->bound);		/* the TLS handshake is done */
		return;
	}
	if ((what & BEV_EVENT_TIMEOUT) && s->state != S_CLOSING) {
		reply(s, "421 4.4.2 %s Idle timeout, closing", s->p->hostname);
		close_later(s);
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) {
		log_debug("smtp=%llu peer=%s gone state=%d",
		    (unsigned long long)s->id, s->peer, (int)s->state);
		s->state = S_CLOSING;
		s->dead = 1;
		bufferevent_disable(bev, EV_READ | EV_WRITE);
		event_active(s->resume, 0, 0);
	}
}

void
smtp_session_done(uint64_t id, const char *text)
{
	struct session *s = find(id);

	if (s == NULL || s->state != S_DELIVER)
		return;
	for (int i = 0; i < (s->p->lmtp ? s->nrcpt : 1); i++)
		reply(s, "%s", text);
	s->state = S_HELO;
	reset_txn(s);
	if (draining)
		say_goodbye(s);
	else
		event_active(s->resume, 0, 0);
}

void
smtp_session_quiesce(void)
{
	struct session *s;

	draining = 1;
	TAILQ_FOREACH(s, &sessions, entry)
		if (s->state != S_DATA && s->state != S_DELIVER &&
		    s->state != S_CLOSING)
			say_goodbye(s);
}

unsigned
smtp_session_count_from(const char *peer)
{
	struct session *s;
	unsigned n = 0;

	TAILQ_FOREACH(s, &sessions, entry)
		if (strcmp(s->peer, peer) == 0)
			n++;
	return n;
}

unsigned
smtp_session_count(void)
{
	return nsessions;
}

unsigned
smtp_session_busy(void)
{
	struct session *s;
	unsigned n = 0;

	TAILQ_FOREACH(s, &sessions, entry)
		if (s->state == S_DATA || s->state == S_DELIVER)
			n++;
	return n;
}

void
smtp_session_close_all(void)
{
	struct session *s;

	while ((s = TAILQ_FIRST(&sessions)) != NULL)
		session_free(s);
	draining = 0;
}
