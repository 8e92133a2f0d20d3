#!/usr/bin/env python3
"""The customer store: `rxdeskctl customer import/export` against a real
redis-server (10,000 rows with bad ones mixed in, re-run, round trip),
identity matching across the written forms of one phone number and one
email address, and merge, with rxdeskd loading the function library."""
import csv
import io
import json
import os
import pty
import random
import subprocess
import sys
import urllib.parse

from rxtest import (RXDESKCTL, RXDESKD, Daemon, Redis, Tap, add_agent, bearer, load_functions, login,
                    tmpdir)

P = "rx:"
HEADER = "type,name,organisation,specialty,region,emails,phones,external_ids\n"


def call(redis, fn, arg):
    return json.loads(redis.cmd("FCALL", fn, 0, P, json.dumps(arg)))


def error_of(redis, fn, arg):
    try:
        redis.cmd("FCALL", fn, 0, P, json.dumps(arg))
    except RuntimeError as e:
        return str(e)
    return None


def write(path, text):
    with open(path, "wb") as f:
        f.write(text if isinstance(text, bytes) else text.encode())
    return path


def summary(out):
    """The counts from the last line of an import's output."""
    last = out.strip().splitlines()[-1]
    words = last.replace(",", "").split()
    return {"rows": int(words[0]), "created": int(words[2]), "updated": int(words[4]),
            "unchanged": int(words[6]), "rejected": int(words[8])}


def rejections(out):
    """{line: reason} for every "line N: reason" of an import's output."""
    got = {}
    for ln in out.splitlines():
        if ln.startswith("line ") and ": warning:" not in ln:
            n, reason = ln[5:].split(": ", 1)
            got[int(n)] = reason
    return got


def phone_forms(n):
    """Ways people write the Kyiv number 044 <n>: all +38044<n>."""
    s = "%07d" % n
    a, b, c = s[:3], s[3:5], s[5:]
    return ["044 %s %s %s" % (a, b, c), "+380 (44) %s-%s-%s" % (a, b, c),
            "0 44 %s %s" % (a, b + c), "8 (044) %s-%s-%s" % (a, b, c),
            "38044" + s, "00380 44 %s %s %s" % (a, b, c)]


def big_csv():
    """10,000 rows; returns the text, the expected good customers and the
    bad lines with a word their rejection must contain."""
    rnd = random.Random(7)
    names = ["Іван Петренко", "Олена Коваленко", "王伟", "李娜", "John Smith", "Mary Jones"]
    types = ["hcp", "hco", "pharmacy", "patient"]
    lines, good, bad = [HEADER], {}, {}
    for i in range(1, 10001):
        line = i + 1
        phone = rnd.choice(phone_forms(1000000 + i))
        email = "User%05d@Example.ORG" % i
        if rnd.random() < 0.3:
            email = '"%s" <%s>' % (names[i % 6], email)
        kind = i % 97
        t, name = types[i % 4], "%s %d" % (names[i % 6], i)
        row = [t, name, "Org \"%d\", Kyiv" % (i % 50), "cardiology", "Kyiv",
               email, phone, "licence:ua-%06d" % i]
        if kind == 11:
            row[0], bad[line] = "doctor", "type"
        elif kind == 23:
            row[5], bad[line] = "user%05d@@example.org" % i, "emails"
        elif kind == 37:
            row[6], bad[line] = "044 12", "phones"
        elif kind == 41:
            row = row[:5]
            bad[line] = "fields"
        elif kind == 53:
            row[7], bad[line] = "no-scheme", "external_ids"
        elif kind == 61 and i > 100:
            row[7], bad[line] = "licence:ua-%06d" % (i - 1), "also on line"
            if (line - 1) in bad:
                row[7] = "licence:ua-%06d" % i
                del bad[line]
        if line not in bad:
            good["licence:UA-%06d" % i] = row
        lines.append(",".join('"%s"' % f.replace('"', '""') if ("," in f or '"' in f) else f
                              for f in row) + "\r\n")
    text = "".join(lines).encode()
    # Bytes that are not UTF-8, on a row of their own.
    text += b"hcp,Bad \xff name,,,,bad@example.org,,licence:bad-1\n"
    bad[10002] = "UTF-8"
    return text, good, bad


