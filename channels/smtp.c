/* smtp: see smtp.h. */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <openssl/ssl.h>

#include "channels/mime.h"
#include "channels/smtp.h"
#include "channels/smtp_deliver.h"
#include "channels/smtp_session.h"
#include "server/core/config.h"
#include "server/core/log.h"
#include "server/core/tls.h"

static struct {
	struct event_base *base;
	struct evconnlistener *listener;
	struct smtp_params params;
	char *hostname, *domains, *queues, *msgid_domain;
	int max_sessions;
	int max_per_ip;		/* 0: no per-address limit */
	SSL_CTX *ssl;
	int mime_ready;
} S;

static int
parse_listen(const char *listen, struct sockaddr_storage *ss, int *sslen)
{
	*sslen = (int)sizeof(*ss);
	return evutil_parse_sockaddr_port(listen, (struct sockaddr *)ss, sslen);
}

int
smtp_check(const struct config *cf, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	const char *cause = NULL;
	int sslen;

	if (parse_listen(cf->smtp_listen, &ss, &sslen) == -1)
		cause = "smtp.listen must be ip:port";
	else if (strspn(cf->smtp_domains, " ,") == strlen(cf->smtp_domains))
		cause = "smtp.domains must name at least one domain";
	else if ((cf->smtp_cert[0] == '\0') != (cf->smtp_key[0] == '\0'))
		cause = "smtp.cert and smtp.key go together";
	else if (cf->smtp_require_tls && cf->smtp_cert[0] == '\0')
		cause = "smtp.require_tls needs smtp.cert and smtp.key";
	else if (smtp_deliver_setup(cf->smtp_hostname, cf->mailout_domain,
	    cf->smtp_domains, cf->smtp_queues, cf->smtp_max_size, &cause) == 0)
		smtp_deliver_free();
	if (cause == NULL)
		return 0;
	snprintf(err, errlen, "%s", cause);
	return -1;
}

static int
setup_tls(const struct config *cf, const char **cause)
{
	if (cf->smtp_cert[0] == '\0')
		return 0;
	if ((S.ssl = tls_server_ctx(cf->smtp_cert, cf->smtp_key, cause)) == NULL)
		return -1;
	return 0;
}

/* New certificate and key on SIGHUP for the next STARTTLS; sessions already
 * in TLS keep theirs (each SSL holds a reference to its context). */
static void
reload_tls(const struct config *cf)
{
	const char *cause = NULL;
	SSL_CTX *ctx;

	if ((S.ssl == NULL) != (cf->smtp_cert[0] == '\0')) {
		log_warnx("smtp reload: turning STARTTLS on or off needs a restart");
		return;
	}
	if (S.ssl == NULL)
		return;
	if ((ctx = tls_server_ctx(cf->smtp_cert, cf->smtp_key, &cause)) == NULL) {
		log_warnx("smtp reload: %s; keeping the old certificate", cause);
		return;
	}
	SSL_CTX_free(S.ssl);
	S.ssl = ctx;
	log_info("smtp tls certificate reloaded cert=\"%s\"", cf->smtp_cert);
}

