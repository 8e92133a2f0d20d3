/* case_crypt: see case_crypt.h. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "server/cases/case_crypt.h"

#define IV_LEN	12
#define TAG_LEN	16
#define KEY_LEN	32
#define SEAL_MAX	(64 * 1024)	/* bytes of one plain value */
/* Additional data bound into every tag: a value sealed elsewhere with the
 * same key does not open here. */
#define AAD	"rxdesk-case-v1"

struct key {
	char kid[CASE_CRYPT_KID_MAX];
	unsigned char k[KEY_LEN];
};

static struct {
	struct key keys[CASE_CRYPT_KEYS_MAX];
	int n;
} K;

static int
unhex(const char *s, size_t len, unsigned char *out)
{
	if (len != KEY_LEN * 2)
		return -1;
	for (size_t i = 0; i < KEY_LEN; i++) {
		char b[3] = { s[2 * i], s[2 * i + 1], 0 };
		if (!isxdigit((unsigned char)b[0]) || !isxdigit((unsigned char)b[1]))
			return -1;
		out[i] = (unsigned char)strtoul(b, NULL, 16);
	}
	return 0;
}

/* One "kid:hex" or "hex" item of LEN bytes at S into KEY. */
static int
parse_item(const char *s, size_t len, struct key *key, int index)
{
	const char *colon = memchr(s, ':', len);
	size_t klen;

	if (colon == NULL) {
		snprintf(key->kid, sizeof(key->kid), "%d", index + 1);
		return unhex(s, len, key->k);
	}
	klen = (size_t)(colon - s);
	if (klen == 0 || klen >= sizeof(key->kid))
		return -1;
	for (size_t i = 0; i < klen; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return -1;
	memcpy(key->kid, s, klen);
	key->kid[klen] = '\0';
	return unhex(colon + 1, len - klen - 1, key->k);
}

int
case_crypt_setup(const char *spec, const char **cause)
{
	struct key keys[CASE_CRYPT_KEYS_MAX];
	int n = 0;
	const char *p = spec ? spec : "";

	while (*p) {
		size_t len;
		p += strspn(p, " ,\t");
		if ((len = strcspn(p, " ,\t")) == 0)
			break;
		if (n == CASE_CRYPT_KEYS_MAX || parse_item(p, len, &keys[n], n) == -1) {
			OPENSSL_cleanse(keys, sizeof(keys));
			*cause = "safety.encryption_key must be \"kid:<64 hex digits>\", "
			    "comma-separated (at most 16 keys)";
			return -1;
		}
		n++;
		p += len;
	}
	case_crypt_free();
	memcpy(K.keys, keys, sizeof(keys));
	K.n = n;
	OPENSSL_cleanse(keys, sizeof(keys));
	return 0;
}

int
case_crypt_ready(void)
{
	return K.n > 0;
}

const char *
case_crypt_newest(void)
{
	return K.n ? K.keys[K.n - 1].kid : "";
}

static const struct key *
find(const char *kid)
{
	for (int i = K.n - 1; i >= 0; i--)
		if (strcmp(K.keys[i].kid, kid) == 0)
			return &K.keys[i];
	return NULL;
}

int
case_crypt_sealed(const char *s, char kid[CASE_CRYPT_KID_MAX])
{
	const char *colon;

	if (s == NULL || strncmp(s, "enc:", 4) != 0 ||
	    (colon = strchr(s + 4, ':')) == NULL ||
	    colon - (s + 4) >= CASE_CRYPT_KID_MAX || colon == s + 4)
		return 0;
	if (kid) {
		memcpy(kid, s + 4, (size_t)(colon - (s + 4)));
		kid[colon - (s + 4)] = '\0';
	}
	return 1;
}

/* AES-256-GCM of IN (LEN bytes) into OUT (LEN bytes) and TAG; ENC 1 to
 * seal, 0 to open (TAG is then checked). 0 or -1. */
static int
gcm(const struct key *key, const unsigned char *iv, const unsigned char *in,
    int len, unsigned char *out, unsigned char *tag, int enc)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n, ok;

	ok = c && EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, IV_LEN, NULL) &&
	    EVP_CipherInit_ex(c, NULL, NULL, key->k, iv, enc) &&
	    EVP_CipherUpdate(c, NULL, &n, (const unsigned char *)AAD,
	    (int)strlen(AAD)) &&
	    (len == 0 || EVP_CipherUpdate(c, out, &n, in, len)) &&
	    (enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag)) &&
	    EVP_CipherFinal_ex(c, out + len, &n) > 0 &&
	    (!enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag));
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

