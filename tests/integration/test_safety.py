#!/usr/bin/env python3
"""The safety desk (docs/safety.md): flagged contacts reach the queue their
rules name on every channel, unknown queues stop start-up; one visibility
model on every endpoint and socket; adverse event cases and product
complaints through the API and rxdeskctl; patient fields encrypted at rest;
the audit chain."""
import json
import os
import smtplib
import subprocess
import time

from rxtest import (Daemon, Redis, Tap, wait_until, tmpdir, free_port, RXDESKD, add_agent,
                    login, bearer, WsClient, ws_client_missing)

FORMS = "/api/v1/forms/"
CONF = """[smtp]
domains = example.com
queues = support:general, medinfo:medinfo
[queue general]
strategy = leastrecent
[queue medinfo]
strategy = leastrecent
[queue safety]
skills = safety
[rule safety]
flags = ae, complaint
queue = safety
"""
KEY1 = "k1:" + "11" * 32
KEY2 = "k2:" + "22" * 32
SAFETY = "[safety]\nencryption_key = %s\ntimezone = +02:00\nmailbox = pv@example.com\n" % KEY1
FAST = "[auth]\nscrypt_n = 1024\n"


def ticket(redis, n):
    flat = redis.cmd("HGETALL", "rx:t:%d" % n) or []
    return dict(zip(flat[0::2], flat[1::2]))


def send_mail(d, rcpt, subject, body, frm="doctor@example.org"):
    """One mail over SMTP; returns (code, ticket number)."""
    msg = ("From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s@example.org>\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n" % (
               frm, rcpt, subject, str(time.time_ns()), body)).encode()
    with smtplib.SMTP("127.0.0.1", d.smtp_port, timeout=30) as s:
        s.ehlo("client.test")
        s.mail(frm)
        s.rcpt(rcpt)
        code, text = s.data(msg)
    return code, int(text.decode().rsplit("RX-", 1)[1])


def check_config(text):
    path = os.path.join(tmpdir(), "rxdesk.conf")
    with open(path, "w") as f:
        f.write(text)
    return subprocess.run([RXDESKD, "-c", path, "--check-config"], capture_output=True,
                          text=True)


def test_unknown_queues(t):
    r = check_config("[rule safety]\nflags = ae\nqueue = safty\n")
    t.ok(r.returncode == 1 and 'rxdesk.conf: [rule safety] queue: unknown queue "safty"'
         in r.stderr, "--check-config: a rule naming an unknown queue names file and key",
         r.stderr)
    r = check_config("[smtp]\nqueues = safety:ae\n")
    t.ok(r.returncode == 1 and '[smtp] queues: unknown queue "ae"' in r.stderr,
         "--check-config: smtp.queues naming an unknown queue", r.stderr)
    r = check_config("[form recall]\nqueue = quality\n")
    t.ok(r.returncode == 1 and '[form recall] queue: unknown queue "quality"' in r.stderr,
         "--check-config: a form naming an unknown queue", r.stderr)
    r = check_config("[queue quality]\nstrategy = leastrecent\n[form recall]\nqueue = quality\n"
                     "[routing]\ndefault_queue = inbox\n[rule x]\nqueue = inbox\n")
    t.ok(r.returncode == 0, "defined queues and the default queue pass", r.stderr)
    for conf in ("rxdesk.conf", "rxdesk.demo.conf"):
        r = subprocess.run([RXDESKD, "-c", os.path.join(os.environ["RXDESK_SRCDIR"], "etc", conf),
                            "--check-config"], capture_output=True, text=True)
        t.ok(r.returncode == 0, "the shipped %s passes" % conf, r.stderr)
    # start-up stops too, not only --check-config
    path = os.path.join(tmpdir(), "rxdesk.conf")
    with open(path, "w") as f:
        f.write("[server]\ndata_dir = %s\n[redis]\nurl = redis://127.0.0.1:1/0\n"
                "[http]\nlisten = 127.0.0.1:%d\n[smtp]\nlisten = 127.0.0.1:%d\n"
                "[rule safety]\nflags = ae\nqueue = safty\n" % (tmpdir(), free_port(), free_port()))
    try:
        r = subprocess.run([RXDESKD, "-c", path], capture_output=True, text=True, timeout=20)
        t.ok(r.returncode != 0 and 'unknown queue "safty"' in r.stderr,
             "rxdeskd with an unknown queue in a rule stops at start-up", r.stderr[-2000:])
    except subprocess.TimeoutExpired:
        t.ok(False, "rxdeskd with an unknown queue in a rule stops at start-up")


