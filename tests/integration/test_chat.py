#!/usr/bin/env python3
"""The web chat (GET /chat/ws, docs/chat.md) with real clients (node's "ws"
package) on two rxdeskd nodes and one Redis: a whole chat from hello to
close with acks only after Redis has the message, the agent on the other
node answering over /agent/ws, resume after a cut with nothing lost or
duplicated, an agent who vanishes (the chat back at the head of its queue),
queue positions, transfer, leave-a-message (no agent, closed hours), HTML
kept as text, and every limit with its close code or error frame."""
import json
import time

from rxtest import (Daemon, Redis, Tap, WsClient, add_agent, login, wait_until,
                    ws_client_missing, SRCDIR)

P = "rx:"
ORIGIN = "https://shop.example.com"
CONF = ("[auth]\nscrypt_n = 1024\n"
        "[http]\nrate_limit = 0\nallowed_origins = %s\n"
        "[chat]\nagent_grace = 2\noffer_after = 3\nburst = 50\nrate = 50\n" % ORIGIN)


class Env:
    pass


E = Env()


def fcall(fn, args):
    return json.loads(E.redis.cmd("FCALL", fn, 0, P, json.dumps(args)))


def state(agent, st):
    return fcall("rx_route_agent", {"agent": agent, "state": st})


def customer(d, origin=ORIGIN):
    c = WsClient("ws://127.0.0.1:%d/chat/ws" % d.http_port, origin=origin)
    r = c.opened()
    assert r and r["ev"] == "open", "chat socket not opened: %r" % (r,)
    return c


def hello(c, **fields):
    f = {"type": "hello", "consent": True, "name": "Taras", "topic": "Dosage question"}
    f.update(fields)
    c.send(f)
    return c.message(lambda m: m["type"] in ("welcome", "error", "offer_message"))


def agent_ws(d, who):
    c = WsClient("ws://127.0.0.1:%d/agent/ws?token=%s" % (d.http_port, E.tok[who]))
    assert c.opened()["ev"] == "open"
    assert c.message(lambda m: m["type"] == "hello")
    return c


def typ(t, **kw):
    def pred(m):
        return m.get("type") == t and all(m.get(k) == v for k, v in kw.items())
    return pred


def ticket_no(w):
    return int(w["ticket"].split("-")[1])


def log_of(n):
    out = []
    for e in E.redis.cmd("XRANGE", P + "t:%d:log" % n, "-", "+"):
        f = dict(zip(e[1][::2], e[1][1::2]))
        if f.get("type") == "message":
            out.append(f)
    return out


def test_whole_chat(t):
    ag = agent_ws(E.b, "ann")
    state(E.ag["ann"]["id"], "available")
    c = customer(E.a)
    w = hello(c, email="taras@example.org")
    t.ok(w and w["type"] == "welcome" and len(w["token"]) == 32 and
         w["ticket"].startswith("RX-") and not w["resumed"], "hello: welcome with token and ticket", w)
    n = ticket_no(w)
    j = c.message(typ("agent_joined"))
    t.ok(j and j["name"] == "ann", "the customer hears the agent joined", j)
    tk = E.redis.cmd("HGETALL", P + "t:%d" % n)
    tk = dict(zip(tk[::2], tk[1::2]))
    t.ok(tk["channel"] == "chat" and tk["agent"] == E.ag["ann"]["id"],
         "a chat ticket routed to the free agent", tk)
    c.send({"type": "message", "cid": "m1", "text": "<script>alert(1)</script> & <b>hi</b>"})
    a = c.message(typ("ack", cid="m1"))
    t.ok(a and a["id"] and not a["duplicate"], "ack with the log id", a)
    logs = log_of(n)
    t.ok(any(l["text"].startswith("<script>") for l in logs), "the message is in Redis before the ack")
    ev = ag.message(lambda m: m.get("type") == "ticket.message" and m.get("ticket") == n
                    and m.get("direction") == "in" and "text" in m)
    t.eq(ev and ev["text"], "<script>alert(1)</script> & <b>hi</b>",
         "agent on the other node gets the text as it was written")
    c.send({"type": "typing"})
    ty = ag.message(typ("chat.typing", ticket=n))
    t.ok(ty and ty["from"] == "customer", "agent sees the customer typing", ty)
    ag.send({"type": "chat.typing", "ticket": n})
    t.ok(c.message(typ("typing")), "customer sees the agent typing")
    ag.send({"type": "chat.reply", "ticket": n, "text": "Take it with food.", "id": "r1"})
    rep = ag.message(lambda m: m.get("ref") == "r1")
    t.ok(rep and rep["type"] == "chat.replied" and rep.get("log"), "agent: chat.replied", rep)
    m = c.message(typ("message"))
    t.ok(m and m["from"] == "agent" and m["text"] == "Take it with food." and m["name"] == "ann",
         "the reply reaches the customer on node A", m)
    hist = E.redis.cmd("XRANGE", P + "c:%s:hist" % tk["customer"], "-", "+")
    t.ok(len(hist) >= 3, "the chat is in the customer's contact history", len(hist))
    c.send({"type": "close", "transcript": True})
    cl = c.message(typ("close"))
    t.ok(cl and cl["by"] == "customer" and cl["transcript"] is True, "close with a transcript", cl)
    t.eq(c.closed()["code"], 1000, "the socket closes with 1000")
    t.eq(E.redis.cmd("HGET", P + "t:%d" % n, "status"), "resolved", "the chat ticket is resolved")
    jobs = E.redis.cmd("XRANGE", P + "outbox", "-", "+")
    t.ok(any("transcript" in e[1] for e in jobs), "a transcript mail is queued")
    t.ok(ag.message(typ("chat.closed", ticket=n)), "agent hears the chat closed")
    ag.stop()
    E.ann_ws = None


