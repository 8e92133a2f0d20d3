/*
 * phone: telephone numbers to E.164 ("+380441234567"). A number written
 * in a national form ("044 123 45 67", "8 (044) 123-45-67") is read as the
 * default country's (server.default_country); international forms ("+",
 * "00", and the country's own international prefix) carry their own
 * country. A small table knows the calling code, trunk prefixes and
 * national number lengths of the countries rxdesk expects callers from;
 * other calling codes are accepted with the generic E.164 bounds. An
 * extension written after the number is split off (phone_normalize_ext).
 * Pure functions: no allocation, no global state.
 */
#ifndef RX_PHONE_H
#define RX_PHONE_H

#include <stddef.h>

#define PHONE_INPUT_MAX	64	/* longest accepted input, in bytes */
#define PHONE_E164_MAX	17	/* "+", 15 digits, NUL */

/*
 * Normalise TEXT to E.164 into OUT (PHONE_E164_MAX bytes), reading a
 * national number as COUNTRY (ISO 3166 alpha-2, any case). 0, or -1 with
 * *CAUSE set to a static reason.
 */
int phone_normalize(const char *text, const char *country, char *out,
    size_t outlen, const char **cause);
#define PHONE_EXT_MAX	8	/* digits of an extension */

/*
 * As phone_normalize, for a number that may carry an extension after it:
 * "ext. 7", "x7", "#7", ",7", ";ext=7" (RFC 3966), "доб. 7", "вн. 7",
 * "внутр. 7", "转7", "分机7". The number goes to OUT in E.164 (the
 * extension is no part of it, so customers match by the number), the
 * extension's digits to EXT (EXTLEN bytes; "" when there is none).
 * phone_normalize is this with the extension dropped.
 */
int phone_normalize_ext(const char *text, const char *country, char *out,
    size_t outlen, char *ext, size_t extlen, const char **cause);
/* 1 if COUNTRY (ISO 3166 alpha-2, any case) is in the table, else 0. */
int phone_country_known(const char *country);

#endif