def test_flagged_routing(t):
    redis = Redis()
    d = Daemon(redis, conf=CONF)
    code, n = send_mail(d, "support@example.com", "Rash after the second dose",
                        "My patient developed a rash after taking Cardiolex.")
    tk = ticket(redis, n)
    t.ok(code == 250 and tk.get("queue") == "safety" and "ae" in tk.get("flags", ""),
         "an AE mail to support@ reaches the safety queue", tk)
    code, n = send_mail(d, "support@example.com", "Opening hours", "When are you open?")
    t.eq(ticket(redis, n).get("queue"), "general", "an unflagged mail keeps its mailbox's queue")
    code, n = send_mail(d, "medinfo@example.com", "Dose", "What is the dose for children?")
    t.eq(ticket(redis, n).get("queue"), "medinfo", "medinfo@ maps to medinfo")
    s, b = d.post(FORMS + "ae-report", {"name": "Olena Koval", "email": "olena@example.org",
                                        "product": "Cardiolex", "reaction": "headache",
                                        "patient_initials": "OK"})
    tk = ticket(redis, b["id"]) if s == 201 else {}
    t.ok(s == 201 and tk.get("queue") == "safety" and tk.get("category") == "ae",
         "an ae-report form reaches the safety queue", (s, b, tk))
    s, b = d.post(FORMS + "complaint", {"name": "Ivan", "email": "ivan@example.org",
                                        "product": "Cardiolex", "lot": "A1",
                                        "message": "The box arrived."})
    tk = ticket(redis, b["id"]) if s == 201 else {}
    t.ok(s == 201 and tk.get("queue") == "safety", "a complaint form reaches the safety queue",
         (s, b, tk))
    s, b = d.post(FORMS + "medinfo", {"name": "Ivan", "email": "ivan@example.org",
                                      "message": "Is it safe with food?"})
    t.eq(ticket(redis, b["id"]).get("queue"), "general",
         "a medinfo form without a rule goes to the default queue (no undefined queue)")
    d.stop()
    redis.stop()


def api(d, method, path, token, body=None, headers=None):
    h = dict(bearer(token), **(headers or {}))
    s, b, _ = d.request(method, path, body, h)
    return s, b


def raw_values(redis, pattern):
    """Every value under keys matching PATTERN, as one text (strings,
    hashes, sets, sorted sets, streams)."""
    out = []
    for k in redis.cmd("KEYS", pattern) or []:
        t = redis.cmd("TYPE", k)
        if t == "string":
            out.append(redis.cmd("GET", k))
        elif t == "hash":
            out += redis.cmd("HGETALL", k)
        elif t == "set":
            out += redis.cmd("SMEMBERS", k)
        elif t == "zset":
            out += redis.cmd("ZRANGE", k, 0, -1)
        elif t == "stream":
            for _id, flat in redis.cmd("XRANGE", k, "-", "+"):
                out += flat
    return "\n".join(str(x) for x in out)


def wait_case(d, token, pred, what):
    box = {}

    def found():
        s, b = api(d, "GET", "/api/v1/cases", token)
        hits = [c for c in (b.get("items", []) if s == 200 else []) if pred(c)]
        if hits:
            box["c"] = hits[0]
        return bool(hits)
    wait_until(found, timeout=20, what=what)
    return box["c"]


