#!/usr/bin/env python3
"""Routing with three rxdeskd nodes on one redis-server: the queues of the
configuration reach Redis, the supervisor and presence API, SLA timers that
fire once across nodes, and the race test: concurrent ingests, presence
changes through all three nodes, agents dropping, work finished, every
node sweeping; no ticket assigned twice, no agent over capacity."""
import json
import threading
import time

from rxtest import (Daemon, Redis, Subscriber, Tap, add_agent, bearer, login,
                    wait_until)

P = "rx:"

CONF = """[routing]
wrapup_seconds = 1
[queue race]
strategy = fewestcalls
skills = medinfo
[queue fast]
sla_first = *:2
sla_resolution = *:60
overflow = slow
breach_overflow = yes
breach_raise = yes
[queue slow]
strategy = rrmemory
[queue medinfo-uk]
strategy = leastrecent
[product aspirin]
names = Aspirin, Аспірин
[rule hcp-uk]
customer_type = hcp
lang = uk
queue = medinfo-uk
category = medinfo
[queue biz]
hours = mon-fri 09:00-18:00
tz = +02:00
holidays = 2026-12-25
sla_first = urgent:900, *:3600
"""


def fcall(redis, fn, arg=None):
    args = ["FCALL", fn, 0, P]
    if arg is not None:
        args.append(json.dumps(arg))
    return json.loads(redis.cmd(*args))


def ingest(redis, who, queue, channel="email", **kw):
    d = {"channel": channel, "direction": "in", "queue": queue,
         "ident": {"email": "%s@example.com" % who}, "subject": "Q", "text": "hello"}
    d.update(kw)
    return fcall(redis, "rx_ingest", d)


def ticket(redis, n):
    flat = redis.cmd("HGETALL", "%st:%d" % (P, n))
    return dict(zip(flat[::2], flat[1::2]))


def test_config_pushed(t, redis, nodes):
    wait_until(lambda: redis.cmd("HGET", P + "qdef:race", "strategy") == "fewestcalls",
               timeout=15, what="queue definitions in Redis")
    d = redis.cmd("HGETALL", P + "qdef:biz")
    d = dict(zip(d[::2], d[1::2]))
    cal = json.loads(d["calendar"])
    t.eq((cal["tz"], cal["hours"].get("mon"), cal["hours"].get("sat"), cal["holidays"]),
         (120, "09:00-18:00", None, ["2026-12-25"]), "config: [queue biz] calendar in rx:qdef:biz")
    t.eq(json.loads(d["sla"]), {"urgent": {"first": 900}, "*": {"first": 3600}},
         "config: SLA per priority")
    t.eq(redis.cmd("HGET", P + "rcfg", "wrapup"), "1", "config: routing.wrapup_seconds in rx:rcfg")


def test_api(t, redis, nodes):
    n0 = nodes[0]
    sup = add_agent(redis, "sup@example.com", roles="supervisor")
    ag = add_agent(redis, "ag@example.com", roles="agent", skills={"medinfo": 2})
    redis.cmd("SET", P + "presence:%s" % ag["id"], "1", "EX", 600)
    ts, ta = login(n0, "sup@example.com"), login(nodes[1], "ag@example.com")
    s, d = nodes[1].post("/api/v1/agents/me/presence", {"state": "available"}, bearer(ta))
    t.eq((s, d.get("state"), d.get("old")), (200, "available", "offline"),
         "presence: POST /api/v1/agents/me/presence")
    s, d = nodes[1].post("/api/v1/agents/me/presence", {"state": "oncall"}, bearer(ta))
    t.eq((s, d["error"]["field"]), (422, "state"), "presence: only available, away, offline")
    s, d = nodes[1].post("/api/v1/agents/me/presence", "not json", bearer(ta))
    t.eq(s, 400, "presence: a body that is not JSON is 400")
    s, _ = nodes[1].post("/api/v1/agents/%s/presence" % sup["id"], {"state": "away"}, bearer(ta))
    t.eq(s, 403, "presence: an agent cannot set another's")
    s, _ = n0.post("/api/v1/agents/me/presence", {"state": "available"})
    t.eq(s, 401, "presence: no session, 401")
    s, _ = nodes[2].get("/api/v1/queues", bearer(ta))
    t.eq(s, 403, "queues: agents may not see the figures")
    s, d = n0.request("PATCH", "/api/v1/queues/fast", {"paused": True}, bearer(ts))[:2]
    t.eq((s, d.get("paused")), (200, True), "queues: a supervisor pauses a queue")
    a = ingest(redis, "api1", "fast")
    t.eq(a["agent"], "", "queues: a paused queue holds its tickets")
    s, d = nodes[2].get("/api/v1/queues/fast", bearer(ts))
    t.eq((s, d["queues"][0]["waiting"], d["queues"][0]["paused"]), (200, 1, True),
         "queues: GET /api/v1/queues/{q} has waiting and paused")
    s, d = nodes[2].get("/api/v1/queues", bearer(ts))
    t.ok(s == 200 and any(x["agent"] == ag["id"] and x["state"] == "available" for x in d["agents"]),
         "queues: agents by state and load", d)
    s, d = n0.request("PATCH", "/api/v1/queues/fast", {"strategy": "coinflip"}, bearer(ts))[:2]
    t.eq(s, 422, "queues: an unknown strategy is 422")
    s, d = nodes[1].post("/api/v1/tickets/RX-%d/assign" % a["ticket"], {"agent": ag["id"]}, bearer(ts))
    t.eq((s, d.get("agent")), (200, ag["id"]), "assign: a supervisor assigns by hand")
    t.eq(ticket(redis, a["ticket"])["agent"], ag["id"], "assign: the ticket names the agent")
    s, d = nodes[1].post("/api/v1/tickets/999999/assign", {"agent": ag["id"]}, bearer(ts))
    t.eq(s, 404, "assign: unknown ticket 404")
    s, d = nodes[1].post("/api/v1/tickets/RX-%d/assign" % a["ticket"], {"agent": ""}, bearer(ts))
    t.eq((s, d.get("agent")), (200, ""), "assign: back to the queue")
    n0.request("PATCH", "/api/v1/queues/fast", {"paused": False}, bearer(ts))
    s, _ = nodes[1].post("/api/v1/agents/me/presence", {"state": "offline"}, bearer(ta))
    t.eq(s, 200, "presence: offline")


