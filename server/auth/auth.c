/* auth: see auth.h. Login itself is in auth_login.c, agents' endpoints in
 * server/api/api_agent.c, password hashing in auth_password.c; each is a
 * module of its own in server/core/modules.c. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "server/auth/auth.h"
#include "server/auth/auth_password.h"
#include "server/core/config.h"
#include "server/core/http.h"
#include "server/core/log.h"
#include "server/store/store.h"

#define TOKEN_BYTES	32
#define TOKEN_MIN	16
#define TOKEN_MAX	128
#define COOKIE_NAME	"rxsession"

/* One auth_require waiting on Redis. */
struct guard {
	uint64_t req;
	unsigned roles;
	auth_cb *cb;
	auth_session_cb *scb;
	void *arg;
};

static const char *const role_names[] = { "agent", "supervisor", "safety", "admin" };
#define NROLES (sizeof(role_names) / sizeof(role_names[0]))

static int secure_cookie;
/* Where the console is served from: public_url's origin and the
 * configured allow-list (http.allowed_origins), for the cookie check. */
static char console_origin[256];
static char *allowed_origins;

int
auth_roles_parse(const char *s, unsigned *out)
{
	char buf[128], *p, *tok, *save = NULL;
	size_t i;

	*out = 0;
	if (strlen(s) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", s);
	for (p = buf; (tok = strtok_r(p, ", ", &save)) != NULL; p = NULL) {
		for (i = 0; i < NROLES; i++)
			if (strcmp(tok, role_names[i]) == 0)
				break;
		if (i == NROLES)
			return -1;
		*out |= 1u << i;
	}
	return *out ? 0 : -1;
}

void
auth_roles_format(unsigned roles, char *buf, size_t len)
{
	size_t used = 0;

	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < NROLES; i++)
		if (roles & (1u << i) && used < len)
			used += (size_t)snprintf(buf + used, len - used, "%s%s",
			    used ? "," : "", role_names[i]);
}

static int
auth_agent_from_json(json_t *agent, struct auth_agent *who)
{
	json_t *roles = json_object_get(agent, "roles"), *v;
	const char *id = json_string_value(json_object_get(agent, "id"));
	size_t i;
	unsigned bit;

	memset(who, 0, sizeof(*who));
	if (id == NULL || !json_is_array(roles))
		return -1;
	snprintf(who->id, sizeof(who->id), "%s", id);
	snprintf(who->name, sizeof(who->name), "%s",
	    json_string_value(json_object_get(agent, "name")) ?: "");
	snprintf(who->email, sizeof(who->email), "%s",
	    json_string_value(json_object_get(agent, "email")) ?: "");
	json_array_foreach(roles, i, v) {
		if (json_is_string(v) && auth_roles_parse(json_string_value(v), &bit) == 0)
			who->roles |= bit;
	}
	return 0;
}

