#!/usr/bin/env python3
"""Routing inside Redis: strategies, sticky routing, aging, wrap-up, capacity
per channel, agents dropping with work of each kind, SLA timers, driven
through FCALL (rx_ingest, rx_route_*) on a real redis-server holding the
function library rxdeskd builds."""
import datetime
import json
import threading
import time

from rxtest import Redis, Subscriber, Tap, load_functions, wait_until

P = "rx:"


def fcall(redis, fn, arg=None):
    args = ["FCALL", fn, 0, P]
    if arg is not None:
        args.append(json.dumps(arg))
    return json.loads(redis.cmd(*args))


def error_of(redis, fn, arg):
    try:
        fcall(redis, fn, arg)
    except RuntimeError as e:
        return str(e)
    return None


def reset(redis, wrapup=0, grace=30, sticky=604800):
    redis.cmd("FLUSHALL")
    fcall(redis, "rx_route_config", {"wrapup": wrapup, "presence_grace": grace,
                                     "sticky_window": sticky})


def agent(redis, aid, skills=None, langs="", cap=None, roles="agent", state="available"):
    aid = str(aid)
    redis.cmd("HSET", P + "a:" + aid, "id", aid, "name", "Agent " + aid,
              "skills", json.dumps(skills or {}), "languages", langs,
              "capacity", json.dumps(cap or {"voice": 1, "chat": 3, "mail": 10}),
              "roles", roles)
    redis.cmd("SADD", P + "agents", aid)
    redis.cmd("SET", P + "presence:" + aid, "1", "EX", 600)
    if state:
        return fcall(redis, "rx_route_agent", {"agent": aid, "state": state})
    return None


def queue(redis, name, **kw):
    return fcall(redis, "rx_route_queue_set", {"queue": name, "set": kw})


def ingest(redis, who, queue="general", channel="email", **kw):
    d = {"channel": channel, "direction": "in", "queue": queue,
         "ident": {"email": "%s@example.com" % who, "name": who},
         "subject": "Question", "text": "hello"}
    d.update(kw)
    return fcall(redis, "rx_ingest", d)


def ticket(redis, n):
    flat = redis.cmd("HGETALL", "%st:%d" % (P, n))
    return dict(zip(flat[::2], flat[1::2]))


