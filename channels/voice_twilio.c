/* voice_twilio: see voice_twilio.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "channels/form_parse.h"
#include "channels/voice.h"
#include "channels/voice_twilio.h"
#include "server/core/config.h"
#include "server/core/http.h"
#include "server/core/idtab.h"
#include "server/core/log.h"
#include "server/core/metrics.h"
#include "server/customer/phone.h"

#define TWIML_HEAD	"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>"
#define TWIML_TAIL	"</Response>"
#define TWIML_CTYPE	"text/xml; charset=utf-8"

/* A call waiting for its TwiML: the request, and the timer that answers
 * it safely if Redis is slow. Lives until the store answers. */
struct pending {
	uint64_t self, req;
	struct event *timer;
	int attempt, answered;
	char lang[4];
};

/* What callers hear, by language (voice_lang). */
static const struct words {
	const char *lang, *say, *hold, *voicemail, *thanks;
} words[] = {
	{ "en", "en-US", "All our agents are busy. Please hold.",
	  "Nobody can take your call right now. Please leave a message after "
	  "the tone and we will call you back.", "Thank you. Goodbye." },
	{ "uk", "uk-UA", "Усі оператори зайняті. Будь ласка, залишайтеся на лінії.",
	  "Зараз ніхто не може відповісти. Залиште, будь ласка, повідомлення "
	  "після сигналу, і ми вам передзвонимо.", "Дякуємо. До побачення." },
	{ "ru", "ru-RU", "Все операторы заняты. Пожалуйста, оставайтесь на линии.",
	  "Сейчас никто не может ответить. Пожалуйста, оставьте сообщение после "
	  "сигнала, и мы вам перезвоним.", "Спасибо. До свидания." },
	{ "zh", "cmn-CN", "所有坐席都在忙，请稍候。",
	  "现在无人接听。请在提示音后留言，我们会给您回电。", "谢谢，再见。" },
};

static struct {
	struct event_base *base;
	const struct config *cf;
	struct idtab pend;
	unsigned busy;
	char base_url[512];	/* public_url + the route, for TwiML's own URLs */
	struct metric *bad_sig, *calls, *fallback, *events;
} T;

static const struct words *
words_for(const char *lang)
{
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(words[i].lang, lang) == 0)
			return &words[i];
	return &words[0];
}

/* --- the signature ----------------------------------------------------- */

struct param { const char *name, *value; size_t len; };

