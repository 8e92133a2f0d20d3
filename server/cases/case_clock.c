/* case_clock: see case_clock.h. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "server/cases/case_clock.h"
#include "server/core/config.h"

#define CLOCK_RULES_MAX	32
#define CLOCK_NONE	-1

enum crit { K_DEATH, K_LIFE, K_SERIOUS, K_OTHER, NCRIT };
static const char *const crit_names[NCRIT] = {
	"death", "life_threatening", "serious", "other"
};

struct rule {
	char name[32];
	char countries[512];	/* " AT BE DE " */
	int days[NCRIT];
};

/* Defaults from the regulations (issue 14): EU 15 days serious, 90 others;
 * US 15 serious (expectedness is not recorded, so serious counts as
 * unexpected); 7 for a fatal or life-threatening case; China at once for a
 * death, 15 serious, 30 others. */
static const struct rule builtins[] = {
	{ "eu", " AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL "
	    "PT RO SK SI ES SE IS LI NO ", { 7, 7, 15, 90 } },
	{ "us", " US ", { 7, 7, 15, CLOCK_NONE } },
	{ "cn", " CN ", { 0, 7, 15, 30 } },
	{ "default", "", { 7, 7, 15, 90 } },
};
#define NBUILTINS (sizeof(builtins) / sizeof(builtins[0]))

static struct {
	struct rule rules[CLOCK_RULES_MAX];
	int n;
	int offset;		/* minutes east of UTC */
} active, pending;

static struct rule *
rule_get(const char *name, const char **cause)
{
	struct rule *r;

	for (int i = 0; i < pending.n; i++)
		if (strcmp(pending.rules[i].name, name) == 0)
			return &pending.rules[i];
	if (pending.n == CLOCK_RULES_MAX || strlen(name) >= sizeof(r->name)) {
		*cause = "too many [clock] sections, or a name too long";
		return NULL;
	}
	r = &pending.rules[pending.n++];
	/* a section over a built-in region starts from it; a new one from
	 * the default days, with no countries until it names some */
	*r = builtins[NBUILTINS - 1];
	snprintf(r->name, sizeof(r->name), "%s", name);
	for (size_t i = 0; i < NBUILTINS; i++)
		if (strcmp(builtins[i].name, name) == 0)
			*r = builtins[i];
	return r;
}

static int
set_countries(struct rule *r, const char *v, const char **cause)
{
	size_t len = 1;

	snprintf(r->countries, sizeof(r->countries), " ");
	for (const char *p = v; *p; ) {
		p += strspn(p, " ,\t");
		if (*p == '\0')
			break;
		if (!isalpha((unsigned char)p[0]) || !isalpha((unsigned char)p[1]) ||
		    (p[2] && !strchr(" ,\t", p[2])) || len + 4 >= sizeof(r->countries)) {
			*cause = "countries is a comma list of two-letter codes";
			return -1;
		}
		r->countries[len++] = (char)toupper((unsigned char)p[0]);
		r->countries[len++] = (char)toupper((unsigned char)p[1]);
		r->countries[len++] = ' ';
		r->countries[len] = '\0';
		p += 2;
	}
	return 0;
}

static int
on_clock(const char *name, const char *key, const char *value,
    const char **cause)
{
	struct rule *r = rule_get(name, cause);
	char *end;
	long d;

	if (r == NULL)
		return -1;
	if (strcmp(key, "countries") == 0)
		return set_countries(r, value, cause);
	for (int k = 0; k < NCRIT; k++) {
		if (strcmp(key, crit_names[k]))
			continue;
		if (strcmp(value, "none") == 0) {
			r->days[k] = CLOCK_NONE;
			return 0;
		}
		d = strtol(value, &end, 10);
		if (*value == '\0' || *end || d < 0 || d > 3650) {
			*cause = "days: a number from 0 to 3650, or none";
			return -1;
		}
		r->days[k] = (int)d;
		return 0;
	}
	*cause = "unknown key (countries, death, life_threatening, serious, other)";
	return -1;
}