def test_import_10k(t, d, redis):
    text, good, bad = big_csv()
    path = write(os.path.join(tmpdir(), "big.csv"), text)
    r = d.ctl("customer", "import", path)
    s = summary(r.stdout)
    t.eq(s, {"rows": 10001, "created": len(good), "updated": 0, "unchanged": 0,
             "rejected": len(bad)}, "import: counts of 10,000 rows")
    t.eq(r.returncode, 1, "import: exit status 1 when rows were rejected")
    got = rejections(r.stdout)
    t.eq(sorted(got), sorted(bad), "import: each rejection names its line")
    wrong = [(n, got.get(n)) for n in bad if bad[n] not in (got.get(n) or "")]
    t.ok(not wrong, "import: each rejection gives its reason", wrong[:5])
    t.eq(redis.cmd("ZCARD", P + "customers"), len(good), "import: customers in Redis")
    cid = redis.cmd("GET", P + "ix:ext:licence:UA-000002")
    c = call(redis, "rx_customer_get", {"id": cid})["customer"]
    t.eq(sorted(c["identities"]), ["email:user00002@example.org", "ext:licence:UA-000002",
                                   "phone:+380441000002"], "import: identities normalised")

    r2 = d.ctl("customer", "import", path)
    t.eq(summary(r2.stdout), {"rows": 10001, "created": 0, "updated": 0,
                              "unchanged": len(good), "rejected": len(bad)},
         "import again: nothing changes")
    t.eq(redis.cmd("ZCARD", P + "customers"), len(good), "import again: no new customers")

    e = d.ctl("customer", "export")
    t.eq(e.returncode, 0, "export: exit status 0")
    rows = list(csv.reader(io.StringIO(e.stdout, newline="")))
    t.eq(",".join(rows[0]) + "\n", HEADER, "export: header")
    by_ext = {r[7]: r for r in rows[1:]}
    mismatch = [k for k, row in good.items()
                if k not in by_ext or by_ext[k][:5] != row[:5]]
    t.ok(len(rows) - 1 == len(good) and not mismatch, "export: every customer, same fields",
         mismatch[:5])
    epath = write(os.path.join(tmpdir(), "export.csv"), e.stdout)
    r3 = d.ctl("customer", "import", epath)
    t.eq(summary(r3.stdout), {"rows": len(good), "created": 0, "updated": 0,
                              "unchanged": len(good), "rejected": 0},
         "export round trip: importing the export changes nothing")
    t.eq(r3.returncode, 0, "export round trip: exit status 0")

    # Into an empty store, then out again: the same text.
    other = Redis()
    load_functions(other)
    d2 = Daemon(other)
    r4 = d2.ctl("customer", "import", epath)
    t.eq(summary(r4.stdout)["created"], len(good), "round trip: a fresh store takes the export")
    e2 = d2.ctl("customer", "export")
    t.ok(e2.returncode == 0 and e2.stdout == e.stdout, "round trip: the second export is identical",
         (e2.returncode, e2.stderr, len(e2.stdout), len(e.stdout)))
    d2.stop()
    other.stop()


def test_bad_files(t, d, redis):
    r = d.ctl("customer", "import", "/nonexistent.csv")
    t.ok(r.returncode == 1 and "nonexistent" in r.stderr, "import: a missing file", r.stderr)
    p = write(os.path.join(tmpdir(), "h.csv"), "type,name,colour\nhcp,x,red\n")
    r = d.ctl("customer", "import", p)
    t.ok(r.returncode == 1 and "colour" in r.stderr, "import: an unknown header column", r.stderr)
    p = write(os.path.join(tmpdir(), "e.csv"), "")
    r = d.ctl("customer", "import", p)
    t.ok(r.returncode == 1 and "header" in r.stderr, "import: an empty file", r.stderr)
    r = d.ctl("customer", "frobnicate")
    t.ok(r.returncode == 2 and "usage" in r.stderr, "ctl: an unknown command is a usage error")