static int
param_cmp(const void *a, const void *b)
{
	const struct param *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	size_t n = x->len < y->len ? x->len : y->len;

	if (c)
		return c;
	if ((c = memcmp(x->value, y->value, n)) != 0)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

void
voice_twilio_sign(const char *token, const char *url, const char *const *names,
    const char *const *values, const size_t *lens, int n, char *out)
{
	struct param p[FORM_PARSE_MAX_VALUES];
	struct evbuffer *b = evbuffer_new();
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	int np = 0;

	if (b == NULL)
		log_fatalx("voice: out of memory");
	for (int i = 0; i < n && np < FORM_PARSE_MAX_VALUES; i++)
		p[np++] = (struct param){ names[i], values[i], lens[i] };
	/* by name, then value; a repeated pair counts once (twilio-node) */
	qsort(p, (size_t)np, sizeof(p[0]), param_cmp);
	evbuffer_add(b, url, strlen(url));
	for (int i = 0; i < np; i++) {
		if (i > 0 && param_cmp(&p[i - 1], &p[i]) == 0)
			continue;
		evbuffer_add(b, p[i].name, strlen(p[i].name));
		evbuffer_add(b, p[i].value, p[i].len);
	}
	HMAC(EVP_sha1(), token, (int)strlen(token), evbuffer_pullup(b, -1),
	    evbuffer_get_length(b), mac, &maclen);
	EVP_EncodeBlock((unsigned char *)out, mac, (int)maclen);
	evbuffer_free(b);
}

/* URL with ":443" or ":80" added after the host when it names none, or
 * removed when it names the scheme's own: Twilio signs either form. */
static int
url_other_port(const char *url, char *out, size_t len)
{
	int https = strncmp(url, "https://", 8) == 0;
	const char *host = strstr(url, "://"), *end, *colon;
	const char *std = https ? ":443" : ":80";

	if (host == NULL)
		return -1;
	host += 3;
	end = host + strcspn(host, "/?");
	colon = memchr(host, ':', (size_t)(end - host));
	if (colon == NULL)
		return snprintf(out, len, "%.*s%s%s", (int)(end - url), url, std, end) <
		    (int)len ? 0 : -1;
	if ((size_t)(end - colon) == strlen(std) && strncmp(colon, std, strlen(std)) == 0)
		return snprintf(out, len, "%.*s%s", (int)(colon - url), url, end) <
		    (int)len ? 0 : -1;
	return -1;
}

static int
sig_matches(const char *url, const struct form_data *fd, const char *got)
{
	const char *names[FORM_PARSE_MAX_VALUES], *values[FORM_PARSE_MAX_VALUES];
	size_t lens[FORM_PARSE_MAX_VALUES];
	char want[VOICE_TWILIO_SIG_MAX];

	for (int i = 0; i < fd->nv; i++) {
		names[i] = fd->v[i].name;
		values[i] = fd->v[i].value;
		lens[i] = fd->v[i].len;
	}
	voice_twilio_sign(T.cf->voice_twilio_auth_token, url, names, values, lens,
	    fd->nv, want);
	return strlen(got) == strlen(want) &&
	    CRYPTO_memcmp(got, want, strlen(want)) == 0;
}

/* 1 if R carries Twilio's signature of its public URL and FD. */
static int
signed_ok(struct http_req *r, const struct form_data *fd)
{
	const char *got = http_header(r, "X-Twilio-Signature");
	const char *uri = evhttp_request_get_uri(http_evreq(r));
	const char *pub = T.cf->public_url;
	size_t pl = strlen(pub);
	char url[2048], alt[2048];

	if (got == NULL || *T.cf->voice_twilio_auth_token == '\0' ||
	    strlen(got) >= VOICE_TWILIO_SIG_MAX)
		return 0;
	while (pl > 0 && pub[pl - 1] == '/')
		pl--;
	if (snprintf(url, sizeof(url), "%.*s%s", (int)pl, pub, uri) >= (int)sizeof(url))
		return 0;
	if (sig_matches(url, fd, got))
		return 1;
	return url_other_port(url, alt, sizeof(alt)) == 0 && sig_matches(alt, fd, got);
}

/* --- TwiML ------------------------------------------------------------- */

static void
xml_text(struct evbuffer *b, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': evbuffer_add(b, "&amp;", 5); break;
		case '<': evbuffer_add(b, "&lt;", 4); break;
		case '>': evbuffer_add(b, "&gt;", 4); break;
		case '"': evbuffer_add(b, "&quot;", 6); break;
		case '\'': evbuffer_add(b, "&apos;", 6); break;
		default: evbuffer_add(b, s, 1);
		}
	}
}

static void
twiml_reply(struct http_req *r, struct evbuffer *b)
{
	evbuffer_add(b, TWIML_TAIL, strlen(TWIML_TAIL));
	http_reply_buf(r, 200, TWIML_CTYPE, b);
	evbuffer_free(b);
}

static struct evbuffer *
twiml_new(void)
{
	struct evbuffer *b = evbuffer_new();

	if (b == NULL)
		log_fatalx("voice: out of memory");
	evbuffer_add(b, TWIML_HEAD, strlen(TWIML_HEAD));
	return b;
}

static void
say(struct evbuffer *b, const struct words *w, const char *text)
{
	evbuffer_add_printf(b, "<Say language=\"%s\">", w->say);
	xml_text(b, text);
	evbuffer_add_printf(b, "</Say>");
}

/* Voicemail: the message in the caller's language, then <Record>. */
static void
reply_voicemail(struct http_req *r, const char *lang)
{
	struct evbuffer *b = twiml_new();

	say(b, words_for(lang), words_for(lang)->voicemail);
	evbuffer_add_printf(b, "<Record action=\"%s?event=voicemail&amp;lang=%s\" "
	    "recordingStatusCallback=\"%s?event=recording\" "
	    "recordingStatusCallbackMethod=\"POST\" maxLength=\"%d\" playBeep=\"true\"/>",
	    T.base_url, words_for(lang)->lang, T.base_url, T.cf->voice_voicemail_seconds);
	twiml_reply(r, b);
}

