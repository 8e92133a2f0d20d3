#!/usr/bin/env python3
"""What rx_ingest writes, field by field, where it was cut to fewer Redis
commands (BENCHMARKS.md): identities already indexed, a new ticket's one
HSET, a continued ticket's one HSET, the queue definition read once for
the SLA clocks, the acknowledgement caps. Driven through FCALL on a real
redis-server holding the function library the build made."""
import json

from rxtest import Redis, Tap, load_functions, wait_until

P = "rx:"


def call(redis, fn, arg):
    return json.loads(redis.cmd("FCALL", fn, 0, P, json.dumps(arg)))


def ingest(redis, **kw):
    d = {"channel": "form", "direction": "in", "subject": "Question", "text": "hello"}
    d.update(kw)
    return call(redis, "rx_ingest", d)


def hget(redis, key):
    flat = redis.cmd("HGETALL", key)
    return dict(zip(flat[::2], flat[1::2]))


def tick(redis):
    """Let Redis's millisecond clock move on, so times differ."""
    ms = lambda: (lambda s: int(s[0]) * 1000 + int(s[1]) // 1000)(redis.cmd("TIME"))
    t0 = ms()
    wait_until(lambda: ms() > t0, step=0.001, what="the Redis clock")


def test_new_ticket(t, redis):
    a = ingest(redis, ident={"email": "ann@example.org", "phone": "+380441110001"})
    n, cid = a["ticket"], str(a["customer"])
    h = hget(redis, "%st:%d" % (P, n))
    t.eq((h.get("last_in"), h.get("updated"), h.get("queued_at")),
         (h["created"], h["created"], h["created"]),
         "new ticket: last_in, updated and queued_at are the creation time")
    t.ok("last_msgid" not in h and "last_out" not in h, "new ticket: no last_msgid, no last_out", h)
    t.eq(redis.cmd("ZSCORE", P + "tickets", n), h["created"], "new ticket: rx:tickets score")
    t.eq(sorted(redis.cmd("SMEMBERS", "%sc:%s:ids" % (P, cid))),
         ["email:ann@example.org", "phone:+380441110001"], "new customer: both identities")
    t.eq([redis.cmd("GET", P + "ix:email:ann@example.org"), redis.cmd("GET", P + "ix:phone:+380441110001")],
         [cid, cid], "new customer: both indexed")

    b = ingest(redis, ident={"email": "ann@example.org", "phone": "+380441110001"}, msgid="<m1@x>")
    h = hget(redis, "%st:%d" % (P, b["ticket"]))
    t.ok(b["matched"] and str(b["customer"]) == cid and b["ticket_new"],
         "known identities: matched, a new ticket", b)
    t.eq(h.get("last_msgid"), "<m1@x>", "new ticket with a Message-ID: last_msgid")
    t.eq(redis.cmd("SCARD", "%sc:%s:ids" % (P, cid)), 2, "known identities: nothing added")

    c = ingest(redis, ident={"email": "ann@example.org", "phone": "+380441110002"})
    t.eq(sorted(redis.cmd("SMEMBERS", "%sc:%s:ids" % (P, cid))),
         ["email:ann@example.org", "phone:+380441110001", "phone:+380441110002"],
         "a new identity of a known customer is added")
    t.eq(redis.cmd("GET", P + "ix:phone:+380441110002"), cid, "... and indexed to them")
    t.ok(c["matched"], "... and the interaction matched")

    d = ingest(redis, ident={"email": "ann2@example.org"}, agent="7")
    h = hget(redis, "%st:%d" % (P, d["ticket"]))
    t.ok(h.get("agent") == "7" and "queued_at" not in h,
         "a ticket opened with its agent never queued: no queued_at", h)


def test_continued(t, redis):
    a = ingest(redis, ident={"email": "bob@example.org"})
    n = a["ticket"]
    key = "%st:%d" % (P, n)
    tok = redis.cmd("HGET", key, "token")
    first = hget(redis, key)
    tick(redis)
    b = ingest(redis, ident={"email": "bob@example.org"}, thread={"token": tok}, msgid="<m2@x>")
    h = hget(redis, key)
    t.ok(b["ticket"] == n and not b["ticket_new"], "a reply by token continues the ticket", b)
    t.ok(int(h["updated"]) > int(first["updated"]) and h["last_in"] == h["updated"],
         "continued: last_in and updated move on together", h)
    t.eq(h.get("last_msgid"), "<m2@x>", "continued: last_msgid")
    t.eq(redis.cmd("ZSCORE", P + "tickets", n), h["updated"], "continued: rx:tickets score")
    t.eq(h["queued_at"], first["queued_at"], "continued: queued_at unchanged")
    tick(redis)
    ingest(redis, ident={"email": "bob@example.org"}, direction="out", ticket=n,
           channel="email", author="agent:1", text="answer")
    o = hget(redis, key)
    t.ok(o.get("last_out") == o["updated"] and o["last_in"] == h["last_in"]
         and o["last_msgid"] == "<m2@x>", "outbound: last_out and updated, last_in kept", o)


def test_identity_owners(t, redis):
    a = ingest(redis, ident={"email": "cy@example.org"})
    b = ingest(redis, ident={"phone": "+380441110009"})
    c = ingest(redis, ident={"email": "cy@example.org", "phone": "+380441110009"})
    t.eq(str(c["customer"]), str(a["customer"]), "the first identity in match order wins")
    t.eq(redis.cmd("GET", P + "ix:phone:+380441110009"), str(b["customer"]),
         "another customer's identity stays theirs")
    t.eq(redis.cmd("SISMEMBER", "%sc:%s:ids" % (P, a["customer"]), "phone:+380441110009"), 0,
         "... and is not added to the matched customer")

    redis.cmd("HSET", P + "c:9001", "name", "No Id", "type", "other")
    redis.cmd("SET", P + "ix:email:noid@example.org", "9001")
    d = ingest(redis, ident={"email": "noid@example.org"})
    t.ok(str(d["customer"]) == "9001" and d["matched"], "a record without an id field still matches", d)

    redis.cmd("SET", P + "ix:email:ghost@example.org", "9999")
    e = ingest(redis, ident={"email": "ghost@example.org"})
    t.ok(e["customer_new"] and not e["matched"], "an index to a missing record: a new customer", e)
    t.eq(redis.cmd("GET", P + "ix:email:ghost@example.org"), "9999", "... the index is left alone")

    redis.cmd("HSET", P + "c:9002", "id", "9002", "merged_into", str(a["customer"]))
    redis.cmd("SET", P + "ix:email:loser@example.org", "9002")
    f = ingest(redis, ident={"email": "loser@example.org"})
    t.eq(str(f["customer"]), str(a["customer"]), "a merged record leads to the survivor")


def test_sla_queue(t, redis):
    call(redis, "rx_route_queue_set", {"queue": "slaq", "set": {
        "sla": {"normal": {"first": 3600, "resolution": 86400}}}})
    a = ingest(redis, ident={"email": "sla@example.org"}, queue="slaq")
    n = a["ticket"]
    h = hget(redis, "%st:%d" % (P, n))
    created = int(h["created"])
    t.eq((int(h["first_response_due"]), int(h["resolution_due"])),
         (created + 3600000, created + 86400000), "SLA clocks from the queue definition")
    t.eq(redis.cmd("ZSCORE", P + "sla", "%d|first|breach" % n), str(created + 3600000),
         "first-response breach timer")
    t.eq(redis.cmd("ZSCORE", P + "q:slaq", n) is not None, True, "queued in its queue")


def test_ack_caps(t, redis):
    a = ingest(redis, ident={"email": "cap@example.org"})
    t.ok(a.get("ack"), "a new form ticket is acknowledged", a)
    ka = P + "outbox:cap:a:cap@example.org"
    kt = "%soutbox:cap:t:%d" % (P, a["ticket"])
    t.eq((redis.cmd("GET", ka), redis.cmd("GET", kt)), ("1", "1"), "caps: counters start at 1")
    t.ok(0 < redis.cmd("PTTL", ka) <= 86400000 and 0 < redis.cmd("PTTL", kt) <= 86400000,
         "caps: a new counter expires in a day")
    hours = [k for k in redis.cmd("KEYS", P + "outbox:cap:h:*")]
    t.ok(hours and all(0 < redis.cmd("PTTL", h) <= 3600000 for h in hours),
         "caps: the hour counter expires within the hour", hours)
    ttl = redis.cmd("PTTL", ka)
    for _ in range(4):
        ingest(redis, ident={"email": "cap@example.org"})
    t.eq(redis.cmd("GET", ka), "5", "caps: one count per acknowledgement")
    t.ok(0 < redis.cmd("PTTL", ka) <= ttl, "caps: a count does not renew the expiry")
    f = ingest(redis, ident={"email": "cap@example.org"})
    t.ok(not f.get("ack"), "caps: the sixth is not acknowledged (auto_per_address 5)", f)
    t.eq(redis.cmd("GET", ka), "5", "caps: a refused mail is not counted")
    log = redis.cmd("XRANGE", "%st:%d:log" % (P, f["ticket"]), "-", "+")
    t.ok(any("auto_per_address" in " ".join(e[1]) for e in log),
         "caps: the agent sees the cap on the ticket")


def main():
    redis = Redis(appendonly=False)
    load_functions(redis)
    tests = [test_new_ticket, test_continued, test_identity_owners, test_sla_queue, test_ack_caps]

    def bind(fn):
        run = lambda t: fn(t, redis)
        run.__name__ = fn.__name__
        return run
    Tap().run([bind(f) for f in tests])


if __name__ == "__main__":
    main()
