/* mail_thread: see mail_thread.h. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "channels/mail_thread.h"
#include "channels/mime.h"

uint64_t
mail_thread_tag(const char *subject)
{
	const char *p, *q;
	uint64_t n;

	for (p = subject; p && (p = strchr(p, '[')) != NULL; p++) {
		if (strncasecmp(p + 1, "RX-", 3) != 0)
			continue;
		n = 0;
		for (q = p + 4; isdigit((unsigned char)*q); q++) {
			if (n > (UINT64_MAX - 9) / 10)
				return 0;
			n = n * 10 + (uint64_t)(*q - '0');
		}
		if (*q == ']' && n > 0)
			return n;
	}
	return 0;
}

int
mail_thread_token(const char *addr, char *tok, size_t toklen)
{
	const char *plus = strchr(addr, '+'), *at = strrchr(addr, '@');
	size_t n;

	if (plus == NULL || at == NULL || plus > at)
		return -1;
	n = (size_t)(at - plus - 1);
	if (n == 0 || n > MAIL_TOKEN_MAX || n >= toklen)
		return -1;
	for (const char *p = plus + 1; p < at; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
			return -1;
	memcpy(tok, plus + 1, n);
	tok[n] = '\0';
	return 0;
}

void
mail_thread_local(const char *addr, char *out, size_t outlen)
{
	size_t n = strcspn(addr, "+@");

	if (outlen == 0)
		return;
	if (n >= outlen)
		n = outlen - 1;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)addr[i]);
	out[n] = '\0';
}

/* 1 when NAME is one of the comma-separated LIST (any case, blanks ok). */
static int
in_list(const char *name, size_t len, const char *list)
{
	const char *p = list;

	while (p && *p) {
		size_t n;

		p += strspn(p, " \t,");
		n = strcspn(p, ",");
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n && n == len && strncasecmp(p, name, n) == 0)
			return 1;
		p = strchr(p, ',');
	}
	return 0;
}

int
mail_thread_domain_ok(const char *addr, const char *domains)
{
	const char *at = strrchr(addr, '@');

	return at && at[1] && in_list(at + 1, strlen(at + 1), domains);
}

/* Local parts that only machines send from (RFC 3834 section 2). */
static int
machine_sender(const char *addr)
{
	static const char *const locals[] = { "mailer-daemon", "postmaster",
	    "noreply", "no-reply", "no_reply", "donotreply", "do-not-reply",
	    "do_not_reply", "bounce", "bounces", "mailerdaemon", NULL };
	char local[128];

	if (addr == NULL || *addr == '\0')
		return 0;
	mail_thread_local(addr, local, sizeof(local));
	for (int i = 0; locals[i]; i++)
		if (strcmp(local, locals[i]) == 0 ||
		    (strncmp(local, locals[i], strlen(locals[i])) == 0 &&
		    (local[strlen(locals[i])] == '-' || local[strlen(locals[i])] == '.')))
			return 1;
	return 0;
}

/* 1 when HAY contains NEEDLE in any case. */
static int
has(const char *hay, const char *needle)
{
	size_t n = needle ? strlen(needle) : 0;

	if (hay == NULL || n == 0)
		return 0;
	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return 1;
	return 0;
}

static int
bulk_precedence(const char *v)
{
	char w[16];
	size_t n;

	if (v == NULL)
		return 0;
	v += strspn(v, " \t");
	n = strcspn(v, " \t;");
	if (n >= sizeof(w))
		return 0;
	memcpy(w, v, n);
	w[n] = '\0';
	return !strcasecmp(w, "bulk") || !strcasecmp(w, "junk") ||
	    !strcasecmp(w, "list");
}

static int
auto_submitted(const char *v)
{
	if (v == NULL)
		return 0;
	v += strspn(v, " \t");
	return strncasecmp(v, "no", 2) != 0 || isalnum((unsigned char)v[2]) ||
	    v[2] == '-';
}

/* A Message-ID of ours: our domain on the right, or the form mail out
 * writes ("<RX-<n>.<stream id>.<random>@...>", docs/email.md). */
