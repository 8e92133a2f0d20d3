/* mime: see mime.h. */
#define _GNU_SOURCE		/* memmem */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>
#include <libxml/parser.h>

#include "channels/mime.h"
#include "channels/mime_check.h"
#include "channels/mime_words.h"
#include "server/core/log.h"

/* Raw 8-bit headers in the wild (DEPENDENCIES.md): tried in this order. */
static const char *fallbacks[] = { "utf-8", "windows-1251", "koi8-u",
    "gb18030", "iso-8859-1", NULL };

struct walk {
	struct mime_msg *m;
	size_t max_att;
	const char *raw;	/* the message, for the boundary checks */
	size_t len;
	int related;		/* inside multipart/related: cid: parts */
	const char *outer[MIME_MAX_DEPTH];	/* the enclosing boundaries */
	int nouter;
	char *text;		/* inline text/plain parts, joined */
	size_t textlen;
	char *html;		/* the first inline text/html, as UTF-8 */
};

/* GMime's warnings, said after our own more precise complaints. */
struct warnings {
	struct mime_msg *m;
	const char *what[MIME_MAX_PROBLEMS];
	int n;
};

static char *
xstrdup(const char *s)
{
	char *p = strdup(s ? s : "");

	if (p == NULL)
		log_fatalx("mime: out of memory");
	return p;
}

static char *
xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (p == NULL)
		log_fatalx("mime: out of memory");
	return p;
}

/* The mail channel and the web forms both use GMime: count the users. */
static int users;

void
mime_init(void)
{
	if (users++ > 0)
		return;
	g_mime_init();
	xmlInitParser();
}

void
mime_shutdown(void)
{
	if (users == 0 || --users > 0)
		return;
	g_mime_shutdown();
	xmlCleanupParser();
}

/* Drop NULs and CRs before LF, cut at MIME_MAX_TEXT on a character
 * boundary. */
static char *
clean_utf8(char *s, size_t len)
{
	size_t i, j;

	for (i = j = 0; i < len; i++)
		if (s[i] != '\0' && !(s[i] == '\r' && s[i + 1] == '\n'))
			s[j++] = s[i];
	if (j > MIME_MAX_TEXT) {
		j = MIME_MAX_TEXT;
		while (j > 0 && ((unsigned char)s[j] & 0xc0) == 0x80)
			j--;
	}
	s[j] = '\0';
	return s;
}

/*
 * Guess an undeclared 8-bit charset. Cyrillic letters sit in 0xC0-0xFF in
 * both windows-1251 and KOI8 but with the cases swapped, and ordinary text
 * is mostly lower case; GB2312 pairs have many bytes in 0xA1-0xBF.
 */
static const char *
guess_charset(const unsigned char *s, size_t len)
{
	size_t hi = 0, c0df = 0, e0ff = 0, a1bf = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] < 0x80)
			continue;
		hi++;
		if (s[i] >= 0xc0 && s[i] <= 0xdf)
			c0df++;
		else if (s[i] >= 0xe0)
			e0ff++;
		else if (s[i] >= 0xa1)
			a1bf++;
	}
	if (hi && a1bf * 5 > hi)
		return "gb18030";
	return c0df > e0ff ? "koi8-u" : "windows-1251";
}

static char *
convert(const char *s, size_t len, const char *from)
{
	gsize written = 0;
	char *g, *out;

	g = g_convert(s, (gssize)len, "UTF-8", from, NULL, &written, NULL);
	if (g == NULL)
		return NULL;
	if (!g_utf8_validate(g, (gssize)written, NULL)) {
		g_free(g);
		return NULL;
	}
	out = xstrndup(g, written);
	g_free(g);
	return out;
}

/* GB2312 and GBK text often uses characters only GB18030 has. */
static const char *
wider(const char *charset)
{
	const char *name = g_mime_charset_iconv_name(charset);

	if (!g_ascii_strcasecmp(charset, "gb2312") ||
	    !g_ascii_strcasecmp(charset, "gbk") ||
	    !g_ascii_strcasecmp(charset, "x-gbk") ||
	    !g_ascii_strcasecmp(charset, "euc-cn"))
		return "GB18030";
	if (!g_ascii_strcasecmp(charset, "big5"))
		return "BIG5-HKSCS";
	return name;
}

/*
 * LEN bytes in a declared charset, each undecodable byte as U+FFFD (never
 * "?": a person must see that something was lost). NULL when iconv does
 * not know the charset.
 */
