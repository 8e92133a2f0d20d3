/*
 * auth_password: agents' password hashes with OpenSSL's scrypt and a random
 * per-user salt, encoded "scrypt$N$r$p$<salt base64>$<hash base64>", and a
 * small worker pool so that the loop never spends a KDF's time itself.
 */
#ifndef RX_AUTH_PASSWORD_H
#define RX_AUTH_PASSWORD_H

#include <stddef.h>
#include <stdint.h>

struct event_base;

#define AUTH_PASSWORD_MIN	8	/* shortest password accepted on create */
#define AUTH_PASSWORD_MAX	1024	/* longest password accepted at all */
#define AUTH_HASH_MAX		160	/* an encoded hash, NUL included */

/* scrypt's cost parameters. */
struct auth_kdf {
	uint64_t n;		/* CPU/memory cost, a power of two */
	uint32_t r, p;
};

/* Hash PASSWORD with a fresh salt into OUT. 0, or -1 with *cause. */
int auth_password_hash(const char *password, const struct auth_kdf *,
    char *out, size_t outlen, const char **cause);
/* 1 when PASSWORD matches ENCODED (compared in constant time), 0 when it
 * does not, -1 when ENCODED is malformed or its costs out of bounds. */
int auth_password_verify(const char *password, const char *encoded);

/*
 * A worker's answer on the loop. For a verify, RESULT is as
 * auth_password_verify's and ENCODED NULL; for a hash, RESULT is 0 or -1
 * and ENCODED the new hash (borrowed for the call).
 */
typedef void auth_password_cb(int result, const char *encoded, void *arg);

/* Start NTHREADS workers that answer on BASE. 0, or -1 with *cause. */
int auth_password_start(struct event_base *, int nthreads, const char **cause);
/* Queue a verification; CB runs on the loop. -1 when not started. */
int auth_password_verify_async(const char *password, const char *encoded,
    auth_password_cb *cb, void *arg);
/* Queue a hash with KDF; CB runs on the loop. -1 when not started. */
int auth_password_hash_async(const char *password, const struct auth_kdf *,
    auth_password_cb *cb, void *arg);
/* Jobs queued or running. */
unsigned auth_password_busy(void);
/* Stop and join the workers; queued jobs are dropped without a callback. */
void auth_password_stop(void);

#endif