def tick(redis):
    """Let Redis's millisecond clock move on, so idle times differ."""
    ms = lambda: (lambda s: int(s[0]) * 1000 + int(s[1]) // 1000)(redis.cmd("TIME"))
    t0 = ms()
    wait_until(lambda: ms() > t0 + 1, step=0.001, what="the Redis clock")


def redis_ms(redis):
    s = redis.cmd("TIME")
    return int(s[0]) * 1000 + int(s[1]) // 1000


def let_pass(redis, ms):
    """Wait until Redis's clock (the one routing reads) has moved MS on."""
    t0 = redis_ms(redis)
    wait_until(lambda: redis_ms(redis) >= t0 + ms, timeout=ms / 1000 + 10, step=0.02,
               what="the Redis clock")


def waiting(redis, q):
    return [int(n) for n in redis.cmd("ZRANGE", P + "q:" + q, 0, -1)]


def done(redis, aid, n, **kw):
    d = {"agent": str(aid), "ticket": n}
    d.update(kw)
    return fcall(redis, "rx_route_done", d)


def check_invariants(t, redis, what):
    """No ticket with two agents, every agent within capacity, every
    assignment recorded on both sides."""
    owners = {}
    over = []
    for aid in redis.cmd("SMEMBERS", P + "agents"):
        work = redis.cmd("HGETALL", P + "aw:" + aid) or []
        kinds = {}
        for n, w in zip(work[::2], work[1::2]):
            owners.setdefault(n, []).append(aid)
            k = w.split(":")[0]
            kinds[k] = kinds.get(k, 0) + 1
        cap = json.loads(redis.cmd("HGET", P + "a:" + aid, "capacity"))
        for k, c in kinds.items():
            load = int(redis.cmd("HGET", P + "ar:" + aid, "load_" + k) or 0)
            if c > cap[k] or load != c:
                over.append((aid, k, c, load, cap[k]))
    twice = {n: a for n, a in owners.items() if len(a) > 1}
    t.eq(twice, {}, what + ": no ticket assigned twice")
    t.eq(over, [], what + ": no agent over capacity, load matches work")
    bad = []
    for n, a in owners.items():
        if ticket(redis, int(n)).get("agent") != a[0]:
            bad.append(n)
        if redis.cmd("ZSCORE", P + "q:" + ticket(redis, int(n))["queue"], n) is not None:
            bad.append(n)
    t.eq(bad, [], what + ": assigned tickets name their agent and do not wait")


def test_leastrecent(t, redis):
    reset(redis)
    queue(redis, "medinfo", skills="medinfo", strategy="leastrecent")
    for a in (1, 2, 3):
        agent(redis, a, {"medinfo": 1})
        tick(redis)
    got = []
    for i in range(4):   # one Redis millisecond apart: no two agents idle since the same
        got.append(ingest(redis, "c%d" % i, "medinfo")["agent"])
        tick(redis)
    t.eq(got, ["1", "2", "3", "1"], "leastrecent: longest since last assignment first")
    agent(redis, 4, {"other": 1})
    t.eq(ingest(redis, "c9", "medinfo")["agent"], "2", "leastrecent: an agent without the skill is never picked")
    check_invariants(t, redis, "leastrecent")


def test_fewestcalls(t, redis):
    reset(redis)
    queue(redis, "q", strategy="fewestcalls")
    for a in (1, 2, 3):
        agent(redis, a)
    # Give agent 1 two tickets and agent 3 one, by hand.
    for a, k in (("1", 2), ("3", 1)):
        for i in range(k):
            queue(redis, "hold", paused=True)
            n = ingest(redis, "h%s%d" % (a, i), "hold")["ticket"]
            fcall(redis, "rx_route_reassign", {"ticket": n, "agent": a, "actor": "a:9"})
    got = [ingest(redis, "f%d" % i, "q")["agent"] for i in range(4)]
    t.eq(got, ["2", "2", "3", "1"], "fewestcalls: fewest active first (ties by agent id)")
    loads = [int(redis.cmd("HGET", P + "ar:%d" % a, "load_mail")) for a in (1, 2, 3)]
    t.eq(loads, [3, 2, 2], "fewestcalls: loads even out (2+0+1 plus 4 new)")
    check_invariants(t, redis, "fewestcalls")


def test_rrmemory(t, redis):
    reset(redis)
    queue(redis, "rr", strategy="rrmemory")
    for a in (3, 1, 2):
        agent(redis, a)
    got = [ingest(redis, "r%d" % i, "rr")["agent"] for i in range(4)]
    t.eq(got, ["1", "2", "3", "1"], "rrmemory: in turn, remembering the last one")
    fcall(redis, "rx_route_agent", {"agent": "2", "state": "away"})
    got = [ingest(redis, "s%d" % i, "rr")["agent"] for i in range(2)]
    t.eq(got, ["3", "1"], "rrmemory: an away agent is skipped, the turn goes on")


def test_skillweighted(t, redis):
    reset(redis)
    queue(redis, "sw", skills="medinfo", strategy="skillweighted")
    agent(redis, 1, {"medinfo": 1})
    agent(redis, 2, {"medinfo": 3})
    agent(redis, 3, {"medinfo": 2})
    got = [ingest(redis, "w%d" % i, "sw", channel="voice")["agent"] for i in range(4)]
    t.eq(got, ["2", "3", "1", ""], "skillweighted: highest level first; voice capacity 1 each")
    t.eq(len(waiting(redis, "sw")), 1, "skillweighted: the fourth call waits")
    check_invariants(t, redis, "skillweighted")


def test_capacity(t, redis):
    reset(redis)
    queue(redis, "cap")
    agent(redis, 1, cap={"voice": 1, "chat": 2, "mail": 1})
    v = [ingest(redis, "v%d" % i, "cap", channel="voice")["agent"] for i in range(2)]
    c = [ingest(redis, "c%d" % i, "cap", channel="chat")["agent"] for i in range(3)]
    m = [ingest(redis, "m%d" % i, "cap", channel="form")["agent"] for i in range(2)]
    t.eq((v, c, m), (["1", ""], ["1", "1", ""], ["1", ""]),
         "capacity: voice 1, chat 2, mail 1 each counted apart")
    t.eq(len(waiting(redis, "cap")), 3, "capacity: the rest waits")
    check_invariants(t, redis, "capacity")
    # Finishing a chat frees one chat place: the waiting chat comes.
    chats = [n for n in redis.cmd("HKEYS", P + "aw:1") if ticket(redis, int(n))["channel"] == "chat"]
    r = done(redis, 1, int(chats[0]))
    t.eq(len(r["assigned"]), 1, "capacity: a freed chat place takes the waiting chat")
    t.eq(ticket(redis, r["assigned"][0])["channel"], "chat", "capacity: and only the chat")
    err = error_of(redis, "rx_route_reassign", {"ticket": waiting(redis, "cap")[0], "agent": "1"})
    t.ok(err and err.startswith("CONFLICT"), "capacity: manual assignment over capacity is refused", err)
    check_invariants(t, redis, "capacity after done")


def test_priority_aging(t, redis):
    reset(redis)
    queue(redis, "pa", paused=True, aging=0.5)
    n1 = ingest(redis, "a1", "pa", priority="normal")["ticket"]
    n2 = ingest(redis, "a2", "pa", priority="urgent")["ticket"]
    n3 = ingest(redis, "a3", "pa", priority="normal")["ticket"]
    t.eq(waiting(redis, "pa"), [n2, n1, n3], "order: higher priority first, FIFO within")
    let_pass(redis, 1200)  # aging: an urgent ticket now counts 1 s ahead of a normal one
    n4 = ingest(redis, "a4", "pa", priority="urgent")["ticket"]
    t.eq(waiting(redis, "pa"), [n2, n1, n3, n4],
         "aging: a normal ticket that waited longer than the priority gap goes first")
    agent(redis, 1)
    r = queue(redis, "pa", paused=False)
    t.eq(r["assigned"], 4, "resume: the paused queue's tickets are assigned")
    t.eq(waiting(redis, "pa"), [], "resume: nothing waits")


def test_sticky(t, redis):
    reset(redis)
    queue(redis, "st", sticky_wait=1)
    agent(redis, 1)
    tick(redis)
    agent(redis, 2)
    a = ingest(redis, "ann", "st", channel="voice")
    t.eq(a["agent"], "1", "sticky: first call to the longest idle agent")
    done(redis, 1, a["ticket"])
    tick(redis)
    b = ingest(redis, "ann", "st", channel="voice", subject="again")
    t.eq(b["agent"], "1", "sticky: the customer's last agent gets the next contact though 2 idles longer")
    c = ingest(redis, "ann", "st", channel="voice", subject="third")
    t.eq(c["agent"], "", "sticky: agent 1 busy: the call is held for them")
    t.eq(ticket(redis, c["ticket"]).get("sticky_agent"), "1", "sticky: the hold names agent 1")
    r = done(redis, 1, b["ticket"])
    t.eq(r["assigned"], [c["ticket"]], "sticky: agent 1 free within the wait gets the held call")
    d = ingest(redis, "ann", "st", channel="voice", subject="fourth")
    t.eq(d["agent"], "", "sticky: held again while agent 1 is on the line")
    wait_until(lambda: fcall(redis, "rx_route_sweep")["sticky"] == 1 or
               ticket(redis, d["ticket"])["agent"] != "", timeout=10, what="the sticky wait")
    t.eq(ticket(redis, d["ticket"])["agent"], "2", "sticky: after the wait the strategy decides")


def test_wrapup(t, redis):
    reset(redis, wrapup=1)
    queue(redis, "wu")
    agent(redis, 1)
    a = ingest(redis, "w1", "wu", channel="voice")
    fcall(redis, "rx_route_accept", {"agent": "1", "ticket": a["ticket"]})
    t.eq(redis.cmd("HGET", P + "ar:1", "state"), "oncall", "wrap-up: an answered call puts the agent on a call")
    r = done(redis, 1, a["ticket"])
    t.eq(r["state"], "wrapup", "wrap-up: after the call")
    b = ingest(redis, "w2", "wu", channel="voice")
    t.eq(b["agent"], "", "wrap-up: no call offered during wrap-up")
    m = ingest(redis, "w3", "wu", channel="email")
    t.eq(m["agent"], "", "wrap-up: nor mail")
    wait_until(lambda: fcall(redis, "rx_route_sweep")["wrapup"] == 1, timeout=10, what="wrap-up end")
    t.eq(redis.cmd("HGET", P + "ar:1", "state"), "available", "wrap-up: over after wrapup_seconds")
    t.eq(ticket(redis, b["ticket"])["agent"], "1", "wrap-up: the waiting call comes at once")
    t.eq(ticket(redis, m["ticket"])["agent"], "1", "wrap-up: and the mail")
    # Ready early: an agent may end wrap-up themselves.
    fcall(redis, "rx_route_accept", {"agent": "1", "ticket": b["ticket"]})
    done(redis, 1, b["ticket"])
    r = fcall(redis, "rx_route_agent", {"agent": "1", "state": "available"})
    t.eq(r["old"], "wrapup", "wrap-up: the agent can end it early")


def test_drop(t, redis):
    reset(redis, grace=1)
    queue(redis, "dq")
    queue(redis, "dm", mail_release=True)
    agent(redis, 1, cap={"voice": 1, "chat": 3, "mail": 10})
    queue(redis, "dq", paused=True)
    early = ingest(redis, "e0", "dq", channel="chat")["ticket"]
    queue(redis, "dq", paused=False)
    t.eq(ticket(redis, early)["agent"], "1", "drop: setup")
    voice = ingest(redis, "e1", "dq", channel="voice")["ticket"]
    chat = ingest(redis, "e2", "dq", channel="chat")["ticket"]
    answered = ingest(redis, "e3", "dq", channel="chat")["ticket"]
    mail = ingest(redis, "e4", "dq", channel="email")["ticket"]
    mail2 = ingest(redis, "e5", "dm", channel="email")["ticket"]
    fcall(redis, "rx_route_accept", {"agent": "1", "ticket": answered})
    fcall(redis, "rx_route_accept", {"agent": "1", "ticket": early})
    queue(redis, "dq", paused=True)
    later = ingest(redis, "e6", "dq", channel="email")["ticket"]
    sub = Subscriber(redis, P + "events")
    redis.cmd("DEL", P + "presence:1")
    wait_until(lambda: fcall(redis, "rx_route_sweep")["offline"] == 1, timeout=10,
               what="presence expiry")
    t.eq(redis.cmd("HGET", P + "ar:1", "state"), "offline", "drop: heartbeat gone: offline")
    w = waiting(redis, "dq")
    t.ok(set(w[:2]) == {voice, chat} and w[-1] == later,
         "drop: the ringing call and the unanswered chat are back at the head", w)
    t.eq([ticket(redis, n)["agent"] for n in (voice, chat)], ["", ""], "drop: and have no agent")
    t.eq([ticket(redis, n)["agent"] for n in (answered, early, mail)], ["1", "1", "1"],
         "drop: answered chats and mail stay the agent's")
    t.eq(ticket(redis, mail2)["agent"], "", "drop: mail goes back where the queue says so")
    ev = []
    while True:
        m = sub.next(0.5)
        if m is None:
            break
        ev.append(json.loads(m))
    t.ok(any(e["type"] == "agent.presence" and e["state"] == "offline" for e in ev),
         "drop: agent.presence offline is published")
    check_invariants(t, redis, "drop")


def test_safety_and_lang(t, redis):
    reset(redis)
    queue(redis, "mi", lang_match=True)
    agent(redis, 1, langs="en")
    agent(redis, 2, langs="uk,ru", roles="agent,safety")
    a = ingest(redis, "l1", "mi", lang="uk")
    t.eq(a["agent"], "2", "lang_match: a Ukrainian text goes to a Ukrainian speaker")
    b = ingest(redis, "l2", "mi", lang="en", flags=["ae"], category="ae", priority="high")
    t.eq(b["agent"], "", "safety: an AE never goes to an agent without the safety role")
    queue(redis, "gen")
    c = ingest(redis, "l3", "gen", flags=["complaint"])
    t.eq(c["agent"], "2", "safety: a complaint goes to the safety-trained agent")


def _biz_deadline(start_ms, secs, hours, holidays, tz_min):
    """The business-hours deadline, computed independently in Python."""
    tz = datetime.timezone(datetime.timedelta(minutes=tz_min))
    cur = datetime.datetime.fromtimestamp(start_ms / 1000, tz)
    left = datetime.timedelta(seconds=secs)
    for _ in range(400):
        wd = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][cur.weekday()]
        day0 = cur.replace(hour=0, minute=0, second=0, microsecond=0)
        if wd in hours and cur.strftime("%Y-%m-%d") not in holidays:
            a, b = hours[wd].split("-")
            op = day0 + datetime.timedelta(hours=int(a[:2]), minutes=int(a[3:]))
            cl = day0 + datetime.timedelta(hours=int(b[:2]), minutes=int(b[3:]))
            frm = max(cur, op)
            if frm < cl:
                if frm + left <= cl:
                    return int((frm + left).timestamp() * 1000)
                left -= cl - frm
        cur = day0 + datetime.timedelta(days=1)
    raise AssertionError("no deadline")


