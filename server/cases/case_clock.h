/*
 * case_clock: the regulatory clocks of adverse event cases. Day 0 is a
 * receipt time; a deadline is the end of a calendar day in the company's
 * time zone (safety.timezone, a fixed offset such as +02:00), N days after
 * Day 0's. N comes from a per-region rule table: "[clock NAME]" sections
 *
 *   [clock eu]
 *   countries = AT, BE, DE, ...   ; ISO 3166 alpha-2; the region's members
 *   death = 7                     ; days; "none": no expedited deadline
 *   life_threatening = 7
 *   serious = 15
 *   other = 90
 *
 * over built-in defaults (eu, us, cn and "default" for every other
 * country; docs/safety.md). The first criterion that holds picks the
 * days: death, life_threatening, serious (any other seriousness), other.
 */
#ifndef RX_CASE_CLOCK_H
#define RX_CASE_CLOCK_H

#include <stddef.h>
#include <stdint.h>

typedef struct json_t json_t;

#define CASE_CLOCK_DAY_MS	86400000LL

/* Register the "[clock NAME]" section hook; before config_load. */
void case_clock_config(void);
/* Put the sections just loaded in force with time zone TZ ("+02:00",
 * "-05:30", "" for UTC). 0, or -1 with *CAUSE (nothing changes). */
int case_clock_commit(const char *tz, const char **cause);
/* The company's offset from UTC in minutes. */
int case_clock_offset(void);
/*
 * The deadline counted from DAY0 (ms) for a case from COUNTRY with
 * SERIOUSNESS (the case's object of six booleans): the last millisecond of
 * the calendar day N days after Day 0's, or -1 when the region sets none.
 * RULE gets its name, e.g. "eu-serious-15".
 */
int64_t case_clock_due(int64_t day0, const char *country,
    const json_t *seriousness, char *rule, size_t len);
/* The calendar date (YYYY-MM-DD) of MS in the company's time zone. */
void case_clock_date(int64_t ms, char out[11]);
/* Free the rule table. */
void case_clock_free(void);

#endif
