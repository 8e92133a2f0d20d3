/* auth_password: see auth_password.h. */
#include <sys/queue.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "server/auth/auth_password.h"
#include "server/core/log.h"

#define SALT_LEN	16
#define KEY_LEN		32
#define MAX_LOG2_N	20	/* 2^20 * r 128 bytes: 1 GiB at r=8, the ceiling */
#define MAX_R		32
#define MAX_P		16
#define MAX_THREADS	8
#define B64_BUF		96	/* decoded salt or key: at most 64 bytes used */
#define DECODED_MAX	64

enum job_kind { JOB_VERIFY, JOB_HASH };

struct job {
	TAILQ_ENTRY(job) entry;
	enum job_kind kind;
	char *password;
	char encoded[AUTH_HASH_MAX];
	struct auth_kdf kdf;
	int result;
	auth_password_cb *cb;
	void *arg;
};
TAILQ_HEAD(jobq, job);

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct jobq todo, done;
	pthread_t threads[MAX_THREADS];
	int nthreads, quit;
	unsigned busy;
	struct event *done_ev;
} P = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER };

static int
kdf_ok(const struct auth_kdf *k)
{
	return k->n >= 2 && (k->n & (k->n - 1)) == 0 &&
	    k->n <= (1ULL << MAX_LOG2_N) && k->r >= 1 && k->r <= MAX_R &&
	    k->p >= 1 && k->p <= MAX_P;
}

static int
derive(const char *password, const unsigned char *salt, size_t saltlen,
    const struct auth_kdf *k, unsigned char *key, size_t keylen)
{
	/* scrypt needs 128 * r * (N + p) bytes and some change. */
	uint64_t maxmem = 128ULL * k->r * (k->n + k->p + 2) + (1 << 20);

	return EVP_PBE_scrypt(password, strlen(password), salt, saltlen, k->n,
	    k->r, k->p, maxmem, key, keylen) == 1 ? 0 : -1;
}

int
auth_password_hash(const char *password, const struct auth_kdf *k, char *out,
    size_t outlen, const char **cause)
{
	unsigned char salt[SALT_LEN], key[KEY_LEN];
	char salt64[64], key64[64];

	if (!kdf_ok(k)) {
		*cause = "scrypt parameters out of bounds";
		return -1;
	}
	if (RAND_bytes(salt, sizeof(salt)) != 1 ||
	    derive(password, salt, sizeof(salt), k, key, sizeof(key)) == -1) {
		*cause = "scrypt failed";
		return -1;
	}
	EVP_EncodeBlock((unsigned char *)salt64, salt, sizeof(salt));
	EVP_EncodeBlock((unsigned char *)key64, key, sizeof(key));
	OPENSSL_cleanse(key, sizeof(key));
	if ((size_t)snprintf(out, outlen, "scrypt$%llu$%u$%u$%s$%s",
	    (unsigned long long)k->n, k->r, k->p, salt64, key64) >= outlen) {
		*cause = "hash buffer too small";
		return -1;
	}
	return 0;
}

/* Standard base64 of S into OUT (at most OUTLEN bytes); length or -1. */
static int
b64_decode(const char *s, size_t len, unsigned char *out, size_t outlen)
{
	int n, pad = 0;

	if (len == 0 || len % 4 || len / 4 * 3 > outlen)
		return -1;
	/* OUTLEN covers the padding bytes the decoder writes too. */
	if ((n = EVP_DecodeBlock(out, (const unsigned char *)s, (int)len)) < 0)
		return -1;
	/* EVP_DecodeBlock counts the padding as zero bytes. */
	pad = (s[len - 1] == '=') + (s[len - 2] == '=');
	return n - pad;
}

/* Split "scrypt$N$r$p$salt$hash"; 0, or -1 if malformed. */
static int
parse_encoded(const char *enc, struct auth_kdf *k, unsigned char *salt,
    int *saltlen, unsigned char *key, int *keylen)
{
	unsigned long long n;
	unsigned r, p;
	int off = 0;
	const char *s, *h;

	if (sscanf(enc, "scrypt$%llu$%u$%u$%n", &n, &r, &p, &off) != 3 || off == 0)
		return -1;
	k->n = n;
	k->r = r;
	k->p = p;
	s = enc + off;
	if (!kdf_ok(k) || (h = strchr(s, '$')) == NULL)
		return -1;
	*saltlen = b64_decode(s, (size_t)(h - s), salt, B64_BUF);
	*keylen = b64_decode(h + 1, strlen(h + 1), key, B64_BUF);
	return *saltlen > 0 && *saltlen <= DECODED_MAX && *keylen >= 16 &&
	    *keylen <= DECODED_MAX ? 0 : -1;
}