def test_sla_calendar(t, redis):
    reset(redis)
    now = datetime.datetime.now(datetime.timezone.utc)
    tomorrow = (now + datetime.timedelta(hours=2, days=1)).strftime("%Y-%m-%d")
    hours = {"mon": "09:00-18:00", "tue": "09:00-18:00", "wed": "09:00-18:00",
             "thu": "09:00-18:00", "fri": "09:00-13:30"}
    cal = {"tz": 120, "hours": hours, "holidays": [tomorrow]}
    queue(redis, "biz", paused=True, calendar=cal,
          sla={"*": {"first": 4 * 3600, "resolution": 20 * 3600}})
    a = ingest(redis, "b1", "biz")
    tk = ticket(redis, a["ticket"])
    start = int(tk["created"])
    t.eq(int(tk["first_response_due"]), _biz_deadline(start, 4 * 3600, hours, [tomorrow], 120),
         "calendar: first-response deadline in business hours (weekdays, holiday, UTC+2)")
    t.eq(int(tk["resolution_due"]), _biz_deadline(start, 20 * 3600, hours, [tomorrow], 120),
         "calendar: resolution deadline spans days")
    queue(redis, "plain", paused=True, sla={"high": {"first": 60}})
    b = ingest(redis, "b2", "plain", priority="high")
    tk = ticket(redis, b["ticket"])
    t.eq(int(tk["first_response_due"]) - int(tk["created"]), 60000, "plain hours: now + 60 s")
    c = ingest(redis, "b3", "plain", priority="low")
    t.ok("first_response_due" not in ticket(redis, c["ticket"]) or
         ticket(redis, c["ticket"])["first_response_due"] == "",
         "no SLA for a priority the queue does not name")


