/* api_console: see api_console.h. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "server/api/api_console.h"
#include "server/auth/auth.h"
#include "server/core/http.h"
#include "server/core/log.h"
#include "server/store/store.h"

#define STATS_DAYS_MAX	92

static void
on_result(json_t *res, const char *err, void *arg)
{
	uint64_t *id = arg;
	struct http_req *r = http_req_find(*id);
	const char *m;

	free(id);
	if (r == NULL)
		return;
	if (err == NULL)
		http_reply_json(r, 200, json_incref(res));
	else if (strcmp(err, "unavailable") == 0)
		http_unavailable(r);
	else if ((m = strstr(err, "BADARG: ")) != NULL)
		http_error(r, 422, "invalid", m + 8, NULL);
	else {
		log_warnx("req=%s console call failed: %s", http_req_tag(r), err);
		http_error(r, 500, "internal", "the store failed", NULL);
	}
}

/* Call FN with ARGS (taken); R is answered by id once Redis replies. */
static void
call(struct http_req *r, const char *fn, json_t *args)
{
	uint64_t *id = malloc(sizeof(*id));
	int rc = -1;

	if (id) {
		*id = http_req_id(r);
		rc = store_call(fn, args, on_result, id);
	}
	json_decref(args);
	if (rc == -1) {
		free(id);
		http_unavailable(r);
	}
}

static void
on_team(struct http_req *r, const struct auth_agent *who, void *arg)
{
	call(r, "rx_console_team", json_object());
}

static void
on_team_get(struct http_req *r, void *arg)
{
	auth_require(r, ROLE_ANY, on_team, NULL);
}

/* Query NAME as a whole decimal number in [MIN, MAX]; -1 when absent or bad. */
static long long
query_number(struct http_req *r, const char *name, long long min, long long max)
{
	const char *v = http_query(r, name);
	char *end;
	long long n;

	if (v == NULL || *v == '\0')
		return -1;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno || *end != '\0' || n < min || n > max)
		return -1;
	return n;
}

static void
on_stats(struct http_req *r, const struct auth_agent *who, void *arg)
{
	long long from = query_number(r, "from", 1, 1LL << 52);
	long long days = 14;

	if (from == -1) {
		http_error(r, 422, "invalid", "from: the day's start in Unix ms", "from");
		return;
	}
	if (http_query(r, "days") &&
	    (days = query_number(r, "days", 1, STATS_DAYS_MAX)) == -1) {
		http_error(r, 422, "invalid", "days: 1..92", "days");
		return;
	}
	call(r, "rx_console_stats", json_pack("{s:I, s:I}", "from", (json_int_t)from,
	    "days", (json_int_t)days));
}

static void
on_stats_get(struct http_req *r, void *arg)
{
	auth_require(r, ROLE_SUPERVISOR | ROLE_ADMIN, on_stats, NULL);
}

int
api_console_start(struct event_base *base, const struct config *cf, const char **cause)
{
	(void)base;
	(void)cf;
	(void)cause;
	http_route("GET", "/api/v1/team", "team", on_team_get, NULL);
	http_route("GET", "/api/v1/stats", "stats", on_stats_get, NULL);
	return 0;
}
