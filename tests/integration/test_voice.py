#!/usr/bin/env python3
"""Telephony (issue 16, docs/voice.md): Twilio's voice webhooks signed by
Twilio's own helper library (npm "twilio": getExpectedTwilioSignature, and
validateRequest as a self-check), bad and missing signatures, replays,
whole call lifecycles (answered, busy, no answer, voicemail), an unknown
caller becoming a customer, a national-format caller matching the E.164
record, out-of-order events, the safe TwiML when Redis is slow, the generic
CTI webhook, and the screen pop on the agent's WebSocket."""
import json
import os
import re
import subprocess
import time
import urllib.parse

from rxtest import (Daemon, Redis, Tap, WsClient, add_agent, bearer, login, wait_until,
                    ws_client_missing, NODE, SRCDIR)

P = "rx:"
TOKEN = "12345678901234567890123456789012"
CTI = "cti-secret-token"
CONF = ("[auth]\nscrypt_n = 1024\n[http]\nrate_limit = 0\n"
        "[routing]\nwrapup_seconds = 0\n"
        "[voice]\ntwilio_auth_token = %s\ncti_token = %s\nanswer_ms = 700\n"
        "hold_seconds = 5\nhold_attempts = 2\nblocked = +380509999999\n" % (TOKEN, CTI))
SIGN_JS = os.path.join(SRCDIR, "tests", "integration", "voice_sign.js")


class Env:
    pass


E = Env()


def sign_many(cases):
    """[(url, params)] -> [signature] by Twilio's helper library."""
    out = subprocess.run([NODE, SIGN_JS], input=json.dumps(
        [{"token": TOKEN, "url": u, "params": p} for u, p in cases]),
        capture_output=True, text=True, timeout=60, check=True)
    res = json.loads(out.stdout)
    assert all(r["valid"] for r in res), res
    return [r["signature"] for r in res]


def twilio(params, query="", sig=True, headers=None):
    """POST a webhook as Twilio does; returns (status, body text, headers)."""
    path = "/api/v1/voice/twilio" + query
    url = "http://127.0.0.1:%d%s" % (E.d.http_port, path)
    h = {"Content-Type": "application/x-www-form-urlencoded"}
    if sig is True:
        h["X-Twilio-Signature"] = sign_many([(url, params)])[0]
    elif sig:
        h["X-Twilio-Signature"] = sig
    h.update(headers or {})
    s, b, hd = E.d.request("POST", path, urllib.parse.urlencode(params), h)
    return s, b.decode() if isinstance(b, bytes) else b, hd


def cti(params, token=CTI):
    q = "?token=" + token if token else ""
    s, b, _ = E.d.request("POST", "/api/v1/voice/cti" + q, urllib.parse.urlencode(params),
                          {"Content-Type": "application/x-www-form-urlencoded"})
    return s, b


def ring_params(sid, frm="+380441234567", **more):
    p = {"AccountSid": "AC" + "0" * 32, "ApiVersion": "2010-04-01", "CallSid": sid,
         "CallStatus": "ringing", "Called": "+3804400000", "Caller": frm,
         "Direction": "inbound", "From": frm, "To": "+3804400000", "FromCountry": "UA"}
    p.update(more)
    return p


def record(scheme, call):
    return json.loads(E.redis.cmd("FCALL", "rx_voice_call", 0, P,
                                  json.dumps({"scheme": scheme, "call": call})))


def ticket(n):
    flat = E.redis.cmd("HGETALL", "%st:%s" % (P, n))
    return dict(zip(flat[::2], flat[1::2]))


def log_entries(n, kind):
    out = []
    for _id, f in E.redis.cmd("XRANGE", "%st:%s:log" % (P, n), "-", "+"):
        e = dict(zip(f[::2], f[1::2]))
        if e.get("type") == kind:
            out.append(e)
    return out


def available(agent_id):
    E.redis.cmd("SET", "%spresence:%s" % (P, agent_id), "test", "EX", 600)
    E.redis.cmd("FCALL", "rx_route_agent", 0, P,
                json.dumps({"agent": agent_id, "state": "available"}))


