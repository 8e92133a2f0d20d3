/* webform: see webform.h. */
#define _GNU_SOURCE		/* asprintf */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "channels/form_check.h"
#include "channels/form_config.h"
#include "channels/form_parse.h"
#include "channels/mime_form.h"
#include "channels/webform.h"
#include "server/core/config.h"
#include "server/core/http.h"
#include "server/core/interaction.h"
#include "server/core/log.h"
#include "server/core/metrics.h"
#include "server/core/redis.h"
#include "routing/triage.h"
#include "server/store/store.h"

/* Fields every form maps onto the interaction itself; the rest go into
 * the ticket's text and its fields. */
static const char *const standard[] = {
	"name", "email", "phone", "subject", "message", "ticket", NULL
};

/*
 * One submission waiting on Redis. It owns the parsed form; the request is
 * found again by id. REFS counts the commands whose replies are pending.
 */
struct job {
	uint64_t req;
	int refs;
	int html;
	int honeypot;
	char form[FORM_NAME_MAX];
	char redirect[256];
	char tag[48];
	struct form_data fd;
	struct form_checked ck;
	long long att_first;	/* first attachment id; ids run on from it */
	int att_sent;		/* attachment hashes sent to Redis */
	char att_id[FORM_PARSE_MAX_FILES][24];
	char dedup[WEBFORM_IDEM_KEY_MAX + 8];
	char lang[4];		/* from Accept-Language, "" if none */
	/* copied from the form: a reload may rewrite it while we wait */
	char category[16], flags[32], queue[FORM_NAME_MAX], subject[96];
	char priority[16];
	char *text;
	char *fields_json;
	struct interaction in;
};

static char country[8] = "UA";
static unsigned busy;
static int started;
static struct metric *m_accepted, *m_invalid, *m_honeypot, *m_duplicate;

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
is_standard(const char *name)
{
	for (int i = 0; standard[i]; i++)
		if (strcmp(standard[i], name) == 0)
			return 1;
	return 0;
}

static struct job *
job_new(struct http_req *r, const struct form *f)
{
	struct job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		log_fatalx("webform: out of memory");
	j->req = http_req_id(r);
	snprintf(j->tag, sizeof(j->tag), "%s", http_req_tag(r));
	snprintf(j->form, sizeof(j->form), "%s", f->name);
	snprintf(j->redirect, sizeof(j->redirect), "%s", f->redirect);
	busy++;
	return j;
}

static void
job_unref(struct job *j)
{
	if (--j->refs > 0)
		return;
	form_data_free(&j->fd);
	free(j->text);
	free(j->fields_json);
	free(j);
	busy--;
}

/* The message with the form's own fields under it, so an agent (and the
 * safety screening) reads the product, lot or reaction with it. */
static char *
compose_text(const struct form *f, const struct form_data *fd)
{
	struct evbuffer *b = evbuffer_new();
	const char *v;
	size_t len, n;
	char *out;

	if ((v = form_data_get(fd, "message", &len)) != NULL)
		evbuffer_add(b, v, len);
	for (int i = 0; i < f->nfields; i++) {
		const char *name = f->fields[i].name;
		if (is_standard(name) ||
		    (v = form_data_get(fd, name, &len)) == NULL ||
		    form_check_blank(v, len))
			continue;
		evbuffer_add_printf(b, "%s%s: ", evbuffer_get_length(b) ? "\n" : "",
		    name);
		evbuffer_add(b, v, len);
	}
	n = evbuffer_get_length(b);
	if ((out = malloc(n + 1)) == NULL)
		log_fatalx("webform: out of memory");
	evbuffer_remove(b, out, n);
	out[n] = '\0';
	evbuffer_free(b);
	return out;
}