static char *
convert_lossy(const char *s, size_t len, const char *from)
{
	GIConv cd = g_iconv_open("UTF-8", from);
	GString *out;
	char buf[1024], *in = (char *)s;
	gsize left = len;

	if (cd == (GIConv)-1)
		return NULL;
	out = g_string_sized_new(len + 16);
	while (left > 0) {
		char *o = buf;
		gsize room = sizeof(buf);
		gsize rc = g_iconv(cd, &in, &left, &o, &room);

		g_string_append_len(out, buf, (gssize)(o - buf));
		if (rc == (gsize)-1 && errno != E2BIG) {
			g_string_append(out, "\xef\xbf\xbd");
			in++, left--;
			g_iconv(cd, NULL, NULL, NULL, NULL);
		}
	}
	g_iconv_close(cd);
	return g_string_free(out, FALSE);
}

/* A glib string as one of ours (malloc'd). */
static char *
from_glib(char *g)
{
	char *s = xstrdup(g);

	g_free(g);
	return s;
}

static int
is_utf8_name(const char *charset)
{
	return !g_ascii_strcasecmp(charset, "utf-8") ||
	    !g_ascii_strcasecmp(charset, "utf8");
}

/* The declared charset decides; without one, UTF-8, a guess, Latin-1. */
static char *
to_utf8(const char *s, size_t len, const char *charset)
{
	char *out;

	if (charset && *charset && g_ascii_strcasecmp(charset, "us-ascii")) {
		if (is_utf8_name(charset))
			return from_glib(g_utf8_make_valid(s, (gssize)len));
		if ((out = convert_lossy(s, len, wider(charset))) != NULL)
			return from_glib(out);
	}
	if (g_utf8_validate(s, (gssize)len, NULL))
		return xstrndup(s, len);
	if ((out = convert(s, len, guess_charset((const unsigned char *)s,
	    len))) != NULL)
		return out;
	if ((out = convert(s, len, "windows-1252")) == NULL &&
	    (out = convert(s, len, "iso-8859-1")) == NULL)
		log_fatalx("mime: iconv cannot convert from iso-8859-1");
	return out;
}

char *
mime_to_utf8(const char *s, size_t len, const char *charset)
{
	char *copy, *out;
	size_t n = 0;

	/* NULs end C strings early and have no place in text */
	if ((copy = malloc(len + 1)) == NULL)
		log_fatalx("mime: out of memory");
	for (size_t i = 0; i < len; i++)
		if (s[i] != '\0')
			copy[n++] = s[i];
	copy[n] = '\0';
	out = to_utf8(copy, n, charset);
	free(copy);
	return clean_utf8(out, strlen(out));
}

/* Note a complaint WHY (static text) once; the first ones are kept. */
static void
add_problem(struct mime_msg *m, const char *why)
{
	m->malformed = 1;
	for (int i = 0; i < m->nproblems; i++)
		if (strcmp(m->problems[i], why) == 0)
			return;
	if (m->nproblems < MIME_MAX_PROBLEMS)
		m->problems[m->nproblems++] = why;
}

/* The complaints as one line for the ticket: "a; b". */
static void
join_problems(struct mime_msg *m)
{
	GString *g;

	if (m->nproblems == 0)
		return;
	g = g_string_new(m->problems[0]);
	for (int i = 1; i < m->nproblems; i++)
		g_string_append_printf(g, "; %s", m->problems[i]);
	m->problem = from_glib(g_string_free(g, FALSE));
}

static void
on_warning(gint64 offset, GMimeParserWarning code, const gchar *item,
    gpointer arg)
{
	struct warnings *wr = arg;
	const char *what;

	switch (code) {
	case GMIME_WARN_MALFORMED_MULTIPART: what = "malformed multipart"; break;
	case GMIME_WARN_TRUNCATED_MESSAGE: what = "truncated message"; break;
	case GMIME_WARN_MALFORMED_MESSAGE: what = "malformed message"; break;
	case GMIME_CRIT_INVALID_HEADER_NAME: what = "invalid header name"; break;
	case GMIME_CRIT_CONFLICTING_HEADER: what = "conflicting headers"; break;
	case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
		what = "multipart without boundary";
		break;
	case GMIME_CRIT_NESTING_OVERFLOW: what = "MIME nesting too deep"; break;
	case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
		what = "part without headers or content";
		break;
	default:
		return;		/* harmless, or repaired by the fallbacks */
	}
	for (int i = 0; i < wr->n; i++)
		if (strcmp(wr->what[i], what) == 0)
			return;
	if (wr->n < MIME_MAX_PROBLEMS)
		wr->what[wr->n++] = what;
}

