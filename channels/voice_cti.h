/*
 * voice_cti: POST /api/v1/voice/cti, any PBX through Zammad's generic CTI
 * fields (docs/voice.md): event newCall, answer or hangup with from, to,
 * direction, callId, user, cause, answeringNumber, urlencoded or JSON,
 * authenticated by voice.cti_token (?token= or a bearer header, compared in
 * constant time). newCall is answered with what the PBX should do:
 * {"action":"dial","user":...} for the routed agent, {"action":"queue"}
 * when nobody is free, {"action":"reject"} for a number in voice.blocked.
 */
#ifndef RX_VOICE_CTI_H
#define RX_VOICE_CTI_H

struct event_base;
struct config;

/* Add the route; -1 with *cause. */
int voice_cti_start(struct event_base *, const struct config *, const char **cause);

#endif