def away(agent_id):
    E.redis.cmd("FCALL", "rx_route_agent", 0, P, json.dumps({"agent": agent_id, "state": "away"}))


def ticket_of_twiml_call(sid):
    return int(record("twilio", sid)["ticket"])


# --- signatures -------------------------------------------------------------

def test_signature_vectors(t):
    base = "http://127.0.0.1:%d/api/v1/voice/twilio" % E.d.http_port
    frm = "+380441110000"
    cases = [
        (base, ring_params("CA" + "1" * 32, frm)),
        (base + "?event=status", ring_params("CA" + "1" * 32, frm, CallStatus="completed",
                                             CallDuration="42")),
        (base, ring_params("CA" + "2" * 32, frm, CallerName="Олена Коваль & <Co>",
                           Digits="1")),
        (base + "?event=hold&attempt=2&lang=uk", ring_params("CA" + "1" * 32, frm,
                                                             CallStatus="in-progress")),
    ]
    sigs = sign_many(cases)
    for (url, params), sig in zip(cases, sigs):
        path = url[url.index("/api/"):]
        s, b, h = E.d.request("POST", path, urllib.parse.urlencode(params),
                              {"Content-Type": "application/x-www-form-urlencoded",
                               "X-Twilio-Signature": sig})
        t.ok(s == 200, "Twilio's signature for %s %s is accepted" % (
            path, sorted(params)[:2]), (s, b))
    # those calls end (they would wait in the queue for the next agent)
    twilio(ring_params("CA" + "2" * 32, frm, CallStatus="canceled"), "?event=status")
    s, b, _ = twilio(ring_params("CA" + "3" * 32), sig="AAAA" + sigs[0][4:])
    t.eq(s, 403, "a wrong signature is refused with 403")
    t.ok(isinstance(b, dict) and b["error"]["code"] == "bad_signature", "with a JSON reason", b)
    s, b, _ = twilio(ring_params("CA" + "3" * 32), sig=None)
    t.eq(s, 403, "a missing signature is refused with 403")
    # a signature over other parameters (a changed From) does not pass
    url = "http://127.0.0.1:%d/api/v1/voice/twilio" % E.d.http_port
    other = sign_many([(url, ring_params("CA" + "3" * 32, From="+380440000000"))])[0]
    s, _, _ = twilio(ring_params("CA" + "3" * 32), sig=other)
    t.eq(s, 403, "a signature over other parameters is refused")
    t.ok("bad or missing X-Twilio-Signature" in E.d.logtext(), "refusals are logged")
    t.eq(E.redis.cmd("EXISTS", P + "call:twilio:CA" + "3" * 32), 0,
         "nothing is stored for a refused webhook")


# --- a whole answered call --------------------------------------------------

