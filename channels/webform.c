/* webform: see webform.h. */
#define _GNU_SOURCE		/* asprintf */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "channels/form_check.h"
#include "channels/form_config.h"
#include "channels/form_parse.h"
#include "channels/mime.h"
#include "channels/webform.h"
#include "server/core/config.h"
#include "server/core/http.h"
#include "server/core/ingest.h"
#include "server/core/interaction.h"
#include "server/core/log.h"
#include "server/core/metrics.h"

/* Fields every form maps onto the interaction itself; the rest go into
 * the ticket's text and its fields. */
static const char *const standard[] = {
	"name", "email", "phone", "subject", "message", "ticket", NULL
};

/*
 * One submission while it is parsed and handed to the core. It lives only
 * inside on_form: ingest_submit copies what it needs, and the answer finds
 * the request again by its id.
 */
struct job {
	uint64_t req;
	struct form_data fd;
	struct form_checked ck;
	char dedup[WEBFORM_IDEM_KEY_MAX + 8];
	char lang[4];		/* from Accept-Language, "" if none */
	char *text;
	char *fields_json;
	struct interaction in;
};

static char country[8] = "UA";
static unsigned busy;
static int started;
static struct metric *m_accepted, *m_invalid, *m_honeypot, *m_duplicate;

static int
is_standard(const char *name)
{
	for (int i = 0; standard[i]; i++)
		if (strcmp(standard[i], name) == 0)
			return 1;
	return 0;
}