void
case_clock_config(void)
{
	config_section_hook("clock", on_clock);
}

/* "+02:00", "-0530", "" -> minutes east of UTC; -1 error via *ok. */
static int
parse_tz(const char *tz, int *out)
{
	int h, m = 0, sign;

	if (tz == NULL || *tz == '\0' || strcmp(tz, "UTC") == 0) {
		*out = 0;
		return 0;
	}
	if ((tz[0] != '+' && tz[0] != '-') || !isdigit((unsigned char)tz[1]) ||
	    !isdigit((unsigned char)tz[2]))
		return -1;
	sign = tz[0] == '-' ? -1 : 1;
	h = (tz[1] - '0') * 10 + (tz[2] - '0');
	tz += 3;
	if (*tz == ':')
		tz++;
	if (*tz) {
		if (!isdigit((unsigned char)tz[0]) || !isdigit((unsigned char)tz[1]) ||
		    tz[2])
			return -1;
		m = (tz[0] - '0') * 10 + (tz[1] - '0');
	}
	if (h > 14 || m > 59)
		return -1;
	*out = sign * (h * 60 + m);
	return 0;
}

int
case_clock_commit(const char *tz, const char **cause)
{
	int off;

	if (parse_tz(tz, &off) == -1) {
		*cause = "safety.timezone must be an offset such as +02:00";
		pending.n = 0;
		return -1;
	}
	active = pending;
	active.offset = off;
	memset(&pending, 0, sizeof(pending));
	return 0;
}

int
case_clock_offset(void)
{
	return active.offset;
}

static const struct rule *
region_of(const char *country)
{
	char want[5];

	snprintf(want, sizeof(want), " %c%c ", country && country[0] ?
	    toupper((unsigned char)country[0]) : '?', country && country[0] &&
	    country[1] ? toupper((unsigned char)country[1]) : '?');
	for (int i = 0; i < active.n; i++)
		if (strstr(active.rules[i].countries, want))
			return &active.rules[i];
	for (size_t i = 0; i < NBUILTINS - 1; i++)
		if (strstr(builtins[i].countries, want)) {
			for (int j = 0; j < active.n; j++)
				if (!strcmp(active.rules[j].name, builtins[i].name))
					return &active.rules[j];
			return &builtins[i];
		}
	for (int i = 0; i < active.n; i++)
		if (strcmp(active.rules[i].name, "default") == 0)
			return &active.rules[i];
	return &builtins[NBUILTINS - 1];
}

static int
flag(const json_t *s, const char *k)
{
	return json_is_true(json_object_get(s, k));
}

int64_t
case_clock_due(int64_t day0, const char *country, const json_t *s,
    char *rule, size_t len)
{
	const struct rule *r = region_of(country);
	int k = flag(s, "death") ? K_DEATH : flag(s, "life_threatening") ? K_LIFE :
	    (flag(s, "hospitalisation") || flag(s, "disability") ||
	    flag(s, "congenital_anomaly") || flag(s, "other_medically_important")) ?
	    K_SERIOUS : K_OTHER;
	int64_t off = (int64_t)active.offset * 60000, start;

	if (r->days[k] == CLOCK_NONE) {
		snprintf(rule, len, "%s-%s-none", r->name, crit_names[k]);
		return -1;
	}
	snprintf(rule, len, "%s-%s-%d", r->name, crit_names[k], r->days[k]);
	start = (day0 + off) / CASE_CLOCK_DAY_MS * CASE_CLOCK_DAY_MS;
	return start + (r->days[k] + 1) * CASE_CLOCK_DAY_MS - 1 - off;
}

void
case_clock_date(int64_t ms, char out[11])
{
	time_t t = (time_t)((ms + (int64_t)active.offset * 60000) / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

void
case_clock_free(void)
{
	memset(&active, 0, sizeof(active));
	memset(&pending, 0, sizeof(pending));
}