def test_answered_call(t):
    ann = E.ann
    s, b, _ = E.d.request("PUT", "/api/v1/agents/me/voice", {"identity": "client:ann"},
                          bearer(E.tok_ann))
    t.ok(s == 200 and b["identity"] == "client:ann", "an agent sets their dial identity", b)
    ws = None
    if not ws_client_missing():
        ws = WsClient("ws://127.0.0.1:%d/agent/ws" % E.d.http_port,
                      headers={"Authorization": "Bearer " + E.tok_ann})
        ws.opened()
        ws.message(lambda m: m["type"] == "hello")
    # a known customer, by E.164, with history from a form
    E.d.post("/api/v1/forms/contact", {"name": "Olena Koval", "email": "olena@example.org",
                                       "phone": "+380441234567", "subject": "Dose",
                                       "message": "Please call me"})
    available(ann)
    sid = "CA" + "a" * 32
    t0 = time.monotonic()
    s, body, h = twilio(ring_params(sid))
    t.ok(s == 200 and h.get("content-type", "").startswith("text/xml"),
         "an incoming call is answered with TwiML", (s, body))
    t.ok("<Dial" in body and "<Client" in body and ">ann</Client>" in body
         and "event=dial" in body and "event=leg" in body,
         "the TwiML dials the routed agent's client with callbacks", body)
    if ws:
        pop = ws.message(lambda m: m["type"] == "call.ringing", timeout=5)
        t.ok(pop is not None and pop["customer"]["name"] == "Olena Koval"
             and pop["agent"] == ann and any(x.get("channel") == "form"
                                             for x in pop["customer"]["history"]),
             "the screen pop reaches the agent with the card and recent history", pop)
        t.ok(time.monotonic() - t0 < 3, "at once (%.2f s)" % (time.monotonic() - t0))
        ws.stop()
    n = ticket_of_twiml_call(sid)
    tk = ticket(n)
    cust = E.redis.cmd("GET", P + "ix:phone:+380441234567")
    t.ok(tk["channel"] == "voice" and tk["customer"] == cust and tk["agent"] == ann,
         "the call is a voice ticket of the known customer, assigned", tk)
    # a replay of the same webhook: same ticket, nothing new
    before = E.redis.cmd("GET", P + "seq:t")
    s, body2, _ = twilio(ring_params(sid))
    t.ok(s == 200 and "<Dial" in body2 and E.redis.cmd("GET", P + "seq:t") == before,
         "a replayed ringing webhook opens no second ticket", body2)
    # the agent's leg answers, then the call ends
    leg = "CA" + "b" * 32
    s, _, _ = twilio({"CallSid": leg, "ParentCallSid": sid, "CallStatus": "in-progress",
                      "To": "client:ann", "From": "+380441234567"}, "?event=leg")
    t.eq(s, 200, "the leg's answered callback is taken")
    t.eq(E.redis.cmd("HGET", P + "ar:" + ann, "state"), "oncall", "the agent is on the call")
    s, _, _ = twilio({"CallSid": leg, "ParentCallSid": sid, "CallStatus": "in-progress",
                      "To": "client:ann"}, "?event=leg")
    t.eq(s, 200, "a replayed status callback is answered too")
    twilio({"CallSid": leg, "ParentCallSid": sid, "CallStatus": "completed",
            "CallDuration": "95", "To": "client:ann"}, "?event=leg")
    s, body, _ = twilio({"CallSid": sid, "DialCallStatus": "completed",
                         "DialCallDuration": "95", "From": "+380441234567"}, "?event=dial")
    t.ok("<Hangup/>" in body, "an answered dial ends with Hangup", body)
    s, _, _ = twilio(ring_params(sid, CallStatus="completed", CallDuration="110"),
                     "?event=status")
    t.eq(s, 200, "the call's completed status callback is taken")
    rec = record("twilio", sid)
    t.ok(rec.get("outcome") == "answered" and rec.get("duration") == "95"
         and rec.get("agent") == ann and rec.get("answer_at") and rec.get("end_at"),
         "the call record: answered, 95 s, by the agent, with times", rec)
    calls = log_entries(n, "call")
    t.ok(len(calls) == 1 and calls[0]["outcome"] == "answered", "one call entry on the log", calls)
    hist = [dict(zip(f[::2], f[1::2])) for _i, f in
            E.redis.cmd("XRANGE", "%sc:%s:hist" % (P, cust), "-", "+")]
    t.ok(any(h.get("kind") == "call" and h.get("summary", "").startswith("Call answered")
             for h in hist), "the contact history has the call", hist)
    t.eq(E.redis.cmd("HGET", P + "ar:" + ann, "state"), "available",
         "the agent is free again after the call")
    t.ok(ticket(n).get("callback", "") in ("", "0"), "an answered call opens no call-back task")


# --- nobody free: hold, then voicemail ----------------------------------------