def import_rows(d, *rows):
    p = write(os.path.join(tmpdir(), "r.csv"), HEADER + "".join(r + "\n" for r in rows))
    r = d.ctl("customer", "import", p)
    return summary(r.stdout), r.stdout


def test_identity_forms(t, d, redis):
    s, _ = import_rows(d, 'hcp,Тарас Шевченко,,,,"""Тарас"" <Taras@Example.COM>",'
                          '044 765 43 21,licence:tx-1')
    t.eq(s["created"], 1, "forms: the first row creates the customer")
    cid = redis.cmd("GET", P + "ix:phone:+380447654321")
    for i, form in enumerate(phone_forms(7654321)):
        s, out = import_rows(d, 'hcp,,,,,extra%d@example.com,"%s",' % (i, form))
        t.ok(s["updated"] == 1 and s["created"] == 0,
             "forms: phone %r finds the customer" % form, out)
    for i, form in enumerate([" taras@example.com ", "TARAS@EXAMPLE.COM",
                              '"Тарас Шевченко" <Taras@Example.com>',
                              "Taras <taras@example.com>", "mailto:Taras@example.com"]):
        s, out = import_rows(d, 'hcp,,,,,"%s",,licence:tx-form-%d' % (form.replace('"', '""'), i))
        t.ok(s["updated"] == 1 and s["created"] == 0,
             "forms: email %r finds the customer" % form, out)
    ids = call(redis, "rx_customer_get", {"id": cid})["customer"]["identities"]
    t.eq(len(ids), 1 + 1 + 1 + 6 + 5, "forms: every identity landed on one customer")
    # An extension: the number is the identity, the extension kept beside it.
    s, out = import_rows(d, 'hcp,,,,,ext1@example.com,"044 765 43 21 доб. 17",')
    t.ok(s["updated"] == 1 and s["created"] == 0 and
         redis.cmd("HGET", P + "c:" + cid, "ext:+380447654321") == "17",
         "forms: a number with its extension finds the customer and keeps the extension", out)
    a = json.loads(redis.cmd("FCALL", "rx_ingest", 0, P, json.dumps(
        {"channel": "form", "direction": "in",
         "ident": {"phone": "+380447654321", "phone_ext": "205"}, "text": "call me"})))
    t.ok(a["customer"] == cid and redis.cmd("HGET", P + "c:" + cid, "ext:+380447654321") == "205",
         "rx_ingest: the latest extension told is kept beside the number", a)
    # The daemon's own path (rx_ingest) finds the same customer.
    a = json.loads(redis.cmd("FCALL", "rx_ingest", 0, P, json.dumps(
        {"channel": "voice", "direction": "in", "ident": {"phone": "+380447654321"},
         "subject": "call", "text": "call"})))
    t.eq(a["customer"], cid, "forms: rx_ingest matches the imported customer")
    r = call(redis, "rx_customer_search", {"name": "тарас ш", "limit": 5})
    t.ok([c["id"] for c in r["customers"]] == [cid], "search: a Cyrillic name prefix, any case", r)
    r = call(redis, "rx_customer_search", {"name": "ШЕВЧ", "limit": 5})
    t.ok([c["id"] for c in r["customers"]] == [cid], "search: by a later word of the name", r)
    call(redis, "rx_customer_update", {"id": cid, "fields": {"name": "Taras S"}})
    r = call(redis, "rx_customer_search", {"name": "шевч", "limit": 5})
    t.ok(r["customers"] == [] and redis.cmd("ZCOUNT", P + "ix:name", "-inf", "+inf") ==
         len(redis.cmd("ZRANGEBYLEX", P + "ix:name", "-", "+")), "search: a renamed name is gone", r)
    call(redis, "rx_customer_update", {"id": cid, "fields": {"name": "Тарас Шевченко"}})


