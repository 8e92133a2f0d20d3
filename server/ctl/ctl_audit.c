/*
 * rxdeskctl audit verify [COUNT]: walk the audit stream's hash chain
 * (docs/datamodel.md, rx_audit_verify) page by page, so that Redis is never
 * blocked for long, and report the first broken link. Exit 0 when the chain
 * holds, 1 when it is broken or Redis fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "server/ctl/ctl.h"
#include "server/store/ticket.h"

#define AUDIT_PAGE	1000

static struct {
	char cursor[64];
	long long checked;
	int page;
} A;

static int audit_next(void);

static void
on_page(json_t *res, const char *err, void *arg)
{
	const char *cursor = json_string_value(json_object_get(res, "cursor"));

	if (err) {
		fprintf(stderr, "rxdeskctl: audit verify: %s\n", err);
		ctl_finish(1);
		return;
	}
	A.checked += json_integer_value(json_object_get(res, "checked"));
	if (!json_is_true(json_object_get(res, "ok"))) {
		printf("audit: BROKEN at %s: %s (%lld entries before it verified)\n",
		    json_string_value(json_object_get(res, "broken")),
		    json_string_value(json_object_get(res, "reason")), A.checked);
		ctl_finish(1);
		return;
	}
	if (json_is_true(json_object_get(res, "done"))) {
		printf("audit: %lld entries verified, chain intact, last hash %s\n",
		    A.checked, json_string_value(json_object_get(res, "last")));
		ctl_finish(0);
		return;
	}
	snprintf(A.cursor, sizeof(A.cursor), "%s", cursor ? cursor : "");
	if (audit_next() != 0)
		ctl_finish(1);
}

static int
audit_next(void)
{
	if (ticket_audit_verify(A.cursor, A.page, on_page, NULL) == -1) {
		fprintf(stderr, "rxdeskctl: audit verify: Redis went away\n");
		return 1;
	}
	return 0;
}

int
ctl_audit_verify(int argc, char **argv)
{
	char *end;

	A.page = AUDIT_PAGE;
	if (argc > 2) {
		fprintf(stderr, "usage: rxdeskctl audit verify [PAGE]\n");
		return 2;
	}
	if (argc == 2) {
		long n = strtol(argv[1], &end, 10);
		if (*argv[1] == '\0' || *end != '\0' || n < 1 || n > 10000) {
			fprintf(stderr, "rxdeskctl: audit verify: PAGE is 1 to 10000\n");
			return 2;
		}
		A.page = (int)n;
	}
	return audit_next();
}
