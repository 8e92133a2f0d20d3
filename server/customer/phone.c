/* phone: see phone.h. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "server/customer/phone.h"

#define DIGITS_MAX	20	/* before prefixes are taken off */
#define E164_DIGITS_MIN	7
#define E164_DIGITS_MAX	15	/* ITU-T E.164 section 6 */

struct country {
	const char *iso;	/* ISO 3166 alpha-2 */
	const char *cc;		/* country calling code */
	const char *trunk[3];	/* national prefixes, tried in order */
	const char *intl;	/* international prefix besides "00" */
	int min, max;		/* national significant number length */
	const char *first;	/* digits a national number may start with */
};

/* RU and KZ share +7; US and CA share +1: the first row of a code is the
 * one used for international numbers, and they have the same rules. */
static const struct country countries[] = {
	{ "UA", "380", { "0", "80", NULL }, NULL, 9, 9, "3456789" },
	{ "PL", "48", { NULL }, NULL, 9, 9, "123456789" },
	{ "DE", "49", { "0", NULL }, NULL, 6, 13, "123456789" },
	{ "GB", "44", { "0", NULL }, NULL, 9, 10, "123456789" },
	{ "US", "1", { "1", NULL }, "011", 10, 10, "23456789" },
	{ "CA", "1", { "1", NULL }, "011", 10, 10, "23456789" },
	{ "CN", "86", { "0", NULL }, NULL, 8, 12, "123456789" },
	{ "RU", "7", { "8", NULL }, "810", 10, 10, "346789" },
	{ "KZ", "7", { "8", NULL }, "810", 10, 10, "346789" },
	{ "FR", "33", { "0", NULL }, NULL, 9, 9, "123456789" },
	{ "IT", "39", { NULL }, NULL, 6, 11, "0123456789" },
	{ "ES", "34", { NULL }, NULL, 9, 9, "6789" },
};
#define NCOUNTRIES (sizeof(countries) / sizeof(countries[0]))

static const struct country *
country_by_iso(const char *iso)
{
	for (size_t i = 0; iso && i < NCOUNTRIES; i++)
		if (strcasecmp(countries[i].iso, iso) == 0)
			return &countries[i];
	return NULL;
}

/* Calling codes are prefix-free (E.164 section 6.2): the first hit is it. */
static const struct country *
country_by_digits(const char *d)
{
	for (size_t i = 0; i < NCOUNTRIES; i++)
		if (strncmp(d, countries[i].cc, strlen(countries[i].cc)) == 0)
			return &countries[i];
	return NULL;
}

int
phone_country_known(const char *iso)
{
	return country_by_iso(iso) != NULL;
}

static int
nsn_fits(const struct country *c, const char *nsn)
{
	int len = (int)strlen(nsn);

	return len >= c->min && len <= c->max && nsn[0] != '\0' &&
	    strchr(c->first, nsn[0]) != NULL;
}

static int
put(char *out, size_t outlen, const char *cc, const char *nsn,
    const char **cause)
{
	if (strlen(cc) + strlen(nsn) > E164_DIGITS_MAX) {
		*cause = "too many digits for an E.164 number";
		return -1;
	}
	if ((size_t)snprintf(out, outlen, "+%s%s", cc, nsn) >= outlen) {
		*cause = "output buffer too small";
		return -1;
	}
	return 0;
}

/* D is everything after "+" or an international prefix. */
static int
international(const char *d, char *out, size_t outlen, const char **cause)
{
	const struct country *c;
	const char *nsn;
	size_t len = strlen(d);

	if ((c = country_by_digits(d)) == NULL) {
		if (d[0] == '0') {
			*cause = "a country code cannot start with 0";
			return -1;
		}
		if (len < E164_DIGITS_MIN || len > E164_DIGITS_MAX) {
			*cause = "wrong number of digits for an E.164 number";
			return -1;
		}
		return put(out, outlen, "", d, cause);
	}
	nsn = d + strlen(c->cc);
	if (nsn_fits(c, nsn))
		return put(out, outlen, c->cc, nsn, cause);
	/* "+44 (0)20 ...": a trunk prefix kept in an international form. */
	for (int i = 0; c->trunk[i]; i++)
		if (strncmp(nsn, c->trunk[i], strlen(c->trunk[i])) == 0 &&
		    nsn_fits(c, nsn + strlen(c->trunk[i])))
			return put(out, outlen, c->cc, nsn + strlen(c->trunk[i]),
			    cause);
	*cause = "wrong number of digits for its country code";
	return -1;
}

