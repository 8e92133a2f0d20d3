/* auth_login: see auth_login.h. */
#include <sys/queue.h>

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "server/auth/auth.h"
#include "server/auth/auth_login.h"
#include "server/auth/auth_password.h"
#include "server/core/config.h"
#include "server/core/http.h"
#include "server/core/log.h"
#include "server/core/metrics.h"
#include "server/store/store.h"

#define EMAIL_MAX	254
#define BODY_MAX	4096

/*
 * One login attempt. Callbacks carry its sequence number, never a pointer,
 * so that an answer arriving after auth_login_stop finds nothing.
 */
struct login {
	TAILQ_ENTRY(login) entry;
	uint64_t seq, req;
	char email[EMAIL_MAX + 1];
	char *password;
	char agent[24];
	int found, locked;
	struct event *delay;
};
TAILQ_HEAD(loginq, login);

static struct {
	struct event_base *base;
	struct loginq logins;
	unsigned n;
	uint64_t seq;
	char decoy[AUTH_HASH_MAX];	/* verified when the email is unknown */
	int ttl, max_failures, lockout, slowdown_ms, slowdown_max_ms;
	struct metric *ok, *failed, *locked;	/* logins by result */
} L;

static void login_fail(struct login *);

static struct login *
login_find(void *arg)
{
	struct login *l;
	uint64_t seq = (uint64_t)(uintptr_t)arg;

	TAILQ_FOREACH(l, &L.logins, entry)
		if (l->seq == seq)
			return l;
	return NULL;
}

static void
login_free(struct login *l)
{
	TAILQ_REMOVE(&L.logins, l, entry);
	L.n--;
	if (l->password) {
		OPENSSL_cleanse(l->password, strlen(l->password));
		free(l->password);
	}
	if (l->delay)
		event_free(l->delay);
	free(l);
}

/* The request of L, or NULL (and L freed) when its peer left. */
static struct http_req *
login_req(struct login *l)
{
	struct http_req *r = http_req_find(l->req);

	if (r == NULL)
		login_free(l);
	return r;
}

static void
login_error(struct login *l, const char *err)
{
	struct http_req *r;

	if ((r = login_req(l)) == NULL)
		return;
	if (strcmp(err, "unavailable") == 0)
		http_unavailable(r);
	else {
		log_warnx("req=%s login failed: %s", http_req_tag(r), err);
		http_error(r, 500, "internal", "login failed", NULL);
	}
	login_free(l);
}

static int
hexval(int c)
{
	return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
}

/* Decode an application/x-www-form-urlencoded value in place. */
static void
form_decode(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (*s == '+')
			*o++ = ' ';
		else if (*s == '%' && isxdigit((unsigned char)s[1]) &&
		    isxdigit((unsigned char)s[2])) {
			*o++ = (char)(hexval((unsigned char)s[1]) * 16 +
			    hexval((unsigned char)s[2]));
			s += 2;
		} else
			*o++ = *s;
	}
	*o = '\0';
}

/* Copy field NAME of an urlencoded BODY, decoded, into OUT; 0 or -1. */
static int
form_get(const char *body, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name), n;
	const char *f = body;

	while (f && *f) {
		n = strcspn(f, "&");
		if (strncmp(f, name, nl) == 0 && f[nl] == '=' && n - nl - 1 < outlen) {
			memcpy(out, f + nl + 1, n - nl - 1);
			out[n - nl - 1] = '\0';
			form_decode(out);
			return 0;
		}
		f = f[n] ? f + n + 1 : NULL;
	}
	return -1;
}

