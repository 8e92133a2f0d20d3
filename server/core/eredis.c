/* eredis: see eredis.h. */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "server/core/config.h"
#include "server/core/eredis.h"
#include "server/core/log.h"

#define STOP_WAIT_MS	10000
#define RESTART_DELAY_S	1

static struct {
	char bin[PATH_MAX], dir[PATH_MAX], sock[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char fsync[16];
	pid_t pid;
	int stopping;
	struct event *sigchld, *restart;
} E;

static int
mkdir_p(const char *path)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(buf, 0750) == -1 && errno != EEXIST)
				return -1;
			*p = '/';
		}
	return mkdir(buf, 0750) == -1 && errno != EEXIST ? -1 : 0;
}

static void
child_exec(void)
{
	char logf[PATH_MAX + 16];
	const char *argv[32];
	int i = 0, fd;

	/* Our own process group: a Ctrl-C at the terminal goes to rxdeskd,
	 * which then stops Redis after the last write, not before. */
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	snprintf(logf, sizeof(logf), "%s/redis.log", E.dir);
	if ((fd = open("/dev/null", O_RDONLY)) != -1)
		dup2(fd, STDIN_FILENO);
	argv[i++] = E.bin;
	argv[i++] = "--port"; argv[i++] = "0";
	argv[i++] = "--unixsocket"; argv[i++] = E.sock;
	argv[i++] = "--unixsocketperm"; argv[i++] = "700";
	argv[i++] = "--dir"; argv[i++] = E.dir;
	argv[i++] = "--appendonly"; argv[i++] = "yes";
	argv[i++] = "--appendfsync"; argv[i++] = E.fsync;
	argv[i++] = "--save"; argv[i++] = "";
	argv[i++] = "--daemonize"; argv[i++] = "no";
	argv[i++] = "--logfile"; argv[i++] = logf;
	argv[i++] = "--databases"; argv[i++] = "1";
	argv[i] = NULL;
	execv(E.bin, (char *const *)argv);
	fprintf(stderr, "eredis: exec %s: %s\n", E.bin, strerror(errno));
	_exit(127);
}

static int
spawn(void)
{
	pid_t pid;

	unlink(E.sock);
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0)
		child_exec();
	E.pid = pid;
	log_info("eredis pid=%d socket=%s appendfsync=%s", (int)pid, E.sock, E.fsync);
	return 0;
}

static void
on_restart(evutil_socket_t fd, short ev, void *arg)
{
	if (!E.stopping && E.pid == 0 && spawn() == -1)
		log_warn("eredis restart failed");
}

static void
on_sigchld(evutil_socket_t fd, short ev, void *arg)
{
	struct timeval tv = { RESTART_DELAY_S, 0 };
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid != E.pid)
			continue;
		E.pid = 0;
		if (E.stopping)
			continue;
		log_warnx("eredis pid=%d exited status=%d signal=%d; restarting",
		    (int)pid, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
		    WIFSIGNALED(status) ? WTERMSIG(status) : 0);
		evtimer_add(E.restart, &tv);
	}
}

int
eredis_start(struct event_base *base, const struct config *cf, char *url,
    size_t urllen, const char **cause)
{
	char *abs;

	if (mkdir_p(cf->data_dir) == -1 || (abs = realpath(cf->data_dir, NULL)) == NULL) {
		*cause = "server.data_dir cannot be created";
		return -1;
	}
	snprintf(E.dir, sizeof(E.dir), "%s", abs);
	free(abs);
	if (snprintf(E.sock, sizeof(E.sock), "%s/redis.sock", E.dir) >=
	    (int)sizeof(E.sock)) {
		*cause = "server.data_dir is too long for a unix socket path";
		return -1;
	}
	snprintf(E.bin, sizeof(E.bin), "%s", cf->redis_server);
	snprintf(E.fsync, sizeof(E.fsync), "%s", cf->redis_appendfsync);
	if (access(E.bin, X_OK) == -1) {
		*cause = "redis.server is not an executable (install redis-server)";
		return -1;
	}
	E.stopping = 0;
	E.sigchld = evsignal_new(base, SIGCHLD, on_sigchld, NULL);
	E.restart = evtimer_new(base, on_restart, NULL);
	evsignal_add(E.sigchld, NULL);
	if (spawn() == -1) {
		*cause = "fork failed";
		return -1;
	}
	snprintf(url, urllen, "unix://%s", E.sock);
	return 0;
}

void
eredis_stop(void)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int status, waited = 0;

	E.stopping = 1;
	if (E.pid > 0) {
		kill(E.pid, SIGTERM);
		while (waitpid(E.pid, &status, WNOHANG) == 0) {
			if (waited >= STOP_WAIT_MS) {
				log_warnx("eredis pid=%d did not stop; killing", (int)E.pid);
				kill(E.pid, SIGKILL);
				waitpid(E.pid, &status, 0);
				break;
			}
			nanosleep(&ts, NULL);
			waited += 10;
		}
		log_info("eredis pid=%d stopped", (int)E.pid);
		E.pid = 0;
	}
	if (E.sigchld)
		event_free(E.sigchld);
	if (E.restart)
		event_free(E.restart);
	E.sigchld = E.restart = NULL;
}