def ingest(redis, email, text):
    return json.loads(redis.cmd("FCALL", "rx_ingest", 0, P, json.dumps(
        {"channel": "email", "direction": "in", "ident": {"email": email},
         "subject": text, "text": text})))


def test_merge(t, d, redis):
    import_rows(d, "hcp,Anna Survivor,,,Kyiv,anna@example.com,050 111 11 11,licence:m-1",
                "hcp,Anna Dup,Clinic 5,oncology,,anna.dup@example.com,050 222 22 22,npi:42")
    s = redis.cmd("GET", P + "ix:email:anna@example.com")
    l = redis.cmd("GET", P + "ix:email:anna.dup@example.com")
    for i in range(3):
        ingest(redis, "anna@example.com", "s%d" % i)
        ingest(redis, "anna.dup@example.com", "l%d" % i)
    ingest(redis, "anna.dup@example.com", "l-new-ticket")
    tickets_s = set(redis.cmd("ZRANGE", "%sc:%s:tickets" % (P, s), 0, -1))
    tickets_l = set(redis.cmd("ZRANGE", "%sc:%s:tickets" % (P, l), 0, -1))
    hist = redis.cmd("XLEN", "%sc:%s:hist" % (P, s)) + redis.cmd("XLEN", "%sc:%s:hist" % (P, l))
    ids = set(redis.cmd("SMEMBERS", "%sc:%s:ids" % (P, s))) | set(redis.cmd("SMEMBERS", "%sc:%s:ids" % (P, l)))

    m = call(redis, "rx_customer_merge", {"survivor": s, "loser": l, "actor": "a:1"})
    t.ok(m["survivor"] == s and not m["already"] and m["tickets"] == len(tickets_l),
         "merge: answered", m)
    t.eq(set(redis.cmd("SMEMBERS", "%sc:%s:ids" % (P, s))), ids, "merge: every identity on the survivor")
    t.ok(all(redis.cmd("GET", P + "ix:" + i) == s for i in ids), "merge: the indexes point to the survivor")
    h = redis.cmd("XRANGE", "%sc:%s:hist" % (P, s), "-", "+")
    t.eq(len(h), hist, "merge: no history entry lost")
    ts = [int(dict(zip(f[::2], f[1::2]))["ts"]) for _, f in h]
    t.ok(ts == sorted(ts), "merge: history in time order", ts)
    t.eq(set(redis.cmd("ZRANGE", "%sc:%s:tickets" % (P, s), 0, -1)), tickets_s | tickets_l,
         "merge: every ticket on the survivor")
    t.ok(all(redis.cmd("HGET", "%st:%s" % (P, n), "customer") == s for n in tickets_l),
         "merge: the tickets name the survivor")
    t.eq(sorted(redis.cmd("HKEYS", "%sc:%s" % (P, l))), ["merged_into", "updated"],
         "merge: the loser keeps only merged_into")
    c = call(redis, "rx_customer_get", {"id": l})
    t.ok(c["customer"]["id"] == s and c["customer"]["organisation"] == "Clinic 5"
         and c["customer"]["region"] == "Kyiv", "merge: the card follows, empty fields filled", c)
    again = call(redis, "rx_customer_merge", {"survivor": s, "loser": l})
    t.ok(again["already"], "merge: again is a no-op", again)
    t.eq(redis.cmd("XLEN", "%sc:%s:hist" % (P, s)), hist, "merge: again copies nothing")
    a = ingest(redis, "anna.dup@example.com", "after")
    t.eq(a["customer"], s, "merge: the loser's email now reaches the survivor")
    v = json.loads(redis.cmd("FCALL", "rx_audit_verify", 0, P, ""))
    t.ok(v["ok"], "merge: the audit chain still verifies", v)
    t.ok(error_of(redis, "rx_customer_merge", {"survivor": s, "loser": s}) is not None,
         "merge: into itself is refused")
    t.ok("NOTFOUND" in (error_of(redis, "rx_customer_merge", {"survivor": s, "loser": "999999"}) or ""),
         "merge: an unknown loser is refused")