static int
our_msgid(const char *id, const char *domain)
{
	const char *at = id ? strrchr(id, '@') : NULL;
	size_t n;

	if (at == NULL)
		return 0;
	if (strncasecmp(id, "<RX-", 4) == 0 && isdigit((unsigned char)id[4]) &&
	    id[4 + strspn(id + 4, "0123456789")] == '.')
		return 1;
	if (domain == NULL || *domain == '\0')
		return 0;
	n = strlen(domain);
	return strncasecmp(at + 1, domain, n) == 0 && at[1 + n] == '>';
}

/* X-Loop naming us: the product, our host, a domain or address of ours. */
static int
our_loop(const char *v, const struct mail_self *self)
{
	const char *p;

	if (v == NULL)
		return 0;
	if (has(v, MAIL_PRODUCT) || has(v, self->hostname) ||
	    has(v, self->msgid_domain))
		return 1;
	for (int i = 0; i < self->nrcpt; i++)
		if (has(v, self->rcpts[i]))
			return 1;
	for (p = self->domains; p && *p; p += strcspn(p, ",")) {
		char d[256];
		size_t n;

		p += strspn(p, " \t,");
		n = strcspn(p, " \t,");
		if (n == 0 || n >= sizeof(d))
			continue;
		memcpy(d, p, n);
		d[n] = '\0';
		if (has(v, d))
			return 1;
	}
	return 0;
}

/* Our own receiving address as the sender: answering it writes to us. */
static int
from_self(const char *addr, const struct mail_self *self)
{
	for (int i = 0; addr && *addr && i < self->nrcpt; i++)
		if (strcasecmp(addr, self->rcpts[i]) == 0)
			return 1;
	return 0;
}

/* RFC 3834 section 3.1.5 (and 2): the null reverse path in Return-Path. */
static int
null_return_path(const char *v)
{
	if (v == NULL)
		return 0;
	v += strspn(v, " \t");
	return v[0] == '<' && v[1 + strspn(v + 1, " \t")] == '>';
}

unsigned
mail_thread_classify(const struct mime_msg *m, const char *env_from,
    const struct mail_self *self, const char **why)
{
	const struct mime_noise *h = &m->noise;
	unsigned c = 0;

	*why = NULL;
#define SIGN(bit, cond, reason) do {			\
	if (cond) {					\
		c |= (bit);				\
		if (*why == NULL)			\
			*why = (reason);		\
	}						\
} while (0)
	SIGN(MAIL_LOOP, our_loop(h->x_loop, self), "x-loop");
	SIGN(MAIL_LOOP, our_msgid(m->msgid, self->msgid_domain ?
	    self->msgid_domain : self->hostname), "our message-id");
	SIGN(MAIL_LOOP, from_self(m->from_addr, self) ||
	    from_self(env_from, self), "from our own address");
	SIGN(MAIL_BOUNCE, m->dsn, "delivery status notification");
	SIGN(MAIL_AUTO, auto_submitted(h->auto_submitted), "auto-submitted");
	SIGN(MAIL_AUTO, h->auto_suppress != NULL, "x-auto-response-suppress");
	SIGN(MAIL_AUTO, h->x_autoreply != NULL, "x-autoreply");
	SIGN(MAIL_AUTO, has(h->precedence, "auto_reply"), "precedence");
	SIGN(MAIL_BULK, bulk_precedence(h->precedence), "precedence");
	SIGN(MAIL_BULK, h->list_id != NULL, "list-id");
	SIGN(MAIL_BULK, h->list_unsubscribe != NULL, "list-unsubscribe");
	SIGN(MAIL_AUTO, env_from && *env_from == '\0', "null sender");
	SIGN(MAIL_AUTO, null_return_path(h->return_path), "empty return-path");
	SIGN(MAIL_AUTO, machine_sender(env_from), "machine sender");
	SIGN(MAIL_AUTO, machine_sender(m->from_addr), "machine sender");
#undef SIGN
	return c;
}
