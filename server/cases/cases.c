/* cases: see cases.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <event2/event.h>
#include <jansson.h>

#include "server/cases/case_clock.h"
#include "server/cases/case_crypt.h"
#include "server/cases/case_doc.h"
#include "server/cases/case_form.h"
#include "server/cases/case_protect.h"
#include "server/cases/cases.h"
#include "server/core/config.h"
#include "server/core/ingest.h"
#include "server/core/log.h"
#include "server/core/metrics.h"
#include "server/core/redis.h"

#define CASES_SWEEP_MS		5000	/* intake of ae-report forms, gauges */
#define CASES_INTAKE_BATCH	10	/* forms taken per sweep */

static struct {
	struct event *timer;
	char country[8], mailbox[256], public_url[256];
	int64_t soon_ms;		/* "nearly due": this close to a deadline */
	int busy;
	struct metric *open, *overdue, *soon, *opened;
} S;

enum op_kind { OP_OPEN, OP_GET, OP_UPDATE, OP_FOLLOWUP, OP_LIST, OP_RESEAL };

/* One operation across its Redis calls; it holds no pointer to a request,
 * only the caller's own ARG (an http_hold: an id, docs STYLE.md). */
struct op {
	enum op_kind kind;
	int64_t id, n;
	json_t *who, *patch, *doc;	/* DOC: the case as read, open */
	int64_t updated;
	char actor[48];
	int todo;
	store_json_cb *cb;
	void *arg;
};

static int64_t
now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static struct op *
op_new(enum op_kind kind, const char *actor, store_json_cb *cb, void *arg)
{
	struct op *o = calloc(1, sizeof(*o));

	if (o == NULL)
		log_fatalx("cases: out of memory");
	o->kind = kind;
	snprintf(o->actor, sizeof(o->actor), "%s", actor ? actor : "system");
	o->cb = cb;
	o->arg = arg;
	return o;
}

static void
op_free(struct op *o)
{
	json_decref(o->who);
	json_decref(o->patch);
	json_decref(o->doc);
	free(o);
}

/* Answer the caller (RES is ours, borrowed by the callback) and end O. */
static void
op_done(struct op *o, json_t *res, const char *err)
{
	o->cb(res, err, o->arg);
	json_decref(res);
	op_free(o);
}

static void
op_fail(struct op *o, const char *code, const char *field, const char *cause)
{
	char err[512];

	snprintf(err, sizeof(err), "%s: %s%s%s", code, field ? field : "",
	    field ? ": " : "", cause);
	op_done(o, NULL, err);
}

static int
call(const char *fn, json_t *args, store_json_cb *cb, struct op *o)
{
	int rc = store_call(fn, args, cb, o);

	json_decref(args);
	return rc;
}

int
cases_ready(void)
{
	return case_crypt_ready();
}

const char *
cases_newest_key(void)
{
	return case_crypt_newest();
}

/* The "|"-joined lower-cased product names, for the list's filter. */
static json_t *
product_index(const json_t *doc)
{
	char buf[2048] = "";
	size_t len = 0, i;
	json_t *p;

	json_array_foreach(json_object_get(doc, "products"), i, p) {
		const char *name = json_string_value(json_object_get(p, "name"));
		for (; name && *name && len + 2 < sizeof(buf); name++)
			buf[len++] = (char)((*name >= 'A' && *name <= 'Z') ?
			    *name + 32 : *name);
		if (len + 1 < sizeof(buf))
			buf[len++] = '|';
	}
	if (len)
		len--;
	buf[len] = '\0';
	return json_string(buf);
}

/* The deadline the open-cases index sorts by: the newest follow-up's own
 * clock, else the case's. */
static json_t *
next_due(const json_t *doc)
{
	json_t *f = json_array_get(json_object_get(doc, "followups"),
	    json_array_size(json_object_get(doc, "followups")) - 1);
	json_t *d = f ? json_object_get(f, "due") : json_object_get(doc, "due");

	return json_is_integer(d) ? json_incref(d) : json_null();
}

