/*
 * libFuzzer harness for the auth parsers: the first byte picks one, the
 * rest is its input. 0: a stored password hash (scrypt$N$r$p$salt$hash),
 * verified when its costs are small; 1: a Cookie header and the token in
 * it; 2: a role list; 3: an urlencoded login body. The .c files are
 * included to reach their static parsers. Run:
 *   tests/fuzz/fuzz_auth -dict=../tests/fuzz/auth.dict ../tests/fuzz/corpus/auth
 */
#include "server/auth/auth.c"
#include "server/auth/auth_login.c"
#include "server/auth/auth_password.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_hash(const char *s)
{
	unsigned char salt[B64_BUF], key[B64_BUF];
	struct auth_kdf k;
	int saltlen, keylen;

	if (parse_encoded(s, &k, salt, &saltlen, key, &keylen) == 0 &&
	    k.n * k.r * k.p <= 4096)
		(void)auth_password_verify("password", s);
}

static void
fuzz_cookie(const char *s)
{
	char token[TOKEN_MAX + 1];
	const char *v;
	size_t n;

	if ((v = cookie_find(s, COOKIE_NAME, &n)) != NULL)
		(void)copy_token(v, n, token, sizeof(token));
}

static void
fuzz_form(const char *s)
{
	char email[EMAIL_MAX + 2], pw[64];

	(void)form_get(s, "email", email, sizeof(email));
	(void)form_get(s, "password", pw, sizeof(pw));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned roles;
	char *s, buf[128];

	if (size < 1 || size > 4096)
		return 0;
	if ((s = malloc(size)) == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 4) {
	case 0: fuzz_hash(s); break;
	case 1: fuzz_cookie(s); break;
	case 2:
		if (auth_roles_parse(s, &roles) == 0)
			auth_roles_format(roles, buf, sizeof(buf));
		break;
	case 3: fuzz_form(s); break;
	}
	free(s);
	return 0;
}
