/* mime_check: see mime_check.h. */
#define _GNU_SOURCE		/* memmem */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "channels/mime_check.h"

/* The header names a complaint about 8-bit bytes can name. */
static const struct { const char *name, *why; } eight_bit[] = {
	{ "subject", "raw 8-bit bytes in the Subject header without a charset" },
	{ "from", "raw 8-bit bytes in the From header without a charset" },
	{ "to", "raw 8-bit bytes in the To header without a charset" },
	{ "cc", "raw 8-bit bytes in the Cc header without a charset" },
	{ NULL, "raw 8-bit bytes in a header without a charset" },
};

static void
check_lines(const char *raw, size_t len, mime_check_fn *add, void *arg)
{
	const char *p = raw, *end = raw + len, *nl;

	for (; p < end; p = nl + 1) {
		size_t n;

		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		n = (size_t)(nl - p);
		if (n && p[n - 1] == '\r')
			n--;
		if (n > MIME_CHECK_LINE_MAX) {
			add(arg, "a line longer than 998 octets (RFC 5322 2.1.1)");
			return;
		}
	}
}

/* The name of the header field that starts at LINE (N bytes), lowercased. */
static void
field_name(const char *line, size_t n, char *out, size_t outlen)
{
	size_t i;

	for (i = 0; i < n && i + 1 < outlen && line[i] != ':' &&
	    line[i] != ' ' && line[i] != '\t'; i++)
		out[i] = (char)(line[i] >= 'A' && line[i] <= 'Z' ?
		    line[i] + 32 : line[i]);
	out[i] = '\0';
}

static int
has_8bit(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 1;
	return 0;
}

static void
complain_8bit(const char *name, mime_check_fn *add, void *arg)
{
	size_t i;

	for (i = 0; eight_bit[i].name && strcmp(eight_bit[i].name, name); i++)
		;
	add(arg, eight_bit[i].why);
}

void
mime_check_raw(const char *raw, size_t len, mime_check_fn *add, void *arg)
{
	const char *p = raw, *end = raw + len, *nl;
	char name[64] = "", field[64];
	int version = 0, mime = 0;

	check_lines(raw, len, add, arg);
	for (; p < end; p = nl + 1) {
		size_t n;

		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		n = (size_t)(nl - p);
		if (n && p[n - 1] == '\r')
			n--;
		if (n == 0)
			break;		/* the end of the header block */
		if (*p != ' ' && *p != '\t') {
			field_name(p, n, field, sizeof(field));
			memcpy(name, field, sizeof(name));
			version |= !strcmp(name, "mime-version");
			mime |= !strcmp(name, "content-type") ||
			    !strcmp(name, "content-transfer-encoding");
		}
		if (has_8bit(p, n))
			complain_8bit(name, add, arg);
	}
	if (mime && !version)
		add(arg, "MIME headers without MIME-Version (RFC 2045 section 4)");
}

/* A delimiter line: "--BOUNDARY" at the start of a line. */
static const char *
find_delimiter(const char *raw, size_t len, const char *d, size_t dlen)
{
	const char *p = raw, *end = raw + len, *hit;

	while (p < end && (hit = memmem(p, (size_t)(end - p), d, dlen))) {
		if (hit == raw || hit[-1] == '\n')
			return hit;
		p = hit + 1;
	}
	return NULL;
}

const char *
mime_check_boundary(const char *raw, size_t len, const char *boundary)
{
	char d[128];
	size_t n = strlen(boundary);
	const char *p, *end = raw + len;

	if (n == 0 || n > 100)
		return "a multipart boundary longer than 70 characters";
	snprintf(d, sizeof(d), "--%s", boundary);
	if ((p = find_delimiter(raw, len, d, n + 2)) == NULL)
		return "a multipart whose boundary never appears";
	do {
		p += n + 2;
		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			return NULL;
	} while ((p = find_delimiter(p, (size_t)(end - p), d, n + 2)) != NULL);
	return "a multipart without its closing boundary";
}

int
mime_check_base64(const unsigned char *s, size_t len)
{
	size_t data = 0, pad = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad || !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '/'))
			return -1;	/* data after padding, or not base64 */
		data++;
	}
	if (data % 4 == 1 || pad > 2 || (pad && (data + pad) % 4 != 0))
		return -1;
	return 0;
}
