/* api_error: see api_error.h. */
#include <stdio.h>
#include <string.h>

#include "server/api/api_error.h"
#include "server/core/http.h"
#include "server/store/store.h"

void
api_error_reply(struct http_req *r, const char *err)
{
	const char *code, *colon;
	char msg[256], field[32];
	int status;

	if (err && strncmp(err, "UNAVAILABLE: ", 13) == 0) {
		http_error(r, 503, "not_configured", err + 13, NULL);
		return;
	}
	if ((status = store_error_http(err, &code, msg, sizeof(msg))) == 503) {
		http_unavailable(r);
		return;
	}
	if (status == 400 && (colon = strchr(msg, ':')) != NULL &&
	    (size_t)(colon - msg) < sizeof(field)) {
		snprintf(field, sizeof(field), "%.*s", (int)(colon - msg), msg);
		http_error(r, 422, "invalid", msg, field);
		return;
	}
	http_error(r, status, code, msg, NULL);
}
