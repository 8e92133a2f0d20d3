/*
 * rxdeskctl agent add / list. "add" hashes the password here (the same
 * scrypt and auth.scrypt_* costs as rxdeskd) and sends the agent to
 * rx_agent_add; the password comes from --password or the first line of
 * standard input, so that it need not appear in the process list.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "server/auth/auth.h"
#include "server/auth/auth_password.h"
#include "server/core/config.h"
#include "server/ctl/ctl.h"
#include "server/store/store.h"

/* "a:1,b:2" into {"a":1,"b":2}; NULL if malformed. */
static json_t *
levels_parse(const char *s)
{
	json_t *o = json_object();
	char *copy = strdup(s), *tok, *save = NULL, *colon, *end;
	long v;

	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if ((colon = strchr(tok, ':')) == NULL || colon == tok)
			goto bad;
		*colon = '\0';
		v = strtol(colon + 1, &end, 10);
		if (*end != '\0' || end == colon + 1 || v < 0)
			goto bad;
		json_object_set_new(o, tok, json_integer(v));
	}
	free(copy);
	return o;
bad:
	free(copy);
	json_decref(o);
	return NULL;
}

/* "a,b" into ["a","b"]. */
static json_t *
list_parse(const char *s)
{
	json_t *a = json_array();
	char *copy = strdup(s), *tok, *save = NULL;

	for (tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save))
		json_array_append_new(a, json_string(tok));
	free(copy);
	return a;
}

/* The first line of standard input, without its newline; -1 if none. */
static int
read_password(char *buf, size_t len)
{
	size_t n;

	if (fgets(buf, (int)len, stdin) == NULL)
		return -1;
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	return n ? 0 : -1;
}

static void
on_added(json_t *res, const char *err, void *arg)
{
	if (err) {
		fprintf(stderr, "rxdeskctl: agent add: %s\n", err);
		ctl_finish(1);
		return;
	}
	printf("agent %s <%s> created\n",
	    json_string_value(json_object_get(res, "id")),
	    json_string_value(json_object_get(res, "email")));
	ctl_finish(0);
}

static int
add_usage(const char *why)
{
	fprintf(stderr, "rxdeskctl: agent add: %s\nusage: rxdeskctl agent add "
	    "--name N --email E --roles agent,supervisor,safety,admin\n"
	    "    [--skills s:level,...] [--languages xx,...] "
	    "[--capacity channel:n,...] [--password P]\n"
	    "  (without --password, the first line of standard input)\n", why);
	return 2;
}

/* Collect the options into A; the password into PW. 0 or an exit status. */
static int
add_options(int argc, char **argv, json_t *a, char *pw, size_t pwlen)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "email", required_argument, NULL, 'e' },
		{ "roles", required_argument, NULL, 'r' },
		{ "skills", required_argument, NULL, 's' },
		{ "languages", required_argument, NULL, 'l' },
		{ "capacity", required_argument, NULL, 'C' },
		{ "password", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 }
	};
	unsigned roles;
	json_t *v;
	int ch;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'n': json_object_set_new(a, "name", json_string(optarg)); break;
		case 'e': json_object_set_new(a, "email", json_string(optarg)); break;
		case 'r':
			if (auth_roles_parse(optarg, &roles) == -1)
				return add_usage("--roles: unknown role");
			json_object_set_new(a, "roles", list_parse(optarg));
			break;
		case 'l': json_object_set_new(a, "languages", list_parse(optarg)); break;
		case 's':
		case 'C':
			if ((v = levels_parse(optarg)) == NULL)
				return add_usage(ch == 's' ? "--skills: want name:level,..." :
				    "--capacity: want channel:n,...");
			json_object_set_new(a, ch == 's' ? "skills" : "capacity", v);
			break;
		case 'p':
			if (strlen(optarg) >= pwlen)
				return add_usage("--password: too long");
			snprintf(pw, pwlen, "%s", optarg);
			break;
		default: return add_usage("unknown option");
		}
	}
	if (optind != argc)
		return add_usage("unexpected argument");
	if (!json_object_get(a, "name") || !json_object_get(a, "email") ||
	    !json_object_get(a, "roles"))
		return add_usage("--name, --email and --roles are required");
	return 0;
}

int
ctl_agent_add(int argc, char **argv)
{
	const struct config *cf = ctl_config();
	struct auth_kdf k = { (uint64_t)cf->auth_scrypt_n,
	    (uint32_t)cf->auth_scrypt_r, (uint32_t)cf->auth_scrypt_p };
	char pw[AUTH_PASSWORD_MAX + 2] = "", hash[AUTH_HASH_MAX];
	const char *cause;
	json_t *a = json_object();
	int rc;

	if ((rc = add_options(argc, argv, a, pw, sizeof(pw))) != 0)
		goto out;
	rc = 1;
	if (pw[0] == '\0' && read_password(pw, sizeof(pw)) == -1)
		fprintf(stderr, "rxdeskctl: agent add: no password on standard input\n");
	else if (strlen(pw) < AUTH_PASSWORD_MIN || strlen(pw) > AUTH_PASSWORD_MAX)
		fprintf(stderr, "rxdeskctl: agent add: the password must have %d to %d bytes\n",
		    AUTH_PASSWORD_MIN, AUTH_PASSWORD_MAX);
	else if (auth_password_hash(pw, &k, hash, sizeof(hash), &cause) == -1)
		fprintf(stderr, "rxdeskctl: agent add: %s\n", cause);
	else {
		json_object_set_new(a, "pwhash", json_string(hash));
		json_object_set_new(a, "actor", json_string("system"));
		rc = store_call("rx_agent_add", a, on_added, NULL) == -1 ? 1 : 0;
	}
out:
	OPENSSL_cleanse(pw, sizeof(pw));
	json_decref(a);
	return rc;
}

static void
print_agent(json_t *a)
{
	char roles[128] = "", langs[64] = "";
	json_t *v;
	size_t i, n;

	json_array_foreach(json_object_get(a, "roles"), i, v)
		n = strlen(roles), snprintf(roles + n, sizeof(roles) - n, "%s%s",
		    i ? "," : "", json_string_value(v));
	json_array_foreach(json_object_get(a, "languages"), i, v)
		n = strlen(langs), snprintf(langs + n, sizeof(langs) - n, "%s%s",
		    i ? "," : "", json_string_value(v));
	printf("%-6s %-32s %-24s %-28s %-8s %s\n",
	    json_string_value(json_object_get(a, "id")),
	    json_string_value(json_object_get(a, "email")),
	    json_string_value(json_object_get(a, "name")), roles,
	    langs[0] ? langs : "-",
	    json_is_true(json_object_get(a, "disabled")) ? "disabled" :
	    json_object_get(a, "locked_until") ? "locked" : "active");
}

static void
on_list(json_t *res, const char *err, void *arg)
{
	json_t *a;
	size_t i;

	if (err) {
		fprintf(stderr, "rxdeskctl: agent list: %s\n", err);
		ctl_finish(1);
		return;
	}
	printf("%-6s %-32s %-24s %-28s %-8s %s\n", "ID", "EMAIL", "NAME", "ROLES",
	    "LANG", "STATE");
	json_array_foreach(json_object_get(res, "items"), i, a)
		print_agent(a);
	ctl_finish(0);
}

int
ctl_agent_list(int argc, char **argv)
{
	json_t *a;
	int rc;

	if (argc != 1) {
		fprintf(stderr, "usage: rxdeskctl agent list\n");
		return 2;
	}
	a = json_object();
	rc = store_call("rx_agent_list", a, on_list, NULL);
	json_decref(a);
	return rc == -1 ? 1 : 0;
}
