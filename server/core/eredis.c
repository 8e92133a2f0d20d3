/* eredis: see eredis.h. */
#define _GNU_SOURCE	/* close_range */
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <dirent.h>
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
#define LOCK_WAIT_MS	30000	/* for a predecessor's redis-server to exit */
#define LOCK_NAME	"rxdesk.lock"
#define LINK_NAME	"redis.sock"

static struct {
	char bin[PATH_MAX], dir[PATH_MAX], sock[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char fsync[16];
	char why[PATH_MAX + 160];	/* the reason a start was refused */
	int lockfd;
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

/* Write who holds the lock, for a successor's message. */
static void
lock_note(pid_t redis)
{
	char buf[64];
	int n = snprintf(buf, sizeof(buf), "rxdeskd=%d redis=%d\n",
	    (int)getpid(), (int)redis);

	if (ftruncate(E.lockfd, 0) == -1 || pwrite(E.lockfd, buf, (size_t)n, 0) != n)
		log_warn("eredis: %s/%s not written", E.dir, LOCK_NAME);
}

static void
lock_holders(int *rxdeskd, int *redis)
{
	char buf[64] = "";

	*rxdeskd = *redis = 0;
	if (pread(E.lockfd, buf, sizeof(buf) - 1, 0) > 0)
		sscanf(buf, "rxdeskd=%d redis=%d", rxdeskd, redis);
}

/* A process that runs (a zombie, killed and not yet reaped, does not). */
static int
alive(int pid)
{
	char path[64], buf[256], *p;
	FILE *f;
	int zombie = 0;

	if (pid <= 0 || pid == (int)getpid() ||
	    (kill(pid, 0) == -1 && errno != EPERM))
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if ((f = fopen(path, "r")) != NULL) {
		if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) != NULL)
			zombie = p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
		fclose(f);
	}
	return !zombie;
}

/*
 * Take the data directory for ourselves: an flock on rxdesk.lock that the
 * redis-server child inherits, so it is free only when both are gone. A
 * predecessor killed with SIGKILL leaves its redis-server finishing its AOF
 * (and then removing its socket): wait for it, within a bound. A live
 * rxdeskd on the same directory is refused at once.
 */
static int
lock_data_dir(const char **cause)
{
	char path[PATH_MAX + 16];
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	int rxdeskd, redis, waited = 0, said = 0;

	snprintf(path, sizeof(path), "%s/%s", E.dir, LOCK_NAME);
	if ((E.lockfd = open(path, O_RDWR | O_CREAT, 0640)) == -1) {
		*cause = "server.data_dir: rxdesk.lock cannot be opened";
		return -1;
	}
	while (flock(E.lockfd, LOCK_EX | LOCK_NB) == -1) {
		int busy = errno == EWOULDBLOCK;

		lock_holders(&rxdeskd, &redis);
		if (!busy || alive(rxdeskd) || waited >= LOCK_WAIT_MS) {
			snprintf(E.why, sizeof(E.why), "server.data_dir %s is in use "
			    "(%s pid %d%s); stop it first", E.dir,
			    alive(rxdeskd) ? "rxdeskd" : "redis-server",
			    alive(rxdeskd) ? rxdeskd : redis,
			    alive(rxdeskd) ? "" : ", still running after 30 s");
			*cause = E.why;
			close(E.lockfd);
			E.lockfd = -1;
			return -1;
		}
		if (!said++)
			log_warnx("eredis: waiting for the previous redis-server "
			    "pid=%d to exit (data_dir=%s)", redis, E.dir);
		nanosleep(&ts, NULL);
		waited += 50;
	}
	if (said)
		log_info("eredis: previous redis-server gone after %d ms", waited);
	lock_note(0);
	return 0;
}

/*
 * Our socket's name carries our pid, so that no other instance's
 * redis-server, even one shutting down late, can remove it; redis.sock is
 * a symbolic link to it for rxdeskctl. Stale sockets of dead instances
 * go (we hold the lock: nobody else uses them).
 */
static int
socket_path(const char **cause)
{
	char link[PATH_MAX + 16], tmp[PATH_MAX + 32], target[64];
	struct dirent *de;
	DIR *d;

	if ((d = opendir(E.dir)) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (strncmp(de->d_name, "redis.", 6) == 0 &&
			    strlen(de->d_name) > 11 &&
			    strcmp(de->d_name + strlen(de->d_name) - 5, ".sock") == 0 &&
			    strcmp(de->d_name, LINK_NAME))
				unlinkat(dirfd(d), de->d_name, 0);
		closedir(d);
	}
	snprintf(target, sizeof(target), "redis.%d.sock", (int)getpid());
	if (snprintf(E.sock, sizeof(E.sock), "%s/%s", E.dir, target) >=
	    (int)sizeof(E.sock)) {
		*cause = "server.data_dir is too long for a unix socket path";
		return -1;
	}
	snprintf(link, sizeof(link), "%s/%s", E.dir, LINK_NAME);
	snprintf(tmp, sizeof(tmp), "%s/.%s.%d", E.dir, LINK_NAME, (int)getpid());
	unlink(tmp);
	if (symlink(target, tmp) == -1 || rename(tmp, link) == -1) {
		unlink(tmp);
		*cause = "server.data_dir: redis.sock link cannot be written";
		return -1;
	}
	return 0;
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
	if (getppid() == 1)
		_exit(1);	/* rxdeskd died before the line above */
	/* Only the lock crosses into redis-server: it must hold the data
	 * directory for as long as it lives, and nothing else of ours (an
	 * inherited listener would keep a successor from binding). */
	if (E.lockfd > 3)
		close_range(3, (unsigned)E.lockfd - 1, 0);
	close_range((unsigned)E.lockfd + 1, ~0U, 0);
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
	lock_note(pid);
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
	snprintf(E.bin, sizeof(E.bin), "%s", cf->redis_server);
	snprintf(E.fsync, sizeof(E.fsync), "%s", cf->redis_appendfsync);
	if (access(E.bin, X_OK) == -1) {
		*cause = "redis.server is not an executable (install redis-server)";
		return -1;
	}
	if (lock_data_dir(cause) == -1 || socket_path(cause) == -1)
		return -1;
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
	if (E.lockfd > 0) {
		char link[PATH_MAX + 16], target[64], seen[64] = "";

		/* The link goes if it is still ours (a successor may own it). */
		snprintf(link, sizeof(link), "%s/%s", E.dir, LINK_NAME);
		snprintf(target, sizeof(target), "redis.%d.sock", (int)getpid());
		if (readlink(link, seen, sizeof(seen) - 1) > 0 && strcmp(seen, target) == 0)
			unlink(link);
		lock_note(0);
		close(E.lockfd);	/* the lock goes with the last holder */
		E.lockfd = -1;
	}
	if (E.sigchld)
		event_free(E.sigchld);
	if (E.restart)
		event_free(E.restart);
	E.sigchld = E.restart = NULL;
}

