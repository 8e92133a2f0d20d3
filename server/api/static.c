/* static: see static.h. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "server/core/config.h"
#include "server/core/http.h"
#include "server/core/log.h"
#include "server/api/static.h"

#define STATIC_MAX_FILE	(4 * 1024 * 1024)

/* Pages show customer text: scripts only from us, nothing inline, no
 * framing, and sockets only to ourselves. */
static const char csp[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'";

static char *root;

static const char *
content_type(const char *path)
{
	static const struct { const char *ext, *type; } types[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".svg", "image/svg+xml" },
		{ ".png", "image/png" },
		{ ".ico", "image/x-icon" },
		{ ".json", "application/json" },
		{ ".txt", "text/plain; charset=utf-8" },
	};
	const char *dot = strrchr(path, '.');

	for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

/* Only [A-Za-z0-9._-] segments, none starting with a dot: no traversal,
 * no hidden files, whatever the decoding did. */
static int
safe_relpath(const char *rel)
{
	const char *p = rel;

	if (*p == '\0')
		return 0;
	for (; *p; p++) {
		if ((p == rel || p[-1] == '/') && (*p == '.' || *p == '/'))
			return 0;
		if (!(*p == '/' || *p == '.' || *p == '-' || *p == '_' ||
		    (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9')))
			return 0;
	}
	return p[-1] != '/';
}

static void
serve_file(struct http_req *r, const char *rel)
{
	char path[PATH_MAX];
	struct evbuffer *b;
	struct stat st;
	int fd;

	if (!safe_relpath(rel) ||
	    snprintf(path, sizeof(path), "%s/%s", root, rel) >= (int)sizeof(path)) {
		http_error(r, 404, "not_found", "no such file", NULL);
		return;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 || fstat(fd, &st) == -1 ||
	    !S_ISREG(st.st_mode) || st.st_size > STATIC_MAX_FILE) {
		if (fd != -1)
			close(fd);
		http_error(r, 404, "not_found", "no such file", NULL);
		return;
	}
	b = evbuffer_new();
	if (evbuffer_add_file(b, fd, 0, st.st_size) == -1) {
		close(fd);
		evbuffer_free(b);
		http_error(r, 500, "internal", "cannot read the file", NULL);
		return;
	}
	http_set_header(r, "Content-Security-Policy", csp);
	http_set_header(r, "X-Frame-Options", "DENY");
	http_set_header(r, "Referrer-Policy", "no-referrer");
	http_set_header(r, "Cache-Control", "no-cache");
	http_reply_buf(r, 200, content_type(rel), b);
	evbuffer_free(b);
}

static void
on_index(struct http_req *r, void *arg)
{
	serve_file(r, "index.html");
}

/* Where a plain HTML form's 303 lands by default (docs/forms.md). */
static void
on_thanks(struct http_req *r, void *arg)
{
	serve_file(r, "thanks.html");
}

static void
on_static(struct http_req *r, void *arg)
{
	serve_file(r, http_path(r) + strlen("/static/"));
}

int
static_start(struct event_base *base, const struct config *cf, const char **cause)
{
	(void)base;
	(void)cause;
	if ((root = strdup(cf->web_root)) == NULL)
		log_fatalx("static: out of memory");
	http_route("GET", "/", "console", on_index, NULL);
	http_route("GET", "/thanks.html", "thanks", on_thanks, NULL);
	http_route("GET", "/static/*", "static", on_static, NULL);
	return 0;
}

void
static_stop(void)
{
	free(root);
	root = NULL;
}