/* D has no "+" and no "00": national first, then the other readings. */
static int
national(const struct country *c, const char *d, char *out, size_t outlen,
    const char **cause)
{
	size_t cclen = strlen(c->cc);

	for (int i = 0; c->trunk[i]; i++)
		if (strncmp(d, c->trunk[i], strlen(c->trunk[i])) == 0 &&
		    nsn_fits(c, d + strlen(c->trunk[i])))
			return put(out, outlen, c->cc, d + strlen(c->trunk[i]),
			    cause);
	if (c->intl && strncmp(d, c->intl, strlen(c->intl)) == 0)
		return international(d + strlen(c->intl), out, outlen, cause);
	/* "380441234567": the country code written without its "+". */
	if (strncmp(d, c->cc, cclen) == 0 && nsn_fits(c, d + cclen))
		return put(out, outlen, c->cc, d + cclen, cause);
	if (nsn_fits(c, d))
		return put(out, outlen, c->cc, d, cause);
	*cause = "not a valid national number of the default country";
	return -1;
}

/* Collect the digits of TEXT; *PLUS tells whether it started with "+". */
static int
scan(const char *text, char *digits, int *plus, const char **cause)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t n = 0;

	*plus = 0;
	if (strncasecmp(text, "tel:", 4) == 0)
		s += 4;
	for (; *s; s++) {
		if (*s >= '0' && *s <= '9') {
			if (n == DIGITS_MAX) {
				*cause = "too many digits";
				return -1;
			}
			digits[n++] = (char)*s;
		} else if (*s == '+') {
			if (n > 0 || *plus) {
				*cause = "'+' is allowed only at the start";
				return -1;
			}
			*plus = 1;
		} else if (s[0] == 0xc2 && s[1] == 0xa0)
			s++;	/* a no-break space */
		else if (strchr(" \t-.()/", *s) == NULL) {
			*cause = "unexpected character in a phone number";
			return -1;
		}
	}
	digits[n] = '\0';
	if (n == 0) {
		*cause = "no digits";
		return -1;
	}
	return 0;
}

/* What introduces an extension; strncasecmp folds ASCII only, so the
 * Cyrillic ones are listed in each case they are written in. */
static const char *const ext_marks[] = { ";ext=", "extension", "ext",
    "x", "#", ",", "добавочный", "Добавочный", "доб", "Доб", "ДОБ",
    "внутр", "Внутр", "ВНУТР", "вн", "Вн", "ВН", "дод", "Дод", "ДОД",
    "转", "分机", NULL };

/* The length of an extension marker at S, or 0. */
static size_t
ext_mark(const char *s)
{
	for (int i = 0; ext_marks[i]; i++) {
		size_t n = strlen(ext_marks[i]);

		if (strncasecmp(s, ext_marks[i], n) == 0)
			return n;
	}
	return 0;
}

static const char *
skip_seps(const char *e)
{
	return e + strspn(e, " .:-=#");
}

/*
 * Split TEXT at an extension marker that follows a digit: the number's
 * part into NUM, the extension's digits into EXT. 0 (EXT "" when there is
 * no marker), or -1 with *CAUSE.
 */
static int
split_ext(const char *text, char *num, size_t numlen, char *ext,
    size_t extlen, const char **cause)
{
	const char *s = text, *e;
	size_t m = 0, n = 0;
	int digit = 0;

	for (; *s && !(digit && (m = ext_mark(s)) > 0); s++)
		digit |= *s >= '0' && *s <= '9';
	snprintf(num, numlen, "%.*s", (int)(s - text), text);
	ext[0] = '\0';
	if (*s == '\0')
		return 0;
	e = skip_seps(s + m);
	if ((m = ext_mark(e)) > 0)	/* ", ext. 7" */
		e = skip_seps(e + m);
	for (; *e >= '0' && *e <= '9'; e++)
		if (n + 1 < extlen && n < PHONE_EXT_MAX)
			ext[n++] = *e;
		else {
			*cause = "extension too long";
			return -1;
		}
	ext[n] = '\0';
	if (n == 0 || e[strspn(e, " .")] != '\0') {
		*cause = "an extension must be digits after the number";
		return -1;
	}
	return 0;
}

int
phone_normalize(const char *text, const char *country, char *out,
    size_t outlen, const char **cause)
{
	char ext[PHONE_EXT_MAX + 1];

	return phone_normalize_ext(text, country, out, outlen, ext,
	    sizeof(ext), cause);
}

int
phone_normalize_ext(const char *text, const char *country, char *out,
    size_t outlen, char *ext, size_t extlen, const char **cause)
{
	const struct country *c;
	char digits[DIGITS_MAX + 1], num[PHONE_INPUT_MAX + 1];
	int plus;

	if (strlen(text) > PHONE_INPUT_MAX) {
		*cause = "phone number too long";
		return -1;
	}
	if (extlen == 0 || split_ext(text, num, sizeof(num), ext, extlen,
	    cause) == -1)
		return -1;
	text = num;
	if (scan(text, digits, &plus, cause) == -1)
		return -1;
	if (plus)
		return international(digits, out, outlen, cause);
	if (strncmp(digits, "00", 2) == 0)
		return international(digits + 2, out, outlen, cause);
	if ((c = country_by_iso(country)) == NULL) {
		*cause = "unknown default country";
		return -1;
	}
	return national(c, digits, out, outlen, cause);
}
