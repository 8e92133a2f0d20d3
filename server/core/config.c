/* config: see config.h. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "build.h"
#include "server/core/config.h"
#include "server/core/log.h"

enum ctype { C_STR, C_INT, C_SIZE, C_BOOL };

struct ckey {
	const char *section, *key;
	enum ctype type;
	size_t off;
	const char *def;
	long long min, max;		/* for C_INT and C_SIZE */
	const char *const *choices;	/* for C_STR, NULL-terminated */
};

static const char *const levels[] = { "debug", "info", "warn", "error", NULL };
static const char *const formats[] = { "text", "json", NULL };
static const char *const smtp_modes[] = { "smtp", "lmtp", NULL };
static const char *const fsyncs[] = { "always", "everysec", "no", NULL };
static const char *const tls_modes[] = { "no", "optional", "required", NULL };

#define O(f) offsetof(struct config, f)
#define KMAX 0, 0, NULL
static const struct ckey keys[] = {
	{ "server", "data_dir", C_STR, O(data_dir), "./data", KMAX },
	{ "server", "log_level", C_STR, O(log_level), "info", 0, 0, levels },
	{ "server", "log_format", C_STR, O(log_format), "text", 0, 0, formats },
	{ "server", "log_file", C_STR, O(log_file), "", KMAX },
	{ "server", "node_id", C_STR, O(node_id), "", KMAX },
	{ "server", "shutdown_timeout", C_INT, O(shutdown_timeout), "10", 0, 3600, NULL },
	{ "server", "public_url", C_STR, O(public_url), "http://127.0.0.1:8080", KMAX },
	{ "server", "default_country", C_STR, O(default_country), "UA", KMAX },
	{ "http", "listen", C_STR, O(http_listen), "127.0.0.1:8080", KMAX },
	{ "http", "max_body", C_SIZE, O(http_max_body), "26214400", 1024, 1LL << 30, NULL },
	{ "http", "timeout", C_INT, O(http_timeout), "30", 1, 3600, NULL },
	{ "http", "header_timeout", C_INT, O(http_header_timeout), "10", 1, 3600, NULL },
	{ "http", "body_timeout", C_INT, O(http_body_timeout), "120", 1, 86400, NULL },
	{ "http", "max_per_ip", C_INT, O(http_max_per_ip), "256", 0, 1000000, NULL },
	{ "http", "allowed_origins", C_STR, O(http_allowed_origins), "", KMAX },
	{ "http", "rate_limit", C_INT, O(http_rate_limit), "120", 0, 1000000, NULL },
	{ "http", "cert", C_STR, O(http_cert), "", KMAX },
	{ "http", "key", C_STR, O(http_key), "", KMAX },
	{ "http", "web_root", C_STR, O(web_root), RX_DATADIR "/web", KMAX },
	{ "http", "ws_max_message", C_SIZE, O(ws_max_message), "65536", 125, 1 << 24, NULL },
	{ "http", "ws_max_queue", C_SIZE, O(ws_max_queue), "1048576", 4096, 1 << 30, NULL },
	{ "http", "ws_ping_interval", C_INT, O(ws_ping_interval), "10", 1, 3600, NULL },
	{ "http", "ws_pong_timeout", C_INT, O(ws_pong_timeout), "20", 1, 3600, NULL },
	{ "redis", "url", C_STR, O(redis_url), "", KMAX },
	{ "redis", "prefix", C_STR, O(redis_prefix), "rx:", KMAX },
	{ "redis", "timeout_ms", C_INT, O(redis_timeout_ms), "2000", 10, 600000, NULL },
	{ "redis", "server", C_STR, O(redis_server), REDIS_SERVER_PATH, KMAX },
	{ "redis", "appendfsync", C_STR, O(redis_appendfsync), "always", 0, 0, fsyncs },
	{ "smtp", "listen", C_STR, O(smtp_listen), "127.0.0.1:2525", KMAX },
	{ "smtp", "mode", C_STR, O(smtp_mode), "smtp", 0, 0, smtp_modes },
	{ "smtp", "domains", C_STR, O(smtp_domains), "example.com", KMAX },
	{ "smtp", "hostname", C_STR, O(smtp_hostname), "rxdesk.localhost", KMAX },
	{ "smtp", "max_size", C_SIZE, O(smtp_max_size), "26214400", 1024, 1LL << 30, NULL },
	{ "smtp", "max_rcpt", C_INT, O(smtp_max_rcpt), "100", 1, 10000, NULL },
	{ "smtp", "max_sessions", C_INT, O(smtp_max_sessions), "256", 1, 100000, NULL },
	{ "smtp", "max_per_ip", C_INT, O(smtp_max_per_ip), "32", 0, 100000, NULL },
	{ "smtp", "idle_timeout", C_INT, O(smtp_idle_timeout), "300", 1, 3600, NULL },
	{ "smtp", "max_errors", C_INT, O(smtp_max_errors), "10", 1, 1000, NULL },
	{ "smtp", "session_timeout", C_INT, O(smtp_session_timeout), "1800", 1, 86400, NULL },
	{ "smtp", "command_timeout", C_INT, O(smtp_command_timeout), "60", 1, 3600, NULL },
	{ "smtp", "data_timeout", C_INT, O(smtp_data_timeout), "600", 1, 86400, NULL },
	{ "smtp", "queues", C_STR, O(smtp_queues), "", KMAX },
	{ "smtp", "cert", C_STR, O(smtp_cert), "", KMAX },
	{ "smtp", "key", C_STR, O(smtp_key), "", KMAX },
	{ "smtp", "require_tls", C_BOOL, O(smtp_require_tls), "no", 0, 0, NULL },
	{ "mail_out", "relay", C_STR, O(mailout_relay), "", KMAX },
	{ "mail_out", "from", C_STR, O(mailout_from), "support@example.com", KMAX },
	{ "mail_out", "starttls", C_STR, O(mailout_starttls), "optional", 0, 0, tls_modes },
	{ "mail_out", "user", C_STR, O(mailout_user), "", KMAX },
	{ "mail_out", "password", C_STR, O(mailout_password), "", KMAX },
	{ "mail_out", "workers", C_INT, O(mailout_workers), "2", 1, 64, NULL },
	{ "mail_out", "domain", C_STR, O(mailout_domain), "", KMAX },
	{ "mail_out", "templates", C_STR, O(mailout_templates), RX_DATADIR "/templates", KMAX },
	{ "mail_out", "timeout", C_INT, O(mailout_timeout), "60", 1, 3600, NULL },
	{ "mail_out", "poll_ms", C_INT, O(mailout_poll_ms), "200", 10, 60000, NULL },
	{ "mail_out", "retry_min", C_INT, O(mailout_retry_min), "60", 1, 86400, NULL },
	{ "mail_out", "retry_max", C_INT, O(mailout_retry_max), "3600", 1, 604800, NULL },
	{ "mail_out", "max_attempts", C_INT, O(mailout_max_attempts), "10", 1, 100, NULL },
	{ "mail_out", "claim_after", C_INT, O(mailout_claim_after), "300", 1, 86400, NULL },
	{ "mail_out", "auto_per_ticket", C_INT, O(mailout_auto_per_ticket), "3", 0, 1000000, NULL },
	{ "mail_out", "auto_per_address", C_INT, O(mailout_auto_per_address), "5", 0, 1000000, NULL },
	{ "mail_out", "auto_per_hour", C_INT, O(mailout_auto_per_hour), "1000", 0, 100000000, NULL },
	{ "voice", "twilio_auth_token", C_STR, O(voice_twilio_auth_token), "", KMAX },
	{ "voice", "cti_token", C_STR, O(voice_cti_token), "", KMAX },
	{ "voice", "queue", C_STR, O(voice_queue), "", KMAX },
	{ "voice", "ivr_queues", C_STR, O(voice_ivr_queues), "", KMAX },
	{ "voice", "ivr_prompt", C_STR, O(voice_ivr_prompt), "", KMAX },
	{ "voice", "blocked", C_STR, O(voice_blocked), "", KMAX },
	{ "voice", "answer_ms", C_INT, O(voice_answer_ms), "5000", 100, 14000, NULL },
	{ "voice", "hold_seconds", C_INT, O(voice_hold_seconds), "15", 1, 600, NULL },
	{ "voice", "hold_attempts", C_INT, O(voice_hold_attempts), "4", 1, 100, NULL },
	{ "voice", "dial_timeout", C_INT, O(voice_dial_timeout), "20", 5, 600, NULL },
	{ "voice", "voicemail_seconds", C_INT, O(voice_voicemail_seconds), "120", 5, 3600, NULL },
	{ "voice", "continue_window", C_INT, O(voice_continue_window), "86400", 0, 2592000, NULL },
	{ "chat", "max_sessions", C_INT, O(chat_max_sessions), "20000", 1, 1000000, NULL },
	{ "chat", "max_message", C_SIZE, O(chat_max_message), "16384", 64, 1 << 20, NULL },
	{ "chat", "max_per_ip", C_INT, O(chat_max_per_ip), "20", 0, 1000000, NULL },
	{ "chat", "rate", C_INT, O(chat_rate), "5", 1, 10000, NULL },
	{ "chat", "burst", C_INT, O(chat_burst), "10", 1, 100000, NULL },
	{ "chat", "idle_timeout", C_INT, O(chat_idle_timeout), "1800", 1, 604800, NULL },
	{ "chat", "handle_seconds", C_INT, O(chat_handle_seconds), "180", 1, 86400, NULL },
	{ "chat", "offer_after", C_INT, O(chat_offer_after), "120", 0, 86400, NULL },
	{ "chat", "agent_grace", C_INT, O(chat_agent_grace), "30", 0, 86400, NULL },
	{ "chat", "hours", C_STR, O(chat_hours), "", KMAX },
	{ "routing", "default_queue", C_STR, O(routing_default_queue), "general", KMAX },
	{ "routing", "wrapup_seconds", C_INT, O(routing_wrapup_seconds), "30", 0, 3600, NULL },
	{ "routing", "sticky_window", C_INT, O(routing_sticky_window), "604800", 0, 31536000, NULL },
	{ "safety", "forward_hours", C_INT, O(safety_forward_hours), "24", 1, 720, NULL },
	{ "safety", "encryption_key", C_STR, O(safety_encryption_key), "", KMAX },
	{ "safety", "screening_dir", C_STR, O(safety_screening_dir), "", KMAX },
	{ "safety", "timezone", C_STR, O(safety_timezone), "+00:00", KMAX },
	{ "safety", "mailbox", C_STR, O(safety_mailbox), "", KMAX },
	{ "safety", "due_soon_hours", C_INT, O(safety_due_soon_hours), "48", 1, 8760, NULL },
	{ "safety", "company", C_STR, O(safety_company), "RXDESK", KMAX },
	{ "safety", "sender_org", C_STR, O(safety_sender_org), "rxdesk", KMAX },
	{ "auth", "session_ttl", C_INT, O(auth_session_ttl), "43200", 2, 31536000, NULL },
	{ "auth", "max_failures", C_INT, O(auth_max_failures), "5", 1, 1000, NULL },
	{ "auth", "lockout", C_INT, O(auth_lockout), "900", 1, 86400, NULL },
	{ "auth", "slowdown_ms", C_INT, O(auth_slowdown_ms), "250", 0, 60000, NULL },
	{ "auth", "slowdown_max_ms", C_INT, O(auth_slowdown_max_ms), "4000", 0, 60000, NULL },
	{ "auth", "scrypt_n", C_INT, O(auth_scrypt_n), "32768", 2, 1048576, NULL },
	{ "auth", "scrypt_r", C_INT, O(auth_scrypt_r), "8", 1, 32, NULL },
	{ "auth", "scrypt_p", C_INT, O(auth_scrypt_p), "1", 1, 16, NULL },
	{ "auth", "workers", C_INT, O(auth_workers), "2", 1, 8, NULL },
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

struct hook {
	const char *kind;
	config_section_fn *fn;
};
static struct hook hooks[16];
static size_t nhooks;

void
config_section_hook(const char *kind, config_section_fn *fn)
{
	for (size_t i = 0; i < nhooks; i++)
		if (strcmp(hooks[i].kind, kind) == 0) {
			hooks[i].fn = fn;
			return;
		}
	if (nhooks == sizeof(hooks) / sizeof(hooks[0]))
		log_fatalx("config: too many section hooks");
	hooks[nhooks].kind = kind;
	hooks[nhooks++].fn = fn;
}

struct parse {
	struct config *cf;
	const char *reason;
	char where[128];
	char buf[160];
};

static int
parse_number(const char *v, long long *out)
{
	char *end;
	long long n, mult = 1;

	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno || end == v)
		return -1;
	if (*end == 'k' || *end == 'K')
		mult = 1024, end++;
	else if (*end == 'm' || *end == 'M')
		mult = 1024 * 1024, end++;
	else if (*end == 'g' || *end == 'G')
		mult = 1024 * 1024 * 1024, end++;
	if (*end != '\0' || n > LLONG_MAX / mult)
		return -1;
	*out = n * mult;
	return 0;
}