/* Read email and password from a JSON or urlencoded body into L. */
static const char *
login_parse(struct http_req *r, struct login *l, const char **field)
{
	const char *ct = http_header(r, "Content-Type"), *body, *email, *pw;
	char ebuf[EMAIL_MAX + 2], pbuf[AUTH_PASSWORD_MAX + 2];
	json_t *j = NULL;
	size_t len;

	body = http_body(r, &len);
	if (len > BODY_MAX)
		return "the body is too large";
	email = pw = NULL;
	if (ct && strncmp(ct, "application/json", 16) == 0) {
		if ((j = json_loadb(body, len, 0, NULL)) == NULL || !json_is_object(j)) {
			json_decref(j);
			return "the body is not a JSON object";
		}
		email = json_string_value(json_object_get(j, "email"));
		pw = json_string_value(json_object_get(j, "password"));
	} else if (ct && strncmp(ct, "application/x-www-form-urlencoded", 33) == 0) {
		if (form_get(body, "email", ebuf, sizeof(ebuf)) == 0)
			email = ebuf;
		if (form_get(body, "password", pbuf, sizeof(pbuf)) == 0)
			pw = pbuf;
	} else
		return "send JSON or an urlencoded form";
	*field = "email";
	if (email == NULL || *email == '\0' || strlen(email) > EMAIL_MAX) {
		json_decref(j);
		OPENSSL_cleanse(pbuf, sizeof(pbuf));
		return "email is required";
	}
	memcpy(l->email, email, strlen(email) + 1);	/* length checked */
	*field = "password";
	if (pw && *pw && strlen(pw) <= AUTH_PASSWORD_MAX)
		l->password = strdup(pw);
	json_decref(j);
	OPENSSL_cleanse(pbuf, sizeof(pbuf));
	return l->password ? NULL : "password is required";
}

static void *
seq_arg(const struct login *l)
{
	return (void *)(uintptr_t)l->seq;
}

static void
on_delay(evutil_socket_t fd, short ev, void *arg)
{
	struct login *l = login_find(arg);
	struct http_req *r;

	if (l == NULL || (r = login_req(l)) == NULL)
		return;
	http_error(r, 401, "invalid_credentials", "wrong email or password", NULL);
	login_free(l);
}

/* Answer a failure only after a delay that doubles with each failure. */
static void
on_failed(json_t *res, const char *err, void *arg)
{
	struct login *l = login_find(arg);
	struct http_req *r;
	long long failed, ms;
	struct timeval tv;
	int locked;

	if (l == NULL)
		return;
	if (err) {
		login_error(l, err);
		return;
	}
	if ((r = login_req(l)) == NULL)
		return;
	failed = json_integer_value(json_object_get(res, "failed"));
	locked = json_is_true(json_object_get(res, "locked"));
	metrics_add(locked ? L.locked : L.failed, 1);
	/* The email is not logged: people type passwords into it. */
	log_info("req=%s login failed agent=%s failures=%lld locked=%d",
	    http_req_tag(r), l->found ? l->agent : "-", failed, locked);
	if (locked || failed < 1)
		ms = L.slowdown_max_ms;
	else {
		ms = failed > 20 ? L.slowdown_max_ms :
		    (long long)L.slowdown_ms << (failed - 1);
		if (ms > L.slowdown_max_ms)
			ms = L.slowdown_max_ms;
	}
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	if ((l->delay = evtimer_new(L.base, on_delay, seq_arg(l))) == NULL) {
		login_error(l, "cannot arm a timer");
		return;
	}
	evtimer_add(l->delay, &tv);
}

static void
login_fail(struct login *l)
{
	json_t *args = json_pack("{s:s, s:i, s:I}", "email", l->email,
	    "max", L.max_failures, "lock_ms", (json_int_t)L.lockout * 1000);
	int rc = store_call("rx_login_failed", args, on_failed, seq_arg(l));

	json_decref(args);
	if (rc == -1)
		login_error(l, "unavailable");
}

static void
on_ok(json_t *res, const char *err, void *arg)
{
	struct login *l = login_find(arg);
	struct http_req *r;
	json_t *body;
	char token[64];

	if (l == NULL)
		return;
	if (err) {
		login_error(l, err);
		return;
	}
	if (!json_is_true(json_object_get(res, "ok"))) {
		login_fail(l);		/* locked meanwhile */
		return;
	}
	if ((r = login_req(l)) == NULL)
		return;
	snprintf(token, sizeof(token), "%s", l->password);
	body = json_pack("{s:s, s:O, s:O}", "token", token,
	    "agent", json_object_get(res, "agent"),
	    "expires", json_object_get(res, "expires"));
	auth_set_cookie(r, token, L.ttl);
	metrics_add(L.ok, 1);
	log_info("req=%s agent=%s login", http_req_tag(r), l->agent);
	http_reply_json(r, 201, body);
	OPENSSL_cleanse(token, sizeof(token));
	login_free(l);
}

/* The password was right: open a session under a fresh token. The token
 * replaces the password in L, which is no longer needed. */
