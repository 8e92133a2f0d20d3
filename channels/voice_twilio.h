/*
 * voice_twilio: POST /api/v1/voice/twilio, Twilio's voice webhooks
 * (docs/voice.md). Every request's X-Twilio-Signature is checked (HMAC-SHA1
 * keyed with voice.twilio_auth_token over server.public_url + the request
 * URI + the POST parameters sorted by name, base64; compared in constant
 * time): 403 otherwise. The query's "event" says which webhook it is: none
 * (or "hold", "ivr") for a call to answer with TwiML, "dial" for the
 * <Dial> action, "leg" for the agent leg's status, "status" for the
 * call's own status callback, "recording" and "voicemail" for a voicemail.
 * A call is always answered with TwiML within voice.answer_ms, from a
 * timer when Redis is slow: never with an error page.
 */
#ifndef RX_VOICE_TWILIO_H
#define RX_VOICE_TWILIO_H

#include <stddef.h>

struct event_base;
struct config;

#define VOICE_TWILIO_SIG_MAX	64	/* bytes in a base64 HMAC-SHA1 and then some */

/*
 * The signature Twilio sends for URL and the POST parameters NAMES[i] =
 * VALUES[i] (LENS[i] bytes) of N, keyed with TOKEN: base64 into OUT
 * (VOICE_TWILIO_SIG_MAX bytes). Exposed for the unit test.
 */
void voice_twilio_sign(const char *token, const char *url, const char *const *names,
    const char *const *values, const size_t *lens, int n, char *out);

/* Add the route; -1 with *cause. */
int voice_twilio_start(struct event_base *, const struct config *, const char **cause);
void voice_twilio_reload(const struct config *);
/* Calls waiting for their TwiML. */
unsigned voice_twilio_busy(void);
void voice_twilio_stop(void);

#endif
