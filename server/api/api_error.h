/*
 * api_error: the answer to a request whose call into the store failed,
 * one mapping for every endpoint: Redis away 503 (Retry-After); an
 * "UNAVAILABLE: why" from a part not configured 503 not_configured; a
 * BADARG that names its field ("field: reason") 422 with that field; the
 * rest as store_error_http maps them.
 */
#ifndef RX_API_ERROR_H
#define RX_API_ERROR_H

struct http_req;

/* Answer R for the store's error ERR. */
void api_error_reply(struct http_req *r, const char *err);

#endif
