/*
 * voice: what every telephony channel shares (docs/voice.md). A ringing
 * call is an interaction of channel "voice" handed to the core
 * (ingest_submit, dedup "<scheme>:<call id>:<event>"), its caller
 * identified by E.164 number (national forms read in server.default_country);
 * then the call record is started, the screen pop sent and the agent to
 * dial named by the function library (server/store/lua/voice.lua). Later
 * events (answered, ended, recorded) update that record in any order.
 * voice_twilio.c and voice_cti.c are the two ways in; voice_agent.c sets
 * each agent's dial identity.
 */
#ifndef RX_VOICE_H
#define RX_VOICE_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct config;
typedef struct json_t json_t;

#define VOICE_ID_MAX		128	/* bytes in a CallSid or a callId */
#define VOICE_NUMBER_MAX	64	/* bytes in a From or To */
#define VOICE_DEDUP_MAX		(VOICE_ID_MAX + 48)

/* A ringing call as a provider reports it; strings borrowed for the call. */
struct voice_call {
	const char *scheme;	/* "twilio", "cti": names records and dedup keys */
	const char *call;	/* CallSid, callId */
	const char *dedup;	/* this report's idempotency key */
	const char *from, *to;	/* as sent ("+380441234567", "044 123 45 67") */
	const char *queue;	/* an IVR's choice; NULL: routing decides */
	const char *digits;	/* the IVR digits pressed, for the record; may be NULL */
};

/* What the store made of a ringing call; strings live for the callback. */
struct voice_ring {
	uint64_t ticket;
	const char *customer;
	const char *agent;	/* routed agent's id, "" when nobody is free */
	const char *identity;	/* what to dial for them ("" none set) */
	int ended;		/* the call had ended before its ring was stored */
	int duplicate;		/* the ring was seen before (a retry) */
};

/* Told once per voice_ring, by the caller's ID; ERR as ingest_cb's. */
typedef void voice_ring_cb(uint64_t id, const struct voice_ring *, const char *err);

/* A later event of a call (docs/voice.md, rx_voice_event); borrowed. */
struct voice_event {
	const char *scheme, *call, *dedup;
	const char *event;	/* answered, ended, leg_ended, recording, ... */
	const char *user;	/* who answered: dial identity, agent id or email */
	const char *cause;	/* how it ended: busy, no-answer, canceled, ... */
	const char *talk;	/* seconds the agent spoke, when the provider knows */
	const char *recording, *recording_duration;
};

/* RESULT {duplicate, outcome, ticket, agent} borrowed, or NULL with ERR. */
typedef void voice_event_cb(uint64_t id, json_t *result, const char *err);

/* Store a ringing call, then call CB. -1: Redis is not ready, CB not called. */
int voice_ring(const struct voice_call *, voice_ring_cb *cb, uint64_t id);
/* Store an event of a call, then call CB (may be NULL). -1: Redis not ready. */
int voice_event(const struct voice_event *, voice_event_cb *cb, uint64_t id);

/* NUMBER as E.164 into OUT (PHONE_E164_MAX bytes); -1 if it is none. */
int voice_number(const char *number, char *out, size_t len);
/* The language to greet a caller in, by their number: "uk", "ru", "zh", "en". */
const char *voice_lang(const char *e164);
/* 1 if the E.164 number is listed in voice.blocked. */
int voice_blocked(const char *e164);
/* The queue an IVR choice selects (voice.ivr_queues), or NULL. */
const char *voice_ivr_queue(const char *digits);
/* The queue calls go to without an IVR choice (voice.queue), or NULL. */
const char *voice_queue(void);
/* The configuration both webhooks read. */
const struct config *voice_config(void);

/* Module life cycle (server/core/modules.c). */
int voice_check(const struct config *, char *err, size_t errlen);
int voice_start(struct event_base *, const struct config *, const char **cause);
void voice_reload(const struct config *);
/* Calls and webhooks waiting on Redis. */
unsigned voice_busy(void);
void voice_stop(void);

#endif
