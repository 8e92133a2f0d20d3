/* mime_words: see mime_words.h. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "channels/mime.h"
#include "channels/mime_words.h"
#include "server/core/log.h"

#define CHARSET_MAX	64	/* a charset name in an encoded word */

struct buf {
	char *s;
	size_t len, cap;
};

/* Bytes of encoded words waiting for their charset conversion. */
struct pending {
	struct buf bytes;
	char charset[CHARSET_MAX];
};

static void
buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 128;

		while (b->len + n + 1 > cap)
			cap *= 2;
		if ((b->s = realloc(b->s, cap)) == NULL)
			log_fatalx("mime: out of memory");
		b->cap = cap;
	}
	if (n)
		memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Each word is decoded on its own (RFC 2047 section 2): padding or none. */
static void
decode_b(struct buf *out, const char *s, size_t n, const char **problem)
{
	unsigned acc = 0;
	int bits = 0, nchar = 0;

	for (size_t i = 0; i < n; i++) {
		int v = b64_value((unsigned char)s[i]);

		if (s[i] == '=')
			break;
		if (v < 0) {
			*problem = "invalid base64 in an encoded word";
			continue;
		}
		nchar++;
		acc = (acc << 6) | (unsigned)v;
		if ((bits += 6) >= 8) {
			char c = (char)((acc >> (bits - 8)) & 0xff);

			bits -= 8;
			buf_add(out, &c, 1);
		}
	}
	if (nchar % 4 == 1)
		*problem = "invalid base64 in an encoded word";
}

static int
hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (unsigned char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static void
decode_q(struct buf *out, const char *s, size_t n, const char **problem)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int hi, lo;

		if (c == '_')
			c = ' ';
		else if (c == '=' && i + 2 < n &&
		    (hi = hex_value((unsigned char)s[i + 1])) >= 0 &&
		    (lo = hex_value((unsigned char)s[i + 2])) >= 0) {
			c = (char)(hi * 16 + lo);
			i += 2;
		} else if (c == '=')
			*problem = "invalid quoted-printable in an encoded word";
		buf_add(out, &c, 1);
	}
}

/*
 * An encoded word at S (up to END): "=?charset[*lang]?B|Q?text?=".
 * Returns its length and sets the parts, or 0 when S does not start one.
 */
static size_t
parse_word(const char *s, const char *end, char *charset, char *enc,
    const char **text, size_t *textlen)
{
	const char *p = s + 2, *q, *t;
	size_t n;

	if (end - s < 8 || s[0] != '=' || s[1] != '?')
		return 0;
	for (q = p; q < end && *q != '?' && *q != ' ' && *q != '\t'; q++)
		;
	if (q == end || *q != '?' || q == p || q + 3 >= end || q[2] != '?')
		return 0;
	if ((n = (size_t)(q - p)) >= CHARSET_MAX)
		return 0;
	*enc = (char)(q[1] | 0x20);
	if (*enc != 'b' && *enc != 'q')
		return 0;
	t = q + 3;
	for (q = t; q + 1 < end && !(q[0] == '?' && q[1] == '='); q++)
		if (*q == ' ' || *q == '\t')
			return 0;
	if (q + 1 >= end)
		return 0;
	memcpy(charset, p, n);
	charset[n] = '\0';
	if ((p = strchr(charset, '*')) != NULL)	/* RFC 2231 section 5 */
		charset[p - charset] = '\0';
	*text = t;
	*textlen = (size_t)(q - t);
	return (size_t)(q + 2 - s);
}

/* Convert what encoded words left pending and append it to OUT. */
static void
flush(struct buf *out, struct pending *pd)
{
	char *u;

	if (pd->bytes.len == 0)
		return;
	u = mime_to_utf8(pd->bytes.s, pd->bytes.len, pd->charset);
	buf_add(out, u, strlen(u));
	free(u);
	pd->bytes.len = 0;
}

/* Plain text between words: raw 8-bit bytes are guessed and reported. */
static void
plain(struct buf *out, const char *s, size_t n, const char **problem)
{
	char *u;
	size_t i;

	for (i = 0; i < n && (unsigned char)s[i] < 0x80; i++)
		;
	if (i == n) {
		buf_add(out, s, n);
		return;
	}
	*problem = "raw 8-bit bytes in a header without an RFC 2047 charset";
	u = mime_to_utf8(s, n, NULL);
	buf_add(out, u, strlen(u));
	free(u);
}

/* The unfolded value: line breaks dropped, tabs and controls blank. */
static char *
unfold(const char *raw, size_t len, size_t *outlen)
{
	char *s;
	size_t j = 0;

	if (len > MIME_WORDS_MAX)
		len = MIME_WORDS_MAX;
	if ((s = malloc(len + 1)) == NULL)
		log_fatalx("mime: out of memory");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)raw[i];

		if (c == '\r' || c == '\n' || c == '\0')
			continue;
		s[j++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
	}
	s[j] = '\0';
	*outlen = j;
	return s;
}

char *
mime_words_decode(const char *raw, size_t len, const char **problem)
{
	struct buf out = { NULL, 0, 0 };
	struct pending pd = { { NULL, 0, 0 }, "" };
	char charset[CHARSET_MAX], enc;
	const char *s, *end, *p, *run, *text;
	const char *after_word = NULL;	/* end of the last encoded word */
	size_t n, wlen, textlen;

	*problem = NULL;
	s = unfold(raw, len, &n);
	/* blanks around the value are folding, not text; inside words they stay */
	for (p = s; *p == ' '; p++)
		;
	end = s + n;
	while (end > p && end[-1] == ' ')
		end--;
	buf_add(&out, "", 0);
	for (run = p; p < end;) {
		if ((wlen = parse_word(p, end, charset, &enc, &text, &textlen)) == 0) {
			p++;
			continue;
		}
		/* only blanks since the last word: they go (RFC 2047 6.2) */
		if (run < p && !(after_word == run &&
		    strspn(run, " ") >= (size_t)(p - run))) {
			flush(&out, &pd);
			plain(&out, run, (size_t)(p - run), problem);
		}
		if (pd.bytes.len && strcasecmp(pd.charset, charset) != 0)
			flush(&out, &pd);
		memcpy(pd.charset, charset, sizeof(charset));
		if (enc == 'b')
			decode_b(&pd.bytes, text, textlen, problem);
		else
			decode_q(&pd.bytes, text, textlen, problem);
		p += wlen;
		run = after_word = p;
	}
	flush(&out, &pd);
	if (run < end)
		plain(&out, run, (size_t)(end - run), problem);
	free(pd.bytes.s);
	free((char *)s);
	return out.s;
}