def test_cases(t):
    redis = Redis()
    d = Daemon(redis, conf=CONF + SAFETY + FAST)
    add_agent(redis, "iryna@example.com", roles="safety")
    add_agent(redis, "olena@example.com", roles="agent")
    sv = login(d, "iryna@example.com")
    ag = login(d, "olena@example.com")
    # an ae-report form opens its case at once, its fields mapped
    s, b = d.post(FORMS + "ae-report", {
        "name": "Dr Taras Koval", "email": "taras@clinic.example.org", "phone": "+380441234567",
        "patient_initials": "Q.Z.", "patient_age": "34", "patient_sex": "female",
        "product": "Cardiolex", "lot": "A123", "reaction": "Generalised urticaria",
        "onset_date": "2026-12-01", "outcome": "recovering"})
    t.eq(s, 201, "ae-report form accepted")
    form_ticket = b["id"]
    c = wait_case(d, sv, lambda c: c["ticket"] == form_ticket, "the ae-report's case")
    t.ok(c["number"] == "CASE-%d" % c["id"] and c["patient"]["initials"] == "Q.Z." and
         c["patient"]["age"] == {"value": 34, "unit": "a"} and c["patient"]["sex"] == "F" and
         c["products"][0]["name"] == "Cardiolex" and c["products"][0]["lot"] == "A123" and
         c["reactions"][0]["verbatim"] == "Generalised urticaria" and
         c["reactions"][0]["onset"] == "2026-12-01" and c["reactions"][0]["outcome"] == 2 and
         c["reporters"][0]["name"] == "Dr Taras Koval" and
         c["reporters"][0]["email"] == "taras@clinic.example.org",
         "the ae-report's fields are mapped to the case", c)
    t.ok(c["status"] == "valid" and c["validity"] == {"valid": True, "missing": []} and
         c["day0"] == c["first_received"] and c["due_rule"] == "default-other-90",
         "the four criteria hold: valid, Day 0 the form's receipt, the non-serious clock", c)
    shape = ["id", "number", "status", "ticket", "tickets", "master", "duplicate_of", "country",
             "created", "updated", "day0", "first_received", "latest_received", "due",
             "due_rule", "patient", "reporters", "products", "reactions", "seriousness",
             "narrative", "validity", "followups", "complaint"]
    t.eq(sorted(c.keys()), sorted(shape), "the case has exactly the documented members")
    # seriousness moves the clock: end of the calendar day (+02:00) 15 days on
    s, c2 = api(d, "PATCH", "/api/v1/cases/%d" % c["id"], sv,
                {"seriousness": {"hospitalisation": True}})
    day = (c["day0"] + 2 * 3600000) // 86400000 * 86400000
    t.ok(s == 200 and c2["due_rule"] == "default-serious-15" and
         c2["due"] == day + 16 * 86400000 - 1 - 2 * 3600000,
         "serious: 15 calendar days in the company's time zone", (s, c2))
    s, b = api(d, "PATCH", "/api/v1/cases/%d" % c["id"], sv, {"patient": {"sex": "X"}})
    t.ok(s == 422 and b["error"]["field"] == "patient", "a bad value: 422 naming the field", b)
    s, b = api(d, "PATCH", "/api/v1/cases/%d" % c["id"], sv, {"color": "red"})
    t.ok(s == 422 and b["error"]["field"] == "color", "an unknown field: 422", b)
    # a case opened from a flagged mail by a person
    code, n = send_mail(d, "support@example.com", "Rash after Cardiolex",
                        "My patient developed a rash after taking Cardiolex.")
    s, b = api(d, "POST", "/api/v1/tickets/%d/case" % n, ag, {})
    t.eq(s, 404, "a plain agent not handling the AE ticket cannot open its case")
    s, mc = api(d, "POST", "/api/v1/tickets/%d/case" % n, sv, {})
    t.ok(s == 201 and mc["status"] == "draft" and mc["day0"] is None and
         mc["validity"]["missing"] == ["patient", "product", "reaction"] and
         mc["reporters"][0]["email"] == "doctor@example.org",
         "opened from a mail: draft, the sender as reporter, what is missing", mc)
    s, b = api(d, "POST", "/api/v1/tickets/%d/case" % n, sv, {})
    t.eq(s, 409, "a ticket opens one case")
    s, b = api(d, "PATCH", "/api/v1/cases/%d" % mc["id"], sv, {"status": "forwarded"})
    t.ok(s == 422 and b["error"]["field"] == "status", "an invalid case cannot be forwarded", b)
    s, b = api(d, "PATCH", "/api/v1/cases/%d" % mc["id"], sv, {
        "patient": {"initials": "Q.Z.", "age": {"value": 34, "unit": "a"}, "sex": "F"},
        "products": [{"name": "Cardiolex"}], "reactions": [{"verbatim": "Generalised urticaria"}]})
    t.ok(s == 200 and b["status"] == "valid" and b["day0"] is not None,
         "completed by a person: valid, Day 0 set", b)
    s, dup = api(d, "GET", "/api/v1/cases/%d/duplicates" % mc["id"], sv)
    t.ok(s == 200 and c["id"] in dup["duplicates"],
         "the same patient, product and reaction from another channel: a possible duplicate",
         dup)
    s, b = api(d, "PATCH", "/api/v1/cases/%d" % mc["id"], sv,
               {"duplicate_of": c["id"], "master": c["id"], "status": "closed",
                "reason": "duplicate of the form report"})
    t.ok(s == 200 and b["status"] == "closed" and b["duplicate_of"] == c["id"],
         "linked to its master and closed with a reason", b)
    s, b = api(d, "PATCH", "/api/v1/cases/%d" % c["id"], sv,
               {"status": "forwarded", "reason": "sent to the EMA"})
    t.ok(s == 200 and b["status"] == "forwarded", "a valid case is forwarded", b)
    # a follow-up attaches with its own clock
    code, n2 = send_mail(d, "support@example.com", "More about the rash",
                         "The rash came back after a new dose of Cardiolex.",
                         frm="nurse@example.org")
    s, b = api(d, "POST", "/api/v1/tickets/%d/case" % n2, sv, {"case": c["id"]})
    t.ok(s == 201 and n2 in b["tickets"] and len(b["followups"]) == 1 and
         b["followups"][0]["due"] is not None and b["status"] == "valid",
         "a follow-up attaches with its own clock; the case must be forwarded again", b)
    # lists, filters, exports
    s, b = api(d, "GET", "/api/v1/cases?status=closed", sv)
    t.ok(s == 200 and [x["id"] for x in b["items"]] == [mc["id"]], "list: by status", b)
    s, b = api(d, "GET", "/api/v1/cases?product=cardiolex", sv)
    t.ok(s == 200 and [x["id"] for x in b["items"]] == [mc["id"], c["id"]],
         "list: by product, newest first", b)
    s, b = api(d, "GET", "/api/v1/cases?due=overdue", sv)
    t.ok(s == 200 and b["items"] == [], "list: nothing overdue", b)
    for path in ("/api/v1/cases", "/api/v1/cases/%d" % c["id"], "/api/v1/cases.csv"):
        s, b = api(d, "GET", path, ag)
        t.eq(s, 403, "a plain agent may not read %s" % path)
    s, body, h = d.request("GET", "/api/v1/cases.csv?from=2000-01-01&to=2100-01-01", None,
                           bearer(sv))
    text = body.decode() if isinstance(body, bytes) else body
    t.ok(s == 200 and h["content-type"].startswith("text/csv") and
         text.startswith("number,status") and '"CASE-%d"' % c["id"] in text and
         '"Cardiolex"' in text, "CSV for a date range", text[:400])
    s, body, h = d.request("GET", "/api/v1/cases/%d/e2b" % c["id"], None, bearer(sv))
    xml = body.decode() if isinstance(body, bytes) else str(body)
    t.ok(s == 200 and h["content-type"].startswith("application/xml") and
         "MCCI_IN200100UV01" in xml and xml.count("PORR_IN049016UV") >= 1 and
         "Q.Z." in xml, "E2B of one case: a batch from e2b_batch, patient opened", (s, xml[:300]))
    s, body, h = d.request("GET", "/api/v1/cases/e2b?from=2000-01-01&to=2100-01-01", None,
                           bearer(sv))
    xml = body.decode() if isinstance(body, bytes) else str(body)
    t.ok(s == 200 and xml.count("<PORR_IN049016UV") == 2,
         "E2B batch for a date range: every case in it", (s, xml[:300]))
    r = d.ctl("case", "export", "--e2b", "--from", "2000-01-01", "--to", "2100-01-01")
    t.ok(r.returncode == 0 and "MCCI_IN200100UV01" in r.stdout, "rxdeskctl case export --e2b",
         r.stderr)
    s, m = d.get("/metrics")
    t.ok("rxdesk_cases_overdue" in m if isinstance(m, str) else
         b"rxdesk_cases_overdue" in m, "/metrics: overdue and due-soon cases")
    # the safety mailbox hears of a new case without patient details
    jobs = raw_values(redis, "rx:outbox")
    t.ok("pv@example.com" in jobs and "CASE-%d" % c["id"] in jobs and "Q.Z." not in jobs and
         "urticaria" not in jobs, "the safety mailbox's notice: number and link only", jobs[-600:])
    # at rest: no patient or reporter value in clear under any case key
    raw = raw_values(redis, "rx:case*") + raw_values(redis, "rx:audit")
    t.ok("Q.Z." not in raw and "taras@clinic.example.org" not in raw and "Dr Taras" not in raw
         and "enc:k1:" in raw, "Redis holds case patient fields only sealed", raw[:300])
    # ... nor the form's message they came from: sealed in its fields, masked in its text
    log = raw_values(redis, "rx:t:%d:log" % form_ticket)
    t.ok("Q.Z." not in log and "female" not in log and "patient_initials: **" in log and
         '"patient_initials":"enc:k1:' in log, "the ae-report's patient fields are not in clear "
         "in the ticket's log", log[:600])
    everything = raw_values(redis, "rx:*")
    t.ok("Q.Z." not in everything, "no patient initials anywhere in Redis")
    audit = raw_values(redis, "rx:audit")
    t.ok("case:%d" % c["id"] in audit and "[protected]" in audit and "sent to the EMA" in audit,
         "every change to a case is audited; patient values as [protected]")
    r = d.ctl("audit", "verify")
    t.ok(r.returncode == 0 and "intact" in r.stdout, "rxdeskctl audit verify", r.stdout + r.stderr)
    test_complaints(t, d, redis, sv, ag, c)
    fx["d"], fx["redis"], fx["sv"], fx["case"] = d, redis, sv, c


