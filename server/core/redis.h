/*
 * redis: the one place that talks hiredis. One command connection and one
 * subscriber connection on the daemon's event loop, reconnected with back-off,
 * with a timeout on every command, and the Redis function libraries of the
 * modules loaded (and reloaded when their code changed) at every connect.
 * Callers see struct redisReply only through the redis_reply_* accessors.
 */
#ifndef RX_REDIS_H
#define RX_REDIS_H

#include <stddef.h>

struct event_base;
struct redisReply;

enum redis_rtype {
	REDIS_T_STRING = 1, REDIS_T_ARRAY, REDIS_T_INTEGER, REDIS_T_NIL,
	REDIS_T_STATUS, REDIS_T_ERROR
};

/*
 * A reply: R is valid only during the call and belongs to hiredis. ERR is
 * NULL on success, else the reason (an error reply's text, "timeout",
 * "disconnected"); then R may be NULL.
 */
typedef void redis_cb(const struct redisReply *r, const char *err, void *arg);
/* A published message on a subscribed channel. */
typedef void redis_msg_cb(const char *channel, const char *msg, size_t len,
    void *arg);
/* Told when readiness changes (1: connected and functions loaded). */
typedef void redis_ready_cb(int ready);

/*
 * Parse URL ("redis://[:password@]host:port/db", "unix:///path[?db=N]") and
 * start connecting. TIMEOUT_MS bounds each command. 0, or -1 with *cause.
 */
int redis_start(struct event_base *, const char *url, int timeout_ms,
    const char **cause);
/* Close both connections; pending callbacks get "disconnected". */
void redis_stop(void);
/*
 * Told the answer of FCALL CHECK_FN 0 once the library is in Redis: 0 if
 * it fits this build, else -1 with *cause, and the process stops (a
 * library that disagrees with its C is a bug, not a state to run in).
 */
typedef int redis_lib_check(const char *answer, size_t len, const char **cause);
/* Register a Lua function library (its text starts "#!lua name=NAME"),
 * loaded at every connect if its code changed, then checked with CHECK_FN
 * and CHECK (both may be NULL). CODE must stay valid. */
void redis_function_library(const char *name, const char *code,
    const char *check_fn, redis_lib_check *check);
/* Called on every change of readiness. */
void redis_on_ready(redis_ready_cb *);
/* 1 when connected with every function library loaded. */
int redis_ready(void);

/* Send a command (hiredis format). -1 when not ready: CB is then not called. */
int redis_command(redis_cb *cb, void *arg, const char *fmt, ...);
/* Send a command from an argument vector. -1 when not ready. */
int redis_commandv(redis_cb *cb, void *arg, int argc, const char **argv,
    const size_t *argvlen);
/* Send a command already in the protocol's form (RESP: "*N\r\n$len\r\n
 * ..."), LEN bytes, copied. -1 when not ready. */
int redis_command_resp(redis_cb *cb, void *arg, const char *cmd, size_t len);
/* Subscribe (now and after every reconnect) to CHANNEL. */
void redis_subscribe(const char *channel, redis_msg_cb *cb, void *arg);

int redis_reply_type(const struct redisReply *);
/* The text of a string, status or error reply (NUL-terminated); LEN may be NULL. */
const char *redis_reply_str(const struct redisReply *, size_t *len);
/* Number of elements of an array reply (0 for any other). */
size_t redis_reply_count(const struct redisReply *);
/* Element I of an array reply, or NULL. */
const struct redisReply *redis_reply_at(const struct redisReply *, size_t i);

#endif