static int
token_ok(const char *s, size_t n)
{
	if (n < TOKEN_MIN || n > TOKEN_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return 0;
	return 1;
}

static int
copy_token(const char *s, size_t n, char *buf, size_t len)
{
	if (!token_ok(s, n) || n >= len)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return 0;
}

/* The value of cookie NAME in a Cookie header (RFC 6265 section 4.2.1). */
static const char *
cookie_find(const char *h, const char *name, size_t *n)
{
	size_t nl = strlen(name);

	while (h && *h) {
		while (*h == ' ' || *h == ';')
			h++;
		if (strncmp(h, name, nl) == 0 && h[nl] == '=') {
			h += nl + 1;
			*n = strcspn(h, "; ");
			return h;
		}
		h = strchr(h, ';');
	}
	return NULL;
}

int
auth_request_token(const struct http_req *r, char *buf, size_t len)
{
	const char *h, *v;
	size_t n;

	/* Another scheme (a proxy's Basic, say) leaves the cookie in charge. */
	if ((h = http_header(r, "Authorization")) != NULL &&
	    strncasecmp(h, "Bearer ", 7) == 0) {
		for (h += 7; *h == ' '; h++)
			;
		n = strcspn(h, " \t");
		return copy_token(h, n, buf, len);
	}
	if ((h = http_header(r, "Cookie")) != NULL &&
	    (v = cookie_find(h, COOKIE_NAME, &n)) != NULL)
		return copy_token(v, n, buf, len);
	return -1;
}

void
auth_token_new(char *buf, size_t len)
{
	unsigned char raw[TOKEN_BYTES];
	char b64[64];
	size_t n;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		log_fatalx("auth: RAND_bytes failed");
	EVP_EncodeBlock((unsigned char *)b64, raw, sizeof(raw));
	/* base64url without padding (RFC 4648 section 5). */
	for (n = 0; b64[n] && b64[n] != '='; n++)
		b64[n] = b64[n] == '+' ? '-' : b64[n] == '/' ? '_' : b64[n];
	b64[n] = '\0';
	snprintf(buf, len, "%s", b64);
}

void
auth_token_hash(const char *token, char hex[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	EVP_Digest(token, strlen(token), md, &mdlen, EVP_sha256(), NULL);
	for (unsigned int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

void
auth_set_cookie(struct http_req *r, const char *token, int max_age)
{
	char buf[256];

	snprintf(buf, sizeof(buf), COOKIE_NAME "=%s; Max-Age=%d; Path=/; "
	    "HttpOnly; SameSite=Strict%s", token ? token : "",
	    token ? max_age : 0, secure_cookie ? "; Secure" : "");
	http_set_header(r, "Set-Cookie", buf);
}

static void
unauthenticated(struct http_req *r)
{
	http_set_header(r, "WWW-Authenticate", "Bearer realm=\"rxdesk\"");
	http_error(r, 401, "unauthenticated", "a valid session is required", NULL);
}

static void
on_session(json_t *res, const char *err, void *arg)
{
	struct guard g = *(struct guard *)arg;
	struct http_req *r;
	struct auth_agent who;

	free(arg);
	if ((r = http_req_find(g.req)) == NULL)
		return;
	if (err) {
		if (strcmp(err, "unavailable") == 0)
			http_unavailable(r);
		else {
			log_warnx("req=%s session lookup failed: %s", http_req_tag(r), err);
			http_error(r, 500, "internal", "session lookup failed", NULL);
		}
		return;
	}
	if (!json_is_true(json_object_get(res, "found")) ||
	    auth_agent_from_json(json_object_get(res, "agent"), &who) == -1) {
		unauthenticated(r);
		return;
	}
	if ((who.roles & g.roles) == 0) {
		http_error(r, 403, "forbidden", "your role may not do this", NULL);
		return;
	}
	if (g.scb)
		g.scb(r, &who, res, g.arg);
	else
		g.cb(r, &who, g.arg);
}

/* "scheme://host[:port]" of URL into BUF ("" if URL has none). */
static void
origin_of(const char *url, char *buf, size_t len)
{
	const char *p = strstr(url ? url : "", "://");
	size_t n;

	buf[0] = '\0';
	if (p == NULL)
		return;
	n = (size_t)(p + 3 - url) + strcspn(p + 3, "/?#");
	if (n < len)
		snprintf(buf, len, "%.*s", (int)n, url);
}

/* Is ORIGIN the console's, or one of http.allowed_origins ("*": any)? */
static int
origin_trusted(const char *origin)
{
	const char *s, *e, *p;
	size_t n = strlen(origin);

	if (*console_origin && strcasecmp(origin, console_origin) == 0)
		return 1;
	for (s = allowed_origins ? allowed_origins : ""; *s; s = *e ? e + 1 : e) {
		while (*s == ' ')
			s++;
		e = s + strcspn(s, ",");
		for (p = e; p > s && p[-1] == ' '; p--)
			;
		if ((p - s == 1 && *s == '*') ||
		    ((size_t)(p - s) == n && strncasecmp(s, origin, n) == 0))
			return 1;
	}
	return 0;
}

static int
safe_method(const char *m)
{
	return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 ||
	    strcmp(m, "OPTIONS") == 0;
}

/*
 * A browser sends the session cookie with any request any page makes, so a
 * request that changes state on a cookie session must prove it comes from
 * the console (DESIGN.md section 7): Sec-Fetch-Site same-origin, or else an
 * Origin that is public_url's or allowed; and a body only as
 * application/json, which a page elsewhere cannot send without a preflight.
 * A bearer token is never sent by a browser on its own: no check. Answers
 * and returns -1 when refused.
 */
static int
check_console(struct http_req *r)
{
	const char *site = http_header(r, "Sec-Fetch-Site");
	const char *origin = http_header(r, "Origin");
	const char *auth = http_header(r, "Authorization");
	const char *t = http_header(r, "Content-Type");
	size_t len, n = strlen("application/json");

	if (safe_method(http_method(r)) ||
	    (auth && strncasecmp(auth, "Bearer ", 7) == 0))
		return 0;
	if (site ? strcasecmp(site, "same-origin") != 0 :
	    origin == NULL || !origin_trusted(origin)) {
		http_error(r, 403, "origin_refused", "a cookie session may change "
		    "state only from the console's own origin (Origin or "
		    "Sec-Fetch-Site)", NULL);
		return -1;
	}
	http_body(r, &len);
	if (len > 0 && (t == NULL || strncasecmp(t, "application/json", n) != 0 ||
	    (t[n] != '\0' && t[n] != ';' && t[n] != ' '))) {
		http_error(r, 415, "unsupported_media_type",
		    "the body must be application/json", NULL);
		return -1;
	}
	return 0;
}

static void
require(struct http_req *r, unsigned roles, auth_cb *cb, auth_session_cb *scb,
    void *arg)
{
	char token[TOKEN_MAX + 1], hex[65];
	struct guard *g;
	json_t *args;
	int rc;

	if (auth_request_token(r, token, sizeof(token)) == -1) {
		unauthenticated(r);
		return;
	}
	if (check_console(r) == -1)
		return;
	auth_token_hash(token, hex);
	if ((g = malloc(sizeof(*g))) == NULL) {
		http_unavailable(r);
		return;
	}
	*g = (struct guard){ http_req_id(r), roles, cb, scb, arg };
	args = json_pack("{s:s}", "hash", hex);
	rc = store_call("rx_session_get", args, on_session, g);
	json_decref(args);
	if (rc == -1) {
		free(g);
		http_unavailable(r);
	}
}

void
auth_require(struct http_req *r, unsigned roles, auth_cb *cb, void *arg)
{
	require(r, roles, cb, NULL, arg);
}

void
auth_require_session(struct http_req *r, unsigned roles, auth_session_cb *cb,
    void *arg)
{
	require(r, roles, NULL, cb, arg);
}

int
auth_check(const struct config *cf, char *err, size_t errlen)
{
	unsigned n = (unsigned)cf->auth_scrypt_n;

	if ((n & (n - 1)) != 0) {
		snprintf(err, errlen, "auth.scrypt_n: must be a power of two");
		return -1;
	}
	return 0;
}

int
auth_start(struct event_base *base, const struct config *cf, const char **cause)
{
	static char err[128];

	if (auth_check(cf, err, sizeof(err)) == -1) {
		*cause = err;
		return -1;
	}
	/* Behind a TLS proxy the browser speaks HTTPS though we do not:
	 * public_url says so (docs/operations.md). */
	secure_cookie = cf->http_cert[0] != '\0' ||
	    strncmp(cf->public_url, "https://", 8) == 0;
	origin_of(cf->public_url, console_origin, sizeof(console_origin));
	free(allowed_origins);
	if ((allowed_origins = strdup(cf->http_allowed_origins ?
	    cf->http_allowed_origins : "")) == NULL)
		log_fatalx("auth: out of memory");
	return auth_password_start(base, cf->auth_workers, cause);
}

unsigned
auth_busy(void)
{
	return auth_password_busy();
}

void
auth_stop(void)
{
	/* Stopped before the login and agent endpoints (server/core/modules.c):
	 * after this no password callback can run into them. */
	auth_password_stop();
	free(allowed_origins);
	allowed_origins = NULL;
}