def test_voicemail(t):
    away(E.ann)
    sid = "CA" + "c" * 32
    s, body, _ = twilio(ring_params(sid, From="+380671112233"))
    t.ok(s == 200 and "<Pause" in body and "<Redirect" in body and "attempt=2" in body
         and 'language="uk-UA"' in body, "nobody free: hold (in Ukrainian) and ask again", body)
    n = ticket_of_twiml_call(sid)
    t.ok(ticket(n)["agent"] == "" and ticket(n)["channel"] == "voice",
         "the call waits in its queue", ticket(n))
    s, body, _ = twilio(ring_params(sid, From="+380671112233", CallStatus="in-progress"),
                        "?event=hold&attempt=2&lang=uk")
    t.ok("<Record" in body and "event=recording" in body and "<Say" in body,
         "after the last hold: voicemail", body)
    s, _, _ = twilio({"CallSid": sid, "RecordingUrl": "https://api.twilio.com/rec/RE1",
                      "RecordingDuration": "12", "RecordingSid": "RE1"}, "?event=recording")
    t.eq(s, 200, "the recording callback is taken")
    s, body, _ = twilio(ring_params(sid, CallStatus="in-progress"), "?event=voicemail&lang=uk")
    t.ok("<Hangup/>" in body, "the caller is thanked and the call hung up", body)
    twilio(ring_params(sid, From="+380671112233", CallStatus="completed"), "?event=status")
    rec = record("twilio", sid)
    t.ok(rec.get("outcome") == "voicemail" and rec.get("recording", "").endswith("RE1"),
         "the record: voicemail with its recording link", rec)
    tk = ticket(n)
    t.ok(tk.get("callback") == "1" and tk.get("kind") == "mail",
         "a voicemail opens a call-back task", tk)
    t.ok(E.redis.cmd("ZSCORE", "%sq:%s" % (P, tk["queue"]), str(n)) is not None,
         "the call-back task waits in the queue", tk)
    cust = tk["customer"]
    t.ok(E.redis.cmd("GET", P + "ix:phone:+380671112233") == cust,
         "an unknown caller became a customer with their number")


def test_busy_and_no_answer(t):
    available(E.ann)
    for st in ("busy", "no-answer"):
        sid = "CA" + ("d" if st == "busy" else "e") * 32
        s, body, _ = twilio(ring_params(sid, From="+380931234500"))
        t.ok("<Dial" in body, "the call rings the agent (%s)" % st, body)
        s, body, _ = twilio({"CallSid": sid, "DialCallStatus": st,
                             "From": "+380931234500"}, "?event=dial")
        t.ok("<Record" in body, "a %s dial goes to voicemail" % st, body)
        twilio(ring_params(sid, From="+380931234500", CallStatus=st), "?event=status")
        rec = record("twilio", sid)
        n = int(rec["ticket"])
        t.ok(rec.get("outcome") == st and ticket(n).get("callback") == "1",
             "the record says %s and a call-back task is open" % st, (rec, ticket(n)))
        t.ok(not (E.redis.cmd("HGET", "%saw:%s" % (P, E.ann), str(n)) or "").startswith(
            "voice:"), "the agent's voice place is free again")


# --- Redis slow ---------------------------------------------------------------

def fallbacks():
    text = E.d.request("GET", "/metrics")[1].decode()
    m = re.search(r'rxdesk_voice_twilio_total\{result="fallback"\} (\d+)', text)
    return int(m.group(1)) if m else 0


def test_slow_redis(t):
    sid = "CA" + "f" * 32
    # Redis paused well past answer_ms (0.7 s) and within this node's
    # redis.timeout_ms (3 s): the answer must come from the timer, whatever
    # the machine's load; the metric says which path answered, not a clock.
    params = ring_params(sid, From="+380501234567")
    url = "http://127.0.0.1:%d/api/v1/voice/twilio" % E.d.http_port
    sig = sign_many([(url, params)])[0]
    before = fallbacks()
    E.redis.cmd("CLIENT", "PAUSE", "2000", "ALL")
    s, body, _ = twilio(params, sig=sig)
    t.ok(s == 200 and "<Response>" in body and ("<Redirect" in body or "<Record" in body),
         "with Redis paused the call still gets TwiML", (s, body))
    wait_until(lambda: record("twilio", sid).get("ticket"), timeout=20,
               what="the ring stored later")
    t.eq(fallbacks() - before, 1, "the answer came from the timer, before Redis answered")
    t.ok(True, "the call is stored once Redis is back")