/* Nobody free yet: hold, then ask again (the same webhook, one attempt
 * further), until voice.hold_attempts; then voicemail. */
static void
reply_hold(struct http_req *r, const char *lang, int attempt)
{
	struct evbuffer *b;

	if (attempt >= T.cf->voice_hold_attempts) {
		reply_voicemail(r, lang);
		return;
	}
	b = twiml_new();
	if (attempt <= 1)
		say(b, words_for(lang), words_for(lang)->hold);
	evbuffer_add_printf(b, "<Pause length=\"%d\"/><Redirect method=\"POST\">"
	    "%s?event=hold&amp;attempt=%d&amp;lang=%s</Redirect>", T.cf->voice_hold_seconds,
	    T.base_url, attempt + 1, words_for(lang)->lang);
	twiml_reply(r, b);
}

/* <Dial> the agent's identity: client:NAME, sip:URI, a number, or the
 * default Twilio Client name agent-<id>. */
static void
reply_dial(struct http_req *r, const char *agent, const char *identity)
{
	struct evbuffer *b = twiml_new();
	const char *noun = "Client", *target = identity;
	char dflt[48];

	if (strncmp(identity, "client:", 7) == 0)
		target = identity + 7;
	else if (strncmp(identity, "sip:", 4) == 0)
		noun = "Sip";
	else if (*identity == '+')
		noun = "Number";
	else if (*identity == '\0') {
		snprintf(dflt, sizeof(dflt), "agent-%s", agent);
		target = dflt;
	}
	evbuffer_add_printf(b, "<Dial action=\"%s?event=dial\" timeout=\"%d\" "
	    "answerOnBridge=\"true\"><%s statusCallback=\"%s?event=leg\" "
	    "statusCallbackEvent=\"initiated ringing answered completed\" "
	    "statusCallbackMethod=\"POST\">", T.base_url, T.cf->voice_dial_timeout, noun,
	    T.base_url);
	xml_text(b, target);
	evbuffer_add_printf(b, "</%s></Dial>", noun);
	twiml_reply(r, b);
}

static void
reply_simple(struct http_req *r, const char *inner)
{
	struct evbuffer *b = twiml_new();

	evbuffer_add(b, inner, strlen(inner));
	twiml_reply(r, b);
}

/* --- a call to answer -------------------------------------------------- */

static void
pending_free(struct pending *p)
{
	idtab_remove(&T.pend, p->self, p);
	if (p->timer)
		event_free(p->timer);
	T.busy--;
	free(p);
}

/* Redis was too slow: hold (or voicemail), never an error page. */
static void
on_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct pending *p = arg;
	struct http_req *r = http_req_find(p->req);

	(void)fd;
	(void)ev;
	p->answered = 1;
	if (r == NULL)
		return;
	metrics_add(T.fallback, 1);
	log_warnx("req=%s voice: no answer from Redis within %d ms: safe TwiML",
	    http_req_tag(r), T.cf->voice_answer_ms);
	reply_hold(r, p->lang, p->attempt);
}

static void
on_ring(uint64_t id, const struct voice_ring *a, const char *err)
{
	struct pending *p = idtab_find(&T.pend, id);
	struct http_req *r;

	if (p == NULL)
		return;
	r = p->answered ? NULL : http_req_find(p->req);
	if (r != NULL) {
		if (err) {
			if (strcmp(err, "unavailable"))
				log_warnx("req=%s voice: the call was refused: %s",
				    http_req_tag(r), err);
			reply_hold(r, p->lang, p->attempt);
		} else if (a->ended)
			reply_simple(r, "<Hangup/>");
		else if (*a->agent)
			reply_dial(r, a->agent, a->identity);
		else
			reply_hold(r, p->lang, p->attempt);
		if (!err)
			log_info("req=%s voice ticket=RX-%llu customer=%s agent=%s%s",
			    http_req_tag(r), (unsigned long long)a->ticket, a->customer,
			    *a->agent ? a->agent : "-", a->duplicate ? " again" : "");
	}
	pending_free(p);
}

