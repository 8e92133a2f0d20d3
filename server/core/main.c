/*
 * rxdeskd: parse the command line and the configuration, start the modules
 * on one libevent loop, and stop them in order on SIGTERM/SIGINT. A request
 * enters through server/core/http.c (HTTP), channels/smtp.c (mail) or
 * server/core/ws.c (WebSockets); see docs/architecture.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "build.h"
#include "server/core/config.h"
#include "server/core/eredis.h"
#include "server/core/http.h"
#include "server/core/log.h"
#include "server/core/modules.h"
#include "server/core/redis.h"

static struct {
	struct event_base *base;
	struct config *cf;
	const char *path;
	struct event *sigterm, *sigint, *sighup, *drain;
	int draining, drain_ticks, embedded;
} D;

static void
usage(FILE *f)
{
	fprintf(f, "usage: rxdeskd [-c FILE] [--check-config] [--version] [--help]\n"
	    "  -c, --config FILE   configuration file (INI); default: built-in defaults\n"
	    "      --check-config  validate the configuration, print it and exit\n"
	    "  -V, --version       print the version and exit\n"
	    "Every key can be set by the environment as RXDESK_<SECTION>_<KEY>.\n");
}

static void
apply_logging(const struct config *cf)
{
	int fd;

	log_setup(log_level_parse(cf->log_level), log_format_parse(cf->log_format));
	if (cf->log_file[0] == '\0')
		return;
	if ((fd = open(cf->log_file, O_WRONLY | O_APPEND | O_CREAT, 0600)) == -1) {
		log_warn("log_file=\"%s\" cannot be opened", cf->log_file);
		return;
	}
	dup2(fd, STDERR_FILENO);
	close(fd);
}

/* Stop when nothing is in flight or server.shutdown_timeout has passed. */
static void
on_drain(evutil_socket_t fd, short ev, void *arg)
{
	unsigned busy = http_inflight() + modules_busy();

	if (busy == 0 || ++D.drain_ticks > D.cf->shutdown_timeout * 10) {
		if (busy)
			log_warnx("shutdown with %u requests unfinished", busy);
		http_refuse_arriving();
		event_base_loopexit(D.base, NULL);
	}
}

static void
on_stop_signal(evutil_socket_t sig, short ev, void *arg)
{
	struct timeval tv = { 0, 100 * 1000 };

	if (D.draining) {
		log_warnx("second signal: stopping now");
		event_base_loopexit(D.base, NULL);
		return;
	}
	log_info("signal=%d stopping: no new connections, finishing in-flight work",
	    (int)sig);
	D.draining = 1;
	http_stop_accepting();
	modules_quiesce();
	D.drain = event_new(D.base, -1, EV_PERSIST, on_drain, NULL);
	event_add(D.drain, &tv);
}

static void
on_hup(evutil_socket_t sig, short ev, void *arg)
{
	char err[CONFIG_ERR_MAX];
	struct config *cf;

	if ((cf = config_load(D.path, err, sizeof(err))) == NULL) {
		log_warnx("reload failed, keeping the running configuration: %s", err);
		return;
	}
	apply_logging(cf);
	http_reload(cf);
	modules_reload(cf);
	log_info("configuration reloaded path=\"%s\"", D.path ? D.path : "");
	config_free(cf);
}

/*
 * The data directory holds patients' and reporters' data (the AOF) and
 * Redis's socket: ours alone. One that an earlier version or an operator
 * made with wider modes is narrowed, so that files created loose before
 * stay out of other users' reach; one we do not own is only reported.
 */
static void
private_data_dir(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) == -1 || (st.st_mode & 077) == 0)
		return;
	if (st.st_uid != geteuid()) {
		log_warnx("data_dir=\"%s\" mode=%04o is open to other users and "
		    "not ours to change", dir, (unsigned)(st.st_mode & 07777));
		return;
	}
	if (chmod(dir, 0700) == -1)
		log_warn("data_dir=\"%s\" chmod 0700", dir);
	else
		log_info("data_dir=\"%s\" mode %04o narrowed to 0700", dir,
		    (unsigned)(st.st_mode & 07777));
}

static int
start(void)
{
	char url[512];
	const char *cause = NULL, *redis_url = D.cf->redis_url;

	if (redis_url[0] == '\0') {
		private_data_dir(D.cf->data_dir);
		if (eredis_start(D.base, D.cf, url, sizeof(url), &cause) == -1) {
			log_warnx("embedded redis: %s", cause);
			return -1;
		}
		D.embedded = 1;
		redis_url = url;
	}
	if (http_start(D.base, D.cf, &cause) == -1 ||
	    modules_start(D.base, D.cf, &cause) == -1 ||
	    redis_start(D.base, redis_url, D.cf->redis_timeout_ms, &cause) == -1) {
		log_warnx("start failed: %s", cause);
		return -1;
	}
	return 0;
}

static void
stop(void)
{
	modules_stop();
	http_free();
	redis_stop();
	if (D.embedded)
		eredis_stop();
	if (D.drain)
		event_free(D.drain);
	event_free(D.sigterm);
	event_free(D.sigint);
	event_free(D.sighup);
	event_base_free(D.base);
	config_free(D.cf);
	libevent_global_shutdown();
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char err[CONFIG_ERR_MAX];
	int ch, check = 0, rc;

	/* Everything we create (the data directory, the embedded Redis's AOF,
	 * socket and log, server.log_file) is the service's alone, whatever
	 * umask the caller had; redis-server inherits it. */
	umask(077);
	while ((ch = getopt_long(argc, argv, "c:Vh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': D.path = optarg; break;
		case 'C': check = 1; break;
		case 'V': printf("rxdeskd %s\n", PACKAGE_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	modules_config();
	if ((D.cf = config_load(D.path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "rxdeskd: %s\n", err);
		return 1;
	}
	if (check) {
		if (modules_check(D.cf, err, sizeof(err)) == -1) {
			fprintf(stderr, "rxdeskd: %s\n", err);
			return 1;
		}
		config_dump(D.cf, stdout);
		fprintf(stderr, "rxdeskd: configuration ok\n");
		config_free(D.cf);
		return 0;
	}
	apply_logging(D.cf);
	signal(SIGPIPE, SIG_IGN);
	evthread_use_pthreads();
	D.base = event_base_new();
	D.sigterm = evsignal_new(D.base, SIGTERM, on_stop_signal, NULL);
	D.sigint = evsignal_new(D.base, SIGINT, on_stop_signal, NULL);
	D.sighup = evsignal_new(D.base, SIGHUP, on_hup, NULL);
	evsignal_add(D.sigterm, NULL);
	evsignal_add(D.sigint, NULL);
	evsignal_add(D.sighup, NULL);
	log_info("rxdeskd version=%s pid=%d config=\"%s\" starting", PACKAGE_VERSION,
	    (int)getpid(), D.path ? D.path : "");
	rc = start() == 0 ? 0 : 1;
	if (rc == 0)
		event_base_dispatch(D.base);
	stop();
	log_info("rxdeskd stopped");
	return rc;
}