/* RFC 2045 6.8: GMime decodes broken base64 quietly; say so. */
static void
check_base64(struct walk *w, GMimeDataWrapper *dw)
{
	GMimeStream *raw = g_mime_data_wrapper_get_stream(dw);
	GMimeStream *copy;
	GByteArray *ba;

	if (g_mime_data_wrapper_get_encoding(dw) != GMIME_CONTENT_ENCODING_BASE64 ||
	    raw == NULL)
		return;
	copy = g_mime_stream_mem_new();
	g_mime_stream_reset(raw);
	g_mime_stream_write_to_stream(raw, copy);
	g_mime_stream_reset(raw);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(copy));
	if (mime_check_base64(ba->data, ba->len) == -1)
		add_problem(w->m, "invalid base64 in a part");
	g_object_unref(copy);
}

/* The decoded content of a leaf part (transfer encoding undone). */
static GByteArray *
part_bytes(struct walk *w, GMimePart *part)
{
	GMimeDataWrapper *dw = g_mime_part_get_content(part);
	GMimeStream *out;
	GByteArray *ba, *mem;

	if (dw == NULL)
		return NULL;
	check_base64(w, dw);
	out = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(dw, out);
	mem = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));
	ba = g_byte_array_new();
	g_byte_array_append(ba, mem->data, mem->len);
	g_object_unref(out);
	return ba;
}

/* The text of a part as UTF-8; format=flowed re-joined (RFC 3676). */
static char *
part_text(struct walk *w, GMimePart *part)
{
	GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(part));
	GByteArray *ba = part_bytes(w, part);
	const char *format = g_mime_content_type_get_parameter(ct, "format");
	const char *delsp = g_mime_content_type_get_parameter(ct, "delsp");
	char *s, *f;

	if (ba == NULL)
		return xstrdup("");
	s = mime_to_utf8((const char *)ba->data, ba->len,
	    g_mime_content_type_get_parameter(ct, "charset"));
	g_byte_array_free(ba, TRUE);
	if (format && !g_ascii_strcasecmp(format, "flowed") &&
	    g_mime_content_type_is_type(ct, "text", "plain")) {
		f = mime_flowed_text(s, delsp && !g_ascii_strcasecmp(delsp, "yes"));
		free(s);
		s = f;
	}
	return s;
}

static void
keep_att(struct walk *w, const char *name, const char *type,
    const unsigned char *data, size_t size)
{
	struct mime_att *a;

	if (w->m->natt == MIME_MAX_ATT || size > w->max_att) {
		w->m->att_dropped++;
		return;
	}
	a = &w->m->att[w->m->natt++];
	a->name = xstrdup(name);
	a->type = xstrdup(type);
	if ((a->data = malloc(size ? size : 1)) == NULL)
		log_fatalx("mime: out of memory");
	if (size)
		memcpy(a->data, data, size);
	a->size = size;
}

static void
add_text(struct walk *w, char *s)
{
	size_t n = strlen(s);

	if (w->textlen + n + 2 > MIME_MAX_TEXT) {
		free(s);
		return;
	}
	if ((w->text = realloc(w->text, w->textlen + n + 2)) == NULL)
		log_fatalx("mime: out of memory");
	if (w->textlen)
		w->text[w->textlen++] = '\n';
	memcpy(w->text + w->textlen, s, n + 1);
	w->textlen += n;
	free(s);
}

/* Message-ID from the returned headers of a bounce (text/rfc822-headers). */
static char *
scan_msgid(const char *s, size_t len)
{
	const char *p = s, *end, *lt, *gt;

	if (s == NULL || len == 0)
		return NULL;
	end = s + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if ((n > 11 && !g_ascii_strncasecmp(p, "Message-ID:", 11)) ||
		    (n > 20 && !g_ascii_strncasecmp(p, "Original-Message-ID:", 20))) {
			lt = memchr(p, '<', n);
			gt = lt ? memchr(lt, '>', n - (size_t)(lt - p)) : NULL;
			if (lt && gt)
				return xstrndup(lt, (size_t)(gt - lt + 1));
		}
		p += n + 1;
	}
	return NULL;
}

static char *
bracket(const char *id)
{
	char *s;

	if (id == NULL || *id == '\0')
		return NULL;
	if ((s = g_strdup_printf("<%s>", id)) == NULL)
		log_fatalx("mime: out of memory");
	{
		char *r = xstrdup(s);
		g_free(s);
		return r;
	}
}