static json_t *
index_of(const json_t *doc)
{
	char fp[33];

	case_doc_fingerprint(doc, fp);
	return json_pack("{s:O,s:O,s:O,s:o,s:O,s:s,s:o,s:O}",
	    "status", json_object_get(doc, "status"),
	    "created", json_object_get(doc, "created"),
	    "updated", json_object_get(doc, "updated"),
	    "next_due", next_due(doc), "day0", json_object_get(doc, "day0"),
	    "fp", fp, "products", product_index(doc),
	    "tickets", json_object_get(doc, "tickets"));
}

/* The notice to the safety mailbox: the case number and a link, never a
 * patient's details. "CASE-0" becomes the new number inside Redis. */
static json_t *
notice(int64_t ticket)
{
	char text[768];

	if (S.mailbox[0] == '\0')
		return json_null();
	snprintf(text, sizeof(text), "A new adverse event case, CASE-0, was opened "
	    "from ticket RX-%lld.\n\nOpen it in the console: %s/#cases/CASE-0\n\n"
	    "(This notice carries no patient details.)\n", (long long)ticket,
	    S.public_url);
	return json_pack("{s:s,s:s,s:s}", "to", S.mailbox, "subject",
	    "[CASE-0] New adverse event case", "text", text);
}

static void on_saved(json_t *res, const char *err, void *arg);

/* Store NEW (open; O->doc is the case as it was, NULL for a new one). */
static void
save(struct op *o, json_t *new)
{
	json_t *sealed = json_deep_copy(new), *args, *old = o->doc;
	json_t *empty = old ? NULL : json_object();
	char *text;
	const char *reason = json_string_value(json_object_get(o->patch, "reason"));

	json_object_del(sealed, "id");
	json_object_del(sealed, "number");
	if (case_doc_seal(sealed) == -1 ||
	    (text = json_dumps(sealed, JSON_COMPACT)) == NULL) {
		json_decref(sealed);
		json_decref(empty);
		json_decref(new);
		op_fail(o, "UNAVAILABLE", NULL, "no encryption key (safety.encryption_key)");
		return;
	}
	args = json_pack("{s:s,s:o,s:o,s:s}", "doc", text, "index", index_of(new),
	    "changes", case_doc_changes(old ? old : empty, new), "actor", o->actor);
	free(text);
	json_decref(sealed);
	json_decref(empty);
	if (o->kind != OP_OPEN)
		json_object_set_new(args, "id", json_integer((json_int_t)o->id));
	if (old)
		json_object_set_new(args, "expect", json_integer((json_int_t)o->updated));
	else
		json_object_set_new(args, "notice", notice(o->n));
	if (reason && *reason)
		json_object_set_new(args, "reason", json_string(reason));
	if (o->todo)
		json_object_set_new(args, "todo", json_integer((json_int_t)o->n));
	json_decref(o->doc);
	o->doc = new;
	if (call("rx_case_put", args, on_saved, o) == -1)
		op_done(o, NULL, "unavailable");
}

static void
on_saved(json_t *res, const char *err, void *arg)
{
	struct op *o = arg;

	if (err) {
		op_done(o, NULL, err);
		return;
	}
	json_object_set(o->doc, "id", json_object_get(res, "id"));
	json_object_set(o->doc, "number", json_object_get(res, "number"));
	if (o->kind == OP_OPEN && S.opened)
		metrics_add(S.opened, 1);
	op_done(o, json_pack("{s:O,s:O}", "case", o->doc, "duplicates",
	    json_object_get(res, "duplicates")), NULL);
}

/* --- open a case from a ticket ---------------------------------------- */