char *
case_crypt_seal(const char *plain)
{
	const struct key *key = K.n ? &K.keys[K.n - 1] : NULL;
	size_t len = plain ? strlen(plain) : 0, blen, head;
	unsigned char *buf;
	char *out = NULL;

	if (key == NULL || plain == NULL || len > SEAL_MAX)
		return NULL;
	blen = IV_LEN + len + TAG_LEN;
	if ((buf = malloc(blen + 16)) == NULL)
		return NULL;
	if (RAND_bytes(buf, IV_LEN) == 1 && gcm(key, buf, (const unsigned char *)
	    plain, (int)len, buf + IV_LEN, buf + IV_LEN + len, 1) == 0) {
		head = strlen(key->kid) + 5;
		if ((out = malloc(head + 4 * ((blen + 2) / 3) + 1)) != NULL) {
			snprintf(out, head + 1, "enc:%s:", key->kid);
			EVP_EncodeBlock((unsigned char *)out + head, buf, (int)blen);
		}
	}
	OPENSSL_cleanse(buf, blen);
	free(buf);
	return out;
}

char *
case_crypt_open(const char *sealed, const char **cause)
{
	char kid[CASE_CRYPT_KID_MAX];
	const struct key *key;
	const char *b64;
	unsigned char *buf;
	char *out;
	size_t b64len;
	int n, pad = 0;

	if (!case_crypt_sealed(sealed, kid)) {
		*cause = "not a sealed value";
		return NULL;
	}
	if ((key = find(kid)) == NULL) {
		*cause = "sealed under a key that is not configured";
		return NULL;
	}
	b64 = sealed + 5 + strlen(kid);
	b64len = strlen(b64);
	if (b64len % 4 || b64len > 4 * ((SEAL_MAX + IV_LEN + TAG_LEN + 2) / 3) ||
	    (buf = malloc(b64len / 4 * 3 + 1)) == NULL) {
		*cause = "malformed sealed value";
		return NULL;
	}
	pad = b64len >= 2 ? (b64[b64len - 1] == '=') + (b64[b64len - 2] == '=') : 0;
	n = EVP_DecodeBlock(buf, (const unsigned char *)b64, (int)b64len) - pad;
	out = n >= IV_LEN + TAG_LEN ? malloc((size_t)(n - IV_LEN - TAG_LEN) + 1) : NULL;
	if (out == NULL || gcm(key, buf, buf + IV_LEN, n - IV_LEN - TAG_LEN,
	    (unsigned char *)out, buf + n - TAG_LEN, 0) == -1) {
		*cause = "sealed value does not open (tampered with, or another key)";
		free(out);
		free(buf);
		return NULL;
	}
	out[n - IV_LEN - TAG_LEN] = '\0';
	free(buf);
	return out;
}

int
case_crypt_digest(const char *data, char out[33])
{
	unsigned char md[32];
	unsigned int len = sizeof(md);

	if (K.n == 0 || HMAC(EVP_sha256(), K.keys[K.n - 1].k, KEY_LEN,
	    (const unsigned char *)data, strlen(data), md, &len) == NULL)
		return -1;
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

void
case_crypt_free(void)
{
	OPENSSL_cleanse(&K, sizeof(K));
	K.n = 0;
}