/* PARAM="value" (or a token) of header NAME as received, malloc'd. */
static char *
raw_param(GMimeObject *o, const char *name, const char *param)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(o);
	GMimeHeader *h = hl ? g_mime_header_list_get_header(hl, name) : NULL;
	const char *v = h ? g_mime_header_get_raw_value(h) : NULL, *p, *e;
	size_t n = strlen(param);

	for (p = v; p && (p = strcasestr(p, param)) != NULL; p += n) {
		if ((p > v && p[-1] != ';' && p[-1] != ' ' && p[-1] != '\t' &&
		    p[-1] != '\n') || p[n] != '=')
			continue;
		p += n + 1;
		if (*p == '"')
			e = strchr(++p, '"');
		else
			e = p + strcspn(p, "; \t\r\n");
		return e ? xstrndup(p, (size_t)(e - p)) : NULL;
	}
	return NULL;
}

/* The file name: RFC 2047 words in it (Outlook writes them) decoded by
 * mime_words.c, as the Subject is; else GMime's reading (RFC 2231). */
static char *
file_name(GMimePart *part)
{
	GMimeObject *o = GMIME_OBJECT(part);
	const char *gname = g_mime_part_get_filename(part), *why;
	char *raw = raw_param(o, "Content-Disposition", "filename"), *s;

	if (raw == NULL)
		raw = raw_param(o, "Content-Type", "name");
	if (raw && strstr(raw, "=?")) {
		s = mime_words_decode(raw, strlen(raw), &why);
		free(raw);
		return s;
	}
	free(raw);
	return gname ? xstrdup(gname) : NULL;
}

/* An image the HTML shows by "cid:" (RFC 2392): inline, not attached. */
static int
is_inline(struct walk *w, GMimeObject *o, int attached)
{
	const char *cid = g_mime_object_get_content_id(o);
	char *ref;
	int hit;

	if (attached || cid == NULL || *cid == '\0')
		return 0;
	if (w->related)
		return 1;
	if (w->html == NULL)
		return 0;
	ref = g_strdup_printf("cid:%s", cid);
	hit = strstr(w->html, ref) != NULL;
	g_free(ref);
	return hit;
}

/* Text of the body unless disposed as an attachment (a file name alone
 * does not make one: mailers name inline text parts too). */
static int
is_body_text(GMimeContentType *ct, const char *sub, int attached)
{
	return !attached && g_mime_content_type_is_type(ct, "text", sub);
}

static void
leaf(struct walk *w, GMimePart *part)
{
	GMimeObject *o = GMIME_OBJECT(part);
	GMimeContentType *ct = g_mime_object_get_content_type(o);
	GMimeContentDisposition *cd = g_mime_object_get_content_disposition(o);
	int attached = cd && g_mime_content_disposition_is_attachment(cd);
	char *type = g_mime_content_type_get_mime_type(ct), *name;
	GByteArray *ba;

	if (is_body_text(ct, "plain", attached))
		add_text(w, part_text(w, part));
	else if (is_body_text(ct, "html", attached)) {
		if (w->html == NULL)
			w->html = part_text(w, part);
	} else if (g_mime_content_type_is_type(ct, "text", "rfc822-headers") ||
	    g_mime_content_type_is_type(ct, "message", "delivery-status")) {
		if (w->m->dsn && w->m->dsn_msgid == NULL &&
		    (ba = part_bytes(w, part)) != NULL) {
			w->m->dsn_msgid = scan_msgid((const char *)ba->data, ba->len);
			g_byte_array_free(ba, TRUE);
		}
	} else if (is_inline(w, o, attached)) {
		w->m->ninline++;
		if ((ba = part_bytes(w, part)) != NULL)	/* checks base64 */
			g_byte_array_free(ba, TRUE);
	} else if ((ba = part_bytes(w, part)) != NULL) {
		name = file_name(part);
		keep_att(w, name && *name ? name : "attachment", type, ba->data,
		    ba->len);
		free(name);
		g_byte_array_free(ba, TRUE);
	}
	g_free(type);
}

static void walk_object(struct walk *, GMimeObject *, int);
static void multipart(struct walk *, GMimeMultipart *, int);