def test_sla_escalation(t, redis):
    reset(redis)
    queue(redis, "escal", paused=True)
    queue(redis, "fast", paused=True, overflow="escal", breach_raise=True, breach_overflow=True,
          sla={"*": {"first": 2, "resolution": 30}})
    sub = Subscriber(redis, P + "events")
    a = ingest(redis, "s1", "fast", priority="normal")
    n = a["ticket"]
    wait_until(lambda: "first" in ticket(redis, n).get("sla_risk", "") or
               fcall(redis, "rx_route_sweep") and False, timeout=10, what="at risk")
    tk = ticket(redis, n)
    t.ok("sla_breached" not in tk, "SLA: at risk first (80%), not yet breached", tk)
    results = []

    def sweeper():
        for _ in range(200):
            results.append(fcall(redis, "rx_route_sweep")["sla"])
            if ticket(redis, n).get("sla_breached"):
                return
            time.sleep(0.02)
    ths = [threading.Thread(target=sweeper) for _ in range(3)]
    [th.start() for th in ths]
    [th.join() for th in ths]
    tk = ticket(redis, n)
    t.eq(tk.get("sla_breached"), "first", "SLA: first response breached after 2 s")
    t.eq(tk["priority"], "high", "SLA: breach raised the priority")
    t.eq(tk["queue"], "escal", "SLA: breach moved the waiting ticket to the overflow queue")
    t.eq(waiting(redis, "escal"), [n], "SLA: it waits in the overflow queue")
    t.eq(waiting(redis, "fast"), [], "SLA: and no longer in its own")
    ev = []
    while True:
        m = sub.next(0.3)
        if m is None:
            break
        ev.append(json.loads(m))
    breaches = [e for e in ev if e["type"] == "sla.breach" and e["ticket"] == n]
    t.eq(len(breaches), 1, "SLA: the breach fires once though three sweepers ran")
    t.ok(any(e["type"] == "sla.at_risk" and e["ticket"] == n for e in ev), "SLA: at-risk event")
    # An answered ticket does not breach.
    b = ingest(redis, "s2", "fast")["ticket"]
    redis.cmd("HSET", P + "t:%d" % b, "first_response", "1")
    let_pass(redis, 2200)
    fcall(redis, "rx_route_sweep")
    t.ok(not ticket(redis, b).get("sla_breached"), "SLA: a ticket answered in time never breaches")