def test_resume(t):
    ag = agent_ws(E.b, "ann")
    state(E.ag["ann"]["id"], "available")
    c = customer(E.a)
    w = hello(c)
    n, tok = ticket_no(w), w["token"]
    c.message(typ("agent_joined"))
    c.send({"type": "message", "cid": "a1", "text": "first"})
    a1 = c.message(typ("ack", cid="a1"))
    c.send({"type": "message", "cid": "a2", "text": "second"})
    c.stop()                       # cut: the ack of a2 may never arrive
    t.ok(ag.message(typ("chat.customer", ticket=n, online=False)), "agent sees the customer go")
    ag.send({"type": "chat.reply", "ticket": n, "text": "while you were away", "id": "x"})
    ag.message(lambda m: m.get("ref") == "x")
    c2 = customer(E.b)
    c2.send({"type": "resume", "token": tok, "after": a1["id"]})
    w2 = c2.message(typ("welcome"))
    t.ok(w2 and w2["resumed"] and w2["ticket"] == w["ticket"], "resume: the same chat", w2)
    t.ok(ag.message(typ("chat.customer", ticket=n, online=True)), "agent sees the customer back")
    got = []
    while True:
        m = c2.message(typ("message"), timeout=2)
        if not m:
            break
        got.append(m)
    texts = [m["text"] for m in got]
    t.ok(texts.count("while you were away") == 1 and "first" not in texts,
         "resume sends what came after, once", texts)
    c2.send({"type": "message", "cid": "a2", "text": "second"})   # the widget resends
    a2 = c2.message(typ("ack", cid="a2"))
    t.ok(a2 and a2["id"], "the resent message is acked", a2)
    t.eq([l["text"] for l in log_of(n)].count("second"), 1, "and stored once")
    c2.send({"type": "resume", "token": "0" * 32})
    e = c2.message(typ("error"))
    t.eq(e and e["code"], "bad_state", "a second resume on a socket is refused")
    c3 = customer(E.a)
    c3.send({"type": "resume", "token": "f" * 32})
    e = c3.message(typ("error"))
    t.eq(e and e["code"], "unknown_token", "an unknown token: unknown_token")
    c3.stop()
    E.resume = (c2, n, ag)


def test_agent_drop(t):
    c, n, ag = E.resume
    ag.stop()                      # the agent's only socket: presence goes
    tr = c.message(typ("transfer"), timeout=20)
    t.ok(tr and tr["reason"] == "agent_left", "customer told the agent left", tr)
    q = c.message(typ("queue"), timeout=10)
    t.ok(q and q["position"] == 1, "and back at the head of the queue", q)
    t.eq(E.redis.cmd("HGET", P + "t:%d" % n, "agent"), "", "the ticket has no agent")
    t.ok(E.redis.cmd("ZSCORE", P + "q:general", str(n)) is not None, "it waits in its queue")
    E.waiting = (c, n)


