/*
 * case_crypt: patient-identifying values sealed at rest with AES-256-GCM
 * (OpenSSL EVP). Keys come from safety.encryption_key (or the environment,
 * RXDESK_SAFETY_ENCRYPTION_KEY) as "kid:hex64, kid:hex64, ..."; the last
 * listed is the newest, used for every new seal. Each sealed value names
 * its key, so older keys keep opening what they sealed until
 * "rxdeskctl key rotate" seals everything again under the newest:
 *
 *   enc:<kid>:<base64 of 12-byte IV | ciphertext | 16-byte tag>
 */
#ifndef RX_CASE_CRYPT_H
#define RX_CASE_CRYPT_H

#include <stddef.h>

#define CASE_CRYPT_KEYS_MAX	16
#define CASE_CRYPT_KID_MAX	16

/* Take the keys of SPEC (replacing any before); "" leaves none. 0, or -1
 * with *CAUSE (the keys are then unchanged). */
int case_crypt_setup(const char *spec, const char **cause);
/* 1 when at least one key is loaded. */
int case_crypt_ready(void);
/* The newest key's id, or "" without keys. */
const char *case_crypt_newest(void);
/* Is S a sealed value? (Then its key id goes to KID when not NULL.) */
int case_crypt_sealed(const char *s, char kid[CASE_CRYPT_KID_MAX]);
/* PLAIN sealed under the newest key: a malloc'd string, or NULL without a
 * key or on failure. */
char *case_crypt_seal(const char *plain);
/* SEALED opened: a malloc'd string, or NULL with *CAUSE (an unknown key, a
 * value tampered with). */
char *case_crypt_open(const char *sealed, const char **cause);
/* A keyed digest of DATA (HMAC-SHA256 under the newest key, 32 hex digits)
 * into OUT, so that equal values can be found without storing them; 0, or
 * -1 without a key. */
int case_crypt_digest(const char *data, char out[33]);
/* Forget every key (and wipe it). */
void case_crypt_free(void);

#endif