/* A message inside: the bounced original of a DSN, or a forward. */
static void
inner_message(struct walk *w, GMimeMessagePart *mp, int depth)
{
	GMimeMessage *msg = g_mime_message_part_get_message(mp);
	GMimeStream *out;
	GByteArray *ba;

	if (msg == NULL)
		return;
	if (w->m->dsn) {
		if (w->m->dsn_msgid == NULL)
			w->m->dsn_msgid = bracket(g_mime_message_get_message_id(msg));
		return;
	}
	out = g_mime_stream_mem_new();
	g_mime_object_write_to_stream(GMIME_OBJECT(msg), NULL, out);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));
	keep_att(w, "message.eml", "message/rfc822", ba->data, ba->len);
	g_object_unref(out);
}

/* The parts in order; a boundary that never closes is said (GMime's own
 * warning for it, "truncated message", names the wrong thing). */
static void
multipart(struct walk *w, GMimeMultipart *mp, int depth)
{
	GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(mp));
	const char *b = g_mime_multipart_get_boundary(mp);
	const char *why;
	int n = g_mime_multipart_get_count(mp), related = w->related;

	if (b && (why = mime_check_boundary(w->raw, w->len, b)) != NULL)
		add_problem(w->m, why);
	/* RFC 2046 5.1.1: an inner boundary must not be an outer one's */
	for (int i = 0; b && i < w->nouter; i++)
		if (strcmp(w->outer[i], b) == 0)
			add_problem(w->m, "a nested multipart reuses an outer boundary");
	if (b && w->nouter < MIME_MAX_DEPTH)
		w->outer[w->nouter++] = b;
	w->related = g_mime_content_type_is_type(ct, "multipart", "related");
	for (int i = 0; i < n; i++)
		walk_object(w, g_mime_multipart_get_part(mp, i), depth + 1);
	w->related = related;
	if (b && w->nouter > 0 && w->outer[w->nouter - 1] == b)
		w->nouter--;
}

static void
walk_object(struct walk *w, GMimeObject *o, int depth)
{
	if (o == NULL)
		return;
	if (depth > MIME_MAX_DEPTH) {
		add_problem(w->m, "MIME nesting too deep");
		return;
	}
	if (GMIME_IS_MULTIPART(o))
		multipart(w, GMIME_MULTIPART(o), depth);
	else if (GMIME_IS_MESSAGE_PART(o))
		inner_message(w, GMIME_MESSAGE_PART(o), depth + 1);
	else if (GMIME_IS_PART(o))
		leaf(w, GMIME_PART(o));
}

static char *
first_addr(InternetAddressList *l, char **name)
{
	int n = l ? internet_address_list_length(l) : 0;

	for (int i = 0; i < n; i++) {
		InternetAddress *a = internet_address_list_get_address(l, i);

		if (INTERNET_ADDRESS_IS_MAILBOX(a)) {
			const char *addr = internet_address_mailbox_get_addr(
			    INTERNET_ADDRESS_MAILBOX(a));
			const char *nm = internet_address_get_name(a);

			if (name && nm && *nm)
				*name = xstrdup(nm);
			return addr && *addr ? g_ascii_strdown(addr, -1) : NULL;
		}
	}
	return NULL;
}

static void
addrs(InternetAddressList *l, char **out, int *nout, int depth)
{
	int n = l ? internet_address_list_length(l) : 0;

	for (int i = 0; i < n && *nout < MIME_MAX_ADDRS; i++) {
		InternetAddress *a = internet_address_list_get_address(l, i);

		if (INTERNET_ADDRESS_IS_MAILBOX(a)) {
			const char *s = internet_address_mailbox_get_addr(
			    INTERNET_ADDRESS_MAILBOX(a));
			if (s && *s) {
				char *g = g_ascii_strdown(s, -1);
				out[(*nout)++] = xstrdup(g);
				g_free(g);
			}
		} else if (INTERNET_ADDRESS_IS_GROUP(a) && depth < 2)
			addrs(internet_address_group_get_members(
			    INTERNET_ADDRESS_GROUP(a)), out, nout, depth + 1);
	}
}

static char *
header(GMimeObject *o, const char *name)
{
	const char *v = g_mime_object_get_header(o, name);

	return v ? xstrdup(v) : NULL;
}

static void
add_refs(struct mime_msg *m, GMimeParserOptions *opts, const char *text)
{
	GMimeReferences *r;

	if (text == NULL || (r = g_mime_references_parse(opts, text)) == NULL)
		return;
	for (int i = 0; i < g_mime_references_length(r) && m->nrefs < MIME_MAX_REFS; i++)
		m->refs[m->nrefs++] = bracket(g_mime_references_get_message_id(r, i));
	g_mime_references_free(r);
}

