/* form_parse: see form_parse.h. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "channels/form_parse.h"
#include "channels/mime.h"

static char *
xmemdup(const char *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s == NULL)
		abort();
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

enum form_enc
form_parse_enc(const char *ctype)
{
	size_t n;

	if (ctype == NULL)
		return FORM_ENC_UNKNOWN;
	ctype += strspn(ctype, " \t");
	n = strcspn(ctype, "; \t");
	if (n == 33 && strncasecmp(ctype, "application/x-www-form-urlencoded", n) == 0)
		return FORM_ENC_URLENCODED;
	if (n == 16 && strncasecmp(ctype, "application/json", n) == 0)
		return FORM_ENC_JSON;
	if (n == 19 && strncasecmp(ctype, "multipart/form-data", n) == 0)
		return FORM_ENC_MULTIPART;
	return FORM_ENC_UNKNOWN;
}

const char *
form_parse_get(const struct form_data *fd, const char *name, size_t *len)
{
	for (int i = 0; i < fd->nv; i++)
		if (strcmp(fd->v[i].name, name) == 0) {
			if (len)
				*len = fd->v[i].len;
			return fd->v[i].value;
		}
	return NULL;
}

static int
form_parse_add(struct form_data *fd, const char *name, size_t nlen,
    const char *value, size_t vlen, const char **cause)
{
	char *n;

	if (nlen == 0 || nlen > FORM_PARSE_MAX_NAME || memchr(name, '\0', nlen)) {
		*cause = "a field name is empty, too long or has a NUL";
		return 400;
	}
	if (fd->nv == FORM_PARSE_MAX_VALUES) {
		*cause = "too many fields";
		return 413;
	}
	n = xmemdup(name, nlen);
	/* A repeated name would let one copy pass the checks and the other be
	 * used (a honeypot sent empty and filled): refuse the ambiguity. */
	if (form_parse_get(fd, n, NULL) != NULL) {
		free(n);
		*cause = "a field is given more than once";
		return 400;
	}
	fd->v[fd->nv].name = n;
	fd->v[fd->nv].value = xmemdup(value, vlen);
	fd->v[fd->nv++].len = vlen;
	return 0;
}

int
form_parse_add_file(struct form_data *fd, const char *field, const char *name,
    const char *type, char *data, size_t size, const char **cause)
{
	struct form_file *f;

	if (fd->nf == FORM_PARSE_MAX_FILES) {
		free(data);
		*cause = "too many files";
		return 413;
	}
	f = &fd->f[fd->nf++];
	f->field = xmemdup(field, strlen(field));
	f->name = xmemdup(name ? name : "", name ? strlen(name) : 0);
	f->type = xmemdup(type ? type : "application/octet-stream",
	    strlen(type ? type : "application/octet-stream"));
	f->data = data;
	f->size = size;
	return 0;
}

void
form_parse_free(struct form_data *fd)
{
	for (int i = 0; i < fd->nv; i++) {
		free(fd->v[i].name);
		free(fd->v[i].value);
	}
	for (int i = 0; i < fd->nf; i++) {
		free(fd->f[i].field);
		free(fd->f[i].name);
		free(fd->f[i].type);
		free(fd->f[i].data);
	}
	fd->nv = fd->nf = 0;
}