def test_overflow_timeout(t, redis):
    reset(redis)
    queue(redis, "spill")
    queue(redis, "main", skills="rare", overflow="spill", overflow_timeout=1)
    agent(redis, 1)
    a = ingest(redis, "o1", "main")
    t.eq(a["agent"], "", "overflow: nobody has the skill")
    wait_until(lambda: fcall(redis, "rx_route_sweep")["overflow"] == 1, timeout=10, what="overflow")
    tk = ticket(redis, a["ticket"])
    t.eq((tk["queue"], tk["agent"]), ("spill", "1"), "overflow: after the timeout the overflow queue serves it")


def test_stats_and_errors(t, redis):
    reset(redis)
    queue(redis, "fig", paused=True, sla={"*": {"first": 3600}})
    for i in range(3):
        ingest(redis, "x%d" % i, "fig")
    agent(redis, 1)
    s = fcall(redis, "rx_route_stats", {"queue": "fig"})
    q = s["queues"][0]
    t.eq((q["queue"], q["waiting"], q["paused"]), ("fig", 3, True), "stats: waiting and paused")
    t.ok(q["oldest_wait_ms"] >= q["average_wait_ms"] >= 0, "stats: oldest >= average wait", q)
    t.eq([(a["agent"], a["state"]) for a in s["agents"]], [("1", "available")], "stats: agents by state")
    t.ok(error_of(redis, "rx_route_agent", {"agent": "1", "state": "dancing"}).startswith("BADARG"),
         "errors: unknown state")
    t.ok(error_of(redis, "rx_route_agent", {"agent": "99", "state": "away"}).startswith("NOTFOUND"),
         "errors: unknown agent")
    t.ok(error_of(redis, "rx_route_queue_set", {"queue": "fig", "set": {"strategy": "random"}})
         .startswith("BADARG"), "errors: unknown strategy")
    t.ok(error_of(redis, "rx_route_queue_set", {"queue": "a b", "set": {}}).startswith("BADARG"),
         "errors: bad queue name")
    t.ok(error_of(redis, "rx_route_done", {"agent": "1", "ticket": 12345}).startswith("NOTFOUND"),
         "errors: done on a ticket the agent does not hold")


