/*
 * form_parse: a web form's body, whatever its encoding, as one list of
 * named values and one list of files. application/x-www-form-urlencoded
 * and application/json are read here, multipart/form-data through mime.c (GMime).
 * Everything parsed is copied: a form_data outlives the request body.
 * Parsing checks the syntax and the counts; the sizes and the meaning of
 * each field are webform.c's business.
 */
#ifndef RX_FORM_PARSE_H
#define RX_FORM_PARSE_H

#include <stddef.h>

#define FORM_PARSE_MAX_VALUES	64	/* named values in one body */
#define FORM_PARSE_MAX_FILES	32	/* file parts in one body */
#define FORM_PARSE_MAX_NAME	64	/* bytes in a field name */
#define FORM_PARSE_MAX_DEPTH	3	/* JSON nesting: {"attachments":[{..}]} */

struct form_value {
	char *name;
	char *value;		/* NUL-terminated, may hold NULs before LEN */
	size_t len;
};

struct form_file {
	char *field;		/* the part's name */
	char *name;		/* the file name as sent ("" if none) */
	char *type;		/* its Content-Type */
	char *data;
	size_t size;
};

struct form_data {
	struct form_value v[FORM_PARSE_MAX_VALUES];
	int nv;
	struct form_file f[FORM_PARSE_MAX_FILES];
	int nf;
};

enum form_enc { FORM_ENC_URLENCODED, FORM_ENC_JSON, FORM_ENC_MULTIPART,
	FORM_ENC_UNKNOWN };

/* The encoding named by a Content-Type header value (NULL: unknown). */
enum form_enc form_parse_enc(const char *ctype);
/*
 * Parse BODY (LEN bytes, NUL-terminated) sent with Content-Type CTYPE into
 * FD (zeroed by the call). Returns 0, or an HTTP status (400 malformed,
 * 413 too many values or files, 415 unsupported type) with *cause set to
 * a static reason. FD must be released with form_parse_free either way.
 */
int form_parse(const char *ctype, const char *body, size_t len,
    struct form_data *fd, const char **cause);
/* The value of field NAME (its length in *LEN if not NULL), or NULL. */
const char *form_parse_get(const struct form_data *, const char *name,
    size_t *len);
/* Add a file, taking DATA (malloc'd); 0, or 413 with *cause. */
int form_parse_add_file(struct form_data *, const char *field,
    const char *name, const char *type, char *data, size_t size,
    const char **cause);
/* Free everything FD holds. */
void form_parse_free(struct form_data *);
/* 1 if S (LEN bytes) is valid UTF-8 with no NUL. */
int form_parse_utf8_valid(const char *s, size_t len);

#endif