/* The value of header NAME as received (folded, encoded), or NULL. */
static const char *
raw_value(GMimeObject *o, const char *name)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(o);
	GMimeHeader *h = hl ? g_mime_header_list_get_header(hl, name) : NULL;

	return h ? g_mime_header_get_raw_value(h) : NULL;
}

/* The Subject decoded by mime_words.c, not GMime (see mime_words.h). */
static char *
subject(struct mime_msg *m, GMimeObject *o)
{
	const char *raw = raw_value(o, "Subject"), *why;
	char *s;

	if (raw == NULL)
		return xstrdup("");
	s = mime_words_decode(raw, strlen(raw), &why);
	/* raw 8-bit bytes: mime_check_raw names the header */
	if (why && strncmp(why, "raw 8-bit", 9) != 0)
		add_problem(m, why);
	return s;
}

/* A display name of encoded words or raw 8-bit text: ours beats GMime's
 * (the same base64 defect as the Subject's). */
static void
from_name(struct mime_msg *m, GMimeObject *o)
{
	const char *raw = raw_value(o, "From"), *lt, *why;
	char *s;
	size_t n;

	if (raw == NULL || (lt = strchr(raw, '<')) == NULL)
		return;
	n = (size_t)(lt - raw);
	if (g_strstr_len(raw, (gssize)n, "=?") == NULL &&
	    g_utf8_validate(raw, (gssize)n, NULL))
		return;
	s = mime_words_decode(raw, n, &why);
	g_strstrip(g_strdelimit(s, "\"", ' '));
	if (*s) {
		free(m->from_name);
		m->from_name = s;
	} else
		free(s);
}

/* No From, or no address in it: the envelope sender stands in, and a
 * person must see that nobody vouched for it. */
static void
check_from(struct mime_msg *m, GMimeObject *o)
{
	if (g_mime_object_get_header(o, "From") == NULL) {
		m->no_from = 1;
		add_problem(m, "no From header (the sender is unverified)");
	} else if (m->from_addr == NULL) {
		m->no_from = 1;
		add_problem(m, "no address in the From header (the sender is "
		    "unverified)");
	}
}

static void
headers(struct mime_msg *m, GMimeMessage *msg, GMimeParserOptions *opts)
{
	GMimeObject *o = GMIME_OBJECT(msg);
	char *g;

	m->subject = subject(m, o);
	if ((g = first_addr(g_mime_message_get_from(msg), &m->from_name))) {
		m->from_addr = xstrdup(g);
		g_free(g);
	}
	from_name(m, o);
	check_from(m, o);
	m->msgid = bracket(g_mime_message_get_message_id(msg));
	add_refs(m, opts, g_mime_object_get_header(o, "In-Reply-To"));
	add_refs(m, opts, g_mime_object_get_header(o, "References"));
	addrs(g_mime_message_get_to(msg), m->to, &m->nto, 0);
	addrs(g_mime_message_get_cc(msg), m->cc, &m->ncc, 0);
	m->noise.auto_submitted = header(o, "Auto-Submitted");
	m->noise.auto_suppress = header(o, "X-Auto-Response-Suppress");
	m->noise.precedence = header(o, "Precedence");
	m->noise.list_id = header(o, "List-Id");
	m->noise.list_unsubscribe = header(o, "List-Unsubscribe");
	m->noise.x_loop = header(o, "X-Loop");
	m->noise.return_path = header(o, "Return-Path");
	if ((m->noise.x_autoreply = header(o, "X-Autoreply")) == NULL)
		m->noise.x_autoreply = header(o, "X-Autorespond");
}

/* What follows the header block of RAW, or RAW itself. */
static const char *
raw_body(const char *raw, size_t len, size_t *blen)
{
	for (size_t i = 0; i + 1 < len; i++)
		if (raw[i] == '\n' && (raw[i + 1] == '\n' ||
		    (raw[i + 1] == '\r' && i + 2 < len && raw[i + 2] == '\n'))) {
			i += raw[i + 1] == '\n' ? 2 : 3;
			*blen = len - i;
			return raw + i;
		}
	*blen = len;
	return raw;
}