def test_released(t, redis):
    reset(redis)
    queue(redis, "rl")
    agent(redis, 1, cap={"voice": 1, "chat": 1, "mail": 1})
    a = ingest(redis, "rl1", "rl")
    b = ingest(redis, "rl2", "rl")
    t.eq((a["agent"], b["agent"]), ("1", ""), "released: one mail place, one waits")
    fcall(redis, "rx_ticket_update", {"ticket": a["ticket"], "actor": "a:1",
                                      "set": {"status": "resolved"}})
    t.eq(ticket(redis, b["ticket"])["agent"], "1",
         "released: resolving frees the place in the same call; the waiting one comes, no sweep")
    t.eq(fcall(redis, "rx_route_sweep")["released"], 0, "released: nothing left for the sweep")
    check_invariants(t, redis, "released")
    # reopened while the agent is full: it waits, never over capacity
    c = ingest(redis, "rl1", "rl", ticket=a["ticket"])
    t.ok(c["reopened"] and c["agent"] == "" and a["ticket"] in waiting(redis, "rl"),
         "released: reopened while the agent is full, it waits in its queue", c)
    check_invariants(t, redis, "reopened")
    fcall(redis, "rx_ticket_update", {"ticket": b["ticket"], "actor": "a:1",
                                      "set": {"status": "closed"}})
    t.eq(ticket(redis, a["ticket"])["agent"], "1", "released: closing frees it too; the agent takes it back")
    # pending frees the place only where the queue says so
    queue(redis, "rl", pending_release=True)
    d = ingest(redis, "rl3", "rl")
    fcall(redis, "rx_ticket_update", {"ticket": a["ticket"], "actor": "a:1",
                                      "set": {"status": "pending"}})
    t.eq((ticket(redis, d["ticket"])["agent"], ticket(redis, a["ticket"])["agent"]), ("1", "1"),
         "released: pending_release: a pending ticket frees the place (its agent stays named)")
    fcall(redis, "rx_ticket_update", {"ticket": d["ticket"], "actor": "a:1",
                                      "set": {"status": "resolved"}})
    e = ingest(redis, "rl1", "rl", ticket=a["ticket"])
    t.eq((e["status"], e["agent"], redis.cmd("HGET", P + "aw:1", str(a["ticket"]))),
         ("open", "1", "mail:0"), "released: the customer answers: the agent's work again")
    check_invariants(t, redis, "pending")