int
auth_password_verify(const char *password, const char *encoded)
{
	unsigned char salt[B64_BUF], want[B64_BUF], got[B64_BUF];
	struct auth_kdf k;
	int saltlen, keylen, same;

	if (parse_encoded(encoded, &k, salt, &saltlen, want, &keylen) == -1)
		return -1;
	if (derive(password, salt, (size_t)saltlen, &k, got, (size_t)keylen) == -1)
		return -1;
	same = CRYPTO_memcmp(got, want, (size_t)keylen) == 0;
	OPENSSL_cleanse(got, sizeof(got));
	return same;
}

static void
job_free(struct job *j)
{
	if (j->password) {
		OPENSSL_cleanse(j->password, strlen(j->password));
		free(j->password);
	}
	free(j);
}

static void
job_run(struct job *j)
{
	const char *cause;

	if (j->kind == JOB_VERIFY)
		j->result = auth_password_verify(j->password, j->encoded);
	else
		j->result = auth_password_hash(j->password, &j->kdf, j->encoded,
		    sizeof(j->encoded), &cause);
}

static void *
worker(void *unused)
{
	struct job *j;

	pthread_mutex_lock(&P.lock);
	for (;;) {
		while (!P.quit && TAILQ_EMPTY(&P.todo))
			pthread_cond_wait(&P.wake, &P.lock);
		if (P.quit)
			break;
		j = TAILQ_FIRST(&P.todo);
		TAILQ_REMOVE(&P.todo, j, entry);
		pthread_mutex_unlock(&P.lock);
		job_run(j);
		pthread_mutex_lock(&P.lock);
		TAILQ_INSERT_TAIL(&P.done, j, entry);
		event_active(P.done_ev, EV_READ, 0);
	}
	pthread_mutex_unlock(&P.lock);
	return NULL;
}

/* On the loop: hand each finished job to its callback. */
static void
on_done(evutil_socket_t fd, short ev, void *unused)
{
	struct jobq done;
	struct job *j;

	TAILQ_INIT(&done);
	pthread_mutex_lock(&P.lock);
	TAILQ_CONCAT(&done, &P.done, entry);
	pthread_mutex_unlock(&P.lock);
	while ((j = TAILQ_FIRST(&done)) != NULL) {
		TAILQ_REMOVE(&done, j, entry);
		P.busy--;
		j->cb(j->result, j->kind == JOB_HASH && j->result == 0 ?
		    j->encoded : NULL, j->arg);
		job_free(j);
	}
}

int
auth_password_start(struct event_base *base, int nthreads, const char **cause)
{
	TAILQ_INIT(&P.todo);
	TAILQ_INIT(&P.done);
	P.quit = 0;
	if ((P.done_ev = event_new(base, -1, 0, on_done, NULL)) == NULL) {
		*cause = "event_new failed";
		return -1;
	}
	if (nthreads > MAX_THREADS)
		nthreads = MAX_THREADS;
	for (P.nthreads = 0; P.nthreads < nthreads; P.nthreads++)
		if ((errno = pthread_create(&P.threads[P.nthreads], NULL, worker,
		    NULL)) != 0) {
			*cause = "cannot start password workers";
			return -1;
		}
	return 0;
}

static int
submit(enum job_kind kind, const char *password, const char *encoded,
    const struct auth_kdf *k, auth_password_cb *cb, void *arg)
{
	struct job *j;

	if (P.nthreads == 0 || (j = calloc(1, sizeof(*j))) == NULL)
		return -1;
	if ((j->password = strdup(password)) == NULL) {
		free(j);
		return -1;
	}
	j->kind = kind;
	if (encoded)
		snprintf(j->encoded, sizeof(j->encoded), "%s", encoded);
	if (k)
		j->kdf = *k;
	j->cb = cb;
	j->arg = arg;
	P.busy++;
	pthread_mutex_lock(&P.lock);
	TAILQ_INSERT_TAIL(&P.todo, j, entry);
	pthread_cond_signal(&P.wake);
	pthread_mutex_unlock(&P.lock);
	return 0;
}

int
auth_password_verify_async(const char *password, const char *encoded,
    auth_password_cb *cb, void *arg)
{
	return submit(JOB_VERIFY, password, encoded, NULL, cb, arg);
}

int
auth_password_hash_async(const char *password, const struct auth_kdf *k,
    auth_password_cb *cb, void *arg)
{
	return submit(JOB_HASH, password, NULL, k, cb, arg);
}

unsigned
auth_password_busy(void)
{
	return P.busy;
}

static void
drain(struct jobq *q)
{
	struct job *j;

	while ((j = TAILQ_FIRST(q)) != NULL) {
		TAILQ_REMOVE(q, j, entry);
		job_free(j);
	}
}

void
auth_password_stop(void)
{
	pthread_mutex_lock(&P.lock);
	P.quit = 1;
	pthread_cond_broadcast(&P.wake);
	pthread_mutex_unlock(&P.lock);
	for (int i = 0; i < P.nthreads; i++)
		pthread_join(P.threads[i], NULL);
	P.nthreads = 0;
	if (P.done_ev == NULL)
		return;
	drain(&P.todo);
	drain(&P.done);
	P.busy = 0;
	event_free(P.done_ev);
	P.done_ev = NULL;
}
