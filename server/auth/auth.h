/*
 * auth: agents' passwords (OpenSSL scrypt, per-user salt), sessions
 * (random tokens, stored hashed, with expiry), lock-out after repeated
 * failures, and the guard every agent endpoint goes through.
 */
#ifndef RX_AUTH_H
#define RX_AUTH_H

#include <stddef.h>
#include <stdint.h>

struct http_req;
struct config;
struct event_base;
typedef struct json_t json_t;

enum auth_role {
	ROLE_AGENT = 1 << 0,
	ROLE_SUPERVISOR = 1 << 1,
	ROLE_SAFETY = 1 << 2,
	ROLE_ADMIN = 1 << 3,
};
#define ROLE_ANY (ROLE_AGENT | ROLE_SUPERVISOR | ROLE_SAFETY | ROLE_ADMIN)

/* Who is calling: valid for the duration of the callback only. */
struct auth_agent {
	char id[24];
	char name[128];
	char email[256];
	unsigned roles;		/* enum auth_role bits */
};

/*
 * Called once the caller is known and holds one of the roles asked for.
 * R is live (the guard looked it up again after its Redis round trip).
 */
typedef void auth_cb(struct http_req *r, const struct auth_agent *who, void *arg);

/*
 * Find the session of R (cookie "rxsession" or "Authorization: Bearer"),
 * then call CB if the agent holds any of ROLES. Otherwise answer R itself:
 * 401 without a valid session, 403 when the role is wrong, 503 when Redis
 * is away. ARG must stay valid until CB runs or R is answered.
 */
void auth_require(struct http_req *r, unsigned roles, auth_cb *cb, void *arg);

/* Parse "agent,supervisor" into role bits; -1 on an unknown role. */
int auth_roles_parse(const char *s, unsigned *out);
/* Write role bits as "agent,supervisor" into BUF. */
void auth_roles_format(unsigned roles, char *buf, size_t len);

/*
 * As auth_require, for /api/v1/session itself: CB also gets the session as
 * Redis answered it ({"agent":{...},"expires":ms}), borrowed for the call.
 */
typedef void auth_session_cb(struct http_req *r, const struct auth_agent *who,
    json_t *session, void *arg);
void auth_require_session(struct http_req *r, unsigned roles,
    auth_session_cb *cb, void *arg);

/* Copy R's token (Bearer first, then the rxsession cookie) into BUF;
 * 0, or -1 when R carries none that is well formed. */
int auth_request_token(const struct http_req *r, char *buf, size_t len);
/* A new random token (32 bytes, base64url, 43 characters) into BUF. */
void auth_token_new(char *buf, size_t len);
/* The SHA-256 of TOKEN in hex: the name of its session (rx:sess:<hex>). */
void auth_token_hash(const char *token, char hex[65]);
/* Set the rxsession cookie on R's answer; TOKEN NULL clears it. */
void auth_set_cookie(struct http_req *r, const char *token, int max_age);

/* Module life cycle (server/core/modules.c). */
int auth_check(const struct config *, char *err, size_t errlen);
int auth_start(struct event_base *, const struct config *, const char **cause);
/* Logins and password hashes in flight. */
unsigned auth_busy(void);
void auth_stop(void);

#endif