static int
apply_patch(struct op *o, json_t *doc)
{
	const char *field = NULL, *cause = NULL;

	if (o->patch == NULL || case_doc_apply(doc, o->patch, &field, &cause) == 0)
		return 0;
	json_decref(doc);
	op_fail(o, "BADARG", field ? field : "body", cause);
	return -1;
}

static void
on_seed(json_t *res, const char *err, void *arg)
{
	struct op *o = arg;
	json_t *doc;

	if (err) {
		op_done(o, NULL, err);
		return;
	}
	if (!json_is_true(json_object_get(res, "restricted"))) {
		op_fail(o, "CONFLICT", NULL, "the ticket is not flagged ae or complaint");
		return;
	}
	doc = case_form_doc(res, S.country);
	if (apply_patch(o, doc) == -1)
		return;
	case_doc_compute(doc, json_integer_value(json_object_get(res, "latest")),
	    now_ms());
	save(o, doc);
}

int
cases_open(int64_t n, json_t *who, const char *actor, json_t *patch,
    store_json_cb *cb, void *arg)
{
	struct op *o = op_new(OP_OPEN, actor, cb, arg);
	json_t *args = json_pack("{s:I}", "ticket", (json_int_t)n);

	o->n = n;
	o->patch = json_incref(patch);
	if (who)
		json_object_set(args, "who", who);
	if (call("rx_case_seed", args, on_seed, o) == -1) {
		op_free(o);
		return -1;
	}
	return 0;
}

/* --- read, then act ----------------------------------------------------- */

static void on_followup_seed(json_t *res, const char *err, void *arg);

/* The case as read, opened into O->doc; then the step O is for. */
static void
on_read(json_t *res, const char *err, void *arg)
{
	struct op *o = arg;
	const char *cause;
	json_t *doc, *args;

	if (err) {
		op_done(o, NULL, err);
		return;
	}
	doc = json_loads(json_string_value(json_object_get(res, "doc")) ?: "", 0, NULL);
	if (doc == NULL || case_doc_unseal(doc, &cause) == -1) {
		json_decref(doc);
		op_fail(o, "INTERNAL", NULL, doc ? cause : "a stored case is not JSON");
		return;
	}
	o->id = json_integer_value(json_object_get(res, "id"));
	o->updated = json_integer_value(json_object_get(res, "updated"));
	json_object_set_new(doc, "id", json_integer((json_int_t)o->id));
	json_object_set_new(doc, "number", json_sprintf("CASE-%lld", (long long)o->id));
	o->doc = doc;
	switch (o->kind) {
	case OP_GET:
		op_done(o, json_pack("{s:O,s:O}", "case", doc, "duplicates",
		    json_object_get(res, "duplicates")), NULL);
		return;
	case OP_UPDATE:
		doc = json_deep_copy(o->doc);
		if (apply_patch(o, doc) == -1)
			return;
		case_doc_compute(doc, json_integer_value(json_object_get(doc,
		    "latest_received")), now_ms());
		save(o, doc);
		return;
	case OP_RESEAL:
		save(o, json_deep_copy(o->doc));
		return;
	case OP_FOLLOWUP:
		args = json_pack("{s:I}", "ticket", (json_int_t)o->n);
		if (o->who)
			json_object_set(args, "who", o->who);
		if (call("rx_case_seed", args, on_followup_seed, o) == -1)
			op_done(o, NULL, "unavailable");
		return;
	default:
		log_fatalx("cases: bad operation after a read");
	}
}

static void
on_followup_seed(json_t *res, const char *err, void *arg)
{
	struct op *o = arg;
	json_t *doc;

	if (err) {
		op_done(o, NULL, err);
		return;
	}
	doc = json_deep_copy(o->doc);
	case_doc_followup(doc, o->n, json_integer_value(json_object_get(res, "latest")));
	/* a follow-up of a forwarded case must be forwarded too */
	if (!strcmp(json_string_value(json_object_get(doc, "status")), "forwarded"))
		json_object_set_new(doc, "status", json_string("draft"));
	case_doc_compute(doc, json_integer_value(json_object_get(doc,
	    "latest_received")), now_ms());
	save(o, doc);
}