/* An IVR menu before routing, when voice.ivr_queues names choices. */
static int
ivr_menu(struct http_req *r, const char *event, const char *lang)
{
	struct evbuffer *b;

	if (*T.cf->voice_ivr_queues == '\0' || *T.cf->voice_ivr_prompt == '\0' ||
	    *event != '\0')
		return 0;
	b = twiml_new();
	evbuffer_add_printf(b, "<Gather numDigits=\"1\" timeout=\"6\" method=\"POST\" "
	    "action=\"%s?event=ivr\">", T.base_url);
	say(b, words_for(lang), T.cf->voice_ivr_prompt);
	evbuffer_add_printf(b, "</Gather><Redirect method=\"POST\">%s?event=ivr"
	    "</Redirect>", T.base_url);
	twiml_reply(r, b);
	return 1;
}

static void
take_call(struct http_req *r, const struct form_data *fd, const char *event)
{
	const char *sid = form_parse_get(fd, "CallSid", NULL);
	const char *from = form_parse_get(fd, "From", NULL);
	const char *digits = form_parse_get(fd, "Digits", NULL);
	const char *att = http_query(r, "attempt");
	char e164[PHONE_E164_MAX], dedup[VOICE_DEDUP_MAX];
	struct voice_call c = { 0 };
	struct pending *p;
	struct timeval tv;
	const char *lang;

	lang = voice_lang(voice_number(from, e164, sizeof(e164)) == 0 ? e164 : NULL);
	if (voice_number(from, e164, sizeof(e164)) == 0 && voice_blocked(e164)) {
		log_info("req=%s voice: blocked caller %s rejected", http_req_tag(r), e164);
		reply_simple(r, "<Reject reason=\"busy\"/>");
		return;
	}
	if (ivr_menu(r, event, lang))
		return;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		log_fatalx("voice: out of memory");
	p->req = http_req_id(r);
	p->attempt = att ? atoi(att) : 1;
	p->attempt = p->attempt < 1 ? 1 : p->attempt > 100 ? 100 : p->attempt;
	snprintf(p->lang, sizeof(p->lang), "%s", lang);
	snprintf(dedup, sizeof(dedup), "twilio:%s:ringing", sid);
	c = (struct voice_call){ "twilio", sid, dedup, from,
	    form_parse_get(fd, "To", NULL), voice_ivr_queue(digits), digits };
	p->self = idtab_add(&T.pend, p);
	T.busy++;
	metrics_add(T.calls, 1);
	if (voice_ring(&c, on_ring, p->self) == -1) {
		int attempt = p->attempt;

		pending_free(p);
		reply_hold(r, lang, attempt);	/* Redis away: hold and retry */
		return;
	}
	tv = (struct timeval){ T.cf->voice_answer_ms / 1000,
	    (T.cf->voice_answer_ms % 1000) * 1000 };
	if ((p->timer = evtimer_new(T.base, on_timeout, p)) == NULL ||
	    evtimer_add(p->timer, &tv) == -1)
		log_fatalx("voice: cannot arm the TwiML timer");
}

/* --- status callbacks -------------------------------------------------- */

static void
on_event_stored(uint64_t id, json_t *res, const char *err)
{
	struct http_req *r = http_req_find(id);

	(void)res;
	if (r == NULL)
		return;
	if (err && strcmp(err, "unavailable") == 0)
		http_unavailable(r);
	else if (err)
		http_error(r, 500, "internal", "the event could not be stored", NULL);
	else
		reply_simple(r, "");
}

/* Twilio's terminal statuses end a call. */
static int
terminal(const char *st)
{
	static const char *const end[] = { "completed", "busy", "no-answer", "failed",
		"canceled", NULL };

	for (int i = 0; st && end[i]; i++)
		if (strcmp(st, end[i]) == 0)
			return 1;
	return 0;
}

