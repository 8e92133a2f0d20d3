/*
 * form_check: a parsed form (form_parse.h) checked against its definition
 * (form_config.h): UTF-8 everywhere, required fields, sizes, the email
 * address, the phone number (normalised to E.164), the ticket it names,
 * attachment counts and sizes, and the honeypot. One error per field.
 */
#ifndef RX_FORM_CHECK_H
#define RX_FORM_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "channels/form_config.h"
#include "channels/form_parse.h"

#define FORM_CHECK_MAX_ERRORS	(FORM_PARSE_MAX_VALUES + FORM_PARSE_MAX_FILES)

struct form_error {
	const char *field;	/* borrowed from the form or its definition */
	const char *code;	/* required, too_long, invalid_utf8, ... */
	const char *message;
};

struct form_checked {
	struct form_error err[FORM_CHECK_MAX_ERRORS];
	int nerr;
	int honeypot;		/* the honeypot field came filled in */
	char email[256];	/* normalised, "" if none */
	char phone[32];		/* E.164, "" if none */
	char phone_ext[16];	/* its extension's digits, "" if none */
	uint64_t ticket;	/* the ticket the sender names, 0: none */
};

/* Check FD against F (COUNTRY: ISO code for national phone numbers).
 * Fills OUT; returns OUT->nerr. */
int form_check(const struct form *f, const struct form_data *fd,
    const char *country, struct form_checked *out);
/* 1 if a value is only white space (or empty). */
int form_check_blank(const char *s, size_t len);

#endif