static int
read_then(struct op *o)
{
	if (call("rx_case_get", json_pack("{s:I}", "id", (json_int_t)o->id),
	    on_read, o) == -1) {
		op_free(o);
		return -1;
	}
	return 0;
}

int
cases_get(int64_t id, store_json_cb *cb, void *arg)
{
	struct op *o = op_new(OP_GET, NULL, cb, arg);

	o->id = id;
	return read_then(o);
}

int
cases_update(int64_t id, json_t *patch, const char *actor, store_json_cb *cb,
    void *arg)
{
	struct op *o = op_new(OP_UPDATE, actor, cb, arg);

	o->id = id;
	o->patch = json_incref(patch);
	return read_then(o);
}

int
cases_followup(int64_t id, int64_t n, json_t *who, const char *actor,
    store_json_cb *cb, void *arg)
{
	struct op *o = op_new(OP_FOLLOWUP, actor, cb, arg);

	o->id = id;
	o->n = n;
	o->who = json_incref(who);
	return read_then(o);
}

int
cases_reseal(int64_t id, store_json_cb *cb, void *arg)
{
	struct op *o = op_new(OP_RESEAL, "system", cb, arg);

	o->id = id;
	return read_then(o);
}

/* --- lists ---------------------------------------------------------------- */

static void
on_listed(json_t *res, const char *err, void *arg)
{
	struct op *o = arg;
	json_t *items = json_array(), *it, *doc;
	const char *cause;
	size_t i;

	if (err) {
		json_decref(items);
		op_done(o, NULL, err);
		return;
	}
	json_array_foreach(json_object_get(res, "items"), i, it) {
		doc = json_loads(json_string_value(json_object_get(it, "doc")) ?: "",
		    0, NULL);
		if (doc == NULL || case_doc_unseal(doc, &cause) == -1) {
			json_decref(doc);
			json_decref(items);
			op_fail(o, "INTERNAL", NULL, "a stored case does not open");
			return;
		}
		json_object_set(doc, "id", json_object_get(it, "id"));
		json_object_set_new(doc, "number", json_sprintf("CASE-%lld",
		    (long long)json_integer_value(json_object_get(it, "id"))));
		json_array_append_new(items, doc);
	}
	op_done(o, json_pack("{s:o,s:O}", "items", items, "next",
	    json_object_get(res, "next")), NULL);
}

int
cases_list(json_t *filter, store_json_cb *cb, void *arg)
{
	struct op *o = op_new(OP_LIST, NULL, cb, arg);
	json_t *args = json_deep_copy(filter);

	json_object_set_new(args, "soon_ms", json_integer((json_int_t)S.soon_ms));
	if (call("rx_case_list", args, on_listed, o) == -1) {
		op_free(o);
		return -1;
	}
	return 0;
}

/* --- the module ------------------------------------------------------------ */

static void
on_intake(json_t *res, const char *err, void *arg)
{
	(void)arg;
	if (err)
		log_warnx("cases: a case from an ae-report form was not opened: %s",
		    err);
	else
		log_info("cases: opened %s from an ae-report form",
		    json_string_value(json_object_get(json_object_get(res, "case"),
		    "number")));
}

/* Open the case of each ae-report form waiting in the intake. */
static void
on_todo(json_t *res, const char *err, void *arg)
{
	json_t *n;
	size_t i;

	(void)arg;
	S.busy = 0;
	if (err)
		return;
	json_array_foreach(json_object_get(res, "tickets"), i, n) {
		struct op *o = op_new(OP_OPEN, "system", on_intake, NULL);
		o->n = json_integer_value(n);
		o->todo = 1;
		if (call("rx_case_seed", json_pack("{s:I}", "ticket", (json_int_t)o->n),
		    on_seed, o) == -1)
			op_free(o);
	}
}

