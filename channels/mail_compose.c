/* mail_compose: see mail_compose.h. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <openssl/evp.h>

#include "channels/mail_compose.h"

#define QP_LINE		76	/* RFC 2045 section 6.7, rule 5 */
#define B64_CHUNK	57	/* raw bytes per 76-column base64 line */
#define WORD_RAW	45	/* raw bytes per RFC 2047 word: 60 base64 chars */
#define MIME_BOUNDARY	"=_rxdesk_alt_"

static int
is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

static int
has_break(const char *s)
{
	return s != NULL && strpbrk(s, "\r\n") != NULL;
}

char *
mail_compose_take(struct evbuffer *b)
{
	size_t len = evbuffer_get_length(b);
	char *s = malloc(len + 1);

	if (s != NULL) {
		evbuffer_remove(b, s, len);
		s[len] = '\0';
	}
	evbuffer_free(b);
	return s;
}

/* Length of the UTF-8 prefix of S not longer than MAX bytes that ends on a
 * character boundary, so that no word splits a character (RFC 2047 5.3). */
static size_t
utf8_cut(const char *s, size_t len, size_t max)
{
	size_t n;

	if (len <= max)
		return len;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n > 0 ? n : max;
}

static void
add_b64(struct evbuffer *b, const char *s, size_t len)
{
	unsigned char out[4 * ((B64_CHUNK + 2) / 3) + 1];
	int n;

	n = EVP_EncodeBlock(out, (const unsigned char *)s, (int)len);
	evbuffer_add(b, out, (size_t)n);
}

char *
mail_compose_header(const char *name, const char *value)
{
	struct evbuffer *b = evbuffer_new();
	size_t len = strlen(value), n;

	if (b == NULL)
		return NULL;
	evbuffer_add_printf(b, "%s: ", name);
	if (is_ascii(value)) {
		evbuffer_add_printf(b, "%s\r\n", value);
		return mail_compose_take(b);
	}
	while (len > 0) {
		n = utf8_cut(value, len, WORD_RAW);
		evbuffer_add_printf(b, "=?UTF-8?B?");
		add_b64(b, value, n);
		evbuffer_add_printf(b, "?=%s", len > n ? "\r\n " : "\r\n");
		value += n;
		len -= n;
	}
	return mail_compose_take(b);
}

char *
mail_compose_subject(const char *subject, uint64_t ticket)
{
	char tag[32];
	char *out;

	if (subject == NULL)
		subject = "";
	if (ticket == 0)
		return strdup(subject);
	snprintf(tag, sizeof(tag), "[RX-%" PRIu64 "]", ticket);
	if (strstr(subject, tag) != NULL)
		return strdup(subject);
	if ((out = malloc(strlen(tag) + strlen(subject) + 2)) == NULL)
		return NULL;
	sprintf(out, "%s%s%s", tag, *subject ? " " : "", subject);
	return out;
}