/* Store EV; answer R when Redis has it (WAIT), else at once with TWIML. */
static void
send_event(struct http_req *r, struct voice_event *ev, int wait, const char *twiml)
{
	int rc = voice_event(ev, wait ? on_event_stored : NULL, http_req_id(r));

	metrics_add(T.events, 1);
	if (!wait)
		reply_simple(r, twiml);
	else if (rc == -1)
		http_unavailable(r);
}

static void
take_status(struct http_req *r, const struct form_data *fd, const char *event)
{
	const char *sid = form_parse_get(fd, "CallSid", NULL);
	const char *parent = form_parse_get(fd, "ParentCallSid", NULL);
	const char *st = form_parse_get(fd, "CallStatus", NULL);
	char dedup[VOICE_DEDUP_MAX];
	struct voice_event ev = { .scheme = "twilio", .call = sid, .dedup = dedup,
	    .event = st ? st : "status" };
	int leg = strcmp(event, "leg") == 0;

	snprintf(dedup, sizeof(dedup), "twilio:%s:%s", sid, st ? st : "");
	if (leg && parent && *parent)
		ev.call = parent;
	if (leg && st && strcmp(st, "in-progress") == 0) {
		ev.event = "answered";
		ev.user = form_parse_get(fd, "To", NULL);
	} else if (leg && st && strcmp(st, "completed") == 0) {
		ev.event = "leg_ended";
		ev.talk = form_parse_get(fd, "CallDuration", NULL);
	} else if (!leg && terminal(st)) {
		ev.event = "ended";
		ev.cause = st;
	}
	send_event(r, &ev, 1, NULL);
}

/* The <Dial> is over: answered means the call is done; otherwise the
 * caller may leave a voicemail. */
static void
take_dial(struct http_req *r, const struct form_data *fd)
{
	const char *sid = form_parse_get(fd, "CallSid", NULL);
	const char *st = form_parse_get(fd, "DialCallStatus", NULL);
	const char *from = form_parse_get(fd, "From", NULL);
	char dedup[VOICE_DEDUP_MAX], e164[PHONE_E164_MAX];
	struct voice_event ev = { .scheme = "twilio", .call = sid, .dedup = dedup,
	    .event = "dial" };
	int ok = st && strcmp(st, "completed") == 0;

	snprintf(dedup, sizeof(dedup), "twilio:%s:dial-%s", sid, st ? st : "");
	if (ok) {
		ev.event = "leg_ended";
		ev.talk = form_parse_get(fd, "DialCallDuration", NULL);
	}
	voice_event(&ev, NULL, 0);
	metrics_add(T.events, 1);
	if (ok)
		reply_simple(r, "<Hangup/>");
	else
		reply_voicemail(r, voice_lang(voice_number(from, e164, sizeof(e164)) == 0 ?
		    e164 : NULL));
}

static void
take_recording(struct http_req *r, const struct form_data *fd)
{
	const char *sid = form_parse_get(fd, "CallSid", NULL);
	char dedup[VOICE_DEDUP_MAX];
	struct voice_event ev = { .scheme = "twilio", .call = sid, .dedup = dedup,
	    .event = "recording" };

	snprintf(dedup, sizeof(dedup), "twilio:%s:recording", sid);
	ev.recording = form_parse_get(fd, "RecordingUrl", NULL);
	ev.recording_duration = form_parse_get(fd, "RecordingDuration", NULL);
	send_event(r, &ev, 1, NULL);
}

/* --- the route --------------------------------------------------------- */