def test_complaints(t, d, redis, sv, ag, c):
    s, b = d.post(FORMS + "complaint", {"name": "Ivan Petrenko", "email": "ivan@example.org",
                                        "product": "Cardiolex", "lot": "L-77", "expiry": "2027-05",
                                        "sample_available": "yes",
                                        "message": "The blister was empty and the foil torn."})
    n = b["id"]
    s, q = api(d, "POST", "/api/v1/tickets/%d/complaint" % n, ag, {})
    t.eq(s, 404, "complaint: a plain agent not handling the ticket cannot open it")
    s, q = api(d, "POST", "/api/v1/tickets/%d/complaint" % n, sv, {"type": "packaging"})
    t.ok(s == 201 and q["number"] == "QC-%d" % q["id"] and q["product"] == "Cardiolex" and
         q["lot"] == "L-77" and q["expiry"] == "2027-05" and q["sample_available"] is True and
         q["type"] == "packaging" and "blister was empty" in q["nature"] and
         q["complainant"]["name"] == "Ivan Petrenko" and q["status"] == "open" and
         q["ae_review"] is None, "complaint opened from the form: 21 CFR 211.198 fields", q)
    s, b = api(d, "PATCH", "/api/v1/complaints/%d" % q["id"], sv, {"status": "closed"})
    t.eq(s, 409, "complaint: no closing before the AE review")
    s, b = api(d, "PATCH", "/api/v1/complaints/%d" % q["id"], sv,
               {"ae_review": {"decision": "ae", "note": "patient had a rash"}})
    t.ok(s == 422 and b["error"]["field"] == "case", "an AE found in a complaint needs its case", b)
    s, b = api(d, "PATCH", "/api/v1/complaints/%d" % q["id"], sv, {
        "ae_review": {"decision": "ae", "note": "patient had a rash"}, "case": c["id"],
        "investigation": "Batch record checked; sealing station fault on line 3.",
        "reply": "Replacement sent; thank you.", "status": "closed", "type": "colour"})
    t.ok(s == 422 and b["error"]["field"] == "type", "complaint: an unknown type is refused", b)
    s, b = api(d, "PATCH", "/api/v1/complaints/%d" % q["id"], sv, {
        "ae_review": {"decision": "ae", "note": "patient had a rash"}, "case": c["id"],
        "investigation": "Batch record checked; sealing station fault on line 3.",
        "reply": "Replacement sent; thank you.", "status": "closed"})
    t.ok(s == 200 and b["status"] == "closed" and b["case"] == c["id"] and
         b["ae_review"]["decision"] == "ae" and b["ae_review"]["by"].startswith("a:"),
         "complaint reviewed for an AE, linked to its case, investigated, answered, closed", b)
    s, b = api(d, "GET", "/api/v1/complaints?product=cardiolex&lot=L-77", sv)
    t.ok(s == 200 and [x["id"] for x in b["items"]] == [q["id"]], "complaints by product and lot", b)
    s, b = api(d, "GET", "/api/v1/complaints?lot=nope", sv)
    t.ok(s == 200 and b["items"] == [], "complaints: another lot, none", b)
    s, body, h = d.request("GET", "/api/v1/complaints.csv?product=Cardiolex", None, bearer(sv))
    text = body.decode() if isinstance(body, bytes) else body
    t.ok(s == 200 and '"QC-%d"' % q["id"] in text and '"L-77"' in text and
         '"CASE-%d"' % c["id"] in text, "complaints CSV for the quality department", text[:300])
    s, b = api(d, "GET", "/api/v1/complaints", ag)
    t.eq(s, 403, "a plain agent may not list complaints")
    audit = raw_values(redis, "rx:audit")
    t.ok("complaint:%d" % q["id"] in audit and "sealing station" in audit,
         "every change to a complaint is audited")