# --- CTI ----------------------------------------------------------------------

def test_cti(t):
    s, b = cti({"event": "newCall", "callId": "c1", "from": "0441234567", "to": "100",
                "direction": "in"}, token="wrong")
    t.eq(s, 403, "a wrong CTI token is refused")
    s, b = cti({"event": "newCall", "callId": "c1", "from": "0441234567", "to": "100",
                "direction": "in"}, token=None)
    t.eq(s, 403, "a missing CTI token is refused")
    available(E.ann)
    s, b = cti({"event": "newCall", "callId": "c1", "from": "044 123 45 67", "to": "100",
                "direction": "in", "user": "Support"})
    t.ok(s == 200 and b.get("action") == "dial" and b.get("user") == "client:ann"
         and b.get("agent") == E.ann, "newCall is answered with dial and the agent", b)
    rec = record("cti", "c1")
    t.eq(ticket(rec["ticket"])["customer"], E.redis.cmd("GET", P + "ix:phone:+380441234567"),
         "a national-format caller is the E.164 customer")
    s, b = cti({"event": "newCall", "callId": "c1", "from": "0441234567", "direction": "in"})
    t.ok(s == 200 and record("cti", "c1")["ticket"] == rec["ticket"],
         "a replayed newCall is the same call", b)
    # out of order: hangup arrives before answer
    s, b = cti({"event": "hangup", "callId": "c1", "cause": "normalClearing"})
    t.eq(s, 200, "hangup is taken")
    s, b = cti({"event": "answer", "callId": "c1", "user": "client:ann"})
    t.eq(s, 200, "a late answer is taken")
    rec = record("cti", "c1")
    t.ok(rec.get("outcome") == "answered" and rec.get("agent") == E.ann,
         "hangup before answer still gives an answered record", rec)
    s, b = cti({"event": "hangup", "callId": "c1", "cause": "normalClearing"})
    t.ok(s == 200 and b.get("duplicate") is True, "a replayed hangup is a duplicate", b)
    # a hangup before newCall
    cti({"event": "hangup", "callId": "c2", "cause": "cancel"})
    s, b = cti({"event": "newCall", "callId": "c2", "from": "+380441230000",
                "direction": "in"})
    rec = record("cti", "c2")
    t.ok(s == 200 and rec.get("outcome") == "abandoned"
         and ticket(rec["ticket"]).get("callback") == "1",
         "hangup before newCall: abandoned, call-back task", (b, rec))
    s, b = cti({"event": "newCall", "callId": "c3", "from": "050 999 99 99",
                "direction": "in"})
    t.ok(s == 200 and b.get("action") == "reject", "a blocked number is rejected", b)
    s, b = cti({"event": "ring", "callId": "c4"})
    t.eq(s, 422, "an unknown event is refused")


def test_group_pop(t):
    if ws_client_missing():
        t.ok(True, "# SKIP " + ws_client_missing())
        return
    away(E.ann)
    bob = E.bob
    available(bob)
    # bob is available but full for voice: the call waits; every free
    # voice agent of the queue is popped (none: ann away) -> use capacity
    E.redis.cmd("FCALL", "rx_route_agent", 0, P, json.dumps({"agent": bob, "state": "away"}))
    ws = WsClient("ws://127.0.0.1:%d/agent/ws" % E.d.http_port,
                  headers={"Authorization": "Bearer " + E.tok_bob})
    ws.opened()
    ws.message(lambda m: m["type"] == "hello")
    # an agent available with room but not picked: paused queue rings a group
    E.redis.cmd("HSET", P + "qdef:general", "paused", "1")
    available(bob)
    s, b = cti({"event": "newCall", "callId": "g1", "from": "+380441239999",
                "direction": "in"})
    t.ok(s == 200 and b.get("action") == "queue", "nobody routed: the PBX queues the call", b)
    pop = ws.message(lambda m: m["type"] == "call.ringing", timeout=5)
    t.ok(pop is not None and bob in pop.get("agents", []),
         "every free voice agent of the queue gets the screen pop", pop)
    E.redis.cmd("HSET", P + "qdef:general", "paused", "0")
    ws.stop()


