/*
 * voice_agent: PUT /api/v1/agents/{id}/voice, what to dial for an agent
 * (docs/voice.md): a Twilio Client name ("client:ann"), a SIP URI, a
 * number or a PBX extension, stored by the function library
 * (rx_voice_identity). An agent sets their own ("me"); admins anyone's.
 */
#ifndef RX_VOICE_AGENT_H
#define RX_VOICE_AGENT_H

struct event_base;
struct config;

/* Add the route; -1 with *cause. */
int voice_agent_start(struct event_base *, const struct config *, const char **cause);

#endif