fx = {}


def test_key_rotate(t):
    d, redis, sv, c = fx["d"], fx["redis"], fx["sv"], fx["case"]
    text = open(d.conf_path).read().replace("encryption_key = %s" % KEY1,
                                            "encryption_key = %s, %s" % (KEY1, KEY2))
    with open(d.conf_path, "w") as f:
        f.write(text)
    r = d.ctl("key", "rotate")
    raw = raw_values(redis, "rx:case:*")
    t.ok(r.returncode == 0 and "enc:k1:" not in raw and "enc:k2:" in raw,
         "rxdeskctl key rotate seals every case under the newest key", r.stdout + r.stderr)
    d.stop()
    d.start()
    s, b = api(d, "GET", "/api/v1/cases/%d" % c["id"], login(d, "iryna@example.com"))
    t.ok(s == 200 and b["patient"]["initials"] == "Q.Z.", "after rotation the case opens", b)
    r = d.ctl("case", "export", "--csv", str(c["id"]))
    t.ok(r.returncode == 0 and "CASE-%d" % c["id"] in r.stdout, "rxdeskctl case export --csv",
         r.stdout + r.stderr)
    d.stop()
    redis.stop()


def ws_connect(d, token):
    c = WsClient("ws://127.0.0.1:%d/agent/ws" % d.http_port,
                 headers={"Cookie": "rxsession=" + token}, origin="http://127.0.0.1:%d" % d.http_port)
    assert c.opened(), "socket not opened"
    assert c.message(lambda m: m["type"] == "hello"), "no hello"
    return c