static void
body(struct mime_msg *m, GMimeMessage *msg, size_t max_att, const char *raw,
    size_t len, int warned)
{
	struct walk w = { .m = m, .max_att = max_att, .raw = raw, .len = len };
	GMimeObject *top = g_mime_message_get_mime_part(msg);
	GMimeContentType *ct = top ? g_mime_object_get_content_type(top) : NULL;
	const char *rt;

	if (ct && g_mime_content_type_is_type(ct, "multipart", "report") &&
	    (rt = g_mime_content_type_get_parameter(ct, "report-type")) &&
	    !g_ascii_strcasecmp(rt, "delivery-status"))
		m->dsn = 1;
	walk_object(&w, top, 0);
	if (w.text && (w.html == NULL || w.text[strspn(w.text, " \t\r\n")])) {
		m->text = w.text;
		free(w.html);
	} else if (w.html) {
		m->text = mime_html_text(w.html, strlen(w.html));
		m->html = 1;
		free(w.html);
		free(w.text);
	} else
		m->text = w.text ? w.text : xstrdup("");
	/* a broken structure hid the text: show the raw body to a person */
	if ((m->malformed || warned) &&
	    m->text[strspn(m->text, " \t\r\n")] == '\0') {
		const char *b = raw_body(raw, len, &len);

		free(m->text);
		m->text = mime_to_utf8(b, len, NULL);
	}
}

/* No structure at all: the whole message becomes the text. */
static void
unparsed(struct mime_msg *m, const char *raw, size_t len)
{
	add_problem(m, "not a MIME message");
	m->no_from = 1;		/* no header was read: nobody vouches */
	m->subject = xstrdup("");
	m->text = mime_to_utf8(raw, len, NULL);
}

static void
on_check(void *arg, const char *why)
{
	add_problem(arg, why);
}

/* GMime says "truncated message" for a multipart whose closing boundary
 * never came: the boundary check says it better (issue 12). */
static void
add_warnings(struct mime_msg *m, const struct warnings *wr)
{
	int boundary = 0;

	for (int i = 0; i < m->nproblems; i++)
		boundary |= strstr(m->problems[i], "boundary") != NULL;
	for (int i = 0; i < wr->n; i++)
		if (!boundary || strcmp(wr->what[i], "truncated message"))
			add_problem(m, wr->what[i]);
}

void
mime_parse(const char *raw, size_t len, size_t max_att, struct mime_msg *m)
{
	GMimeParserOptions *opts = g_mime_parser_options_new();
	struct warnings wr = { m, { NULL }, 0 };
	GMimeStream *in;
	GMimeParser *parser;
	GMimeMessage *msg;

	memset(m, 0, sizeof(*m));
	mime_check_raw(raw, len, on_check, m);
	g_mime_parser_options_set_fallback_charsets(opts, fallbacks);
	g_mime_parser_options_set_warning_callback(opts, on_warning, &wr);
	in = g_mime_stream_mem_new_with_buffer(raw, len);
	parser = g_mime_parser_new_with_stream(in);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	msg = g_mime_parser_construct_message(parser, opts);
	if (msg) {
		headers(m, msg, opts);
		body(m, msg, max_att, raw, len, wr.n > 0);
		g_object_unref(msg);
	} else
		unparsed(m, raw, len);
	add_warnings(m, &wr);
	join_problems(m);
	g_object_unref(parser);
	g_object_unref(in);
	g_mime_parser_options_free(opts);
}

void
mime_free(struct mime_msg *m)
{
	char **noise[] = { &m->noise.auto_submitted, &m->noise.auto_suppress,
	    &m->noise.precedence, &m->noise.list_id, &m->noise.list_unsubscribe,
	    &m->noise.x_loop, &m->noise.return_path, &m->noise.x_autoreply };

	free(m->subject);
	free(m->from_addr);
	free(m->from_name);
	free(m->msgid);
	for (int i = 0; i < m->nrefs; i++)
		free(m->refs[i]);
	for (int i = 0; i < m->nto; i++)
		free(m->to[i]);
	for (int i = 0; i < m->ncc; i++)
		free(m->cc[i]);
	free(m->text);
	for (int i = 0; i < m->natt; i++) {
		free(m->att[i].name);
		free(m->att[i].type);
		free(m->att[i].data);
	}
	for (size_t i = 0; i < sizeof(noise) / sizeof(noise[0]); i++)
		free(*noise[i]);
	free(m->dsn_msgid);
	free(m->problem);
	memset(m, 0, sizeof(*m));
}

/* --- multipart/form-data (RFC 7578), for the web forms ------------------ */

/* RFC 2046 section 5.1.1: a boundary is 1 to 70 characters; and the
 * closing delimiter must be there, or the body was cut short. */