# --- a repeat call continues the caller's open call ticket -------------------

def answer_and_end(sid, frm, agent_client="client:ann"):
    """The agent's leg answers, then the call ends (Twilio's callbacks)."""
    leg = "CA" + sid[2:-1] + "L"
    twilio({"CallSid": leg, "ParentCallSid": sid, "CallStatus": "in-progress",
            "To": agent_client, "From": frm}, "?event=leg")
    twilio({"CallSid": leg, "ParentCallSid": sid, "CallStatus": "completed",
            "CallDuration": "20", "To": agent_client}, "?event=leg")
    twilio(ring_params(sid, frm, CallStatus="completed", CallDuration="25"), "?event=status")


def free_of_calls(agent_id):
    """End the voice work the earlier tests left with the agent (calls that
    rang and never ended); each end may hand them the next waiting call."""
    for _ in range(20):
        w = E.redis.cmd("HGETALL", P + "aw:" + agent_id)
        calls = [n for n, v in zip(w[::2], w[1::2]) if v.startswith("voice:")]
        if not calls:
            return
        for n in calls:
            E.redis.cmd("FCALL", "rx_route_done", 0, P,
                        json.dumps({"agent": agent_id, "ticket": int(n)}))


def test_repeat_call(t):
    frm = "+380442220001"
    away(E.bob)
    available(E.ann)
    free_of_calls(E.ann)
    # the caller's open form ticket is mail, not a call: not continued
    E.d.post("/api/v1/forms/contact", {"name": "Taras Bondar", "phone": frm,
                                       "email": "taras@example.org", "subject": "Leaflet",
                                       "message": "Where is the leaflet?"})
    s1 = "CA" + "1" * 31 + "r"
    twilio(ring_params(s1, frm))
    n1 = ticket_of_twiml_call(s1)
    t.eq(ticket(n1)["kind"], "voice", "the first call opens a call ticket")
    answer_and_end(s1, frm)
    before = E.redis.cmd("GET", P + "seq:t")
    s2 = "CA" + "2" * 31 + "r"
    s, body, _ = twilio(ring_params(s2, frm))
    t.ok(ticket_of_twiml_call(s2) == n1 and E.redis.cmd("GET", P + "seq:t") == before,
         "a second call of the same caller continues the open call ticket",
         (ticket_of_twiml_call(s2), n1))
    t.ok(">ann</Client>" in body, "and rings the agent who had it (sticky)", body)
    msgs = log_entries(n1, "message")
    t.eq(len(msgs), 2, "the ticket's log has both calls")
    answer_and_end(s2, frm)
    t.eq(len(log_entries(n1, "call")), 2, "and both call records")
    # outside the window (last active two days ago): a new ticket
    E.redis.cmd("HSET", "%st:%s" % (P, n1), "updated", int(time.time() * 1000) - 2 * 86400000)
    s3 = "CA" + "3" * 31 + "r"
    twilio(ring_params(s3, frm))
    n3 = ticket_of_twiml_call(s3)
    t.ok(n3 != n1, "a call after the window opens a new ticket", (n1, n3))
    answer_and_end(s3, frm)
    # a resolved call ticket is not continued
    s, b, _ = E.d.request("PATCH", "/api/v1/tickets/%d" % n3, {"status": "resolved"},
                          bearer(E.tok_ann))
    t.eq(s, 200, "the agent resolves the call ticket")
    s4 = "CA" + "4" * 31 + "r"
    twilio(ring_params(s4, frm))
    n4 = ticket_of_twiml_call(s4)
    t.ok(n4 not in (n1, n3), "a call after the ticket was resolved opens a new one", n4)
    answer_and_end(s4, frm)


# --- after a call: wrap-up --------------------------------------------------