/* The fields every webhook needs, bounded; -1 after answering 400. */
static int
check_fields(struct http_req *r, const struct form_data *fd)
{
	const char *sid = form_parse_get(fd, "CallSid", NULL);
	size_t n = sid ? strlen(sid) : 0;

	if (n == 0 || n > VOICE_ID_MAX || strspn(sid, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_") != n) {
		http_error(r, 400, "bad_request", "CallSid is missing or malformed", "CallSid");
		return -1;
	}
	for (int i = 0; i < fd->nv; i++)
		if (fd->v[i].len > 4096 || strlen(fd->v[i].value) != fd->v[i].len) {
			http_error(r, 400, "bad_request", "a parameter is too long or "
			    "holds a NUL", fd->v[i].name);
			return -1;
		}
	return 0;
}

static void
dispatch(struct http_req *r, const struct form_data *fd, const char *event)
{
	if (!*event || !strcmp(event, "hold") || !strcmp(event, "ivr"))
		take_call(r, fd, event);
	else if (!strcmp(event, "status") || !strcmp(event, "leg"))
		take_status(r, fd, event);
	else if (!strcmp(event, "dial"))
		take_dial(r, fd);
	else if (!strcmp(event, "recording"))
		take_recording(r, fd);
	else if (!strcmp(event, "voicemail")) {
		struct evbuffer *b = twiml_new();
		const char *lang = http_query(r, "lang");

		say(b, words_for(lang ? lang : "en"), words_for(lang ? lang : "en")->thanks);
		evbuffer_add_printf(b, "<Hangup/>");
		twiml_reply(r, b);
	} else
		http_error(r, 400, "bad_request", "unknown event", "event");
}

static void
on_twilio(struct http_req *r, void *arg)
{
	const char *ctype = http_header(r, "Content-Type"), *cause = NULL;
	const char *event = http_query(r, "event");
	struct form_data fd;
	size_t len;
	const char *body = http_body(r, &len);
	int rc, form;

	(void)arg;
	/* a body of another type is checked as no parameters: unsigned, it is
	 * refused like any other (403), signed, it is a 415 */
	memset(&fd, 0, sizeof(fd));
	form = form_parse_enc(ctype) == FORM_ENC_URLENCODED;
	rc = form ? form_parse(ctype, body, len, &fd, &cause) : 0;
	if (rc == 0 && !signed_ok(r, &fd))
		rc = 403;
	else if (rc == 0 && !form)
		rc = 415;
	if (rc == 403) {
		metrics_add(T.bad_sig, 1);
		log_warnx("req=%s voice: bad or missing X-Twilio-Signature from %s",
		    http_req_tag(r), http_peer(r));
		if (http_rate_check(r, "voice") == 0)
			http_error(r, 403, "bad_signature", "X-Twilio-Signature does "
			    "not match", "X-Twilio-Signature");
	} else if (rc != 0)
		http_error(r, rc, rc == 415 ? "unsupported_media_type" : "bad_request",
		    rc == 415 ? "Twilio posts application/x-www-form-urlencoded" : cause,
		    NULL);
	else if (check_fields(r, &fd) == 0)
		dispatch(r, &fd, event ? event : "");
	form_parse_free(&fd);
}

static void
set_base(const struct config *cf)
{
	size_t pl = strlen(cf->public_url);

	while (pl > 0 && cf->public_url[pl - 1] == '/')
		pl--;
	snprintf(T.base_url, sizeof(T.base_url), "%.*s/api/v1/voice/twilio", (int)pl,
	    cf->public_url);
}

int
voice_twilio_start(struct event_base *base, const struct config *cf,
    const char **cause)
{
	static const char help[] = "Twilio voice webhooks, by result.";

	(void)cause;
	T.base = base;
	T.cf = cf;
	set_base(cf);
	if (*cf->voice_twilio_auth_token == '\0')
		log_info("voice: voice.twilio_auth_token is not set: every Twilio "
		    "webhook will be refused");
	T.bad_sig = metrics_counter("rxdesk_voice_twilio_total", help, "result=\"bad_signature\"");
	T.calls = metrics_counter("rxdesk_voice_twilio_total", help, "result=\"call\"");
	T.events = metrics_counter("rxdesk_voice_twilio_total", help, "result=\"event\"");
	T.fallback = metrics_counter("rxdesk_voice_twilio_total", help, "result=\"fallback\"");
	http_route("POST", "/api/v1/voice/twilio", "voice_twilio", on_twilio, NULL);
	return 0;
}

void
voice_twilio_reload(const struct config *cf)
{
	T.cf = cf;
	set_base(cf);
}

unsigned
voice_twilio_busy(void)
{
	return T.busy;
}

void
voice_twilio_stop(void)
{
	/* pendings end with their ring's answer (ingest answers "unavailable") */
}