/* The form's own fields as a JSON object, with the form's name. */
static char *
compose_fields(const struct form *f, const struct form_data *fd)
{
	json_t *o = json_pack("{s:s}", "form", f->name);
	const char *v;
	size_t len;
	char *s;

	for (int i = 0; i < f->nfields; i++) {
		const char *name = f->fields[i].name;
		if (!is_standard(name) && (v = form_data_get(fd, name, &len)) &&
		    !form_check_blank(v, len))
			json_object_set_new(o, name, json_stringn(v, len));
	}
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

static const char *
value(const struct form_data *fd, const char *name)
{
	size_t len;
	const char *v = form_data_get(fd, name, &len);

	return v && !form_check_blank(v, len) ? v : NULL;
}

/* The primary subtag of the first language the browser names ("uk" from
 * "uk-UA,uk;q=0.9,en;q=0.8"): a hint for triage, never trusted further. */
static void
read_lang(struct http_req *r, struct job *j)
{
	const char *al = http_header(r, "Accept-Language");
	size_t n;

	if (al == NULL)
		return;
	al += strspn(al, " \t");
	n = strspn(al, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
	if (n < 2 || n > 3 || (al[n] && !strchr("-_,; ", al[n])))
		return;
	for (size_t i = 0; i < n; i++)
		j->lang[i] = (char)(al[i] | 0x20);
	j->lang[n] = '\0';
}

static void
copy_triaged(char *buf, size_t len, const char **field)
{
	if (*field == NULL || *field == buf)
		return;
	snprintf(buf, len, "%s", *field);
	*field = buf;
}

static void
build_interaction(struct job *j, const struct form *f)
{
	struct interaction *in = &j->in;

	in->channel = CH_FORM;
	in->dedup = j->dedup[0] ? j->dedup : NULL;
	in->email = j->ck.email[0] ? j->ck.email : NULL;
	in->phone = j->ck.phone[0] ? j->ck.phone : NULL;
	in->name = value(&j->fd, "name");
	in->ticket = j->ck.ticket;
	snprintf(j->category, sizeof(j->category), "%s", f->category);
	snprintf(j->flags, sizeof(j->flags), "%s", f->flags);
	snprintf(j->queue, sizeof(j->queue), "%s", f->queue);
	snprintf(j->subject, sizeof(j->subject), "%s", f->subject);
	in->subject = value(&j->fd, "subject") ? value(&j->fd, "subject") : j->subject;
	j->text = compose_text(f, &j->fd);
	j->fields_json = compose_fields(f, &j->fd);
	in->text = j->text;
	in->fields_json = j->fields_json;
	in->category = j->category;
	in->flags = j->flags[0] ? j->flags : NULL;
	in->queue = j->queue[0] ? j->queue : NULL;
	in->lang = j->lang[0] ? j->lang : NULL;
	in->received_at = now_ms();
	/* Every inbound text is screened for adverse events and complaints
	 * (DESIGN.md section 6), whatever form it came through. */
	triage_apply(in, &(struct triage_ctx){ .form = j->form }, NULL);
	/* Triage's strings belong to the rule set, which a SIGHUP may free
	 * before the attachments are written: keep copies in the job. */
	copy_triaged(j->category, sizeof(j->category), &in->category);
	copy_triaged(j->flags, sizeof(j->flags), &in->flags);
	copy_triaged(j->queue, sizeof(j->queue), &in->queue);
	copy_triaged(j->priority, sizeof(j->priority), &in->priority);
	copy_triaged(j->lang, sizeof(j->lang), &in->lang);
}

/* The answer a person gets: JSON, or 303 to the redirect page. */
static void
answer_ok(struct job *j, long long ticket, int matched, int duplicate)
{
	struct http_req *r = http_req_find(j->req);
	char label[32], *loc;

	if (r == NULL)
		return;
	snprintf(label, sizeof(label), "RX-%lld", ticket);
	if (j->html) {
		if (asprintf(&loc, "%s%cticket=%s", j->redirect,
		    strchr(j->redirect, '?') ? '&' : '?', label) == -1)
			log_fatalx("webform: out of memory");
		http_set_header(r, "Location", loc);
		free(loc);
		http_reply(r, 303, "text/plain; charset=utf-8", NULL, 0);
		return;
	}
	http_reply_json(r, 201, json_pack("{s:s, s:I, s:b, s:b}", "ticket", label,
	    "id", (json_int_t)ticket, "customer_matched", matched,
	    "duplicate", duplicate));
}

static void
answer_unavailable(struct job *j, const char *err)
{
	struct http_req *r = http_req_find(j->req);

	if (r == NULL)
		return;
	if (err && strcmp(err, "unavailable")) {
		log_warnx("req=%s form=%s ingest failed: %s", j->tag, j->form, err);
		http_error(r, 500, "internal", "the form could not be stored", NULL);
		return;
	}
	http_unavailable(r);
}


static void
on_dropped(const struct redisReply *r, const char *err, void *arg)
{
	if (err)
		log_warnx("webform: orphan attachments left: %s", err);
}

/* The submission was not stored, or was a retry: its attachment hashes
 * belong to nothing. Best effort; "rx:att:*" without a ticket is garbage. */
static void
drop_attachments(struct job *j)
{
	const char *argv[FORM_PARSE_MAX_FILES + 1];
	char keys[FORM_PARSE_MAX_FILES][96];
	size_t argvlen[FORM_PARSE_MAX_FILES + 1];

	if (j->att_sent == 0)
		return;
	argv[0] = "DEL";
	argvlen[0] = 3;
	for (int i = 0; i < j->att_sent; i++) {
		snprintf(keys[i], sizeof(keys[i]), "%satt:%s", store_prefix(),
		    j->att_id[i]);
		argv[i + 1] = keys[i];
		argvlen[i + 1] = strlen(keys[i]);
	}
	if (redis_commandv(on_dropped, NULL, j->att_sent + 1, argv, argvlen) == -1)
		log_warnx("req=%s orphan attachments left: Redis away", j->tag);
	j->att_sent = 0;
}

static long long
json_ticket(json_t *v)
{
	if (json_is_integer(v))
		return (long long)json_integer_value(v);
	if (json_is_string(v))
		return strtoll(json_string_value(v), NULL, 10);
	return 0;
}

static void
on_ingest(json_t *res, const char *err, void *arg)
{
	struct job *j = arg;
	long long ticket = res ? json_ticket(json_object_get(res, "ticket")) : 0;
	int dup = res && json_is_true(json_object_get(res, "duplicate"));

	if (err == NULL && ticket <= 0)
		err = "the answer names no ticket";
	if (err || dup)
		drop_attachments(j);
	if (err)
		answer_unavailable(j, err);
	else {
		metrics_add(dup ? m_duplicate : m_accepted, 1);
		log_info("req=%s form=%s ticket=RX-%lld customer=%s matched=%d "
		    "duplicate=%d attachments=%d", j->tag, j->form, ticket,
		    json_string_value(json_object_get(res, "customer")) ?
		    json_string_value(json_object_get(res, "customer")) : "",
		    json_is_true(json_object_get(res, "matched")), dup, j->in.natt);
		answer_ok(j, ticket, json_is_true(json_object_get(res, "matched")), dup);
	}
	job_unref(j);
}

static void
send_ingest(struct job *j)
{
	j->refs++;
	if (store_ingest(&j->in, on_ingest, j) == -1) {
		j->refs--;
		drop_attachments(j);
		answer_unavailable(j, NULL);
	}
}

static void
on_att_written(const struct redisReply *r, const char *err, void *arg)
{
	struct job *j = arg;

	if (err)
		log_warnx("req=%s attachment not written: %s", j->tag, err);
	job_unref(j);
}

/* HSET each file under the ids reserved for it; its bytes leave our
 * memory as soon as hiredis has copied them. -1 if Redis went away. */
static int
send_attachments(struct job *j)
{
	char size[24], created[24];

	snprintf(created, sizeof(created), "%lld", (long long)j->in.received_at);
	for (int i = 0; i < j->fd.nf; i++) {
		struct form_file *ff = &j->fd.f[i];
		struct attachment_ref *a = &j->in.att[i];

		snprintf(j->att_id[i], sizeof(j->att_id[i]), "%lld", j->att_first + i);
		snprintf(size, sizeof(size), "%zu", ff->size);
		if (redis_command(on_att_written, j, "HSET %satt:%s name %s type %s "
		    "size %s data %b form %s created %s", store_prefix(), j->att_id[i],
		    ff->name, ff->type, size, ff->data, ff->size, j->form, created) == -1)
			return -1;
		j->refs++;
		j->att_sent++;
		free(ff->data);
		ff->data = NULL;
		*a = (struct attachment_ref){ j->att_id[i], ff->name, ff->type, ff->size };
		j->in.natt++;
	}
	return 0;
}

/* The ids came back: attachments and ingest go out back to back. */
static void
on_att_ids(const struct redisReply *r, const char *err, void *arg)
{
	struct job *j = arg;

	if (err || redis_reply_type(r) != REDIS_T_INTEGER)
		answer_unavailable(j, NULL);
	else {
		j->att_first = redis_reply_int(r) - j->fd.nf + 1;
		if (send_attachments(j) == -1) {
			drop_attachments(j);
			answer_unavailable(j, NULL);
		} else
			send_ingest(j);
	}
	job_unref(j);
}

static void
store_job(struct job *j)
{
	if (j->fd.nf == 0) {
		send_ingest(j);
		return;
	}
	j->refs++;
	if (redis_command(on_att_ids, j, "INCRBY %sseq:att %d", store_prefix(),
	    j->fd.nf) == -1) {
		j->refs--;
		answer_unavailable(j, NULL);
	}
}

/*
 * A bot filled the honeypot. It gets what a person gets, after the same
 * one round trip: a real ticket number taken from the sequence (burnt, so
 * numbers stay unique and in order, and a bot posting twice sees them
 * grow as they would), customer_matched false. Nothing else is written.
 */
static void
on_fake_ticket(const struct redisReply *r, const char *err, void *arg)
{
	struct job *j = arg;

	if (err || redis_reply_type(r) != REDIS_T_INTEGER)
		answer_unavailable(j, NULL);
	else {
		metrics_add(m_honeypot, 1);
		log_info("req=%s form=%s honeypot filled: dropped", j->tag, j->form);
		answer_ok(j, redis_reply_int(r), 0, 0);
	}
	job_unref(j);
}

static void
send_fake(struct job *j)
{
	j->refs++;
	if (redis_command(on_fake_ticket, j, "INCR %sseq:t", store_prefix()) == -1) {
		j->refs--;
		answer_unavailable(j, NULL);
	}
}

static const char *
json_safe(const char *s)
{
	return form_utf8_valid(s, strlen(s)) ? s : "form";
}

static void
reply_invalid(struct http_req *r, const struct form_checked *ck)
{
	json_t *fields = json_array();
	char msg[256];

	for (int i = 0; i < ck->nerr; i++)
		json_array_append_new(fields, json_pack("{s:s, s:s, s:s}",
		    "field", json_safe(ck->err[i].field), "code", ck->err[i].code,
		    "message", ck->err[i].message));
	snprintf(msg, sizeof(msg), "the form has %d problem%s: %s %s%s", ck->nerr,
	    ck->nerr > 1 ? "s" : "", json_safe(ck->err[0].field),
	    ck->err[0].message, ck->nerr > 1 ? ", ..." : "");
	metrics_add(m_invalid, 1);
	http_reply_json(r, 422, json_pack("{s:{s:s, s:s, s:s, s:o}}", "error",
	    "code", "invalid_form", "message", msg, "field",
	    json_safe(ck->err[0].field), "fields", fields));
}

/* Printable ASCII, 1 to WEBFORM_IDEM_KEY_MAX bytes; -1 after answering. */
static int
read_idem_key(struct http_req *r, struct job *j)
{
	const char *k = http_header(r, "Idempotency-Key");
	size_t n;

	if (k == NULL)
		return 0;
	n = strlen(k);
	for (size_t i = 0; i < n; i++)
		if (k[i] < 0x21 || k[i] > 0x7e)
			n = 0;
	if (n == 0 || n > WEBFORM_IDEM_KEY_MAX) {
		http_error(r, 400, "bad_idempotency_key", "Idempotency-Key must be "
		    "1 to 128 printable ASCII characters", "Idempotency-Key");
		return -1;
	}
	snprintf(j->dedup, sizeof(j->dedup), "form:%s", k);
	return 0;
}

static int
wants_html(struct http_req *r, const char *ctype)
{
	const char *accept = http_header(r, "Accept");

	return accept && strstr(accept, "text/html") &&
	    form_parse_enc(ctype) != FORM_ENC_JSON;
}

static void
parse_error(struct http_req *r, int status, const char *cause)
{
	const char *code = status == 415 ? "unsupported_media_type" :
	    status == 413 ? "too_large" : "bad_request";

	http_error(r, status, code, cause, NULL);
}

/* Parse, check, then store; every answer before the store is final. */
static int
take(struct http_req *r, const struct form *f, struct job *j)
{
	const char *body, *ctype = http_header(r, "Content-Type"), *cause = NULL;
	size_t len;
	int rc;

	if (read_idem_key(r, j) == -1)
		return -1;
	body = http_body(r, &len);
	if (len > f->max_body) {
		http_error(r, 413, "too_large", "the form is larger than allowed", NULL);
		return -1;
	}
	if ((rc = form_parse(ctype ? ctype : "", body, len, &j->fd, &cause)) != 0) {
		parse_error(r, rc, cause);
		return -1;
	}
	if (form_check(f, &j->fd, country, &j->ck) > 0) {
		reply_invalid(r, &j->ck);
		return -1;
	}
	j->html = wants_html(r, ctype ? ctype : "");
	read_lang(r, j);
	j->honeypot = j->ck.honeypot;
	return 0;
}

static void
on_form(struct http_req *r, void *arg)
{
	const struct form *f;
	struct job *j;

	if (http_rate_check(r, "forms") == -1)
		return;
	if ((f = form_config_find(http_param(r, 0))) == NULL || !f->enabled) {
		http_error(r, 404, "not_found", "no such form", NULL);
		return;
	}
	j = job_new(r, f);
	j->refs = 1;
	if (take(r, f, j) == 0) {
		if (j->honeypot)
			send_fake(j);
		else {
			build_interaction(j, f);
			store_job(j);
		}
	}
	job_unref(j);
}

void
webform_register_config(void)
{
	form_config_register();
}

int
webform_check(const struct config *cf, char *err, size_t errlen)
{
	return form_config_check(err, errlen);
}

int
webform_init(struct event_base *base, const struct config *cf,
    const char **cause)
{
	static char err[256];
	static const char help[] = "Web form submissions, by result.";

	if (form_config_check(err, sizeof(err)) == -1) {
		*cause = err;
		return -1;
	}
	form_config_commit();
	snprintf(country, sizeof(country), "%s", cf->default_country);
	mime_form_init();
	started = 1;
	m_accepted = metrics_counter("rxdesk_forms_total", help, "result=\"accepted\"");
	m_duplicate = metrics_counter("rxdesk_forms_total", help, "result=\"duplicate\"");
	m_invalid = metrics_counter("rxdesk_forms_total", help, "result=\"invalid\"");
	m_honeypot = metrics_counter("rxdesk_forms_total", help, "result=\"honeypot\"");
	http_route("POST", "/api/v1/forms/{}", "forms", on_form, NULL);
	return 0;
}

void
webform_reload(const struct config *cf)
{
	char err[256];

	if (form_config_check(err, sizeof(err)) == -1)
		log_warnx("forms: %s (that form is left out, or keeps its built-in definition)", err);
	form_config_commit();
	snprintf(country, sizeof(country), "%s", cf->default_country);
}

unsigned
webform_busy(void)
{
	return busy;
}

void
webform_stop(void)
{
	if (started)
		mime_form_shutdown();
	started = 0;
}