static int
parse_bool(const char *v)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on") || !strcmp(v, "1"))
		return 1;
	if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "off") || !strcmp(v, "0"))
		return 0;
	return -1;
}

/* Store VALUE into the field K describes; NULL on success, else the reason. */
static const char *
set_key(struct config *cf, const struct ckey *k, const char *v, char *buf,
    size_t buflen)
{
	char *field = (char *)cf + k->off;
	long long n;
	int b;

	switch (k->type) {
	case C_STR:
		if (k->choices) {
			size_t i;
			for (i = 0; k->choices[i]; i++)
				if (strcmp(k->choices[i], v) == 0)
					break;
			if (!k->choices[i])
				return "not one of the allowed values";
		}
		free(*(char **)field);
		*(char **)field = strdup(v);
		if (*(char **)field == NULL)
			return "out of memory";
		return NULL;
	case C_INT:
	case C_SIZE:
		if (parse_number(v, &n) == -1)
			return "not a number";
		if (n < k->min || n > k->max) {
			snprintf(buf, buflen, "must be between %lld and %lld",
			    k->min, k->max);
			return buf;
		}
		if (k->type == C_INT)
			*(int *)field = (int)n;
		else
			*(size_t *)field = (size_t)n;
		return NULL;
	case C_BOOL:
		if ((b = parse_bool(v)) == -1)
			return "not a boolean (yes/no)";
		*(int *)field = b;
		return NULL;
	}
	return "bad key type";
}