def test_sla_once(t, redis, nodes):
    sub = Subscriber(redis, P + "events")
    a = ingest(redis, "sla1", "fast")
    n = a["ticket"]
    t.eq(a["agent"], "", "sla: nobody to take it")
    wait_until(lambda: ticket(redis, n).get("sla_breached"), timeout=15, what="the breach")
    tk = ticket(redis, n)
    t.eq((tk["queue"], tk["priority"]), ("slow", "high"),
         "sla: the nodes' sweep moved the breached ticket to overflow and raised it")
    time.sleep(1.5)  # a window for any second firing (each node sweeps every second)
    ev = []
    while True:
        m = sub.next(0.3)
        if m is None:
            break
        ev.append(json.loads(m))
    t.eq(len([e for e in ev if e["type"] == "sla.breach" and e["ticket"] == n]), 1,
         "sla: three nodes sweeping, the breach fired once")


def test_explain(t, redis, nodes):
    r = nodes[1].ctl("route", "explain", "--type", "hcp", "Добрий день, чи можна Аспірин дітям?")
    t.eq(r.returncode, 0, "explain: exit 0", )
    t.ok("rule: hcp-uk (lang in [uk], customer_type in [hcp])" in r.stdout and
         "product: aspirin" in r.stdout and "queue=medinfo-uk" in r.stdout,
         "explain: names the rule, its conditions, the product and the result", r.stdout + r.stderr)
    r = nodes[1].ctl("route", "explain", "I have a rash")
    t.ok("rule: (default)" in r.stdout and 'ae symptom "rash" [text 9-13]' in r.stdout and
         "priority=high" in r.stdout and "flags=ae" in r.stdout,
         "explain: the default, with the AE hit raising the priority", r.stdout + r.stderr)
    a = ingest(redis, "ex1", "fast", text="Пошкоджена упаковка", channel="form")
    r = nodes[2].ctl("route", "explain", "RX-%d" % a["ticket"])
    t.ok(r.returncode == 0 and "ticket: RX-%d" % a["ticket"] in r.stdout and
         "complaint" in r.stdout, "explain: a stored ticket's first message", r.stdout + r.stderr)
    r = nodes[2].ctl("route", "explain", "RX-999999")
    t.eq(r.returncode, 1, "explain: an unknown ticket fails")
    r = nodes[2].ctl("route", "explain")
    t.eq(r.returncode, 2, "explain: usage")


# One atomic read of what the invariants look at: every agent's work and
# capacity, every ticket's agent and queue, the race queue's members. The
# nodes keep sweeping (wrap-ups end, lapsed agents drop, waiting work is
# handed out) while the test reads, so key-by-key reads would mix states.
SNAPSHOT = """
local p = ARGV[1]
local out = { agents = {}, tickets = {}, waiting = {} }
for _, aid in ipairs(redis.call('SMEMBERS', p .. 'agents')) do
  out.agents[aid] = { work = redis.call('HGETALL', p .. 'aw:' .. aid),
    capacity = redis.call('HGET', p .. 'a:' .. aid, 'capacity') or '{}' }
end
local seq = tonumber(redis.call('GET', p .. 'seq:t') or '0')
for n = 1, seq do
  local f = redis.call('HMGET', p .. 't:' .. n, 'agent', 'queue')
  out.tickets[tostring(n)] = { agent = f[1] or false, queue = f[2] or false }
end
for _, n in ipairs(redis.call('ZRANGE', p .. 'q:race', 0, -1)) do out.waiting[n] = true end
return cjson.encode(out)
"""