static int
check_boundary(const char *boundary, const char *body, size_t len)
{
	char close[80];
	size_t n;

	if (boundary == NULL || (n = strlen(boundary)) == 0 || n > 70)
		return -1;
	snprintf(close, sizeof(close), "--%s--", boundary);
	return memmem(body, len, close, n + 4) ? 0 : -1;
}

/* The body as one MIME entity: our Content-Type line, a blank line, it. */
static GMimeObject *
form_construct(const char *ctype, const char *body, size_t len)
{
	static const char *const charsets[] = { "utf-8", NULL };
	GByteArray *ba = g_byte_array_sized_new((guint)(len + strlen(ctype) + 20));
	GMimeParserOptions *opts = g_mime_parser_options_new();
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeObject *obj;

	g_byte_array_append(ba, (const guint8 *)"Content-Type: ", 14);
	g_byte_array_append(ba, (const guint8 *)ctype, (guint)strlen(ctype));
	g_byte_array_append(ba, (const guint8 *)"\r\n\r\n", 4);
	g_byte_array_append(ba, (const guint8 *)body, (guint)len);
	stream = g_mime_stream_mem_new_with_byte_array(ba);
	g_mime_parser_options_set_fallback_charsets(opts, (const char **)charsets);
	parser = g_mime_parser_new_with_stream(stream);
	obj = g_mime_parser_construct_part(parser, opts);
	g_object_unref(parser);
	g_object_unref(stream);
	g_mime_parser_options_free(opts);
	return obj;
}

/* The decoded content of PART, malloc'd. */
static char *
form_part_bytes(GMimePart *part, size_t *size)
{
	GMimeDataWrapper *w = g_mime_part_get_content(part);
	GMimeStream *out = g_mime_stream_mem_new();
	GByteArray *ba;
	char *data;

	if (w)
		g_mime_data_wrapper_write_to_stream(w, out);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));
	*size = ba->len;
	if ((data = malloc(ba->len + 1)) == NULL)
		abort();
	if (ba->len)
		memcpy(data, ba->data, ba->len);
	data[ba->len] = '\0';
	g_object_unref(out);
	return data;
}

/* One part: a field, or a file when it has a file name. */
static int
form_part(GMimeObject *obj, mime_form_cb *cb, void *arg, const char **cause)
{
	GMimeContentDisposition *disp = g_mime_object_get_content_disposition(obj);
	struct mime_form_part p = { 0 };
	char *type = NULL;
	int rc;

	if (!GMIME_IS_PART(obj) || disp == NULL ||
	    g_ascii_strcasecmp(g_mime_content_disposition_get_disposition(disp),
	    "form-data") != 0 ||
	    (p.name = g_mime_content_disposition_get_parameter(disp, "name")) == NULL) {
		*cause = "every part must be Content-Disposition: form-data with a name";
		return 400;
	}
	p.filename = g_mime_content_disposition_get_parameter(disp, "filename");
	p.data = form_part_bytes(GMIME_PART(obj), &p.size);
	if (p.filename && *p.filename == '\0' && p.size == 0) {	/* a file input left empty */
		free(p.data);
		return 0;
	}
	if (p.filename)
		p.type = type = g_mime_content_type_get_mime_type(
		    g_mime_object_get_content_type(obj));
	rc = cb(&p, arg, cause);
	g_free(type);
	return rc;
}

int
mime_form_parts(const char *ctype, const char *body, size_t len,
    int max_parts, mime_form_cb *cb, void *arg, const char **cause)
{
	GMimeObject *obj;
	GMimeMultipart *mp;
	int n, rc = 0;

	if (strpbrk(ctype, "\r\n") != NULL) {
		*cause = "a broken Content-Type";
		return 400;
	}
	if ((obj = form_construct(ctype, body, len)) == NULL || !GMIME_IS_MULTIPART(obj) ||
	    check_boundary(g_mime_multipart_get_boundary(GMIME_MULTIPART(obj)),
	    body, len) == -1) {
		if (obj)
			g_object_unref(obj);
		*cause = "a broken multipart body (no boundary, or cut short)";
		return 400;
	}
	mp = GMIME_MULTIPART(obj);
	if ((n = g_mime_multipart_get_count(mp)) > max_parts) {
		*cause = "too many parts";
		rc = 413;
	}
	for (int i = 0; i < n && rc == 0; i++)
		rc = form_part(g_mime_multipart_get_part(mp, i), cb, arg, cause);
	g_object_unref(obj);
	return rc;
}
