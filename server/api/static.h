/*
 * static: the web console, the chat widget and the public pages, served
 * from http.web_root with a strict Content-Security-Policy. Paths are
 * confined to the root; files are read per request (they are small and the
 * page cache keeps them), so a deploy needs no restart.
 */
#ifndef RX_STATIC_H
#define RX_STATIC_H

struct event_base;
struct config;

struct config;

/* Register GET / and GET /static/... for the files under WEB_ROOT. */
int static_start(struct event_base *, const struct config *, const char **cause);
/* Free what static_start kept. */
void static_stop(void);

#endif
