/*
 * mime_check: what is wrong with a received message, read from its bytes
 * alone (GMime repairs these silently, so mime.c asks here): lines over
 * the limit of RFC 5322, raw 8-bit header bytes, MIME headers without
 * MIME-Version, boundaries that never appear or never close, invalid
 * base64. Each complaint is a static sentence a person can act on.
 */
#ifndef RX_MIME_CHECK_H
#define RX_MIME_CHECK_H

#include <stddef.h>

#define MIME_CHECK_LINE_MAX	998	/* octets before CRLF, RFC 5322 2.1.1 */

/* Told each complaint WHY (static text) about the message. */
typedef void mime_check_fn(void *arg, const char *why);

/* Check the whole message RAW (LEN bytes): line lengths, and the top-level
 * header block (8-bit bytes, MIME headers without MIME-Version). */
void mime_check_raw(const char *raw, size_t len, mime_check_fn *add,
    void *arg);
/* NULL when RAW holds BOUNDARY's delimiter line and its closing one, else
 * why not (RFC 2046 section 5.1.1). */
const char *mime_check_boundary(const char *raw, size_t len,
    const char *boundary);
/* 0 when the LEN bytes at S are valid base64 (RFC 2045 6.8: the alphabet,
 * white space, padding only at the end, whole quanta), else -1. */
int mime_check_base64(const unsigned char *s, size_t len);

#endif
