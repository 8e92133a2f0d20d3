/*
 * mail_compose: one outgoing mail as RFC 5322 text with CRLF line ends,
 * ready for the relay: threading headers, the [RX-n] subject tag, the
 * per-ticket Reply-To, loop markers on automatic mail, RFC 2047 encoded
 * headers and a quoted-printable or base64 UTF-8 body (RFC 2045).
 * Pure functions: no I/O, safe on any thread.
 */
#ifndef RX_MAIL_COMPOSE_H
#define RX_MAIL_COMPOSE_H

#include <stddef.h>
#include <stdint.h>

#define MAIL_COMPOSE_MAX_RCPT	32	/* addresses in To plus Cc */
#define MAIL_COMPOSE_MAX_ADDR	254	/* RFC 5321 section 4.5.3.1.3 */
#define MAIL_COMPOSE_MAX_REFS	20	/* Message-IDs kept in References */

struct mail_compose {
	const char *from;	/* "support@example.com" */
	const char *reply_to;	/* NULL: none */
	const char *to, *cc;	/* comma-separated; cc may be NULL */
	const char *subject;	/* UTF-8 */
	uint64_t ticket;	/* 0: no [RX-n] tag */
	const char *text;	/* UTF-8 body */
	const char *html;	/* NULL: text only */
	const char *msgid;	/* "<..@..>" */
	const char *in_reply_to; /* "<..>" or NULL */
	const char *references;	/* space-separated "<..>" or NULL */
	int automatic;		/* no person wrote it */
	const char *x_loop;	/* X-Loop of automatic mail; NULL: from */
	int64_t date;		/* Unix seconds */
};

/* The mail as text (caller frees), or NULL with *cause (a bad address or
 * a header value with a line break). */
char *mail_compose(const struct mail_compose *, const char **cause);
/* SUBJECT with "[RX-n] " in front unless already there; caller frees. */
char *mail_compose_subject(const char *subject, uint64_t ticket);
/* Split the address list LIST into OUT (bare addresses, caller frees each);
 * the count, or -1 with *cause when one is malformed or there are too many. */
int mail_compose_addresses(const char *list, char **out, int max,
    const char **cause);
/* Header "NAME: VALUE" with VALUE encoded as RFC 2047 words when it is not
 * plain ASCII, folded under 78 columns; caller frees. */
char *mail_compose_header(const char *name, const char *value);

struct evbuffer;

/* Drain B into a NUL-terminated string (the caller frees it, NULL when out
 * of memory) and free B. */
char *mail_compose_take(struct evbuffer *b);

#endif
