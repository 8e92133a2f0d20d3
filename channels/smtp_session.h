/*
 * smtp_session: one SMTP (RFC 5321) or LMTP (RFC 2033) connection on a
 * libevent bufferevent, as a state machine: greeting, EHLO/HELO/LHLO, MAIL,
 * RCPT, DATA with dot-unstuffing, RSET, NOOP, VRFY, HELP, QUIT, STARTTLS
 * (RFC 3207). The finished message goes to the deliver function; its answer
 * comes back by session id through smtp_session_done.
 */
#ifndef RX_SMTP_SESSION_H
#define RX_SMTP_SESSION_H

#include <stddef.h>
#include <stdint.h>

struct bufferevent;
struct ssl_ctx_st;

#define SMTP_LINE_MAX		512	/* a command line, CRLF included (4.5.3.1.4) */
#define SMTP_DATA_LINE_MAX	(1024 * 1024)	/* one text line in DATA */
#define SMTP_ADDR_MAX		256	/* a path (4.5.3.1.3) */

/* A message ready for delivery; valid only during the deliver call. */
struct smtp_envelope {
	uint64_t id;		/* the session, for smtp_session_done */
	const char *helo, *peer;
	const char *from;	/* "" for the null sender <> */
	char *const *rcpts;	/* lowercased, within the accepted domains */
	int nrcpt;
	const char *data;	/* our Received: line, then the message */
	size_t len;
	size_t msg_off;		/* where the sender's bytes start in DATA:
				 * from there on exactly as sent, line ends
				 * too, dot-unstuffed */
	int tls;		/* it came over TLS */
};

/* Take the message; answer later (or now) with smtp_session_done. */
typedef void smtp_deliver_fn(const struct smtp_envelope *);

/* What a session obeys; owned by the caller, must outlive the sessions. */
struct smtp_params {
	const char *hostname;
	int lmtp;			/* LHLO, one reply per recipient */
	const char *domains;		/* comma-separated */
	size_t max_size;
	int max_rcpt, max_errors;
	int idle_timeout, session_timeout;	/* seconds */
	int command_timeout;	/* seconds from a command's first byte to its CRLF */
	int data_timeout;	/* seconds from 354 to the final dot */
	struct ssl_ctx_st *tls;		/* NULL: no STARTTLS */
	int require_tls;		/* MAIL only after STARTTLS */
	smtp_deliver_fn *deliver;
};

/* Start a session on BEV (freed with the session); sends the greeting.
 * Returns the session id. */
uint64_t smtp_session_new(struct bufferevent *bev, const char *peer,
    const struct smtp_params *);
/* Answer the message of session ID with REPLY ("250 2.0.0 Ok", no CRLF),
 * once per recipient in LMTP. A session that is gone is ignored. */
void smtp_session_done(uint64_t id, const char *reply);
/* Sessions open now. */
unsigned smtp_session_count(void);
/* Sessions open from the address PEER (a per-address limit). */
unsigned smtp_session_count_from(const char *peer);
/* Sessions inside DATA or waiting for their delivery. */
unsigned smtp_session_busy(void);
/* Shutting down: idle sessions get 421 and close now, the others right
 * after their message is answered. */
void smtp_session_quiesce(void);
/* Free every session at once (shutdown, after the drain). */
void smtp_session_close_all(void);

#endif
