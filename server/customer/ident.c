/* ident: see ident.h. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "server/customer/ident.h"

#define LOCAL_MAX	64	/* RFC 5321 section 4.5.3.1.1 */
#define DOMAIN_MAX	253
#define LABEL_MAX	63

int
ident_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str, *end = s + len;

	while (s < end) {
		unsigned c = *s;
		size_t n;
		unsigned cp;

		if (c < 0x80) {
			s++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, cp = c & 0x07;
		else
			return 0;
		if ((size_t)(end - s) <= n)
			return 0;
		for (size_t i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		s += n + 1;
	}
	return 1;
}

/* Copy TEXT without surrounding white space into OUT; -1 if too long. */
static int
trim(const char *text, char *out, size_t outlen)
{
	const char *end;

	while (*text && isspace((unsigned char)*text))
		text++;
	end = text + strlen(text);
	while (end > text && isspace((unsigned char)end[-1]))
		end--;
	if ((size_t)(end - text) >= outlen)
		return -1;
	memmove(out, text, (size_t)(end - text));
	out[end - text] = '\0';
	return 0;
}

/* "Name" <addr>, Name <addr>: the address is what the angle brackets hold. */
static int
strip_display(char *s, const char **cause)
{
	char *lt, *gt;

	if ((lt = strrchr(s, '<')) == NULL) {
		if (strncasecmp(s, "mailto:", 7) == 0)
			memmove(s, s + 7, strlen(s + 7) + 1);
		return 0;
	}
	if ((gt = strchr(lt, '>')) == NULL || gt[1] != '\0') {
		*cause = "unbalanced angle brackets";
		return -1;
	}
	*gt = '\0';
	memmove(s, lt + 1, strlen(lt + 1) + 1);
	return trim(s, s, strlen(s) + 1);
}

static int
local_ok(const char *s, size_t len)
{
	static const char special[] = "!#$%&'*+/=?^_`{|}~.-";

	if (len == 0 || len > LOCAL_MAX || s[0] == '.' || s[len - 1] == '.')
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '.' && s[i + 1] == '.')
			return 0;
		if (!isalnum(c) && c < 0x80 && strchr(special, c) == NULL)
			return 0;
	}
	return 1;
}

/* Dot-separated labels of letters, digits and inner hyphens (RFC 1035). */
static int
domain_ok(const char *s, size_t len)
{
	size_t label = 0, labels = 1;

	if (len == 0 || len > DOMAIN_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return 0;
			label = 0;
			labels++;
			continue;
		}
		if (!isalnum(c) && c != '-' && c < 0x80)
			return 0;
		if ((c == '-' && label == 0) || ++label > LABEL_MAX)
			return 0;
	}
	return label > 0 && s[len - 1] != '-' && labels >= 2;
}

int
ident_email(const char *text, char *out, size_t outlen, const char **cause)
{
	char buf[IDENT_EMAIL_INPUT_MAX + 1];
	const char *at;

	if (strlen(text) > IDENT_EMAIL_INPUT_MAX || trim(text, buf, sizeof(buf)) == -1) {
		*cause = "email address too long";
		return -1;
	}
	if (!ident_utf8_valid(buf, strlen(buf))) {
		*cause = "email address is not valid UTF-8";
		return -1;
	}
	if (strip_display(buf, cause) == -1)
		return -1;
	if (buf[0] == '\0') {
		*cause = "empty email address";
		return -1;
	}
	if ((at = strchr(buf, '@')) == NULL || strchr(at + 1, '@') != NULL) {
		*cause = "an email address needs exactly one '@'";
		return -1;
	}
	if (!local_ok(buf, (size_t)(at - buf))) {
		*cause = "bad local part in the email address";
		return -1;
	}
	if (!domain_ok(at + 1, strlen(at + 1))) {
		*cause = "bad domain in the email address";
		return -1;
	}
	if (strlen(buf) >= outlen || strlen(buf) >= IDENT_EMAIL_MAX) {
		*cause = "email address too long";
		return -1;
	}
	for (size_t i = 0; buf[i]; i++)
		out[i] = (char)tolower((unsigned char)buf[i]);
	out[strlen(buf)] = '\0';
	return 0;
}

int
ident_ext(const char *scheme, const char *value, char *sout, size_t soutlen,
    char *vout, size_t voutlen, const char **cause)
{
	char s[IDENT_SCHEME_MAX], v[IDENT_VALUE_MAX];
	size_t n = 0;

	if (trim(scheme, s, sizeof(s)) == -1 || strlen(s) >= soutlen) {
		*cause = "external id scheme too long";
		return -1;
	}
	if (s[0] == '\0') {
		*cause = "external id without a scheme";
		return -1;
	}
	for (size_t i = 0; s[i]; i++) {
		if (!isalnum((unsigned char)s[i]) && strchr("_-.", s[i]) == NULL) {
			*cause = "external id scheme may hold only letters, digits, '_', '-', '.'";
			return -1;
		}
		sout[i] = (char)tolower((unsigned char)s[i]);
	}
	sout[strlen(s)] = '\0';
	if (strlen(value) >= sizeof(v) || trim(value, v, sizeof(v)) == -1) {
		*cause = "external id value too long";
		return -1;
	}
	if (!ident_utf8_valid(v, strlen(v))) {
		*cause = "external id value is not valid UTF-8";
		return -1;
	}
	for (size_t i = 0; v[i]; i++) {
		unsigned char c = (unsigned char)v[i];
		if (isspace(c))
			continue;	/* "AB 123 456" is "AB123456" */
		if (c < 0x20 || c == 0x7f || c == ';') {
			*cause = "control character or ';' in an external id value";
			return -1;
		}
		if (n + 1 >= voutlen) {
			*cause = "external id value too long";
			return -1;
		}
		vout[n++] = (char)toupper(c);
	}
	vout[n] = '\0';
	if (n == 0) {
		*cause = "external id without a value";
		return -1;
	}
	return 0;
}

int
ident_ext_parse(const char *text, char *sout, size_t soutlen, char *vout,
    size_t voutlen, const char **cause)
{
	char scheme[IDENT_SCHEME_MAX];
	const char *colon = strchr(text, ':');

	if (colon == NULL) {
		*cause = "external id must be written scheme:value";
		return -1;
	}
	if ((size_t)(colon - text) >= sizeof(scheme)) {
		*cause = "external id scheme too long";
		return -1;
	}
	memcpy(scheme, text, (size_t)(colon - text));
	scheme[colon - text] = '\0';
	return ident_ext(scheme, colon + 1, sout, soutlen, vout, voutlen, cause);
}