def test_events_redacted(t):
    """A follower who may not see an AE ticket learns that it changed and its
    status, never its content; safety staff get the whole event."""
    why = ws_client_missing()
    if why:
        t.ok(True, "# SKIP " + why)
        return
    redis = Redis()
    d = Daemon(redis, conf=CONF + FAST)
    add_agent(redis, "olena@example.com", roles="agent")
    add_agent(redis, "iryna@example.com", roles="safety")
    ag, sv = ws_connect(d, login(d, "olena@example.com")), ws_connect(d, login(d, "iryna@example.com"))
    base = {"channel": "form", "direction": "in", "ident": {"email": "p@example.org", "name": "P"},
            "subject": "Question", "text": "When do you open?"}
    n = json.loads(redis.cmd("FCALL", "rx_ingest", 0, "rx:", json.dumps(base)))["ticket"]
    ag.send({"type": "subscribe", "ticket": n, "id": 1})
    t.ok(ag.message(lambda m: m.get("type") == "subscribed"), "a plain agent follows a general ticket")
    follow = dict(base, ticket=n, text="My patient Q.Z. has a rash", category="ae", flags=["ae"],
                  dedup="x:2")
    redis.cmd("FCALL", "rx_ingest", 0, "rx:", json.dumps(follow))
    m = ag.message(lambda m: m.get("ticket") == n and m.get("type") == "ticket.message")
    t.ok(m and m.get("restricted") is True and set(m) <= {"type", "ticket", "status", "restricted"},
         "the follower gets the event of the now-AE ticket without content", m)
    m = sv.message(lambda m: m.get("ticket") == n and m.get("type") == "ticket.message")
    t.ok(m and m.get("restricted") is True and "customer" in m and "log" in m,
         "safety staff get the whole event", m)
    ag.stop()
    sv.stop()
    d.stop()
    redis.stop()


TESTS = [test_unknown_queues, test_flagged_routing, test_cases, test_key_rotate,
         test_events_redacted]

if __name__ == "__main__":
    Tap().run(TESTS)