static const struct ckey *
find_key(const char *section, const char *key)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (!strcmp(keys[i].section, section) && !strcmp(keys[i].key, key))
			return &keys[i];
	return NULL;
}

static int
on_ini(void *arg, const char *section, const char *key, const char *value)
{
	struct parse *p = arg;
	const struct ckey *k;
	const char *sp;

	/* inih reads on after an error and reports the first one's line:
	 * keep the first one's key and reason with it. */
	if (p->reason)
		return 0;
	snprintf(p->where, sizeof(p->where), "[%s] %s", section, key);
	if ((sp = strchr(section, ' ')) != NULL) {
		for (size_t i = 0; i < nhooks; i++)
			if (strlen(hooks[i].kind) == (size_t)(sp - section) &&
			    !strncmp(hooks[i].kind, section, (size_t)(sp - section))) {
				while (*sp == ' ')
					sp++;
				if (hooks[i].fn(sp, key, value, &p->reason) == -1)
					return 0;
				return 1;
			}
		p->reason = "unknown section";
		return 0;
	}
	if ((k = find_key(section, key)) == NULL) {
		p->reason = "unknown key";
		return 0;
	}
	p->reason = set_key(p->cf, k, value, p->buf, sizeof(p->buf));
	return p->reason == NULL;
}