def test_history_and_update(t, d, redis):
    import_rows(d, "patient,Petro,,,,petro@example.com,,")
    cid = redis.cmd("GET", P + "ix:email:petro@example.com")
    for i in range(7):
        ingest(redis, "petro@example.com", "m%d" % i)
    seen, cursor = [], ""
    for _ in range(10):
        page = call(redis, "rx_customer_history", {"id": cid, "cursor": cursor, "count": 3})
        seen += [h["summary"] for h in page["history"]]
        cursor = page.get("next")
        if not cursor:
            break
    t.eq(seen, ["m%d" % i for i in range(6, -1, -1)], "history: pages newest first")
    n = redis.cmd("XLEN", P + "audit")
    u = call(redis, "rx_customer_update", {"id": cid, "fields": {"region": "Odesa", "name": "Petro P"},
                                           "actor": "a:7"})
    t.eq(sorted(u["changed"]), ["name", "region"], "update: changed fields")
    last = redis.cmd("XREVRANGE", P + "audit", "+", "-", "COUNT", 2)
    e = [dict(zip(f[::2], f[1::2])) for _, f in last]
    t.ok(redis.cmd("XLEN", P + "audit") == n + 2 and all(x["actor"] == "a:7" and
         x["object"] == "customer:" + cid for x in e), "update: each change audited", e)
    t.ok("unknown field" in (error_of(redis, "rx_customer_update",
                                      {"id": cid, "fields": {"colour": "red"}}) or ""),
         "update: an unknown field is refused")
    t.ok("NOTFOUND" in (error_of(redis, "rx_customer_get", {"id": "424242"}) or ""),
         "get: an unknown customer")


def test_api(t, d, redis):
    import_rows(d, "hcp,Марія Api,,,,maria.api@example.com,067 555 12 34,licence:api-1",
                "hcp,Maria Dup,Clinic 9,,,maria.dup@example.com,,")
    add_agent(redis, "agent@example.com", roles="agent")
    add_agent(redis, "lead@example.com", roles="supervisor")
    ag = bearer(login(d, "agent@example.com"))
    lead = bearer(login(d, "lead@example.com"))
    t.eq(d.get("/api/v1/customers?q=maria")[0], 401, "api: no session is 401")
    cid = redis.cmd("GET", P + "ix:email:maria.api@example.com")
    dup = redis.cmd("GET", P + "ix:email:maria.dup@example.com")
    for q, how in [("+380 (67) 555-12-34", "phone"), ("Марія <MARIA.API@example.com>", "email"),
                   ("Licence:API-1", "ext"), ("марія", "name"), (cid, "id")]:
        s, b = d.get("/api/v1/customers?q=" + urllib.parse.quote(q), headers=ag)
        # Exact identity hits come first; names may follow (an id is also a word).
        t.ok(s == 200 and [(c["id"], c["matched"]) for c in b["customers"]][:1] == [(cid, how)]
             and all(c["matched"] == "name" for c in b["customers"][1:]),
             "api: search by %s" % how, (s, b))
    s, b = d.get("/api/v1/customers", headers=ag)
    t.ok(s == 400 and b["error"]["field"] == "q", "api: search needs q", b)
    for i in range(5):
        ingest(redis, "maria.api@example.com", "h%d" % i)
    s, b = d.get("/api/v1/customers/" + cid, headers=ag)
    t.ok(s == 200 and "email:maria.api@example.com" in b["customer"]["identities"]
         and len(b["tickets"]) == 5, "api: the card with identities and tickets", b)
    got, cursor = [], ""
    for _ in range(5):
        s, b = d.get("/api/v1/customers/%s/history?limit=2&cursor=%s" % (cid, cursor), headers=ag)
        got += [h["summary"] for h in b["history"]]
        cursor = b.get("next")
        if not cursor:
            break
    t.eq(got, ["h4", "h3", "h2", "h1", "h0"], "api: history newest first, in pages")
    t.eq(d.get("/api/v1/customers/%s/history?cursor=x'" % cid, headers=ag)[0], 400,
         "api: a bad cursor is 400")
    t.eq(d.get("/api/v1/customers/abc", headers=ag)[0], 404, "api: a bad id is 404")
    t.eq(d.get("/api/v1/customers/999999", headers=ag)[0], 404, "api: an unknown id is 404")
    s, b, _ = d.request("PATCH", "/api/v1/customers/" + cid, {"region": "Lviv"}, headers=ag)
    t.ok(s == 200 and b["changed"] == ["region"] and b["customer"]["region"] == "Lviv",
         "api: an agent edits a field", b)
    s, b, _ = d.request("PATCH", "/api/v1/customers/" + cid, {"colour": "red"}, headers=ag)
    t.ok(s == 422 and "colour" in b["error"]["message"], "api: an unknown field is 422 "
         "(docs/api.md)", b)
    s, b, _ = d.request("PATCH", "/api/v1/customers/" + cid, "{not json", headers=ag)
    t.eq(s, 400, "api: a body that is not JSON is 400")
    s, b = d.post("/api/v1/customers/%s/merge" % cid, {"from": dup}, headers=ag)
    t.eq(s, 403, "api: an agent may not merge")
    s, b = d.post("/api/v1/customers/%s/merge" % cid, {"from": dup}, headers=lead)
    t.ok(s == 200 and b["survivor"] == cid and not b["already"], "api: a supervisor merges", b)
    s, b = d.post("/api/v1/customers/%s/merge" % cid, {"from": int(dup)}, headers=lead)
    t.ok(s == 200 and b["already"], "api: merging again is a no-op", b)
    s, b = d.post("/api/v1/customers/%s/merge" % cid, {"from": "x"}, headers=lead)
    t.ok(s == 400 and b["error"]["field"] == "from", "api: a bad from is 400", b)
    s, b = d.get("/api/v1/customers/" + dup, headers=ag)
    t.ok(s == 200 and b["customer"]["id"] == cid and b["customer"]["organisation"] == "Clinic 9",
         "api: the merged id shows the survivor", b)