static void
peer_name(const struct sockaddr *sa, char *buf, size_t len)
{
	const void *a = sa->sa_family == AF_INET6 ?
	    (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr :
	    (const void *)&((const struct sockaddr_in *)sa)->sin_addr;

	if (evutil_inet_ntop(sa->sa_family, a, buf, len) == NULL)
		snprintf(buf, len, "unknown");
}

/* Over a limit: say so (RFC 5321 3.8) without starting a session. */
static void
refuse(evutil_socket_t fd, const char *code, const char *why)
{
	char msg[256];
	int n;

	n = snprintf(msg, sizeof(msg), "421 %s %s %s, try again later\r\n", code,
	    S.params.hostname, why);
	if (send(fd, msg, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		log_debug("smtp refuse: send failed");
	evutil_closesocket(fd);
}

static void
on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct bufferevent *bev;
	char peer[64];

	if (smtp_session_count() >= (unsigned)S.max_sessions) {
		log_warnx("smtp sessions=%u limit reached", smtp_session_count());
		refuse(fd, "4.3.2", "Too many sessions");
		return;
	}
	peer_name(sa, peer, sizeof(peer));
	/* One sender may not take every session (DESIGN.md section 7). */
	if (S.max_per_ip && smtp_session_count_from(peer) >= (unsigned)S.max_per_ip) {
		log_warnx("smtp peer=%s sessions limit per address reached", peer);
		refuse(fd, "4.7.0", "Too many sessions from your address");
		return;
	}
	if ((bev = bufferevent_socket_new(S.base, fd, BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		evutil_closesocket(fd);
		return;
	}
	smtp_session_new(bev, peer, &S.params);
}

static void
set_params(const struct config *cf)
{
	free(S.hostname);
	free(S.domains);
	free(S.queues);
	free(S.msgid_domain);
	S.msgid_domain = strdup(cf->mailout_domain);
	S.hostname = strdup(cf->smtp_hostname);
	S.domains = strdup(cf->smtp_domains);
	S.queues = strdup(cf->smtp_queues);
	if (S.hostname == NULL || S.domains == NULL || S.queues == NULL ||
	    S.msgid_domain == NULL)
		log_fatalx("smtp: out of memory");
	S.params.hostname = S.hostname;
	S.params.lmtp = strcmp(cf->smtp_mode, "lmtp") == 0;
	S.params.domains = S.domains;
	S.params.max_size = cf->smtp_max_size;
	S.params.max_rcpt = cf->smtp_max_rcpt;
	S.params.max_errors = cf->smtp_max_errors;
	S.params.idle_timeout = cf->smtp_idle_timeout;
	S.params.session_timeout = cf->smtp_session_timeout;
	S.params.command_timeout = cf->smtp_command_timeout;
	S.params.data_timeout = cf->smtp_data_timeout;
	S.params.tls = S.ssl;
	S.params.require_tls = cf->smtp_require_tls;
	S.params.deliver = smtp_deliver;
	S.max_sessions = cf->smtp_max_sessions;
	S.max_per_ip = cf->smtp_max_per_ip;
}

int
smtp_start(struct event_base *base, const struct config *cf, const char **cause)
{
	struct sockaddr_storage ss;
	int sslen;

	S.base = base;
	mime_init();
	S.mime_ready = 1;
	if (parse_listen(cf->smtp_listen, &ss, &sslen) == -1) {
		*cause = "smtp.listen must be ip:port";
		return -1;
	}
	if (setup_tls(cf, cause) == -1 ||
	    smtp_deliver_setup(cf->smtp_hostname, cf->mailout_domain,
	    cf->smtp_domains, cf->smtp_queues, cf->smtp_max_size, cause) == -1)
		return -1;
	set_params(cf);
	S.listener = evconnlistener_new_bind(base, on_accept, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, 128,
	    (struct sockaddr *)&ss, sslen);
	if (S.listener == NULL) {
		*cause = "cannot bind smtp.listen";
		return -1;
	}
	log_info("smtp listen=%s mode=%s tls=%s domains=\"%s\"", cf->smtp_listen,
	    cf->smtp_mode, S.ssl ? "yes" : "no", cf->smtp_domains);
	return 0;
}

void
smtp_reload(const struct config *cf)
{
	const char *cause = NULL;
	int lmtp;

	/* listen and mode need a restart; the certificate applies to the next
	 * STARTTLS, the rest to new commands */
	if (smtp_deliver_setup(cf->smtp_hostname, cf->mailout_domain,
	    cf->smtp_domains, cf->smtp_queues, cf->smtp_max_size, &cause) == -1) {
		log_warnx("smtp reload: %s; keeping the old settings", cause);
		smtp_deliver_setup(S.hostname, S.msgid_domain, S.domains,
		    S.queues, S.params.max_size, &cause);
		return;
	}
	lmtp = S.params.lmtp;
	reload_tls(cf);
	set_params(cf);
	S.params.lmtp = lmtp;
	log_info("smtp reloaded domains=\"%s\"", S.domains);
}

void
smtp_quiesce(void)
{
	if (S.listener)
		evconnlistener_disable(S.listener);
	smtp_session_quiesce();
}

unsigned
smtp_busy(void)
{
	return smtp_session_busy();
}

void
smtp_stop(void)
{
	smtp_session_close_all();
	if (S.listener)
		evconnlistener_free(S.listener);
	S.listener = NULL;
	if (S.ssl)
		SSL_CTX_free(S.ssl);
	S.ssl = NULL;
	smtp_deliver_free();
	free(S.hostname);
	free(S.domains);
	free(S.queues);
	free(S.msgid_domain);
	S.hostname = S.domains = S.queues = S.msgid_domain = NULL;
	if (S.mime_ready)
		mime_shutdown();
	S.mime_ready = 0;
}
