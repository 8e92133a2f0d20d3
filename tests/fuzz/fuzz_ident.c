/*
 * libFuzzer harness for the identity normalisers: the first byte picks
 * one, the rest is its input. 0: a phone number read as UA, 1: as US,
 * 2: as RU, 3: an email address, 4: an external id "scheme:value". A
 * result must be as short as its bounds say and normalise to itself. Run:
 *   tests/fuzz/fuzz_ident -dict=../tests/fuzz/ident.dict ../tests/fuzz/corpus/ident
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/customer/ident.h"
#include "server/customer/phone.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_phone(const char *s, const char *country)
{
	char out[PHONE_E164_MAX], again[PHONE_E164_MAX], ext[PHONE_EXT_MAX + 1];
	const char *cause;

	if (phone_normalize(s, country, out, sizeof(out), &cause) == -1)
		return;
	/* the extension is digits only, and the number is the same without it */
	if (phone_normalize_ext(s, country, again, sizeof(again), ext,
	    sizeof(ext), &cause) == -1 || strcmp(out, again) != 0 ||
	    strspn(ext, "0123456789") != strlen(ext))
		abort();
	if (out[0] != '+' || strlen(out) > 16 ||
	    phone_normalize(out, country, again, sizeof(again), &cause) == -1 ||
	    strcmp(out, again) != 0)
		abort();
}

static void
fuzz_email(const char *s)
{
	char out[IDENT_EMAIL_MAX], again[IDENT_EMAIL_MAX];
	const char *cause;

	if (ident_email(s, out, sizeof(out), &cause) == -1)
		return;
	if (ident_email(out, again, sizeof(again), &cause) == -1 ||
	    strcmp(out, again) != 0)
		abort();
}

static void
fuzz_ext(const char *s)
{
	char sc[IDENT_SCHEME_MAX], v[IDENT_VALUE_MAX];
	const char *cause;

	(void)ident_ext_parse(s, sc, sizeof(sc), v, sizeof(v), &cause);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size < 1 || size > 4096 || (s = malloc(size)) == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 5) {
	case 0: fuzz_phone(s, "UA"); break;
	case 1: fuzz_phone(s, "US"); break;
	case 2: fuzz_phone(s, "RU"); break;
	case 3: fuzz_email(s); break;
	default: fuzz_ext(s); break;
	}
	free(s);
	return 0;
}