/* RXDESK_<SECTION>_<KEY>, upper-cased, for every key in the table. */
static int
apply_env(struct config *cf, char *err, size_t errlen)
{
	char name[128], buf[160];
	const char *v, *reason;

	for (size_t i = 0; i < NKEYS; i++) {
		size_t n = (size_t)snprintf(name, sizeof(name), "RXDESK_%s_%s",
		    keys[i].section, keys[i].key);
		for (size_t j = 0; j < n; j++)
			name[j] = (char)toupper((unsigned char)name[j]);
		if ((v = getenv(name)) == NULL)
			continue;
		if ((reason = set_key(cf, &keys[i], v, buf, sizeof(buf))) != NULL) {
			snprintf(err, errlen, "environment: %s: %s", name, reason);
			return -1;
		}
	}
	return 0;
}

struct config *
config_load(const char *path, char *err, size_t errlen)
{
	struct config *cf;
	struct parse p;
	int line;

	if ((cf = calloc(1, sizeof(*cf))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	memset(&p, 0, sizeof(p));
	p.cf = cf;
	for (size_t i = 0; i < NKEYS; i++)
		if (set_key(cf, &keys[i], keys[i].def, p.buf, sizeof(p.buf)))
			log_fatalx("config: bad default for %s.%s", keys[i].section,
			    keys[i].key);
	if (path) {
		cf->path = strdup(path);
		line = ini_parse(path, on_ini, &p);
		if (line == -1) {
			snprintf(err, errlen, "%s: cannot open: %s", path,
			    strerror(errno));
			goto fail;
		}
		if (line != 0) {
			snprintf(err, errlen, "%s:%d: %s: %s", path, line,
			    p.reason ? p.where : "syntax",
			    p.reason ? p.reason : "malformed line (or longer than 200 characters)");
			goto fail;
		}
	}
	if (apply_env(cf, err, errlen) == -1)
		goto fail;
	return cf;
fail:
	config_free(cf);
	return NULL;
}

void
config_free(struct config *cf)
{
	if (cf == NULL)
		return;
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].type == C_STR)
			free(*(char **)((char *)cf + keys[i].off));
	free(cf->path);
	free(cf);
}