def test_conflict_and_progress(t, d, redis):
    import_rows(d, "hcp,Conflict A,,,,conf.a@example.com,,", "hcp,Conflict B,,,,,063 000 00 01,")
    s, out = import_rows(d, "hcp,,,,,conf.a@example.com,063 000 00 01,")
    b = redis.cmd("GET", P + "ix:phone:+380630000001")
    t.ok(s["unchanged"] == 1 and "warning: phone:+380630000001 belongs to customer " + b in out,
         "import: an identity another customer has stays there, with a warning", out)
    # On a terminal the import draws a progress bar on stderr.
    p = write(os.path.join(tmpdir(), "p.csv"), HEADER + "".join(
        "patient,P%d,,,,,,pid:%d\n" % (i, i) for i in range(3000)))
    master, slave = pty.openpty()
    proc = subprocess.Popen([RXDESKCTL, "-c", d.conf_path, "customer", "import", p],
                            stdout=subprocess.PIPE, stderr=slave, env=d.env)
    os.close(slave)
    out = proc.communicate(timeout=600)[0].decode()
    bar = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        bar += chunk
    os.close(master)
    t.ok("3000 created" in out and b"100%" in bar and b"\r[" in bar,
         "import: a progress bar on a terminal", (out, bar[-200:]))
    r = d.ctl("customer", "import", p)
    t.ok("\r[" not in r.stderr and "3000 unchanged" in r.stdout,
         "import: no progress bar when stderr is not a terminal", r.stderr[-200:])