def test_reassign_frees(t, redis):
    reset(redis)
    queue(redis, "ra")
    agent(redis, 1, cap={"voice": 1, "chat": 1, "mail": 1})
    a = ingest(redis, "ra1", "ra")
    b = ingest(redis, "ra2", "ra")
    t.eq((a["agent"], b["agent"]), ("1", ""), "reassign: one place, one waits")
    fcall(redis, "rx_route_reassign", {"ticket": a["ticket"], "agent": "", "actor": "a:9"})
    t.eq((ticket(redis, b["ticket"])["agent"], waiting(redis, "ra")), ("1", [a["ticket"]]),
         "reassign: the old agent's place frees and takes the waiting ticket in the same call")
    r = fcall(redis, "rx_route_reassign", {"ticket": b["ticket"], "agent": "1", "actor": "a:9"})
    t.eq((r["agent"], waiting(redis, "ra")), ("1", [a["ticket"]]),
         "reassign: to the agent who has it already changes nothing")
    check_invariants(t, redis, "reassign")


def test_capacity_raised(t, redis):
    reset(redis)
    queue(redis, "cr")
    redis.cmd("HSET", P + "a:1", "email", "a1@example.com")
    agent(redis, 1, cap={"voice": 1, "chat": 1, "mail": 1})
    ns = [ingest(redis, "cr%d" % i, "cr")["ticket"] for i in range(3)]
    t.eq(waiting(redis, "cr"), ns[1:], "capacity: one place taken, two wait")
    fcall(redis, "rx_agent_update", {"id": "1", "set": {"capacity": {"voice": 1, "chat": 1, "mail": 3}}})
    t.eq(waiting(redis, "cr"), [], "capacity raised: the waiting tickets go to the agent in the same call")
    check_invariants(t, redis, "capacity")


def test_priority_rescore(t, redis):
    reset(redis)
    queue(redis, "pr")
    ns = [ingest(redis, "pr%d" % i, "pr")["ticket"] for i in range(3)]
    fcall(redis, "rx_ticket_update", {"ticket": ns[2], "actor": "a:9", "set": {"priority": "urgent"}})
    t.eq(waiting(redis, "pr")[0], ns[2], "priority: a raise moves the ticket to the head at once")
    agent(redis, 1, cap={"voice": 1, "chat": 1, "mail": 1})
    t.eq(ticket(redis, ns[2])["agent"], "1", "priority: the next free agent takes the raised one")
    fcall(redis, "rx_ticket_update", {"ticket": ns[0], "actor": "a:9", "set": {"priority": "low"}})
    t.eq(waiting(redis, "pr"), [ns[1], ns[0]], "priority: a lowered one falls behind at once")


