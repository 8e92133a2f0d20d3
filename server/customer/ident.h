/*
 * ident: the customer identities other than phone numbers, in the form
 * the identity indexes use (docs/datamodel.md): email addresses (trimmed,
 * display name and "mailto:" taken off, lowercased, syntax-checked) and
 * external ids (a scheme such as "licence" or "npi", lowercased, and a value,
 * trimmed, inner spaces removed, letters upper-cased). Pure functions.
 */
#ifndef RX_IDENT_H
#define RX_IDENT_H

#include <stddef.h>

#define IDENT_EMAIL_MAX		255	/* RFC 5321 path limit 254, NUL */
#define IDENT_EMAIL_INPUT_MAX	512	/* with a display name */
#define IDENT_SCHEME_MAX	33	/* 32 characters, NUL */
#define IDENT_VALUE_MAX		129	/* 128 bytes, NUL */

/*
 * Normalise an address as written in a header or a form ("Ім'я" <A@B.com>,
 * " a@b.com ", "mailto:a@b.com") to "a@b.com" in OUT (IDENT_EMAIL_MAX
 * bytes). 0, or -1 with *CAUSE set to a static reason.
 */
int ident_email(const char *text, char *out, size_t outlen, const char **cause);
/*
 * Normalise an external id given as SCHEME and VALUE into SOUT
 * (IDENT_SCHEME_MAX bytes) and VOUT (IDENT_VALUE_MAX bytes). 0, or -1 with
 * *CAUSE set to a static reason.
 */
int ident_ext(const char *scheme, const char *value, char *sout, size_t soutlen,
    char *vout, size_t voutlen, const char **cause);
/* As ident_ext, for the written form "scheme:value". */
int ident_ext_parse(const char *text, char *sout, size_t soutlen, char *vout,
    size_t voutlen, const char **cause);
/* 1 if the LEN bytes at S are valid UTF-8 (no overlongs, no surrogates). */
int ident_utf8_valid(const char *s, size_t len);

#endif