/* RFC 3629: no overlongs, no surrogates, nothing past U+10FFFF. */
int
form_parse_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str, *end = s + len;

	while (s < end) {
		unsigned c = *s++, n, cp, min;

		if (c == 0)
			return 0;
		if (c < 0x80)
			continue;
		if ((c & 0xe0) == 0xc0) { n = 1; cp = c & 0x1f; min = 0x80; }
		else if ((c & 0xf0) == 0xe0) { n = 2; cp = c & 0x0f; min = 0x800; }
		else if ((c & 0xf8) == 0xf0) { n = 3; cp = c & 0x07; min = 0x10000; }
		else
			return 0;
		if ((size_t)(end - s) < n)
			return 0;
		for (unsigned i = 0; i < n; i++, s++) {
			if ((*s & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (*s & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
	}
	return 1;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decode S[0..N) in place ('+' is a space, %XX a byte); the new length,
 * or -1 on a broken escape. */
static long
urldecode(char *s, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '+')
			s[o++] = ' ';
		else if (s[i] != '%')
			s[o++] = s[i];
		else {
			int hi, lo;
			if (i + 2 >= n)
				return -1;
			if ((hi = hexval((unsigned char)s[i + 1])) < 0 ||
			    (lo = hexval((unsigned char)s[i + 2])) < 0)
				return -1;
			s[o++] = (char)(hi << 4 | lo);
			i += 2;
		}
	}
	return (long)o;
}

/* One "name=value" pair of S[0..N), decoded into FD. */
static int
urlencoded_pair(struct form_data *fd, char *s, size_t n, const char **cause)
{
	char *eq = memchr(s, '=', n);
	size_t nl = eq ? (size_t)(eq - s) : n;
	size_t vl = eq ? n - nl - 1 : 0;
	long dn, dv;

	if ((dn = urldecode(s, nl)) < 0 || (dv = eq ? urldecode(eq + 1, vl) : 0) < 0) {
		*cause = "a broken %-escape in the form body";
		return 400;
	}
	return form_parse_add(fd, s, (size_t)dn, eq ? eq + 1 : "", (size_t)dv, cause);
}

static int
parse_urlencoded(const char *body, size_t len, struct form_data *fd,
    const char **cause)
{
	char *buf = xmemdup(body, len), *p = buf, *end = buf + len;
	int rc = 0;

	while (p < end && rc == 0) {
		char *amp = memchr(p, '&', (size_t)(end - p));
		size_t n = amp ? (size_t)(amp - p) : (size_t)(end - p);

		if (n > 0)
			rc = urlencoded_pair(fd, p, n, cause);
		p += n + 1;
	}
	free(buf);
	return rc;
}

/* Refuse deep nesting before jansson builds it. */
static int
json_depth_ok(const char *s, size_t len)
{
	int depth = 0, instr = 0;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (instr) {
			if (c == '\\')
				i++;
			else if (c == '"')
				instr = 0;
		} else if (c == '"')
			instr = 1;
		else if (c == '{' || c == '[') {
			if (++depth > FORM_PARSE_MAX_DEPTH)
				return 0;
		} else if (c == '}' || c == ']')
			depth--;
	}
	return 1;
}

/* Standard base64 (RFC 4648 section 4), whole quanta only. */
static char *
base64_decode(const char *s, size_t len, size_t *out)
{
	unsigned char *buf;
	int n;
	size_t pad = 0;

	if (len % 4 != 0 || len > (size_t)1 << 30)
		return NULL;
	if ((buf = malloc(len / 4 * 3 + 1)) == NULL)
		abort();
	if ((n = EVP_DecodeBlock(buf, (const unsigned char *)s, (int)len)) < 0) {
		free(buf);
		return NULL;
	}
	if (len && s[len - 1] == '=')
		pad++;
	if (len > 1 && s[len - 2] == '=')
		pad++;
	*out = (size_t)n - pad;
	return (char *)buf;
}

/* "attachments": [{"name":..,"type":..,"data":"<base64>"}, ...] */
static int
json_files(struct form_data *fd, json_t *arr, const char **cause)
{
	size_t i;
	json_t *a;

	if (!json_is_array(arr)) {
		*cause = "attachments must be an array";
		return 400;
	}
	json_array_foreach(arr, i, a) {
		const char *name = NULL, *type = NULL, *data = NULL;
		size_t dlen = 0, size;
		char *bytes;
		int rc;

		if (json_unpack(a, "{s?s, s?s, s:s%}", "name", &name, "type",
		    &type, "data", &data, &dlen) == -1) {
			*cause = "an attachment is {\"name\",\"type\",\"data\"} with data in base64";
			return 400;
		}
		if ((bytes = base64_decode(data, dlen, &size)) == NULL) {
			*cause = "an attachment's data is not valid base64";
			return 400;
		}
		if ((rc = form_parse_add_file(fd, "attachments", name, type, bytes,
		    size, cause)) != 0)
			return rc;
	}
	return 0;
}

/* One member of the top-level object: a scalar becomes text. */
static int
json_member(struct form_data *fd, const char *key, json_t *v,
    const char **cause)
{
	char num[64];

	switch (json_typeof(v)) {
	case JSON_STRING:
		return form_parse_add(fd, key, strlen(key), json_string_value(v),
		    json_string_length(v), cause);
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		snprintf(num, sizeof(num), "%.17g", json_real_value(v));
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		snprintf(num, sizeof(num), "%s", json_is_true(v) ? "yes" : "no");
		break;
	case JSON_NULL:
		return 0;
	default:
		if (strcmp(key, "attachments") == 0)
			return json_files(fd, v, cause);
		*cause = "a field's value must be a string, number or boolean";
		return 400;
	}
	return form_parse_add(fd, key, strlen(key), num, strlen(num), cause);
}

static int
parse_json(const char *body, size_t len, struct form_data *fd,
    const char **cause)
{
	json_error_t e;
	json_t *root, *v;
	const char *key;
	int rc = 0;

	if (!json_depth_ok(body, len)) {
		*cause = "JSON nested too deeply";
		return 400;
	}
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &e);
	if (root == NULL) {
		*cause = "the body is not valid JSON";
		return 400;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		*cause = "the body must be a JSON object";
		return 400;
	}
	json_object_foreach(root, key, v) {
		if ((rc = json_member(fd, key, v, cause)) != 0)
			break;
	}
	json_decref(root);
	return rc;
}

/* A part of a multipart body (mime.c, the only user of GMime): a value,
 * or a file, whose bytes the form keeps. */
static int
on_part(const struct mime_form_part *p, void *arg, const char **cause)
{
	struct form_data *fd = arg;
	int rc;

	if (p->filename == NULL) {
		rc = form_parse_add(fd, p->name, strlen(p->name), p->data, p->size, cause);
		free(p->data);
		return rc;
	}
	return form_parse_add_file(fd, p->name, p->filename, p->type, p->data,
	    p->size, cause);
}

static int
multipart(const char *ctype, const char *body, size_t len,
    struct form_data *fd, const char **cause)
{
	memset(fd, 0, sizeof(*fd));
	return mime_form_parts(ctype, body, len,
	    FORM_PARSE_MAX_VALUES + FORM_PARSE_MAX_FILES, on_part, fd, cause);
}

int
form_parse(const char *ctype, const char *body, size_t len,
    struct form_data *fd, const char **cause)
{
	memset(fd, 0, sizeof(*fd));
	switch (form_parse_enc(ctype)) {
	case FORM_ENC_URLENCODED:
		return parse_urlencoded(body, len, fd, cause);
	case FORM_ENC_JSON:
		return parse_json(body, len, fd, cause);
	case FORM_ENC_MULTIPART:
		return multipart(ctype, body, len, fd, cause);
	default:
		*cause = "send application/x-www-form-urlencoded, "
		    "multipart/form-data or application/json";
		return 415;
	}
}