def check_invariants(t, redis, what):
    snap = json.loads(redis.cmd("EVAL", SNAPSHOT, 0, P))
    owners, over = {}, []
    for aid, a in snap["agents"].items():
        work = a["work"] if isinstance(a["work"], list) else []
        kinds = {}
        for n, w in zip(work[::2], work[1::2]):
            owners.setdefault(n, []).append(aid)
            kinds[w.split(":")[0]] = kinds.get(w.split(":")[0], 0) + 1
        cap = json.loads(a["capacity"])
        for k, c in kinds.items():
            if c > cap.get(k, {"voice": 1, "chat": 3, "mail": 10}[k]):
                over.append((aid, k, c))
    t.eq({n: a for n, a in owners.items() if len(a) > 1}, {}, what + ": no ticket assigned twice")
    t.eq(over, [], what + ": no agent over capacity")
    tickets = snap["tickets"]
    wrong = [(n, a[0], tickets.get(n, {}).get("agent")) for n, a in owners.items()
             if tickets.get(n, {}).get("agent") != a[0]]
    t.eq(wrong, [], what + ": every held ticket names its agent")
    lost = [int(n) for n, tk in tickets.items()
            if tk["queue"] == "race" and tk["agent"] == "" and n not in snap["waiting"]]
    t.eq(sorted(lost), [], what + ": every unassigned ticket still waits in its queue")


def test_race(t, redis, nodes):
    agents = []
    for i in range(9):
        a = add_agent(redis, "race%d@example.com" % i, skills={"medinfo": 1 + i % 3},
                      capacity={"voice": 1, "chat": 2, "mail": 3})
        redis.cmd("SET", P + "presence:%s" % a["id"], "1", "EX", 600)
        agents.append((a["id"], login(nodes[i % 3], "race%d@example.com" % i)))
    stop = time.monotonic() + 6
    errors, counts = [], {"ingest": 0, "presence": 0, "done": 0}

    def ingester(k):
        i = 0
        while time.monotonic() < stop:
            try:
                ingest(redis, "rc%d-%d" % (k, i), "race", channel=["voice", "chat", "email"][i % 3])
                counts["ingest"] += 1
            except Exception as e:
                errors.append(repr(e))
            i += 1

    def agent_loop(k):
        i = 0
        while time.monotonic() < stop:
            aid, tok = agents[(k + i) % len(agents)]
            node = nodes[i % 3]
            try:
                st = ["available", "available", "away", "available"][i % 4]
                s, _ = node.post("/api/v1/agents/me/presence", {"state": st}, bearer(tok))
                if s != 200:
                    errors.append("presence %d" % s)
                counts["presence"] += 1
                work = redis.cmd("HKEYS", P + "aw:" + aid) or []
                if work:
                    try:
                        fcall(redis, "rx_route_done", {"agent": aid, "ticket": int(work[0])})
                        counts["done"] += 1
                    except RuntimeError as e:
                        if not str(e).startswith("NOTFOUND"):
                            raise
                if i % 7 == 3:   # a heartbeat lapses: the nodes' sweep drops them
                    redis.cmd("DEL", P + "presence:" + aid)
                    redis.cmd("HSET", P + "ar:" + aid, "since", 0)
                    redis.cmd("ZADD", P + "online", 0, aid)
                elif i % 7 == 5:
                    redis.cmd("SET", P + "presence:" + aid, "1", "EX", 600)
            except Exception as e:
                errors.append(repr(e))
            i += 1
    ths = [threading.Thread(target=ingester, args=(k,)) for k in range(3)]
    ths += [threading.Thread(target=agent_loop, args=(k,)) for k in range(3)]
    [th.start() for th in ths]
    [th.join() for th in ths]
    t.eq(errors[:3], [], "race: no call failed")
    t.ok(counts["ingest"] > 50 and counts["done"] > 10,
         "race: real load (%(ingest)d ingests, %(presence)d presence changes, %(done)d done)" % counts)
    check_invariants(t, redis, "race")
    # Everybody available again: the nodes' sweep hands out what waits.
    for aid, tok in agents:
        redis.cmd("SET", P + "presence:" + aid, "1", "EX", 600)
        nodes[0].post("/api/v1/agents/me/presence", {"state": "available"}, bearer(tok))
    check_invariants(t, redis, "race, after")
    for node in nodes:
        t.eq(node.stop(), 0, "race: node exits cleanly")


def main():
    redis = Redis()
    nodes = [Daemon(redis, conf=CONF) for _ in range(3)]

    def bind(fn):
        def run(t):
            return fn(t, redis, nodes)
        run.__name__ = fn.__name__
        return run
    Tap().run([bind(f) for f in (test_config_pushed, test_explain, test_api, test_sla_once, test_race)])


if __name__ == "__main__":
    main()
