/*
 * rxdeskctl: parse the command line, load the configuration, connect to
 * Redis on an event loop of its own, and run one command of the table
 * below once the function library is loaded (see ctl.h).
 */
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "build.h"
#include "server/ctl/ctl_route.h"
#include "server/core/config.h"
#include "server/ctl/ctl.h"
#include "server/core/log.h"
#include "server/core/modules.h"
#include "server/core/redis.h"
#include "server/store/store.h"

#define CONNECT_TIMEOUT_S	15	/* to reach Redis and load the library */
/* A command may wait this long: an import keeps hundreds of rows queued,
 * and an operator would rather wait than see a busy Redis as a failure. */
#define CTL_TIMEOUT_MS		60000

/* One line per command; keep groups together for the usage text. */
static const struct ctl_command commands[] = {
	{ "audit", "verify", "[PAGE]", ctl_audit_verify },
	{ "case", "export", "[--csv|--e2b] [--output FILE] (ID | --from DATE [--to DATE])",
	    ctl_case_export },
	{ "key", "rotate", "", ctl_key_rotate },
	{ "customer", "import", "FILE.csv", ctl_customer_import },
	{ "customer", "export", "", ctl_customer_export },
	{ "agent", "add", "--name N --email E --roles R [--password P]", ctl_agent_add },
	{ "agent", "list", "", ctl_agent_list },
	{ "route", "explain", "[--channel C] [--form F] [--type T] [--segment S] "
	    "TEXT-OR-TICKET | --ticket N", ctl_route_explain },
	{ "screening", "export", "[--since DATE] [--output FILE]", ctl_screening_export },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static struct {
	struct event_base *base;
	struct config *cf;
	struct event *timeout;
	const struct ctl_command *cmd;
	int argc, started, status;
	char **argv;
	char url[PATH_MAX + 32];
} C;

static void
usage(FILE *f)
{
	fprintf(f, "usage: rxdeskctl [-c FILE] <command> [arguments]\n"
	    "  -c, --config FILE   configuration file (the daemon's)\n"
	    "  -V, --version       print the version and exit\n"
	    "commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %s %s %s\n", commands[i].group, commands[i].name,
		    commands[i].args);
}

const struct config *
ctl_config(void)
{
	return C.cf;
}

struct event_base *
ctl_base(void)
{
	return C.base;
}

void
ctl_finish(int status)
{
	C.status = status;
	event_base_loopexit(C.base, NULL);
}

static void
on_ready(int ready)
{
	int rc;

	if (!ready || C.started)
		return;
	C.started = 1;
	evtimer_del(C.timeout);
	if ((rc = C.cmd->fn(C.argc, C.argv)) != 0)
		ctl_finish(rc);
}

static void
on_timeout(evutil_socket_t fd, short ev, void *arg)
{
	fprintf(stderr, "rxdeskctl: cannot reach Redis at %s (is rxdeskd "
	    "running?)\n", C.url);
	ctl_finish(1);
}

static const struct ctl_command *
find(const char *group, const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].group, group) == 0 &&
		    strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* The daemon's Redis: redis.url, or the embedded one's socket. */
static int
redis_url(char *url, size_t len)
{
	char dir[PATH_MAX];

	if (C.cf->redis_url[0] != '\0') {
		snprintf(url, len, "%s", C.cf->redis_url);
		return 0;
	}
	if (realpath(C.cf->data_dir, dir) == NULL) {
		fprintf(stderr, "rxdeskctl: server.data_dir %s: no such directory "
		    "(has rxdeskd run?)\n", C.cf->data_dir);
		return -1;
	}
	if ((size_t)snprintf(url, len, "unix://%s/redis.sock", dir) >= len) {
		fprintf(stderr, "rxdeskctl: server.data_dir path too long\n");
		return -1;
	}
	return 0;
}

static int
run(void)
{
	struct timeval tv = { CONNECT_TIMEOUT_S, 0 };
	const char *cause;

	if (redis_url(C.url, sizeof(C.url)) == -1)
		return 1;
	C.base = event_base_new();
	C.timeout = evtimer_new(C.base, on_timeout, NULL);
	evtimer_add(C.timeout, &tv);
	store_start(C.base, C.cf, &cause);
	redis_on_ready(on_ready);
	if (redis_start(C.base, C.url, C.cf->redis_timeout_ms > CTL_TIMEOUT_MS ?
	    C.cf->redis_timeout_ms : CTL_TIMEOUT_MS, &cause) == -1) {
		fprintf(stderr, "rxdeskctl: %s\n", cause);
		C.status = 1;
	} else
		event_base_dispatch(C.base);
	redis_stop();
	event_free(C.timeout);
	event_base_free(C.base);
	libevent_global_shutdown();
	return C.status;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char err[CONFIG_ERR_MAX];
	const char *path = NULL;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "+c:Vh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 'V': printf("rxdeskctl %s\n", PACKAGE_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (argc - optind < 2 || (C.cmd = find(argv[optind],
	    argv[optind + 1])) == NULL) {
		usage(stderr);
		return 2;
	}
	C.argc = argc - optind - 1;
	C.argv = argv + optind + 1;
	modules_config();
	if ((C.cf = config_load(path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "rxdeskctl: %s\n", err);
		return 1;
	}
	log_setup(LOG_LVL_ERROR, LOG_FMT_TEXT);
	signal(SIGPIPE, SIG_IGN);
	rc = run();
	config_free(C.cf);
	return rc;
}