static void
on_stats(json_t *res, const char *err, void *arg)
{
	(void)arg;
	if (err)
		return;
	metrics_set(S.open, (double)json_integer_value(json_object_get(res, "open")));
	metrics_set(S.overdue, (double)json_integer_value(json_object_get(res,
	    "overdue")));
	metrics_set(S.soon, (double)json_integer_value(json_object_get(res,
	    "due_soon")));
	if (json_integer_value(json_object_get(res, "todo")) > 0 &&
	    case_crypt_ready() && !S.busy &&
	    store_call("rx_case_todo", json_pack("{s:i}", "limit",
	    CASES_INTAKE_BATCH), on_todo, NULL) == 0)
		S.busy = 1;
}

static void
on_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct timeval tv = { CASES_SWEEP_MS / 1000, 0 };
	json_t *a;

	(void)fd;
	(void)ev;
	(void)arg;
	evtimer_add(S.timer, &tv);
	if (!redis_ready())
		return;
	a = json_pack("{s:I}", "soon_ms", (json_int_t)S.soon_ms);
	store_call("rx_case_stats", a, on_stats, NULL);
	json_decref(a);
}

void
cases_config(void)
{
	case_clock_config();
}

int
cases_check(const struct config *cf, char *err, size_t errlen)
{
	const char *cause;

	if (case_crypt_setup(cf->safety_encryption_key, &cause) == -1 ||
	    case_clock_commit(cf->safety_timezone, &cause) == -1) {
		snprintf(err, errlen, "%s: [safety] %s", cf->path ? cf->path :
		    "configuration", cause);
		return -1;
	}
	return 0;
}

int
cases_setup(const struct config *cf, const char **cause)
{
	if (case_crypt_setup(cf->safety_encryption_key, cause) == -1 ||
	    case_clock_commit(cf->safety_timezone, cause) == -1)
		return -1;
	snprintf(S.country, sizeof(S.country), "%s", cf->default_country);
	snprintf(S.mailbox, sizeof(S.mailbox), "%s", cf->safety_mailbox);
	snprintf(S.public_url, sizeof(S.public_url), "%s", cf->public_url);
	S.soon_ms = (int64_t)cf->safety_due_soon_hours * 3600000;
	return 0;
}

int
cases_start(struct event_base *base, const struct config *cf,
    const char **cause)
{
	struct timeval now = { 1, 0 };

	if (cases_setup(cf, cause) == -1)
		return -1;
	if (!case_crypt_ready())
		log_warnx("cases: no safety.encryption_key: cases cannot be stored "
		    "until one is configured");
	S.open = metrics_gauge("rxdesk_cases_open", "Adverse event cases with a "
	    "running deadline (draft or valid).", "");
	S.overdue = metrics_gauge("rxdesk_cases_overdue", "Open adverse event cases "
	    "past their deadline.", "");
	S.soon = metrics_gauge("rxdesk_cases_due_soon", "Open adverse event cases "
	    "due within safety.due_soon_hours.", "");
	S.opened = metrics_counter("rxdesk_cases_opened_total", "Adverse event "
	    "cases opened by this node.", "");
	if ((S.timer = evtimer_new(base, on_tick, NULL)) == NULL) {
		*cause = "cases: cannot create the sweep timer";
		return -1;
	}
	evtimer_add(S.timer, &now);
	ingest_set_protect(case_protect_interaction);
	return 0;
}

void
cases_reload(const struct config *cf)
{
	const char *cause;

	if (cases_setup(cf, &cause) == -1)
		log_warnx("cases: reload: %s; the old keys and clocks stay", cause);
}

void
cases_stop(void)
{
	if (S.timer)
		event_free(S.timer);
	S.timer = NULL;
	ingest_set_protect(NULL);
	case_protect_free();
	case_crypt_free();
	case_clock_free();
}
