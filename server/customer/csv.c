/* csv: see csv.h. */
#include <string.h>

#include "server/customer/csv.h"
#include "server/customer/ident.h"

void
csv_reader_init(struct csv_reader *r, const char *text, size_t len)
{
	r->text = text;
	r->len = len;
	r->pos = 0;
	r->line = 1;
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		r->pos = 3;
}

/* At a line end (LF or CRLF)? Returns its length, or 0. */
static size_t
eol(const struct csv_reader *r)
{
	if (r->pos < r->len && r->text[r->pos] == '\n')
		return 1;
	if (r->pos + 1 < r->len && r->text[r->pos] == '\r' &&
	    r->text[r->pos + 1] == '\n')
		return 2;
	return 0;
}

static void
skip_line(struct csv_reader *r)
{
	while (r->pos < r->len && r->text[r->pos] != '\n')
		r->pos++;
	if (r->pos < r->len) {
		r->pos++;
		r->line++;
	}
}

/* A quoted field (RFC 4180 section 2, rules 5 to 7); R is at the quote. */
static int
read_quoted(struct csv_reader *r, struct csv_record *rec, size_t *out,
    const char **cause)
{
	r->pos++;
	for (;;) {
		char c;

		if (r->pos >= r->len) {
			*cause = "unterminated quoted field";
			return -1;
		}
		c = r->text[r->pos++];
		if (c == '"') {
			if (r->pos < r->len && r->text[r->pos] == '"')
				r->pos++;
			else
				break;
		} else if (c == '\n')
			r->line++;
		if (*out >= CSV_RECORD_MAX) {
			*cause = "record too long";
			return -1;
		}
		rec->buf[(*out)++] = c;
	}
	if (r->pos < r->len && r->text[r->pos] != ',' && eol(r) == 0) {
		*cause = "text after a closing quote";
		return -1;
	}
	return 0;
}

static int
read_plain(struct csv_reader *r, struct csv_record *rec, size_t *out,
    const char **cause)
{
	while (r->pos < r->len && r->text[r->pos] != ',' && eol(r) == 0) {
		if (r->text[r->pos] == '"') {
			*cause = "quote inside an unquoted field";
			return -1;
		}
		if (*out >= CSV_RECORD_MAX) {
			*cause = "record too long";
			return -1;
		}
		rec->buf[(*out)++] = r->text[r->pos++];
	}
	return 0;
}

static int
read_fields(struct csv_reader *r, struct csv_record *rec, const char **cause)
{
	size_t out = 0, n;

	for (;;) {
		if (rec->nfields == CSV_FIELDS_MAX) {
			*cause = "too many fields";
			return -1;
		}
		rec->field[rec->nfields] = rec->buf + out;
		if (r->pos < r->len && r->text[r->pos] == '"') {
			if (read_quoted(r, rec, &out, cause) == -1)
				return -1;
		} else if (read_plain(r, rec, &out, cause) == -1)
			return -1;
		rec->buf[out++] = '\0';
		if (!ident_utf8_valid(rec->field[rec->nfields],
		    strlen(rec->field[rec->nfields]))) {
			*cause = "invalid UTF-8";
			return -1;
		}
		rec->nfields++;
		if (r->pos >= r->len)
			return 0;
		if ((n = eol(r)) != 0) {
			r->pos += n;
			r->line++;
			return 0;
		}
		r->pos++;	/* the comma */
	}
}

int
csv_read(struct csv_reader *r, struct csv_record *rec, const char **cause)
{
	size_t n;

	while ((n = eol(r)) != 0) {
		r->pos += n;
		r->line++;
	}
	if (r->pos >= r->len)
		return 0;
	rec->nfields = 0;
	rec->line = r->line;
	if (read_fields(r, rec, cause) == -1) {
		skip_line(r);	/* resynchronise at the next line */
		return -1;
	}
	return 1;
}

void
csv_write(FILE *f, const char *const *fields, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *s = fields[i] ? fields[i] : "";

		if (i > 0)
			putc(',', f);
		if (strpbrk(s, ",\"\r\n") == NULL) {
			fputs(s, f);
			continue;
		}
		putc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				putc('"', f);
			putc(*s, f);
		}
		putc('"', f);
	}
	fputs("\r\n", f);
}