/* Copy the bare address out of "addr" or "Name <addr>" into OUT. */
static int
parse_address(const char *s, size_t len, char *out, size_t outlen)
{
	const char *lt, *gt, *at;
	size_t n;

	while (len > 0 && isspace((unsigned char)*s))
		s++, len--;
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	lt = memchr(s, '<', len);
	gt = lt ? memchr(lt, '>', len - (size_t)(lt - s)) : NULL;
	if (lt && gt)
		s = lt + 1, len = (size_t)(gt - lt - 1);
	if (len == 0 || len >= outlen || len > MAIL_COMPOSE_MAX_ADDR)
		return -1;
	for (n = 0; n < len; n++)
		if ((unsigned char)s[n] <= ' ' || s[n] == '<' || s[n] == '>' ||
		    s[n] == ',' || (unsigned char)s[n] >= 0x7f)
			return -1;
	at = memchr(s, '@', len);
	if (at == NULL || at == s || at == s + len - 1)
		return -1;
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

int
mail_compose_addresses(const char *list, char **out, int max, const char **cause)
{
	char addr[MAIL_COMPOSE_MAX_ADDR + 1];
	const char *p = list, *comma;
	int n = 0;

	while (p && *p) {
		comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (strspn(p, " \t") < len) {
			if (n == max) {
				*cause = "too many recipients";
				goto fail;
			}
			if (parse_address(p, len, addr, sizeof(addr)) == -1) {
				*cause = "malformed recipient address";
				goto fail;
			}
			if ((out[n] = strdup(addr)) == NULL) {
				*cause = "out of memory";
				goto fail;
			}
			n++;
		}
		p = comma ? comma + 1 : NULL;
	}
	return n;
fail:
	while (n > 0)
		free(out[--n]);
	return -1;
}

/* Quoted-printable (RFC 2045 6.7) of TEXT with CRLF line ends. */
static void
add_qp(struct evbuffer *b, const char *text)
{
	const unsigned char *s = (const unsigned char *)text;
	int col = 0;

	for (; *s; s++) {
		if (*s == '\r' && s[1] == '\n')
			continue;
		if (*s == '\n') {
			evbuffer_add(b, "\r\n", 2);
			col = 0;
			continue;
		}
		int lit = (*s >= 33 && *s <= 126 && *s != '=') ||
		    ((*s == ' ' || *s == '\t') && s[1] != '\n' && s[1] != '\r' && s[1]);
		int w = lit ? 1 : 3;
		if (col + w > QP_LINE - 1) {
			evbuffer_add(b, "=\r\n", 3);
			col = 0;
		}
		if (lit)
			evbuffer_add(b, s, 1);
		else
			evbuffer_add_printf(b, "=%02X", *s);
		col += w;
	}
	evbuffer_add(b, "\r\n", 2);
}

static void
add_base64(struct evbuffer *b, const char *text)
{
	size_t len = strlen(text), n;

	for (; len > 0; text += n, len -= n) {
		n = len < B64_CHUNK ? len : B64_CHUNK;
		add_b64(b, text, n);
		evbuffer_add(b, "\r\n", 2);
	}
}

/* One text part: quoted-printable when mostly ASCII, else base64 (shorter
 * for Cyrillic and Chinese). */
static void
add_part(struct evbuffer *b, const char *ctype, const char *text)
{
	size_t high = 0, len = strlen(text);

	for (const char *s = text; *s; s++)
		high += (unsigned char)*s >= 0x80;
	evbuffer_add_printf(b, "Content-Type: %s; charset=utf-8\r\n", ctype);
	if (high * 3 > len) {
		evbuffer_add_printf(b, "Content-Transfer-Encoding: base64\r\n\r\n");
		add_base64(b, text);
	} else {
		evbuffer_add_printf(b,
		    "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
		add_qp(b, text);
	}
}

static void
add_body(struct evbuffer *b, const struct mail_compose *m)
{
	uint32_t h = 2166136261u;	/* FNV-1a of the Message-ID: a boundary
					 * of RFC 2046 bchars, unique per mail */

	evbuffer_add_printf(b, "MIME-Version: 1.0\r\n");
	if (m->html == NULL || *m->html == '\0') {
		add_part(b, "text/plain", m->text ? m->text : "");
		return;
	}
	for (const char *s = m->msgid; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	evbuffer_add_printf(b, "Content-Type: multipart/alternative; "
	    "boundary=\"" MIME_BOUNDARY "%08x\"\r\n\r\n", h);
	evbuffer_add_printf(b, "--" MIME_BOUNDARY "%08x\r\n", h);
	add_part(b, "text/plain", m->text ? m->text : "");
	evbuffer_add_printf(b, "--" MIME_BOUNDARY "%08x\r\n", h);
	add_part(b, "text/html", m->html);
	evbuffer_add_printf(b, "--" MIME_BOUNDARY "%08x--\r\n", h);
}

static int
add_header(struct evbuffer *b, const char *name, const char *value)
{
	char *h;

	if ((h = mail_compose_header(name, value)) == NULL)
		return -1;
	evbuffer_add(b, h, strlen(h));
	free(h);
	return 0;
}

/* A well-formed "<..>" with no space inside. */
static int
msgid_ok(const char *s, size_t len)
{
	if (len < 3 || len > 998 || s[0] != '<' || s[len - 1] != '>')
		return 0;
	for (size_t i = 1; i < len - 1; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == '<' || s[i] == '>' ||
		    (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

/* References: the customer's list then their Message-ID (RFC 5322 3.6.4),
 * the newest MAIL_COMPOSE_MAX_REFS, malformed ids dropped. */
static void
add_references(struct evbuffer *b, const char *refs, const char *irt)
{
	const char *ids[MAIL_COMPOSE_MAX_REFS + 1];
	size_t lens[MAIL_COMPOSE_MAX_REFS + 1];
	int n = 0, irt_seen = 0;
	const char *p = refs ? refs : "";

	while (*p) {
		p += strspn(p, " \t,");
		size_t len = strcspn(p, " \t,");
		if (len > 0 && msgid_ok(p, len)) {
			if (n == MAIL_COMPOSE_MAX_REFS) {
				memmove(ids, ids + 1, sizeof(ids[0]) * (size_t)(n - 1));
				memmove(lens, lens + 1, sizeof(lens[0]) * (size_t)(n - 1));
				n--;
			}
			irt_seen |= irt && strlen(irt) == len && !memcmp(irt, p, len);
			ids[n] = p;
			lens[n++] = len;
		}
		p += len;
	}
	if (irt && !irt_seen && msgid_ok(irt, strlen(irt))) {
		ids[n] = irt;
		lens[n++] = strlen(irt);
	}
	if (n == 0)
		return;
	evbuffer_add_printf(b, "References:");
	for (int i = 0; i < n; i++)
		evbuffer_add_printf(b, "%s%.*s", i ? "\r\n " : " ", (int)lens[i], ids[i]);
	evbuffer_add(b, "\r\n", 2);
}

static int
add_headers(struct evbuffer *b, const struct mail_compose *m, const char *subj)
{
	char date[64];
	time_t t = (time_t)m->date;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	evbuffer_add_printf(b, "Date: %s\r\nFrom: %s\r\nTo: %s\r\n", date,
	    m->from, m->to);
	if (m->cc && *m->cc)
		evbuffer_add_printf(b, "Cc: %s\r\n", m->cc);
	if (m->reply_to && *m->reply_to)
		evbuffer_add_printf(b, "Reply-To: %s\r\n", m->reply_to);
	evbuffer_add_printf(b, "Message-ID: %s\r\n", m->msgid);
	if (m->in_reply_to && msgid_ok(m->in_reply_to, strlen(m->in_reply_to)))
		evbuffer_add_printf(b, "In-Reply-To: %s\r\n", m->in_reply_to);
	add_references(b, m->references, m->in_reply_to);
	if (m->automatic)
		/* RFC 3834 section 5; X-Loop and the Exchange header stop
		 * other responders from answering an answer. */
		evbuffer_add_printf(b, "Auto-Submitted: auto-replied\r\n"
		    "X-Auto-Response-Suppress: All\r\nX-Loop: %s\r\n",
		    m->x_loop ? m->x_loop : m->from);
	return add_header(b, "Subject", subj);
}

/* Every header input must be a single line and every address parse. */
static int
check_input(const struct mail_compose *m, const char **cause)
{
	char *rcpt[MAIL_COMPOSE_MAX_RCPT];
	char all[2 * 4096];
	int n;

	if (has_break(m->from) || has_break(m->reply_to) || has_break(m->to) ||
	    has_break(m->x_loop) || (m->x_loop && !is_ascii(m->x_loop)) ||
	    has_break(m->cc) || has_break(m->subject) || has_break(m->msgid) ||
	    has_break(m->in_reply_to) || has_break(m->references)) {
		*cause = "line break in a header value";
		return -1;
	}
	if (m->msgid == NULL || !msgid_ok(m->msgid, strlen(m->msgid))) {
		*cause = "malformed Message-ID";
		return -1;
	}
	if (!is_ascii(m->from) || !is_ascii(m->to) || (m->cc && !is_ascii(m->cc)) ||
	    (m->reply_to && !is_ascii(m->reply_to))) {
		*cause = "non-ASCII address";
		return -1;
	}
	snprintf(all, sizeof(all), "%s,%s", m->to, m->cc ? m->cc : "");
	if ((n = mail_compose_addresses(all, rcpt, MAIL_COMPOSE_MAX_RCPT, cause)) == -1)
		return -1;
	while (n > 0)
		free(rcpt[--n]);
	return 0;
}

char *
mail_compose(const struct mail_compose *m, const char **cause)
{
	struct evbuffer *b;
	char *subj;

	if (check_input(m, cause) == -1)
		return NULL;
	if ((subj = mail_compose_subject(m->subject, m->ticket)) == NULL ||
	    (b = evbuffer_new()) == NULL) {
		free(subj);
		*cause = "out of memory";
		return NULL;
	}
	if (add_headers(b, m, subj) == -1) {
		free(subj);
		evbuffer_free(b);
		*cause = "out of memory";
		return NULL;
	}
	free(subj);
	add_body(b, m);
	return mail_compose_take(b);
}