def test_wrapup_after_call(t):
    away(E.bob)
    available(E.ann)
    free_of_calls(E.ann)
    E.redis.cmd("HSET", P + "rcfg", "wrapup", "30")   # what [routing] wrapup_seconds writes
    try:
        frm = "+380442220002"
        sid = "CA" + "5" * 31 + "w"
        s, body, _ = twilio(ring_params(sid, frm))
        t.ok(">ann</Client>" in body, "the call rings ann", (body, E.redis.cmd(
            "HGETALL", P + "ar:" + E.ann), E.redis.cmd("HGETALL", P + "aw:" + E.ann)))
        answer_and_end(sid, frm)
        st = E.redis.cmd("HMGET", P + "ar:" + E.ann, "state", "wrapup_until")
        now = time.time() * 1000
        t.ok(st[0] == "wrapup" and now + 25000 < float(st[1]) < now + 31000,
             "after the call the agent is in wrap-up for routing's 30 s", st)
        t.ok(E.redis.cmd("ZSCORE", P + "wrapup", E.ann) is not None,
             "and the sweep will make them available")
        sid2 = "CA" + "6" * 31 + "w"
        s, body, _ = twilio(ring_params(sid2, "+380442220003"))
        t.ok("<Dial" not in body and "<Pause" in body,
             "a call meanwhile does not ring the agent in wrap-up", body)
        twilio(ring_params(sid2, "+380442220003", CallStatus="canceled"), "?event=status")
    finally:
        E.redis.cmd("HSET", P + "rcfg", "wrapup", "0")
        available(E.ann)


# --- the wrap-up note is screened -------------------------------------------

def test_wrapup_note_screened(t):
    away(E.bob)
    available(E.ann)
    free_of_calls(E.ann)
    frm = "+380442220004"
    sid = "CA" + "7" * 31 + "n"
    twilio(ring_params(sid, frm))
    n = ticket_of_twiml_call(sid)
    answer_and_end(sid, frm)
    t.ok("ae" not in ticket(n).get("flags", ""), "the call itself raised no flag", ticket(n))
    msgs = len(log_entries(n, "message"))
    s, b, _ = E.d.request("POST", "/api/v1/tickets/%d/notes" % n,
                          {"text": "Asked about the dose schedule."}, bearer(E.tok_ann))
    t.ok(s == 201 and b.get("flagged") == [] and "ae" not in ticket(n).get("flags", ""),
         "a plain wrap-up note raises nothing", (s, b))
    s, b, _ = E.d.request("POST", "/api/v1/tickets/%d/notes" % n,
                          {"text": "After the second dose my patient developed a severe rash."},
                          bearer(E.tok_ann))
    t.ok(s == 201 and b.get("flagged") == ["ae"], "a note telling of an adverse event is "
         "screened and says so", (s, b))
    t.ok("ae" in ticket(n).get("flags", "").split(","), "the ticket's flags are raised",
         ticket(n))
    notes = log_entries(n, "note")
    ev = json.loads(notes[-1].get("screening", "null") or "null")
    t.ok(ev and "rash" in json.dumps(ev), "the note carries the evidence", notes[-1])
    t.eq(len(log_entries(n, "message")), msgs, "and is no customer message")
    t.ok(any(e.get("field") == "flags" and "ae" in e.get("new", "")
             for e in log_entries(n, "event")), "the raise is on the ticket's log")


def main():
    tap = Tap()
    if not os.path.isdir(os.path.join(SRCDIR, "tests", "node_modules", "twilio")):
        print("1..0 # SKIP tests/node_modules/twilio is missing (scripts/bootstrap)")
        return
    E.redis = Redis()
    E.d = Daemon(E.redis, CONF + "[redis]\ntimeout_ms = 3000\n")
    E.ann = add_agent(E.redis, "ann@example.com")["id"]
    E.bob = add_agent(E.redis, "bob@example.com")["id"]
    E.tok_ann = login(E.d, "ann@example.com")
    E.tok_bob = login(E.d, "bob@example.com")
    tap.run([test_signature_vectors, test_answered_call, test_voicemail,
             test_busy_and_no_answer, test_cti, test_group_pop, test_slow_redis,
             test_repeat_call, test_wrapup_after_call, test_wrapup_note_screened])


if __name__ == "__main__":
    main()
