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

#endif
