/*
 * config: the INI file (inih) and its RXDESK_<SECTION>_<KEY> environment
 * overrides, parsed into one struct config. The key table in config.c is the
 * single list of settings; docs/config.md documents each one.
 * Sections named "[kind name]" (for example "[form contact]") go to a hook
 * registered by the module that owns that kind.
 */
#ifndef RX_CONFIG_H
#define RX_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#define CONFIG_ERR_MAX 512

struct config {
	/* [server] */
	char *data_dir;		/* embedded Redis files, pid file */
	char *log_level;
	char *log_format;
	char *log_file;		/* empty: stderr; reopened on SIGHUP */
	char *node_id;		/* names this node in logs and events */
	int shutdown_timeout;	/* seconds to finish in-flight work */
	char *public_url;	/* how customers and agents reach us */
	char *default_country;	/* ISO 3166 alpha-2 for national numbers */
	/* [http] */
	char *http_listen;
	size_t http_max_body;
	int http_timeout;	/* seconds a client may take per request */
	int http_header_timeout; /* seconds from a request's first byte to its blank line */
	int http_body_timeout;	/* seconds from the headers to the body's end */
	int http_max_per_ip;	/* connections open from one address (0: no cap) */
	char *http_allowed_origins; /* comma-separated, for WebSocket upgrades */
	int http_rate_limit;	/* requests per minute per IP on public paths */
	char *http_cert;
	char *http_key;
	char *web_root;
	size_t ws_max_message;	/* largest WebSocket message taken */
	size_t ws_max_queue;	/* bytes waiting for a slow WebSocket peer */
	int ws_ping_interval;	/* seconds between WebSocket pings */
	int ws_pong_timeout;	/* seconds a ping may wait for its pong */
	/* [redis] */
	char *redis_url;	/* empty: start the embedded redis-server */
	char *redis_prefix;
	int redis_timeout_ms;
	char *redis_server;	/* redis-server binary for the embedded mode */
	char *redis_appendfsync;
	/* [smtp] */
	char *smtp_listen;
	char *smtp_mode;	/* smtp | lmtp */
	char *smtp_domains;
	char *smtp_hostname;
	size_t smtp_max_size;
	int smtp_max_rcpt;
	int smtp_max_sessions;
	int smtp_max_per_ip;	/* concurrent sessions from one address */
	int smtp_idle_timeout;
	int smtp_max_errors;	/* bad commands before 421 */
	int smtp_session_timeout; /* seconds a whole session may last */
	int smtp_command_timeout; /* seconds from a command's first byte to its end */
	int smtp_data_timeout;	/* seconds from 354 to the end of the message */
	char *smtp_queues;	/* "local:queue,..." address -> queue */
	char *smtp_cert;
	char *smtp_key;
	int smtp_require_tls;	/* refuse MAIL before STARTTLS */
	/* [mail_out] */
	char *mailout_relay;	/* host:port; empty disables sending */
	char *mailout_from;
	char *mailout_starttls;	/* no | optional | required */
	char *mailout_user;
	char *mailout_password;
	int mailout_workers;
	char *mailout_domain;	/* of our Message-IDs; empty: smtp.hostname */
	char *mailout_templates; /* directory of ack.<lang>.txt */
	int mailout_timeout;	/* seconds per SMTP step */
	int mailout_poll_ms;	/* how often the outbox is read */
	int mailout_retry_min;	/* seconds before the first retry */
	int mailout_retry_max;	/* seconds: the back-off's ceiling */
	int mailout_max_attempts; /* then the failure is permanent */
	int mailout_claim_after; /* seconds before another node takes a job */
	int mailout_auto_per_ticket;	/* automatic mails per ticket per 24 h */
	int mailout_auto_per_address;	/* ... per recipient per 24 h */
	int mailout_auto_per_hour;	/* ... overall per clock hour */
	/* [voice] */
	char *voice_twilio_auth_token;
	char *voice_cti_token;
	char *voice_queue;		/* calls' queue without an IVR choice; empty: routing's */
	char *voice_ivr_queues;	/* "1:medinfo, 2:safety" */
	char *voice_ivr_prompt;	/* what the IVR menu says */
	char *voice_blocked;	/* numbers rejected at once */
	int voice_answer_ms;	/* TwiML from a timer after this */
	int voice_hold_seconds;	/* one hold before asking again */
	int voice_hold_attempts; /* holds before voicemail */
	int voice_dial_timeout;	/* seconds an agent's phone rings */
	int voice_voicemail_seconds; /* longest voicemail */
	int voice_continue_window; /* a call continues an open call ticket this recent; 0: never */
	/* [chat] */
	int chat_max_sessions;
	size_t chat_max_message;
	int chat_max_per_ip;	/* open chat sockets per address; 0: no cap */
	int chat_rate;		/* customer frames per second, sustained */
	int chat_burst;		/* ... and in a burst */
	int chat_idle_timeout;	/* seconds without a customer frame */
	int chat_handle_seconds; /* average chat length, for wait estimates */
	int chat_offer_after;	/* seconds of waiting before "leave a message" */
	int chat_agent_grace;	/* seconds an agent may vanish mid-chat */
	char *chat_hours;	/* "mon-fri 08:00-18:00" (UTC); empty: always */
	/* [routing] */
	char *routing_default_queue;
	int routing_wrapup_seconds;
	int routing_sticky_window;
	/* [safety] */
	int safety_forward_hours;
	char *safety_encryption_key; /* hex, 32 bytes for AES-256-GCM */
	char *safety_screening_dir; /* empty: screen_default_dir() */
	char *safety_timezone;	/* the company's offset for calendar days */
	char *safety_mailbox;	/* gets a notice per new case; empty: none */
	int safety_due_soon_hours; /* "nearly due" this close to a deadline */
	char *safety_company;	/* in the worldwide case id COUNTRY-COMPANY-n */
	char *safety_sender_org; /* the E2B sender organisation */
	/* [auth] */
	int auth_session_ttl;	/* seconds a session lives */
	int auth_max_failures;	/* failed logins in a row before the lock */
	int auth_lockout;	/* seconds an account stays locked */
	int auth_slowdown_ms;	/* delay after the first failure, doubled after each */
	int auth_slowdown_max_ms; /* ceiling of that delay */
	int auth_scrypt_n;	/* scrypt cost N (a power of two) for new hashes */
	int auth_scrypt_r;
	int auth_scrypt_p;
	int auth_workers;	/* threads that run scrypt off the loop */

	char *path;		/* the file this came from, for messages */
};

/*
 * A hook for "[kind name]" sections. Called once per key; returns 0, or -1
 * with *cause set to a static or config-owned reason.
 */
typedef int config_section_fn(const char *name, const char *key,
    const char *value, const char **cause);

/* Register the hook for sections "[kind ...]"; call before config_load. */
void config_section_hook(const char *kind, config_section_fn *fn);

/*
 * Load defaults, then PATH (NULL: defaults only), then the environment.
 * Returns a new config, or NULL with "file:line: key: reason" in err.
 */
struct config *config_load(const char *path, char *err, size_t errlen);
/* Free a config returned by config_load. */
void config_free(struct config *);
/* Print every key with its effective value as an INI file; a credential
 * (a password, token or key) only as "(set)" or "(unset)". */
void config_dump(const struct config *, FILE *);

#endif
