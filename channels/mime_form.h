/*
 * mime_form: multipart/form-data (RFC 7578) read with GMime's parser.
 * The body gets its Content-Type header prepended and is parsed as one
 * MIME entity; every part must be form-data with a name.
 */
#ifndef RX_MIME_FORM_H
#define RX_MIME_FORM_H

#include <stddef.h>

struct form_data;

/* Start GMime (counted: pair each call with mime_form_shutdown). */
void mime_form_init(void);
void mime_form_shutdown(void);
/* Parse BODY as CTYPE into FD; form_parse's contract (form_parse.h). */
int mime_form_parse(const char *ctype, const char *body, size_t len,
    struct form_data *fd, const char **cause);

#endif