def test_gone(t, redis):
    """An agent without a live connection gets nothing, at once, and what
    they held goes back in the order it stood, logged and announced."""
    reset(redis)
    queue(redis, "gq", mail_release=True)
    agent(redis, 1, cap={"voice": 1, "chat": 3, "mail": 10})
    sub = Subscriber(redis, P + "events")
    a = ingest(redis, "g1", "gq", channel="chat")
    b = ingest(redis, "g2", "gq", priority="high")
    c = ingest(redis, "g3", "gq")
    t.eq((a["agent"], b["agent"], c["agent"]), ("1", "1", "1"), "gone: agent 1 holds three")
    queue(redis, "gq", paused=True)
    w = [ingest(redis, "gw%d" % i, "gq")["ticket"] for i in range(2)]
    # the heartbeat lapses: the key is gone, no sweep has run
    redis.cmd("DEL", P + "presence:1")
    queue(redis, "gq", paused=False)
    t.eq(redis.cmd("HGET", P + "ar:1", "state"), "offline", "gone: a pick that meets them takes them out")
    order = waiting(redis, "gq")
    t.eq(order, [b["ticket"], a["ticket"], c["ticket"]] + w,
         "gone: handed back before the waiting ones, in the order they stood (priority, then time)")
    t.eq(redis.cmd("HLEN", P + "aw:1"), 0, "gone: nothing left with them")
    log = redis.cmd("XRANGE", P + "t:%d:log" % a["ticket"], "-", "+")
    ev = [dict(zip(e[1][::2], e[1][1::2])) for e in log]
    t.ok(any(e.get("field") == "requeued" and e.get("reason") == "lapsed" and e.get("old") == "1"
             for e in ev), "gone: the ticket's log says so", ev[-2:])
    seen = []
    while True:
        m = sub.next(0.3)
        if m is None:
            break
        seen.append(json.loads(m))
    t.eq(sorted(e["ticket"] for e in seen if e["type"] == "ticket.requeued"),
         sorted([a["ticket"], b["ticket"], c["ticket"]]), "gone: ticket.requeued for the supervisors")
    t.ok(any(e["type"] == "chat.requeued" and e["ticket"] == a["ticket"] for e in seen),
         "gone: chat.requeued for the chat's customer")
    # back: the state they had returns, and the work with it
    r = fcall(redis, "rx_presence_on", {"agent": "1", "node": "n1", "ttl": 30})
    t.ok(r["back"] and redis.cmd("HGET", P + "ar:1", "state") == "available" and
         int(redis.cmd("HLEN", P + "aw:1")) == 5, "gone: a connection back restores available", r)
    # the last connection closes on one node while another still holds one
    fcall(redis, "rx_presence_on", {"agent": "1", "node": "n2", "ttl": 30})
    t.eq(fcall(redis, "rx_presence_off", {"agent": "1", "node": "n1"})["gone"], False,
         "gone: another node still holds a connection: not gone")
    t.eq(redis.cmd("HGET", P + "ar:1", "state"), "available", "gone: and still available")
    t.eq(fcall(redis, "rx_presence_off", {"agent": "1", "node": "n2"})["gone"], True,
         "gone: the last one closes")
    t.eq((redis.cmd("HGET", P + "ar:1", "state"), redis.cmd("EXISTS", P + "presence:1")),
         ("offline", 0), "gone: offline for routing in the same call")
    sub.close()
    check_invariants(t, redis, "gone")


def test_concurrent(t, redis):
    """Many clients at once on one Redis: ingests, agents coming and going,
    tickets finished, sweeps; the invariants hold after."""
    reset(redis, wrapup=0, grace=30)
    queue(redis, "race", strategy="fewestcalls")
    for a in range(1, 9):
        agent(redis, a, cap={"voice": 1, "chat": 2, "mail": 3})
    stop = time.monotonic() + 4
    errors = []

    def ingester(k):
        i = 0
        while time.monotonic() < stop:
            try:
                ingest(redis, "r%d-%d" % (k, i), "race", channel=["voice", "chat", "email"][i % 3])
            except Exception as e:
                errors.append(repr(e))
            i += 1

    def worker(k):
        while time.monotonic() < stop:
            try:
                aid = str(1 + (k + int(time.monotonic() * 10)) % 8)
                work = redis.cmd("HKEYS", P + "aw:" + aid) or []
                if work:
                    try:
                        done(redis, aid, int(work[0]))
                    except RuntimeError as e:
                        # Another worker finished it first: that is the point.
                        if not str(e).startswith("NOTFOUND"):
                            raise
                st = ["available", "away", "available", "offline"][int(time.monotonic() * 7) % 4]
                fcall(redis, "rx_route_agent", {"agent": aid, "state": st})
                fcall(redis, "rx_route_sweep")
            except Exception as e:
                errors.append(repr(e))
    ths = [threading.Thread(target=ingester, args=(k,)) for k in range(3)]
    ths += [threading.Thread(target=worker, args=(k,)) for k in range(3)]
    [th.start() for th in ths]
    [th.join() for th in ths]
    t.eq(errors[:3], [], "concurrent: no call failed")
    check_invariants(t, redis, "concurrent")


def main():
    redis = Redis()
    load_functions(redis)
    tests = [test_leastrecent, test_fewestcalls, test_rrmemory, test_skillweighted,
             test_capacity, test_priority_aging, test_sticky, test_wrapup, test_drop,
             test_safety_and_lang, test_sla_calendar, test_sla_escalation,
             test_overflow_timeout, test_stats_and_errors, test_released, test_reassign_frees,
             test_capacity_raised,
             test_priority_rescore, test_gone, test_concurrent]

    def bind(fn):
        def run(t):
            return fn(t, redis)
        run.__name__ = fn.__name__
        return run
    Tap().run([bind(f) for f in tests])


if __name__ == "__main__":
    main()
