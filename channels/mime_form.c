/* mime_form: see mime_form.h. */
#define _GNU_SOURCE		/* memmem */
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "channels/form_parse.h"
#include "channels/mime_form.h"

#define MIME_FORM_MAX_PARTS	(FORM_PARSE_MAX_VALUES + FORM_PARSE_MAX_FILES)

void
mime_form_init(void)
{
	g_mime_init();
}

void
mime_form_shutdown(void)
{
	g_mime_shutdown();
}

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
construct(const char *ctype, const char *body, size_t len)
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
part_bytes(GMimePart *part, size_t *size)
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
add_part(struct form_data *fd, GMimeObject *obj, const char **cause)
{
	GMimeContentDisposition *disp = g_mime_object_get_content_disposition(obj);
	const char *name, *filename;
	char *data, *type;
	size_t size;
	int rc;

	if (!GMIME_IS_PART(obj) || disp == NULL ||
	    g_ascii_strcasecmp(g_mime_content_disposition_get_disposition(disp),
	    "form-data") != 0 ||
	    (name = g_mime_content_disposition_get_parameter(disp, "name")) == NULL) {
		*cause = "every part must be Content-Disposition: form-data with a name";
		return 400;
	}
	filename = g_mime_content_disposition_get_parameter(disp, "filename");
	data = part_bytes(GMIME_PART(obj), &size);
	if (filename == NULL) {
		rc = form_data_add(fd, name, strlen(name), data, size, cause);
		free(data);
		return rc;
	}
	if (*filename == '\0' && size == 0) {	/* a file input left empty */
		free(data);
		return 0;
	}
	type = g_mime_content_type_get_mime_type(g_mime_object_get_content_type(obj));
	rc = form_data_add_file(fd, name, filename, type, data, size, cause);
	g_free(type);
	return rc;
}

static int
add_parts(struct form_data *fd, GMimeMultipart *mp, const char **cause)
{
	int n = g_mime_multipart_get_count(mp), rc;

	if (n > MIME_FORM_MAX_PARTS) {
		*cause = "too many parts";
		return 413;
	}
	for (int i = 0; i < n; i++)
		if ((rc = add_part(fd, g_mime_multipart_get_part(mp, i), cause)) != 0)
			return rc;
	return 0;
}

int
mime_form_parse(const char *ctype, const char *body, size_t len,
    struct form_data *fd, const char **cause)
{
	GMimeObject *obj;
	int rc;

	memset(fd, 0, sizeof(*fd));
	if (strpbrk(ctype, "\r\n") != NULL) {
		*cause = "a broken Content-Type";
		return 400;
	}
	if ((obj = construct(ctype, body, len)) == NULL || !GMIME_IS_MULTIPART(obj) ||
	    check_boundary(g_mime_multipart_get_boundary(GMIME_MULTIPART(obj)),
	    body, len) == -1) {
		if (obj)
			g_object_unref(obj);
		*cause = "a broken multipart body (no boundary, or cut short)";
		return 400;
	}
	rc = add_parts(fd, GMIME_MULTIPART(obj), cause);
	g_object_unref(obj);
	return rc;
}