/* Keys whose values are credentials: --check-config says whether each is
 * set, never what it is (the output lands in terminals, tickets and logs). */
static const char *const secrets[] = {
	"mail_out.password", "voice.twilio_auth_token", "voice.cti_token",
	"safety.encryption_key", NULL
};

static int
is_secret(const struct ckey *k)
{
	char name[96];

	snprintf(name, sizeof(name), "%s.%s", k->section, k->key);
	for (size_t i = 0; secrets[i]; i++)
		if (strcmp(secrets[i], name) == 0)
			return 1;
	return 0;
}

void
config_dump(const struct config *cf, FILE *f)
{
	const char *section = "";

	for (size_t i = 0; i < NKEYS; i++) {
		const char *field = (const char *)cf + keys[i].off;
		if (strcmp(section, keys[i].section)) {
			section = keys[i].section;
			fprintf(f, "%s[%s]\n", i ? "\n" : "", section);
		}
		fprintf(f, "%s = ", keys[i].key);
		switch (keys[i].type) {
		case C_STR:
			if (is_secret(&keys[i]))
				fprintf(f, "%s\n", **(char *const *)field ?
				    "(set)" : "(unset)");
			else
				fprintf(f, "%s\n", *(char *const *)field);
			break;
		case C_INT:
		case C_BOOL:
			fprintf(f, "%d\n", *(const int *)field);
			break;
		case C_SIZE:
			fprintf(f, "%zu\n", *(const size_t *)field);
			break;
		}
	}
}