def test_export_long(t, d, redis):
    """A customer whose identities fill many kilobytes exports whole."""
    def emails(tag):
        dom = ".".join(["x" * 60] * 3)
        return ";".join("%s%02d@%s.example.com" % (tag, i, dom) for i in range(16))
    import_rows(d, "hcp,Long One,,,,%s,,ext:long-1" % emails("a"),
                "hcp,Long Two,,,,%s,,ext:long-2" % emails("b"))
    s = redis.cmd("GET", P + "ix:ext:ext:LONG-1")
    l = redis.cmd("GET", P + "ix:ext:ext:LONG-2")
    call(redis, "rx_customer_merge", {"survivor": s, "loser": l})
    e = d.ctl("customer", "export")
    row = [r for r in csv.reader(io.StringIO(e.stdout, newline="")) if r and r[1] == "Long One"]
    t.ok(len(row) == 1 and len(row[0][5].split(";")) == 32 and len(row[0][7].split(";")) == 2,
         "export: 32 long emails and both ids of a merged customer", [len(x) for x in row[0]] if row else e.stderr)


def test_embedded(t):
    """rxdeskctl reaches an embedded Redis through <data_dir>/redis.sock;
    a default country without phone rules stops the daemon's start-up."""
    d = Daemon(embedded=True)
    s, out = import_rows(d, "hcp,Embedded,,,,emb@example.com,,")
    t.eq(s["created"], 1, "embedded: import through the daemon's Redis socket")
    e = d.ctl("customer", "export")
    t.ok(e.returncode == 0 and "emb@example.com" in e.stdout, "embedded: export", e.stderr)
    d.stop()
    r = subprocess.run([RXDESKD, "-c", d.conf_path, "--check-config"], capture_output=True,
                       text=True, env=dict(d.env, RXDESK_SERVER_DEFAULT_COUNTRY="XX"))
    t.ok(r.returncode == 1 and "default_country" in r.stderr, "config: an unknown default_country",
         r.stderr)


def test_demo(t, d, redis):
    """scripts/demo on a fresh store, twice; the CSV is what the generator writes."""
    src = os.environ.get("RXDESK_SRCDIR", ".")
    out = os.path.join(tmpdir(), "demo.csv")
    subprocess.run([sys.executable, os.path.join(src, "scripts", "gen-demo-data.py"), out],
                   check=True, capture_output=True)
    with open(out, "rb") as a, open(os.path.join(src, "scripts", "demo-data.csv"), "rb") as b:
        t.ok(a.read() == b.read(), "demo: demo-data.csv is what gen-demo-data.py writes")
    other = Redis()
    d2 = Daemon(other)
    env = dict(os.environ, RXDESKCTL=RXDESKCTL)
    runs = [subprocess.run(["bash", os.path.join(src, "scripts", "demo"), d2.conf_path],
                           capture_output=True, text=True, env=env, timeout=600)
            for _ in range(2)]
    t.ok(runs[0].returncode == 0 and "200 created" in runs[0].stdout, "demo: loads 200 customers",
         runs[0].stdout + runs[0].stderr)
    t.ok(runs[1].returncode == 0 and "200 unchanged" in runs[1].stdout,
         "demo: a second run changes nothing", runs[1].stdout + runs[1].stderr)
    types = {}
    for cid in other.cmd("ZRANGE", P + "customers", 0, -1):
        ty = other.cmd("HGET", "%sc:%s" % (P, cid), "type")
        types[ty] = types.get(ty, 0) + 1
    t.eq(types, {"hcp": 50, "hco": 50, "pharmacy": 50, "patient": 50}, "demo: 50 of each type")
    t.ok(login(d2, "maria@example.com", "demo-supervisor-1"), "demo: a demo agent logs in")
    d2.stop()
    other.stop()


def main():
    t = Tap()
    redis = Redis()
    load_functions(redis)
    d = Daemon(redis)
    t.run([lambda t: test_bad_files(t, d, redis),
           lambda t: test_import_10k(t, d, redis),
           lambda t: test_identity_forms(t, d, redis),
           lambda t: test_merge(t, d, redis),
           lambda t: test_history_and_update(t, d, redis),
           lambda t: test_api(t, d, redis),
           lambda t: test_conflict_and_progress(t, d, redis),
           lambda t: test_export_long(t, d, redis),
           test_embedded,
           lambda t: test_demo(t, d, redis)])


if __name__ == "__main__":
    main()
