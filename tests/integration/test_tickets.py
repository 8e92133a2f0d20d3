#!/usr/bin/env python3
"""Tickets, rx_ingest and the audit stream, driven through FCALL on a real
redis-server holding the function library rxdeskd builds (and once through
rxdeskd itself, which must load that library and turn ready)."""
import functools
import hashlib
import json
import socket

from rxtest import (Daemon, Redis, Subscriber, Tap, _resp, add_agent, bearer,
                    load_functions, login, wait_until)

P = "rx:"


def fcall(redis, fn, arg=None, *more):
    args = ["FCALL", fn, 0, P]
    if arg is not None:
        args.append(arg if isinstance(arg, (str, bytes)) else json.dumps(arg))
    return redis.cmd(*(args + list(more)))


def call(redis, fn, arg=None):
    return json.loads(fcall(redis, fn, arg))


def error_of(redis, fn, arg):
    try:
        fcall(redis, fn, arg)
    except RuntimeError as e:
        return str(e)
    return None


def tick(redis):
    """Let Redis's millisecond clock move on, so updated times differ."""
    ms = lambda: (lambda s: int(s[0]) * 1000 + int(s[1]) // 1000)(redis.cmd("TIME"))
    t0 = ms()
    wait_until(lambda: ms() > t0, step=0.001, what="the Redis clock")


def form(email, text="hello", **kw):
    d = {"channel": "form", "direction": "in", "ident": {"email": email, "name": "Ann"},
         "subject": "Question", "text": text}
    d.update(kw)
    return d


def log_of(redis, n):
    out = []
    for eid, flat in redis.cmd("XRANGE", "%st:%d:log" % (P, n), "-", "+"):
        out.append(dict(zip(flat[::2], flat[1::2]), id=eid))
    return out


def audit_of(redis):
    return [dict(zip(f[::2], f[1::2]), id=i) for i, f in redis.cmd("XRANGE", P + "audit", "-", "+")]


def test_sha256(t, redis):
    vectors = [b"", b"abc", b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
               b"x" * 55, b"x" * 56, b"x" * 63, b"x" * 64, b"x" * 65, b"y" * 1000,
               "Привіт, 你好".encode()]
    for v in vectors:
        got = fcall(redis, "rx_sha256", v)
        t.eq(got, hashlib.sha256(v).hexdigest(), "sha256 of %d bytes" % len(v))
    t.eq(fcall(redis, "rx_sha256", b"abc"),
         "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
         "sha256('abc') is the FIPS 180-2 vector")


def test_ingest_new(t, redis):
    sub = Subscriber(redis, P + "events")
    seq = redis.cmd("GET", P + "seq:t")
    a = call(redis, "rx_ingest", form("new@example.com", category="medinfo", queue="medinfo",
                                      token="tok-new-1", dedup="form:k1"))
    n = a["ticket"]
    t.ok(a["ticket_new"] and not a["matched"] and a["customer_new"] and a["status"] == "new",
         "ingest: a new customer gets a new ticket", a)
    t.eq(n, int(seq or 0) + 1, "ingest: the ticket number comes from rx:seq:t")
    t.eq(a["number"], "RX-%d" % n, "ingest: the answer has RX-<n>")
    h = redis.cmd("HGETALL", "%st:%d" % (P, n))
    h = dict(zip(h[::2], h[1::2]))
    t.ok(h["customer"] == a["customer"] and h["category"] == "medinfo" and
         h["queue"] == "medinfo" and h["status"] == "new" and h["channel"] == "form",
         "ingest: the ticket hash", h)
    t.eq(redis.cmd("GET", P + "tok:tok-new-1"), str(n), "ingest: the reply token indexes the ticket")
    t.ok(redis.cmd("SISMEMBER", P + "tix:status:new", n) == 1 and
         redis.cmd("SISMEMBER", P + "tix:queue:medinfo", n) == 1 and
         redis.cmd("SISMEMBER", P + "tix:category:medinfo", n) == 1, "ingest: filter sets")
    t.ok(redis.cmd("ZSCORE", P + "q:medinfo", n) is not None, "ingest: queued in rx:q:medinfo")
    hist = redis.cmd("XRANGE", "%sc:%s:hist" % (P, a["customer"]), "-", "+")
    t.ok(len(hist) == 1 and dict(zip(hist[0][1][::2], hist[0][1][1::2]))["ticket"] == str(n),
         "ingest: the customer's history has the interaction", hist)
    log = log_of(redis, n)
    t.ok(len(log) == 1 and log[0]["type"] == "message" and log[0]["direction"] == "in" and
         log[0]["author"] == "c:" + a["customer"] and log[0]["text"] == "hello",
         "ingest: the message is in the ticket log", log)
    ev = sub.next(10)
    ev = json.loads(ev) if ev else {}
    t.ok(ev.get("type") == "ticket.new" and ev.get("ticket") == n and ev.get("queue") == "medinfo",
         "ingest: ticket.new published on rx:events", ev)
    # the same idempotency key: the first answer, nothing new
    b = call(redis, "rx_ingest", form("new@example.com", text="again", dedup="form:k1"))
    t.ok(b["duplicate"] and b["ticket"] == n and b["customer"] == a["customer"],
         "dedup: the first answer with duplicate=true", b)
    t.eq(redis.cmd("GET", P + "seq:t"), str(n), "dedup: no new ticket")
    t.eq(len(log_of(redis, n)), 1, "dedup: nothing appended")
    t.ok(sub.next(0.5) is None, "dedup: no event")
    sub.close()


def test_threading(t, redis):
    a = call(redis, "rx_ingest", form("thread@example.com", token="tok-th", msgid="<m1@x>"))
    n = a["ticket"]
    b = call(redis, "rx_ingest", form("thread@example.com", channel="email",
                                      thread={"token": "tok-th"}))
    t.ok(b["ticket"] == n and not b["ticket_new"] and b["matched"], "thread: by reply token", b)
    c = call(redis, "rx_ingest", form("colleague@example.com", channel="email",
                                      thread={"msgids": ["<zz@x>", "<m1@x>"]}))
    t.ok(c["ticket"] == n and not c["ticket_new"], "thread: by Message-ID", c)
    d = call(redis, "rx_ingest", form("thread@example.com", thread={"tag": n}))
    t.eq(d["ticket"], n, "thread: subject tag of the same customer")
    e = call(redis, "rx_ingest", form("stranger@example.com", thread={"tag": n}))
    t.ok(e["ticket"] != n and e["ticket_new"], "thread: another customer's tag opens a new ticket", e)
    f = call(redis, "rx_ingest", form("thread@example.com", ticket=n))
    t.eq(f["ticket"], n, "thread: explicit ticket of the same customer")
    g = call(redis, "rx_ingest", form("stranger@example.com", ticket=n))
    t.ok(g["ticket"] != n, "thread: explicit ticket of another customer is not continued", g)
    t.eq(len(log_of(redis, n)), 5, "thread: every message on the ticket's log")


def test_status_machine(t, redis):
    redis.cmd("HSET", P + "a:7", "id", "7", "name", "Agent Seven")
    a = call(redis, "rx_ingest", form("status@example.com", queue="general"))
    n = a["ticket"]
    before = len(audit_of(redis))
    u = call(redis, "rx_ticket_update", {"ticket": n, "actor": "a:7", "set": {"status": "open"}})
    t.ok(u["ticket"]["status"] == "open" and u["changed"] == ["status"], "update: new -> open", u)
    err = error_of(redis, "rx_ticket_update", {"ticket": n, "actor": "a:7", "set": {"status": "new"}})
    t.ok(err and err.startswith("CONFLICT"), "update: back to new is refused", err)
    err = error_of(redis, "rx_ticket_update", {"ticket": n, "actor": "a:7",
                                               "set": {"status": "bogus", "priority": "high"}})
    t.ok(err and err.startswith("BADARG"), "update: unknown status is refused", err)
    h = redis.cmd("HGET", "%st:%d" % (P, n), "priority")
    t.eq(h, "normal", "update: a refused update writes nothing")
    u = call(redis, "rx_ticket_update", {"ticket": n, "actor": "a:7", "set": {
        "status": "pending", "priority": "urgent", "category": "order", "tags": "Lot, lot ,X",
        "agent": "7"}})
    t.ok(sorted(u["changed"]) == ["agent", "category", "priority", "status", "tags"] and
         u["ticket"]["tags"] == ["lot", "x"] and u["ticket"]["prio"] == 3,
         "update: several fields at once", u)
    t.ok(redis.cmd("SISMEMBER", P + "tix:agent:7", n) == 1 and
         redis.cmd("SISMEMBER", P + "tix:status:open", n) == 0 and
         redis.cmd("SISMEMBER", P + "tix:status:pending", n) == 1, "update: filter sets follow")
    t.ok(redis.cmd("ZSCORE", P + "q:general", n) is None, "update: an assigned ticket leaves the queue")
    call(redis, "rx_ticket_update", {"ticket": n, "actor": "a:7", "set": {"agent": ""}})
    t.ok(redis.cmd("ZSCORE", P + "q:general", n) is not None and
         redis.cmd("SISMEMBER", P + "tix:agent:7", n) == 0, "update: an unassigned ticket waits again")
    redis.cmd("HSET", P + "a:6", "id", "6", "name", "Agent Six")
    call(redis, "rx_ticket_update", {"ticket": n, "actor": "a:1", "set": {"agent": "6"}})
    t.ok(redis.cmd("HGET", P + "aw:6", n) is not None, "routing: assigned by hand, the agent's load")
    call(redis, "rx_ticket_update", {"ticket": n, "actor": "a:7", "set": {"agent": "7"}})
    t.ok(redis.cmd("HGET", P + "aw:6", n) is None and redis.cmd("HGET", P + "aw:7", n) is not None,
         "routing: a ticket handed to another agent moves between their loads")
    aud = audit_of(redis)[before:]
    fields = [(x["actor"], x["object"], x["field"], x["old"], x["new"]) for x in aud]
    t.ok(("a:7", "ticket:%d" % n, "status", "new", "open") in fields and
         ("a:7", "ticket:%d" % n, "priority", "normal", "urgent") in fields and
         ("a:7", "ticket:%d" % n, "agent", "", "7") in fields,
         "audit: who, object, field, old and new for every change", fields)
    err = error_of(redis, "rx_ticket_update", {"ticket": n, "set": {"agent": "999"}})
    t.ok(err and err.startswith("BADARG"), "update: unknown agent refused", err)
    # the customer answers a pending ticket: open again
    b = call(redis, "rx_ingest", form("status@example.com", ticket=n))
    t.ok(b["ticket"] == n and b["status"] == "open" and not b["reopened"],
         "ingest: a customer message on a pending ticket makes it open", b)
    held = lambda: redis.cmd("HGET", P + "aw:7", n) is not None
    load = lambda: int(redis.cmd("HGET", P + "ar:7", "load_mail") or 0)
    t.ok(held() and load() == 1, "routing: the assigned ticket counts against the agent's load")
    call(redis, "rx_ticket_update", {"ticket": n, "actor": "a:7", "set": {"status": "resolved"}})
    t.ok(redis.cmd("HGET", "%st:%d" % (P, n), "agent") == "7", "routing: resolved, the agent stays named")
    err = error_of(redis, "rx_ticket_update", {"ticket": n, "set": {"status": "pending"}})
    t.ok(err and err.startswith("CONFLICT"), "update: resolved -> pending refused", err)
    c = call(redis, "rx_ingest", form("status@example.com", ticket=n))
    t.ok(c["ticket"] == n and c["reopened"] and c["status"] == "open",
         "ingest: a customer message reopens a resolved ticket", c)
    t.ok(held() and load() == 1 and c["agent"] == "7",
         "routing: the reopened ticket is the agent's load again, counted once")
    call(redis, "rx_ticket_update", {"ticket": n, "actor": "a:7", "set": {"status": "closed"}})
    redis.cmd("SADD", P + "agents", "7")
    wait_until(lambda: fcall(redis, "rx_route_sweep") and not held(), timeout=10,
               what="routing's sweep to release the closed ticket")
    t.ok(load() == 0, "routing: a closed ticket's load is released by the sweep")
    err = error_of(redis, "rx_ticket_update", {"ticket": n, "set": {"status": "open"}})
    t.ok(err and err.startswith("CONFLICT"), "update: closed is final", err)
    err = error_of(redis, "rx_ticket_update", {"ticket": n, "set": {"priority": "low"}})
    t.ok(err and err.startswith("CONFLICT"), "update: a closed ticket takes no change", err)
    d = call(redis, "rx_ingest", form("status@example.com", ticket=n))
    t.ok(d["ticket_new"] and d["ticket"] != n and d["linked"] == n,
         "ingest: a message on a closed ticket opens a new one linked to it", d)
    t.eq(redis.cmd("HGET", "%st:%d" % (P, d["ticket"]), "linked"), str(n), "ingest: linked stored")
    t.eq(redis.cmd("HGET", "%st:%d" % (P, n), "status"), "closed", "ingest: the closed one stays closed")


def test_escalation(t, redis):
    a = call(redis, "rx_ingest", form("esc@example.com"))
    b = call(redis, "rx_ingest", form("esc@example.com", ticket=a["ticket"], flags=["ae"],
                                      category="ae", priority="high"))
    h = redis.cmd("HGETALL", "%st:%d" % (P, a["ticket"]))
    h = dict(zip(h[::2], h[1::2]))
    t.ok(b["ticket"] == a["ticket"] and h["flags"] == "ae" and h["category"] == "ae" and
         h["priority"] == "high" and h["prio"] == "2",
         "ingest: a follow-up raises flags, category and priority", h)
    c = call(redis, "rx_ingest", form("esc@example.com", ticket=a["ticket"], priority="low"))
    t.eq(redis.cmd("HGET", "%st:%d" % (P, c["ticket"]), "priority"), "high",
         "ingest: a follow-up never lowers priority")


def test_queue_move(t, redis):
    a = call(redis, "rx_ingest", form("move@example.com", queue="qa"))
    n = a["ticket"]
    t.ok(redis.cmd("ZSCORE", P + "q:qa", n) is not None, "queue: waiting in qa")
    u = call(redis, "rx_ticket_update", {"ticket": n, "actor": "a:7", "set": {"queue": "qb"}})
    t.ok(u["changed"] == ["queue"] and redis.cmd("ZSCORE", P + "q:qa", n) is None and
         redis.cmd("ZSCORE", P + "q:qb", n) is not None and
         redis.cmd("SISMEMBER", P + "tix:queue:qb", n) == 1, "queue: moved, it waits in qb", u)
    err = error_of(redis, "rx_ticket_update", {"ticket": n, "set": {"queue": "no such/queue"}})
    t.ok(err and err.startswith("BADARG"), "queue: a bad name is refused", err)
    call(redis, "rx_ticket_update", {"ticket": n, "actor": "a:7", "set": {"status": "resolved"}})
    t.ok(redis.cmd("ZSCORE", P + "q:qb", n) is None, "queue: a resolved ticket stops waiting")
    call(redis, "rx_ticket_update", {"ticket": n, "actor": "a:7", "set": {"status": "open"}})
    t.ok(redis.cmd("ZSCORE", P + "q:qb", n) is not None, "queue: reopened by hand, it waits again")


def test_bad_input(t, redis):
    for arg, name in (("not json", "not JSON"), ({"channel": "fax"}, "unknown channel"),
                      (form("x@example.com", category="gossip"), "unknown category"),
                      (form("x@example.com", priority="asap"), "unknown priority"),
                      (form("x@example.com", subject=["a"]), "subject not a string"),
                      (form("x@example.com", queue="a b"), "bad queue name")):
        err = error_of(redis, "rx_ingest", arg)
        t.ok(err and "BADARG" in err, "ingest refuses: " + name, err)
    t.ok(redis.cmd("EXISTS", P + "ix:email:x@example.com") == 0, "ingest: refused input stores nothing")
    err = error_of(redis, "rx_ticket_get", {"ticket": 99999})
    t.ok(err and err.startswith("NOTFOUND"), "get: unknown ticket", err)


def test_reply_note(t, redis):
    sub = Subscriber(redis, P + "events")
    a = call(redis, "rx_ingest", form("reply@example.com", channel="email", msgid="<in1@cust>"))
    n = a["ticket"]
    r = call(redis, "rx_ticket_reply", {"ticket": n, "author": "a:7", "text": "Our answer",
                                        "domain": "desk.example"})
    t.ok(r["first_response"] and r["status"] == "open" and r["msgid"].endswith("@desk.example>"),
         "reply: first response, new -> open, our Message-ID", r)
    t.eq(redis.cmd("GET", P + "msgid:" + r["msgid"]), str(n), "reply: rx:msgid:<id> -> ticket")
    job = redis.cmd("XRANGE", P + "outbox", r["outbox"], r["outbox"])
    job = dict(zip(job[0][1][::2], job[0][1][1::2])) if job else {}
    t.ok(job.get("to") == "reply@example.com" and "[RX-%d]" % n in job.get("subject", "") and
         job.get("msgid") == r["msgid"] and job.get("in_reply_to") == "<in1@cust>" and
         job.get("token") == redis.cmd("HGET", "%st:%d" % (P, n), "token") and
         job.get("kind") == "reply", "reply: a mail job on rx:outbox", job)
    first = redis.cmd("HGET", "%st:%d" % (P, n), "first_response")
    r2 = call(redis, "rx_ticket_reply", {"ticket": n, "author": "a:7", "text": "More",
                                         "status": "pending"})
    job2 = redis.cmd("XRANGE", P + "outbox", r2["outbox"], r2["outbox"])[0][1]
    t.eq(dict(zip(job2[::2], job2[1::2]))["references"], "<in1@cust> " + r["msgid"],
         "reply: References: the customer's first mail, then ours")
    t.ok(not r2["first_response"] and r2["status"] == "pending" and
         redis.cmd("HGET", "%st:%d" % (P, n), "first_response") == first,
         "reply: the first response time is set once; status with the reply", r2)
    # the customer answers our reply by mail: In-Reply-To threads it
    b = call(redis, "rx_ingest", form("reply@example.com", channel="email",
                                      thread={"msgids": [r["msgid"]]}))
    t.eq(b["ticket"], n, "reply: the answer to our Message-ID threads to the ticket")
    nt = call(redis, "rx_ticket_note", {"ticket": n, "author": "a:7", "text": "internal"})
    log = log_of(redis, n)
    kinds = [(x["type"], x.get("direction")) for x in log if x["type"] != "event"]
    t.eq(kinds, [("message", "in"), ("message", "out"), ("message", "out"), ("message", "in"),
                 ("note", None)], "log: messages, replies and the note in order")
    t.ok(log[-1]["id"] == nt["log"] and log[-1]["text"] == "internal", "note: in the log")
    hist = redis.cmd("XRANGE", "%sc:%s:hist" % (P, a["customer"]), "-", "+")
    dirs = [dict(zip(h[1][::2], h[1][1::2]))["direction"] for h in hist]
    t.eq(dirs, ["in", "out", "out", "in"], "history: replies are in the customer's history")
    types = []
    for _ in range(8):
        ev = sub.next(5)
        if ev is None:
            break
        types.append(json.loads(ev)["type"])
    t.ok("ticket.message" in types and "ticket.new" in types, "events: new and message", types)
    chat = call(redis, "rx_ingest", {"channel": "chat", "ident": {"chat": "c-tok-1"}, "text": "hi"})
    before = redis.cmd("XLEN", P + "outbox")
    r3 = call(redis, "rx_ticket_reply", {"ticket": chat["ticket"], "author": "a:7", "text": "yo"})
    t.ok(r3["outbox"] == "" and redis.cmd("XLEN", P + "outbox") == before,
         "reply: a chat ticket gets no mail job", r3)
    evs = [json.loads(x) for x in iter(lambda: sub.next(2), None)]
    t.ok(any(e.get("kind") == "reply" and e["ticket"] == chat["ticket"] and e.get("text") == "yo"
             for e in evs), "reply: a chat reply's event carries the text for the chat channel", evs)
    err = error_of(redis, "rx_ticket_reply", {"ticket": n, "text": ""})
    t.ok(err and err.startswith("BADARG"), "reply: empty text refused", err)
    sub.close()


def test_get_list(t, redis):
    redis.cmd("HSET", P + "a:8", "id", "8", "name", "Agent Eight")
    cust = "list@example.com"
    made = []
    for i, cat in enumerate(["general", "ae", "complaint", "medinfo", "general"]):
        a = call(redis, "rx_ingest", form(cust, text="t%d" % i, category=cat, queue="lq" + cat))
        made.append(a["ticket"])
        tick(redis)
    cid = call(redis, "rx_ingest", form(cust, ticket=made[0]))["customer"]
    # made[0] was touched last: it comes first
    got = call(redis, "rx_ticket_list", {"customer": cid, "limit": 2})
    t.eq([x["id"] for x in got["items"]], [made[0], made[4]], "list: by updated, newest first")
    t.ok(got["next"] != "" and got["items"][0]["number"] == "RX-%d" % made[0] and
         got["items"][0]["customer_name"] == "Ann", "list: cursor and item fields", got)
    seen = [x["id"] for x in got["items"]]
    cursor = got["next"]
    for _ in range(5):
        if not cursor:
            break
        page = call(redis, "rx_ticket_list", {"customer": cid, "limit": 2, "cursor": cursor})
        seen += [x["id"] for x in page["items"]]
        cursor = page["next"]
    t.eq(sorted(seen), sorted(made), "list: paging visits every ticket once")
    agent = {"agent": "8", "roles": "agent"}
    safety = {"agent": "9", "roles": "safety"}
    boss = {"agent": "10", "roles": "supervisor"}
    ids = lambda who: sorted(x["id"] for x in call(redis, "rx_ticket_list",
                                                   {"customer": cid, "who": who})["items"])
    t.eq(ids(agent), sorted([made[0], made[3], made[4]]), "list: an agent sees general tickets")
    t.eq(ids(safety), sorted([made[1], made[2]]), "list: safety sees AE and complaints")
    t.eq(ids(boss), sorted(made), "list: a supervisor sees all")
    call(redis, "rx_ticket_update", {"ticket": made[1], "set": {"agent": "8"}})
    t.ok(made[1] in ids(agent), "list: an agent sees an AE ticket assigned to them")
    t.eq([x["id"] for x in call(redis, "rx_ticket_list", {"agent": "8", "category": "ae"})["items"]],
         [made[1]], "list: agent and category filters intersect")
    t.eq([x["id"] for x in call(redis, "rx_ticket_list", {"queue": "lqmedinfo"})["items"]],
         [made[3]], "list: queue filter")
    many = call(redis, "rx_ticket_list", {"status": "new", "limit": 100})
    t.ok(all(x["status"] == "new" for x in many["items"]) and len(many["items"]) >= 4,
         "list: status filter")
    err = error_of(redis, "rx_ticket_list", {"status": "sleeping"})
    t.ok(err and err.startswith("BADARG"), "list: unknown status refused", err)
    g = call(redis, "rx_ticket_get", {"ticket": made[0], "who": agent})
    t.ok(g["ticket"]["id"] == made[0] and len(g["log"]) == 2 and g["customer"]["name"] == "Ann"
         and "email:" + cust in g["customer"]["ids"] and g["attachments"] == [],
         "get: ticket, log, customer card", g)
    err = error_of(redis, "rx_ticket_get", {"ticket": made[2], "who": agent})
    t.ok(err and err.startswith("NOTFOUND"), "get: a ticket the role may not see is not found", err)
    err = error_of(redis, "rx_ticket_update", {"ticket": made[2], "who": agent,
                                               "set": {"priority": "low"}})
    t.ok(err and err.startswith("NOTFOUND"), "update: likewise", err)


def pipeline(redis, commands):
    """Send COMMANDS on one connection at once; the replies, in order."""
    out = b""
    for args in commands:
        out += b"*%d\r\n" % len(args)
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
    with socket.create_connection(("127.0.0.1", redis.port), timeout=60) as sock:
        sock.sendall(out)
        f = sock.makefile("rb")
        return [_resp(f) for _ in commands]


def test_list_scan(t, redis):
    """Two filter sets too large to read whole: the list walks rx:tickets."""
    big = 2050
    made = pipeline(redis, [["FCALL", "rx_ingest", 0, P, json.dumps(form(
        "bulk%d@example.com" % i, queue="bigq"))] for i in range(big)])
    nums = [json.loads(x)["ticket"] for x in made]
    opened = set(nums[::97])
    for n in opened:
        call(redis, "rx_ticket_update", {"ticket": n, "set": {"status": "open"}})
    want = set(nums) - opened
    seen, cursor, pages, ordered = [], "", 0, True
    while pages < 40:
        page = call(redis, "rx_ticket_list", {"queue": "bigq", "status": "new", "limit": 100,
                                              "cursor": cursor})
        keys = [(x["updated"], str(x["id"])) for x in page["items"]]
        ordered = ordered and keys == sorted(keys, reverse=True)
        seen += [x["id"] for x in page["items"]]
        pages += 1
        cursor = page["next"]
        if not cursor:
            break
    t.ok(len(seen) == len(want) and set(seen) == want,
         "list scan: every match once across %d pages" % pages, (len(seen), len(want)))
    t.ok(ordered, "list scan: each page newest first")


def test_attachments(t, redis):
    # the bytes travel in the call, after the JSON; the store picks the id
    a = json.loads(fcall(redis, "rx_ingest", form("att@example.com", category="ae", attachments=[
        {"name": "scan.pdf", "type": "application/pdf", "blob": 1}]), b"%PDF\xff\x00"))
    g = call(redis, "rx_ticket_get", {"ticket": a["ticket"]})
    atts = g["attachments"]
    aid = atts[0]["id"] if atts else "?"
    t.eq(atts, [{"id": aid, "name": "scan.pdf", "type": "application/pdf", "size": 6}],
         "attachments: listed on the ticket")
    t.eq(g["log"][0]["attachments"][0]["id"], aid, "attachments: on the log entry")
    r = fcall(redis, "rx_attachment_get", {"id": aid, "who": {"agent": "1", "roles": "safety"}})
    t.ok(json.loads(r[0])["ticket"] == a["ticket"] and r[1] == b"%PDF\xff\x00",
         "attachments: meta and bytes for a role that may see the ticket", r)
    err = error_of(redis, "rx_attachment_get", {"id": aid, "who": {"agent": "1", "roles": "agent"}})
    t.ok(err and err.startswith("NOTFOUND"), "attachments: hidden from a role that may not", err)
    n = len(redis.cmd("KEYS", P + "att:*"))
    err = None
    try:
        fcall(redis, "rx_ingest", form("att2@example.com", attachments=[{"name": "x.pdf", "blob": 2}]),
              b"only one")
    except RuntimeError as e:
        err = str(e)
    t.ok(err and "BADARG" in err and len(redis.cmd("KEYS", P + "att:*")) == n,
         "attachments: a blob the call does not carry is refused, nothing written", err)


def test_audit_chain(t, redis):
    v = call(redis, "rx_audit_verify", "")
    n = len(audit_of(redis))
    t.ok(v["ok"] and v["done"] and v["checked"] == n and n > 10, "audit: the chain verifies", v)
    # in pages
    cursor, checked = "", 0
    for _ in range(n + 2):
        v = call(redis, "rx_audit_verify", {"cursor": cursor, "count": 3})
        checked += v["checked"]
        cursor = v["cursor"]
        if v["done"]:
            break
    t.ok(v["ok"] and checked == n, "audit: verify in pages of 3", v)
    entries = audit_of(redis)
    prev = "0" * 64
    for e in entries:
        fields = [prev, e["ts"], e["actor"], e["object"], e["field"], e["old"], e["new"]]
        if e.get("v") == "2":   # length-prefixed fields (docs/datamodel.md)
            data = b"2" + b"".join(b"%d:%s" % (len(f.encode()), f.encode()) for f in fields)
        else:
            data = "|".join(fields).encode()
        if e["prev"] != prev or e["hash"] != hashlib.sha256(data).hexdigest():
            break
        prev = e["hash"]
    t.eq(prev, redis.cmd("GET", P + "audit:last"),
         "audit: each hash is SHA-256 of the length-prefixed fields (v2) or prev|ts|... (v1)")
    # tamper: rewrite the stream with one entry's new value changed
    victim = entries[len(entries) // 2]
    redis.cmd("RENAME", P + "audit", P + "audit:orig")
    for e in entries:
        new = "forged" if e["id"] == victim["id"] else e["new"]
        redis.cmd("XADD", P + "audit", e["id"], *(["v", e["v"]] if "v" in e else []),
                  "ts", e["ts"], "actor", e["actor"],
                  "object", e["object"], "field", e["field"], "old", e["old"], "new", new,
                  "prev", e["prev"], "hash", e["hash"])
    v = call(redis, "rx_audit_verify", "")
    t.ok(not v["ok"] and v["broken"] == victim["id"] and "hash" in v["reason"],
         "audit: an edited entry is found", v)
    redis.cmd("DEL", P + "audit")
    redis.cmd("RENAME", P + "audit:orig", P + "audit")
    victim = entries[3]
    redis.cmd("XDEL", P + "audit", victim["id"])
    v = call(redis, "rx_audit_verify", "")
    t.ok(not v["ok"] and v["broken"] == entries[4]["id"] and "prev" in v["reason"],
         "audit: a deleted entry is found at the next one", v)
    redis.cmd("DEL", P + "audit")
    for e in entries[:-1]:
        redis.cmd("XADD", P + "audit", e["id"], *sum([[k, e[k]] for k in (
            "v", "ts", "actor", "object", "field", "old", "new", "prev", "hash") if k in e], []))
    v = call(redis, "rx_audit_verify", "")
    t.ok(not v["ok"] and v["broken"] == "last", "audit: a cut-off tail is found", v)


def agent_session(d, redis, name, roles):
    """A new agent with ROLES, logged in through POST /api/v1/session:
    its id and the headers that carry its bearer token."""
    a = add_agent(redis, name + "@example.org", roles=roles, name=name)
    return str(a["id"]), bearer(login(d, name + "@example.org"))


def test_http(t):
    redis = Redis()
    d = Daemon(redis)
    sub = Subscriber(redis, P + "events")
    agent_id, agent = agent_session(d, redis, "iryna", "agent")
    other_id, other = agent_session(d, redis, "petro", "agent")
    _, safety = agent_session(d, redis, "safety", "safety")
    boss_id, boss = agent_session(d, redis, "boss", "supervisor")
    s, g = d.post("/api/v1/forms/contact", {"name": "Олена", "email": "olena@example.org",
                                            "subject": "Дозування", "message": "Скільки? 多少"})
    t.ok(s == 201 and g["ticket"] == "RX-%d" % g["id"], "http: a form opens a ticket", g)
    gen = g["id"]
    body, h = multipart_ae()
    s, b = d.post("/api/v1/forms/ae-report", body, h)
    t.ok(s == 201, "http: an AE report with an attachment opens a ticket", b)
    ae = b["id"]
    t.eq(redis.cmd("HGET", "%st:%d" % (P, ae), "category"), "ae", "http: the AE ticket")
    s, b = d.get("/api/v1/tickets")
    t.ok(s == 401 and b["error"]["code"], "http: no session: 401", b)
    for m, pth in (("GET", "/api/v1/tickets/%d" % gen), ("PATCH", "/api/v1/tickets/%d" % gen),
                   ("POST", "/api/v1/tickets/%d/notes" % gen),
                   ("POST", "/api/v1/tickets/%d/replies" % gen), ("GET", "/api/v1/attachments/1")):
        s, b, _ = d.request(m, pth, {"text": "x"} if m != "GET" else None,
                            {"Authorization": "Bearer " + "x" * 43})
        t.ok(s == 401, "http: %s %s with a bad token: 401" % (m, pth.split("/")[-1]), b)
    matrix = {"agent": (agent, 200, 404), "safety": (safety, 404, 200), "supervisor": (boss, 200, 200)}
    for role, (h, want_gen, want_ae) in matrix.items():
        got = (d.get("/api/v1/tickets/%d" % gen, h)[0], d.get("/api/v1/tickets/%d" % ae, h)[0])
        t.eq(got, (want_gen, want_ae), "http: %s reads general/AE tickets" % role)
    s, b = d.get("/api/v1/tickets", agent)
    ids = [x["id"] for x in b.get("items", [])]
    t.ok(s == 200 and gen in ids and ae not in ids, "http: an agent lists general tickets", b)
    t.ok(all(x["number"] == "RX-%d" % x["id"] for x in b["items"]), "http: numbers as RX-<n>")
    s, b = d.get("/api/v1/tickets", safety)
    ids = [x["id"] for x in b.get("items", [])]
    t.ok(s == 200 and ae in ids and gen not in ids, "http: safety lists AE tickets", ids)
    s, b = d.get("/api/v1/tickets?status=new&limit=1", boss)
    t.ok(s == 200 and len(b["items"]) == 1 and b["next"], "http: a supervisor pages all", b)
    s, b = d.get("/api/v1/tickets?limit=0", boss)
    t.ok(s == 400 and b["error"]["field"] == "limit", "http: bad limit: 400 naming the field", b)
    s, b = d.get("/api/v1/tickets/RX-%d" % ae, agent)
    t.ok(s == 404, "http: an agent may not know the AE ticket exists", b)
    s, b = d.get("/api/v1/tickets/RX-%d" % ae, safety)
    t.ok(s == 200 and b["ticket"]["number"] == "RX-%d" % ae and b["ticket"]["id"] == ae and
         len(b["messages"]) == 1 and b["customer"]["name"] and len(b["attachments"]) == 1,
         "http: safety reads the AE ticket: messages, attachments, customer", b)
    att = b["attachments"][0]
    s, data, hd = d.request("GET", "/api/v1/attachments/" + att["id"], headers=safety)
    t.ok(s == 200 and data == AE_FILE and hd["content-type"] == "image/png" and
         "attachment;" in hd.get("content-disposition", ""), "http: attachment download", hd)
    s, _, _ = d.request("GET", "/api/v1/attachments/" + att["id"], headers=agent)
    t.eq(s, 404, "http: attachment of a ticket the role may not see: 404")
    s, b = d.get("/api/v1/tickets/99999", boss)
    t.ok(s == 404 and b["error"]["code"] == "not_found", "http: unknown ticket 404", b)
    path = "/api/v1/tickets/RX-%d" % gen
    s, b, _ = d.request("PATCH", path, {"status": "open", "agent": "me", "tags": ["dose"]}, agent)
    t.ok(s == 200 and b["ticket"]["status"] == "open" and b["ticket"]["agent"] == agent_id and
         b["ticket"]["tags"] == ["dose"], "http: PATCH status, agent=me, tags", b)
    evs = [json.loads(x) for x in iter(lambda: sub.next(2), None)]
    t.ok(any(e["type"] == "ticket.assigned" and e["ticket"] == gen and e["agent"] == agent_id
             for e in evs), "http: ticket.assigned published", evs)
    s, b, _ = d.request("PATCH", path, {"agent": other_id}, agent)
    t.ok(s == 403, "http: an agent may not assign others", b)
    s, b, _ = d.request("PATCH", path, {"agent": "me"}, other)
    t.ok(s == 403 and b["error"]["code"] == "forbidden", "http: nor take a colleague's ticket", b)
    s, b, _ = d.request("PATCH", path, {"agent": None}, other)
    t.ok(s == 403, "http: nor unassign it", b)
    s, b, _ = d.request("PATCH", path, {"agent": other_id}, boss)
    t.ok(s == 200 and b["ticket"]["agent"] == other_id, "http: a supervisor reassigns", b)
    s, b, _ = d.request("PATCH", path, {"agent": agent_id}, boss)
    s, b, _ = d.request("PATCH", path, {"status": "asleep"}, agent)
    t.ok(s == 422 and b["error"]["field"] == "status", "http: bad status: 422 naming it", b)
    s, b, _ = d.request("PATCH", path, {"colour": "red"}, agent)
    t.ok(s == 422 and b["error"]["field"] == "colour", "http: unknown field: 422", b)
    s, b, _ = d.request("PATCH", path, "{not json", agent)
    t.ok(s == 400, "http: bad JSON: 400", b)
    s, b, _ = d.request("PATCH", path, {"status": "new"}, agent)
    t.ok(s == 409 and b["error"]["code"] == "conflict", "http: back to new: 409", b)
    s, b = d.post(path + "/notes", {"text": "checked the SmPC"}, agent)
    # (notes are screened: "called the doctor" raises a possible AE, restricting the ticket)
    t.ok(s == 201 and b["log"], "http: note 201", b)
    s, b = d.post(path + "/notes", {"text": ""}, agent)
    t.ok(s == 422 and b["error"]["field"] == "text", "http: empty note: 422", b)
    s, b = d.post(path + "/replies", {"text": "Dose is 5 mg", "status": "pending"}, agent)
    t.ok(s == 201 and b["outbox"] and b["status"] == "pending" and b["first_response"],
         "http: reply 201, mail job, status with it", b)
    job = redis.cmd("XRANGE", P + "outbox", b["outbox"], b["outbox"])[0][1]
    job = dict(zip(job[::2], job[1::2]))
    t.ok(job["to"] == "olena@example.org" and "[RX-%d]" % gen in job["subject"],
         "http: the mail job goes to the customer with [RX-n]", job)
    s, b = d.get("/api/v1/tickets?agent=me", agent)
    t.ok(s == 200 and [x["id"] for x in b["items"]] == [gen], "http: agent=me", b)
    s, b = d.get(path, other)
    t.ok(s == 200 and [m["type"] for m in b["messages"]].count("note") == 1,
         "http: another agent reads a general ticket with its note", b)
    s, b, _ = d.request("PATCH", path, {"status": "closed"}, boss)
    s, b = d.post(path + "/replies", {"text": "late"}, agent)
    t.ok(s == 409, "http: no reply on a closed ticket", b)
    v = call(redis, "rx_audit_verify", "")
    fields = [(x["actor"], x["field"]) for x in audit_of(redis)]
    t.ok(v["ok"] and ("a:" + agent_id, "status") in fields and ("a:" + boss_id, "status") in fields,
         "http: changes audited with the agent and the chain verifies", v)
    n = len(audit_of(redis))
    r = d.ctl("audit", "verify", "3")
    t.ok(r.returncode == 0 and ("%d entries verified" % n) in r.stdout and "intact" in r.stdout,
         "rxdeskctl audit verify: the chain holds (pages of 3)", r.stdout + r.stderr)
    victim = audit_of(redis)[n // 2]
    redis.cmd("XDEL", P + "audit", victim["id"])
    r = d.ctl("audit", "verify")
    t.ok(r.returncode == 1 and "BROKEN" in r.stdout and "prev" in r.stdout,
         "rxdeskctl audit verify: a deleted entry breaks the chain, exit 1", r.stdout + r.stderr)
    r = d.ctl("audit", "verify", "0")
    t.eq(r.returncode, 2, "rxdeskctl audit verify: a bad page size is a usage error")
    sub.close()
    t.eq(d.stop(), 0, "rxdeskd stops cleanly")
    redis.stop()


AE_FILE = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


def multipart_ae():
    b = "rxtb0123456789"
    out = b""
    fields = {"name": "Dr Li", "email": "li@example.org", "subject": "Rash",
              "product": "Examplol 5 mg", "reaction": "Rash after the tablet"}
    for k, v in fields.items():
        out += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n" % (
            b, k, v)).encode()
    out += ("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"rash.png\"\r\n"
            "Content-Type: image/png\r\n\r\n" % b).encode() + AE_FILE + b"\r\n"
    out += ("--%s--\r\n" % b).encode()
    return out, {"Content-Type": "multipart/form-data; boundary=" + b}


def bind(fn, redis):
    run = functools.partial(fn, redis=redis)
    run.__name__ = fn.__name__
    return run


def main():
    redis = Redis(appendonly=False)
    load_functions(redis)
    tests = [test_sha256, test_ingest_new, test_threading, test_status_machine,
             test_escalation, test_queue_move, test_bad_input, test_reply_note,
             test_get_list, test_list_scan, test_attachments, test_audit_chain]
    Tap().run([bind(f, redis) for f in tests] + [test_http])


if __name__ == "__main__":
    main()
