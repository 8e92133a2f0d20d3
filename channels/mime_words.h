/*
 * mime_words: an unstructured header value (Subject, a display name) to
 * UTF-8: unfolding (RFC 5322 2.2.3), RFC 2047 encoded words, raw 8-bit
 * text. Written here rather than left to GMime because GMime 3.2 carries
 * the base64 state from one encoded word into the next: a Subject folded
 * into several B-words, the first with "=" padding, came out cut after
 * the first word (issue 12). No GMime, no allocation beyond the result.
 */
#ifndef RX_MIME_WORDS_H
#define RX_MIME_WORDS_H

#include <stddef.h>

#define MIME_WORDS_MAX	(64 * 1024)	/* bytes of a header value read */

/*
 * Decode the LEN bytes of RAW into a malloc'd UTF-8 string without
 * control characters (tabs become blanks) or the blanks around the
 * value. Adjacent encoded words of one charset are joined before conversion, so a character
 * split between two words survives; the blanks between encoded words go
 * (RFC 2047 section 6.2). Undecodable bytes become U+FFFD. *PROBLEM is a
 * static reason when the value was broken (invalid base64 or Q, raw
 * 8-bit bytes outside UTF-8), else NULL. Never NULL.
 */
char *mime_words_decode(const char *raw, size_t len, const char **problem);

#endif