static void
login_succeed(struct login *l)
{
	char token[64], hex[65];
	json_t *args;
	int rc;

	auth_token_new(token, sizeof(token));
	auth_token_hash(token, hex);
	OPENSSL_cleanse(l->password, strlen(l->password));
	free(l->password);
	if ((l->password = strdup(token)) == NULL) {
		login_error(l, "out of memory");
		return;
	}
	args = json_pack("{s:s, s:s, s:s, s:I}", "email", l->email,
	    "agent", l->agent, "hash", hex, "ttl", (json_int_t)L.ttl * 1000);
	rc = store_call("rx_login_ok", args, on_ok, seq_arg(l));
	json_decref(args);
	if (rc == -1)
		login_error(l, "unavailable");
}

static void
on_verified(int result, const char *encoded, void *arg)
{
	struct login *l = login_find(arg);

	if (l == NULL || login_req(l) == NULL)
		return;
	if (l->found && !l->locked && result == 1)
		login_succeed(l);
	else
		login_fail(l);
}

static void
on_get(json_t *res, const char *err, void *arg)
{
	struct login *l = login_find(arg);
	const char *hash;

	if (l == NULL)
		return;
	if (err) {
		login_error(l, err);
		return;
	}
	if (login_req(l) == NULL)
		return;
	hash = json_string_value(json_object_get(res, "pwhash"));
	l->found = json_is_true(json_object_get(res, "found")) && hash && *hash;
	l->locked = json_is_true(json_object_get(res, "locked"));
	snprintf(l->agent, sizeof(l->agent), "%s",
	    json_string_value(json_object_get(res, "id")) ?: "");
	/* Unknown or locked: spend the same work on the decoy hash. */
	if (auth_password_verify_async(l->password, l->found && !l->locked ?
	    hash : L.decoy, on_verified, seq_arg(l)) == -1)
		login_error(l, "unavailable");
}

static void
on_post(struct http_req *r, void *arg)
{
	struct login *l;
	const char *why, *field = NULL;
	json_t *args;
	int rc;

	if (http_rate_check(r, "session") == -1)
		return;
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		http_unavailable(r);
		return;
	}
	l->seq = ++L.seq;
	l->req = http_req_id(r);
	TAILQ_INSERT_TAIL(&L.logins, l, entry);
	L.n++;
	if ((why = login_parse(r, l, &field)) != NULL) {
		http_error(r, 400, "bad_request", why, field);
		login_free(l);
		return;
	}
	args = json_pack("{s:s}", "email", l->email);
	rc = store_call("rx_login_get", args, on_get, seq_arg(l));
	json_decref(args);
	if (rc == -1) {
		http_unavailable(r);
		login_free(l);
	}
}

int
auth_login_start(struct event_base *base, const struct config *cf,
    const char **cause)
{
	struct auth_kdf k = { (uint64_t)cf->auth_scrypt_n,
	    (uint32_t)cf->auth_scrypt_r, (uint32_t)cf->auth_scrypt_p };
	char decoy[64];

	L.base = base;
	TAILQ_INIT(&L.logins);
	L.ttl = cf->auth_session_ttl;
	L.max_failures = cf->auth_max_failures;
	L.lockout = cf->auth_lockout;
	L.slowdown_ms = cf->auth_slowdown_ms;
	L.slowdown_max_ms = cf->auth_slowdown_max_ms;
	L.ok = metrics_counter("rxdesk_logins_total", "Agent logins, by result.",
	    "result=\"ok\"");
	L.failed = metrics_counter("rxdesk_logins_total", "Agent logins, by result.",
	    "result=\"failed\"");
	L.locked = metrics_counter("rxdesk_logins_total", "Agent logins, by result.",
	    "result=\"locked\"");
	auth_token_new(decoy, sizeof(decoy));
	if (auth_password_hash(decoy, &k, L.decoy, sizeof(L.decoy), cause) == -1)
		return -1;
	http_route("POST", "/api/v1/session", "session_create", on_post, NULL);
	return 0;
}

unsigned
auth_login_busy(void)
{
	return L.n;
}

void
auth_login_stop(void)
{
	struct login *l;

	while (L.n && (l = TAILQ_FIRST(&L.logins)) != NULL)
		login_free(l);
}