def test_queue_positions(t):
    c1, n1 = E.waiting
    c2 = customer(E.b)
    w = hello(c2)
    q = c2.message(typ("queue"))
    t.ok(q and q["position"] == 2 and q["waiting"] >= 2 and q["estimate_s"] > 0,
         "second in line: position 2 with an estimate", q)
    c1.send({"type": "close"})
    c1.message(typ("close"))
    q = c2.message(lambda m: m.get("type") == "queue" and m.get("position") == 1, timeout=10)
    t.ok(q, "the position updates live when the first one leaves")
    off = c2.message(typ("offer_message"), timeout=10)
    t.ok(off and off["reason"] == "no_agent", "nobody free after chat.offer_after: offer", off)
    c2.send({"type": "leave", "email": "taras@example.org", "text": "Please mail me", "cid": "l1"})
    lf = c2.message(typ("left"))
    t.ok(lf and lf["ticket"].startswith("RX-"), "leave-a-message: a ticket", lf)
    m = ticket_no(lf)
    t.eq(E.redis.cmd("HGET", P + "t:%d" % m, "channel"), "form", "answered by mail (a form ticket)")
    t.ok(c2.message(typ("close")), "the chat itself closes")
    t.eq(E.redis.cmd("HGET", P + "t:%d" % ticket_no(w), "status"), "resolved", "and is resolved")


def test_transfer(t):
    ann, bob = agent_ws(E.a, "ann"), agent_ws(E.b, "bob")
    state(E.ag["ann"]["id"], "available")
    c = customer(E.a)
    w = hello(c)
    n = ticket_no(w)
    j = c.message(typ("agent_joined"))
    t.ok(j and j["name"] == "ann", "ann takes the chat", j)
    state(E.ag["bob"]["id"], "available")
    ann.send({"type": "chat.transfer", "ticket": n, "agent": E.ag["bob"]["id"], "id": "t1"})
    r = ann.message(lambda m: m.get("ref") == "t1")
    t.ok(r and r["type"] == "chat.transferred", "chat.transferred", r)
    tr = c.message(typ("transfer"))
    j = c.message(typ("agent_joined"))
    t.ok(tr and j and j["name"] == "bob", "customer: transfer, then bob joined", (tr, j))
    bob.send({"type": "chat.reply", "ticket": n, "text": "Bob here", "id": "b"})
    m = c.message(typ("message"))
    t.ok(m and m["text"] == "Bob here", "bob's reply arrives", m)
    bob.send({"type": "chat.transfer", "ticket": n, "queue": "medinfo", "id": "t2"})
    r = bob.message(lambda m: m.get("ref") == "t2")
    t.ok(r and r["type"] == "chat.transferred", "to a queue", r)
    t.eq(E.redis.cmd("HGET", P + "t:%d" % n, "queue"), "medinfo", "the ticket moved queue")
    bob.send({"type": "chat.close", "ticket": n, "id": "c"})
    cl = c.message(typ("close"))
    t.ok(cl and cl["by"] == "agent", "agent closes: the customer is told", cl)
    ann.stop()
    bob.stop()
    state(E.ag["ann"]["id"], "away")
    state(E.ag["bob"]["id"], "away")


def test_protocol_errors(t):
    c = customer(E.a)
    c.send({"type": "message", "cid": "x", "text": "hi"})
    t.eq(c.message(typ("error"))["code"], "no_chat", "a message before hello: no_chat")
    c.send("not json")
    t.eq(c.message(typ("error"))["code"], "bad_frame", "not JSON: bad_frame")
    c.send({"type": "hello"})
    t.eq(c.message(typ("error"))["code"], "consent_required", "no consent: consent_required")
    c.send({"type": "hello", "consent": True, "email": "not an address"})
    t.eq(c.message(typ("error"))["code"], "bad_email", "a bad email: bad_email")
    c.send({"type": "dance"})
    t.eq(c.message(typ("error"))["code"], "unknown_frame", "an unknown frame: unknown_frame")
    c.stop()
    r = WsClient("ws://127.0.0.1:%d/chat/ws" % E.a.http_port, origin="https://evil.example").opened()
    t.ok(r and r["ev"] == "refused" and r["status"] == 403, "a foreign Origin: 403", r)


