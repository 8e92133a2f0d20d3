/*
 * cases: the safety desk's daemon module and its operations on adverse
 * event cases (docs/safety.md). Every operation is asynchronous: one or
 * two calls of the case functions (server/store/lua/case.lua), the case
 * document built, checked and sealed here (case_doc.h) in between. The
 * answer comes through CB with the open case (id and number added), or an
 * error reason as store_json_cb gives it ("NOTFOUND: ...", "CONFLICT: ...",
 * "BADARG: field: ...", "unavailable"). A -1 return means no callback will
 * come (Redis is away).
 */
#ifndef RX_CASES_H
#define RX_CASES_H

#include <stdint.h>

#include "server/store/store.h"

struct config;
struct event_base;

/* Register the "[clock]" sections; before config_load. */
void cases_config(void);
/* Check the keys, the time zone and the clock table; 0 or -1 with ERR. */
int cases_check(const struct config *, char *err, size_t errlen);
/* Take the settings, start the sweep (ae-report intake, /metrics). */
int cases_start(struct event_base *, const struct config *, const char **cause);
void cases_reload(const struct config *);
void cases_stop(void);
/* Take the settings alone (rxdeskctl); 0 or -1 with *CAUSE. */
int cases_setup(const struct config *, const char **cause);

/* 1 when patient fields can be sealed (a key is configured). */
int cases_ready(void);
/* The id of the key new seals use. */
const char *cases_newest_key(void);
/* Open a case from ticket N as ACTOR, seen as WHO ({agent, roles}, borrowed,
 * NULL: the system); PATCH (borrowed, may be NULL) is applied first. */
int cases_open(int64_t n, json_t *who, const char *actor, json_t *patch,
    store_json_cb *cb, void *arg);
/* Case ID, opened: {case, duplicates}. */
int cases_get(int64_t id, store_json_cb *cb, void *arg);
/* Apply PATCH (borrowed) to case ID as ACTOR; REASON goes to the audit. */
int cases_update(int64_t id, json_t *patch, const char *actor,
    store_json_cb *cb, void *arg);
/* Attach ticket N (seen as WHO) to case ID as a follow-up. */
int cases_followup(int64_t id, int64_t n, json_t *who, const char *actor,
    store_json_cb *cb, void *arg);
/* Cases matching FILTER ({status, due, product, from, to, cursor, limit},
 * borrowed), opened: {items:[case...], next}. */
int cases_list(json_t *filter, store_json_cb *cb, void *arg);
/* Seal case ID again under the newest key (rxdeskctl key rotate). */
int cases_reseal(int64_t id, store_json_cb *cb, void *arg);

#endif
