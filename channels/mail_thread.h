/*
 * mail_thread: what a received mail's headers say about where it belongs
 * and whether anyone may answer it automatically. Pure string work on what
 * mime.c extracted: the per-ticket token address (support+<token>@domain),
 * the [RX-n] subject tag, and the loop, bulk and bounce signs (RFC 3834,
 * RFC 2369, RFC 3464).
 */
#ifndef RX_MAIL_THREAD_H
#define RX_MAIL_THREAD_H

#include <stddef.h>
#include <stdint.h>

struct mime_msg;

#define MAIL_TOKEN_MAX	64	/* longest reply token accepted */

/* Classification bits: any of them means "never answer automatically". */
#define MAIL_AUTO	0x01	/* an auto-responder or a machine wrote it */
#define MAIL_BULK	0x02	/* a list or bulk mail */
#define MAIL_BOUNCE	0x04	/* a delivery status notification */
#define MAIL_LOOP	0x08	/* it came from us: answering would loop */

/* The n of the first "[RX-n]" in SUBJECT (any case), or 0. */
uint64_t mail_thread_tag(const char *subject);
/* Copy the token of "local+TOKEN@domain" into TOK (TOKLEN bytes); 0, or -1
 * when ADDR has none or it is not [A-Za-z0-9_-]{1,MAIL_TOKEN_MAX}. */
int mail_thread_token(const char *addr, char *tok, size_t toklen);
/* The local part of ADDR before any "+", lowercased, into OUT. */
void mail_thread_local(const char *addr, char *out, size_t outlen);
/* 1 when ADDR's domain is in DOMAINS (comma-separated, any case). */
int mail_thread_domain_ok(const char *addr, const char *domains);
/* What "us" means to the loop checks: every field may be NULL. */
struct mail_self {
	const char *hostname;		/* smtp.hostname, in our X-Loop */
	const char *msgid_domain;	/* right side of our Message-IDs */
	const char *domains;		/* smtp.domains, comma-separated */
	char *const *rcpts;		/* the receiving addresses */
	int nrcpt;
};

/* The product's own marker in X-Loop and in its Message-IDs. */
#define MAIL_PRODUCT	"rxdesk"

/*
 * Classify M, received with envelope sender ENV_FROM ("" for the null
 * sender) by SELF. Returns MAIL_* bits; *WHY names the first sign (static
 * text), NULL when there is none.
 */
unsigned mail_thread_classify(const struct mime_msg *m, const char *env_from,
    const struct mail_self *self, const char **why);

#endif