def test_limits(t):
    d = E.c
    cs = [customer(d) for _ in range(3)]
    r = WsClient("ws://127.0.0.1:%d/chat/ws" % d.http_port, origin=ORIGIN).opened()
    t.ok(r and r["ev"] == "refused" and r["status"] == 429, "chat.max_per_ip: 429", r)
    for c in cs[1:]:
        c.stop()
    c = cs[0]
    c.send("x" * 2000)
    t.eq(c.closed()["code"], 1009, "a frame over chat.max_message: 1009")
    c = customer(d)
    for i in range(40):
        c.send({"type": "typing"})
    e = c.message(typ("error"))
    t.eq(e and e["code"], "rate_limited", "over chat.rate: rate_limited")
    t.eq(c.closed()["code"], 1008, "a flood: 1008")
    c = customer(d)
    t0 = time.monotonic()
    cl = c.closed(timeout=20)
    t.ok(cl and cl["code"] == 4000 and time.monotonic() - t0 >= 5,
         "silence past chat.idle_timeout: 4000", cl)


def test_closed_hours(t):
    c = customer(E.d)
    o = hello(c)
    t.ok(o and o["type"] == "offer_message" and o["reason"] == "closed",
         "outside chat.hours: offer to leave a message", o)
    c.send({"type": "leave", "email": "x@example.org", "text": "call me"})
    t.ok(c.message(typ("left")), "and the message is taken")
    c.stop()


def test_widget(t):
    """web/widget.js in Chromium on the demo page (tests/integration/browser/widget.js)."""
    import os, subprocess
    if not os.path.exists("/usr/bin/chromium") or not os.path.isdir(
            os.path.join(SRCDIR, "tests", "node_modules", "playwright-core")):
        t.ok(True, "# SKIP chromium or playwright-core missing")
        return
    state(E.ag["ann"]["id"], "available")
    out = subprocess.run(["node", os.path.join(SRCDIR, "tests", "integration", "browser", "widget.js"),
                          "http://127.0.0.1:%d" % E.a.http_port, E.tok["ann"]],
                         capture_output=True, text=True, timeout=120)
    lines = [json.loads(l) for l in out.stdout.splitlines() if l.startswith("{")]
    t.ok(lines, "the browser run reported", out.stderr[-2000:])
    for r in lines:
        t.ok(r["ok"], "widget: " + r["name"], r.get("diag"))
    state(E.ag["ann"]["id"], "away")


def test_unavailable(t):
    c = customer(E.a)
    w = hello(c)
    E.redis.kill()
    c.send({"type": "message", "cid": "u1", "text": "anyone?"})
    e = c.message(typ("error"), timeout=10)
    t.ok(e and e["code"] == "unavailable" and e["retry"] is True and e["cid"] == "u1",
         "Redis away: error with retry", e)
    c.stop()


def main():
    missing = ws_client_missing()
    if missing:
        print("1..0 # SKIP " + missing)
        return
    E.redis = Redis()
    E.a = Daemon(E.redis, conf=CONF + "[server]\nnode_id = node-a\n")
    E.b = Daemon(E.redis, conf=CONF + "[server]\nnode_id = node-b\n")
    E.c = Daemon(E.redis, conf=CONF.replace("burst = 50\nrate = 50\n", "burst = 10\nrate = 5\n")
                 + "max_per_ip = 3\nmax_message = 1024\nidle_timeout = 6\n"
                 + "[server]\nnode_id = node-c\n")
    E.d = Daemon(E.redis, conf=CONF + "hours = mon-sun 00:00-00:00\n[server]\nnode_id = node-d\n")
    E.ag, E.tok = {}, {}
    for name in ("ann", "bob"):
        E.ag[name] = add_agent(E.redis, name + "@example.com", name=name)
        E.tok[name] = login(E.a, name + "@example.com")
    tests = [test_whole_chat, test_resume, test_agent_drop, test_queue_positions,
             test_transfer, test_protocol_errors, test_limits, test_closed_hours,
             test_widget, test_unavailable]
    Tap().run(tests)


if __name__ == "__main__":
    main()