static void
job_free(struct job *j)
{
	form_parse_free(&j->fd);
	free(j->text);
	free(j->fields_json);
	free(j);
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

	if ((v = form_parse_get(fd, "message", &len)) != NULL)
		evbuffer_add(b, v, len);
	for (int i = 0; i < f->nfields; i++) {
		const char *name = f->fields[i].name;
		if (is_standard(name) ||
		    (v = form_parse_get(fd, name, &len)) == NULL ||
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
compose_fields(const struct form *f, const struct form_data *fd,
    const char *phone_ext)
{
	json_t *o = json_pack("{s:s}", "form", f->name);
	const char *v;
	size_t len;
	char *s;

	for (int i = 0; i < f->nfields; i++) {
		const char *name = f->fields[i].name;
		if (!is_standard(name) && (v = form_parse_get(fd, name, &len)) &&
		    !form_check_blank(v, len))
			json_object_set_new(o, name, json_stringn(v, len));
	}
	if (*phone_ext)		/* the customer matches by the number alone */
		json_object_set_new(o, "phone_ext", json_string(phone_ext));
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

static const char *
value(const struct form_data *fd, const char *name)
{
	size_t len;
	const char *v = form_parse_get(fd, name, &len);

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
digest_add(EVP_MD_CTX *md, const void *p, size_t n)
{
	EVP_DigestUpdate(md, p ? p : "", p ? n : 0);
	EVP_DigestUpdate(md, "", 1);	/* a separator no value contains */
}

static void
digest_str(EVP_MD_CTX *md, const char *s)
{
	digest_add(md, s, s ? strlen(s) : 0);
}

/*
 * No Idempotency-Key: the same form, sender and content within the form's
 * dedup_window is the same submission (a browser re-posting after a
 * timeout or a reset, which cannot know whether the first one was
 * stored). The key is a digest of what is stored, so a multipart body's
 * new boundary or a field order does not make a resend look new.
 */
static void
derive_key(struct job *j, const struct form *f)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	char tn[24];
	int off;

	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		log_fatalx("webform: out of memory");
	snprintf(tn, sizeof(tn), "%llu", (unsigned long long)j->in.ticket);
	digest_str(md, f->name);
	digest_str(md, j->in.email);
	digest_str(md, j->in.phone);
	digest_str(md, tn);
	digest_str(md, j->in.subject);
	digest_str(md, j->text);
	for (int i = 0; i < j->fd.nf; i++) {
		digest_str(md, j->fd.f[i].field);
		digest_str(md, j->fd.f[i].name);
		digest_str(md, j->fd.f[i].type);
		digest_add(md, j->fd.f[i].data, j->fd.f[i].size);
	}
	EVP_DigestFinal_ex(md, d, &dlen);
	EVP_MD_CTX_free(md);
	off = snprintf(j->dedup, sizeof(j->dedup), "formauto:%s:", f->name);
	for (unsigned i = 0; i < dlen && off + 2 < (int)sizeof(j->dedup); i++) {
		j->dedup[off++] = hex[d[i] >> 4];
		j->dedup[off++] = hex[d[i] & 15];
	}
	j->dedup[off] = '\0';
	j->in.dedup = j->dedup;
	j->in.dedup_ttl = (unsigned)f->dedup_window;
}

static void
build_interaction(struct job *j, const struct form *f)
{
	struct interaction *in = &j->in;

	in->channel = CH_FORM;
	in->source = f->name;
	in->discard = j->ck.honeypot;
	in->dedup = j->dedup[0] ? j->dedup : NULL;
	in->email = j->ck.email[0] ? j->ck.email : NULL;
	in->phone = j->ck.phone[0] ? j->ck.phone : NULL;
	in->phone_ext = j->ck.phone_ext[0] ? j->ck.phone_ext : NULL;
	in->name = value(&j->fd, "name");
	in->ticket = j->ck.ticket;
	in->subject = value(&j->fd, "subject") ? value(&j->fd, "subject") : f->subject;
	j->text = compose_text(f, &j->fd);
	j->fields_json = compose_fields(f, &j->fd, j->ck.phone_ext);
	in->text = j->text;
	in->fields_json = j->fields_json;
	/* the form's own choices; triage (in the core) only ever raises them */
	in->category = f->category;
	in->flags = f->flags[0] ? f->flags : NULL;
	in->queue = f->queue[0] ? f->queue : NULL;
	in->lang = j->lang[0] ? j->lang : NULL;
	for (int i = 0; i < j->fd.nf && i < INTERACTION_MAX_ATT; i++)
		in->att[in->natt++] = (struct interaction_blob){ j->fd.f[i].name,
		    j->fd.f[i].type, j->fd.f[i].data, j->fd.f[i].size };
	if (j->dedup[0] == '\0' && f->dedup_window && !in->discard)
		derive_key(j, f);
}

static int
wants_html(struct http_req *r, const char *ctype)
{
	const char *accept = http_header(r, "Accept");

	return accept && strstr(accept, "text/html") &&
	    form_parse_enc(ctype) != FORM_ENC_JSON;
}

/* The answer a person gets: JSON, or 303 to the form's redirect page.
 * Everything it needs is read from the request again. */
static void
answer_ok(struct http_req *r, const struct ingest_answer *a)
{
	const struct form *f = form_config_find(http_param(r, 0));
	const char *ctype = http_header(r, "Content-Type");
	char label[32], *loc;

	snprintf(label, sizeof(label), "RX-%llu", (unsigned long long)a->ticket);
	if (f && wants_html(r, ctype ? ctype : "")) {
		if (asprintf(&loc, "%s%cticket=%s", f->redirect,
		    strchr(f->redirect, '?') ? '&' : '?', label) == -1)
			log_fatalx("webform: out of memory");
		http_set_header(r, "Location", loc);
		free(loc);
		http_reply(r, 303, "text/plain; charset=utf-8", NULL, 0);
		return;
	}
	http_reply_json(r, 201, json_pack("{s:s, s:I, s:b, s:b}", "ticket", label,
	    "id", (json_int_t)a->ticket, "customer_matched", a->matched,
	    "duplicate", a->duplicate));
}

/* The core's answer, by the request's id. */
static void
on_stored(uint64_t id, const struct ingest_answer *a, const char *err)
{
	struct http_req *r = http_req_find(id);

	busy--;
	if (r == NULL)
		return;
	if (err && strcmp(err, "unavailable")) {
		log_warnx("req=%s form=%s ingest failed: %s", http_req_tag(r),
		    http_param(r, 0), err);
		http_error(r, 500, "internal", "the form could not be stored", NULL);
		return;
	}
	if (err) {
		http_unavailable(r);
		return;
	}
	metrics_add(a->discarded ? m_honeypot : a->duplicate ? m_duplicate :
	    m_accepted, 1);
	log_info("req=%s form=%s ticket=RX-%llu customer=%s matched=%d "
	    "duplicate=%d%s", http_req_tag(r), http_param(r, 0),
	    (unsigned long long)a->ticket, a->customer, a->matched, a->duplicate,
	    a->discarded ? " honeypot filled: dropped" : "");
	answer_ok(r, a);
}

static const char *
json_safe(const char *s)
{
	return form_parse_utf8_valid(s, strlen(s)) ? s : "form";
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
	read_lang(r, j);
	return 0;
}

static void
on_form(struct http_req *r, void *arg)
{
	const struct form *f;
	struct job *j;

	(void)arg;
	if (http_rate_check(r, "forms") == -1)
		return;
	if ((f = form_config_find(http_param(r, 0))) == NULL || !f->enabled) {
		http_error(r, 404, "not_found", "no such form", NULL);
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL)
		log_fatalx("webform: out of memory");
	j->req = http_req_id(r);
	if (take(r, f, j) == 0) {
		build_interaction(j, f);
		if (ingest_submit(&j->in, on_stored, j->req) == 0)
			busy++;
		else
			http_unavailable(r);
	}
	job_free(j);
}

void
webform_config(void)
{
	form_config_register();
}

int
webform_check(const struct config *cf, char *err, size_t errlen)
{
	return form_config_check(err, errlen);
}

int
webform_start(struct event_base *base, const struct config *cf,
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
	mime_init();
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
		mime_shutdown();
	started = 0;
}
