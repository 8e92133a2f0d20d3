#!/usr/bin/env python3
"""Web forms: POST /api/v1/forms/{form} with real clients (http.client and
curl), all three encodings, attachments, Cyrillic and Chinese text, bad
input, honeypot, idempotent retries, rate limit, 303 for HTML, Redis away."""
import json
import os
import signal
import subprocess
import threading
import urllib.parse
import uuid

from rxtest import Daemon, Redis, Tap, wait_until, tmpdir, RXDESKD

URLENC = {"Content-Type": "application/x-www-form-urlencoded"}
FORMS = "/api/v1/forms/"


def have_ingest(redis):
    """rx_ingest is the tickets module's function (docs/datamodel.md)."""
    libs = redis.cmd("FUNCTION", "LIST", "LIBRARYNAME", "rxdesk") or []
    return "rx_ingest" in json.dumps(libs)


def multipart(fields, files=(), boundary=None):
    """A multipart/form-data body: FILES are (field, filename, type, bytes)."""
    b = boundary or "rxb" + uuid.uuid4().hex
    out = b""
    for k, v in fields.items():
        out += b"--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n" % (
            b.encode(), k.encode())
        out += (v if isinstance(v, bytes) else v.encode()) + b"\r\n"
    for field, name, ctype, data in files:
        out += (b"--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                b"Content-Type: %s\r\n\r\n" % (b.encode(), field.encode(), name.encode(),
                                                ctype.encode()))
        out += data + b"\r\n"
    out += b"--%s--\r\n" % b.encode()
    return out, {"Content-Type": "multipart/form-data; boundary=" + b}


def urlenc(fields):
    return urllib.parse.urlencode(fields).encode()


def curl(d, form, args, headers=()):
    cmd = ["curl", "-sS", "-o", "-", "-w", "\n%{http_code}", "--max-time", "20"]
    for h in headers:
        cmd += ["-H", h]
    cmd += list(args) + ["http://127.0.0.1:%d%s%s" % (d.http_port, FORMS, form)]
    out = subprocess.run(cmd, capture_output=True, timeout=60).stdout.decode("utf-8", "replace")
    body, _, status = out.rpartition("\n")
    return int(status), json.loads(body) if body.startswith("{") else body


def keys(redis):
    return sorted(redis.cmd("KEYS", "*") or [])


def good(email="olena@example.org", **extra):
    f = {"name": "Олена Коваль", "email": email, "phone": "+380 44 123 45 67",
         "subject": "Дозування", "message": "Прошу надіслати інформацію. 谢谢"}
    f.update(extra)
    return f


def test_bad_forms(t):
    redis = Redis()
    d = Daemon(redis, conf="[form tiny]\nfields = name, email, message\n"
               "required = name, message\nmax_body = 2k\nmax_files = 1\n"
               "max_file_size = 100\n")
    before = keys(redis)
    s, b = d.post(FORMS + "contact", urlenc({"name": "A", "email": "a@example.org"}), URLENC)
    t.ok(s == 422 and b["error"]["code"] == "invalid_form" and
         {"field": "message", "code": "required", "message": "is required"} in b["error"]["fields"],
         "missing required field: 422 invalid_form naming the field", b)
    s, b = d.post(FORMS + "contact", urlenc(good(email="not-an-address", phone="12ab")), URLENC)
    codes = {e["field"]: e["code"] for e in b["error"]["fields"]} if s == 422 else {}
    t.eq(codes, {"email": "invalid_email", "phone": "invalid_phone"},
         "bad email and phone: one error per field")
    s, b = d.post(FORMS + "contact", urlenc(good(subject="x" * 301)), URLENC)
    t.ok(s == 422 and b["error"]["fields"][0]["code"] == "too_long", "field too long: 422", b)
    s, b = d.post(FORMS + "tiny", urlenc({"name": "A", "email": "a@example.org",
                                          "message": "x" * 3000}), URLENC)
    t.ok(s == 413 and b["error"]["code"] == "too_large", "body over the form's max_body: 413", b)
    s, b = d.post(FORMS + "contact", b"name=%FF%FE&email=a%40example.org&message=hi", URLENC)
    t.ok(s == 422 and b["error"]["fields"][0] == {"field": "name", "code": "invalid_utf8",
         "message": "must be valid UTF-8 text"}, "invalid UTF-8 (urlencoded): 422", b)
    body, h = multipart({"name": b"\xc0\xaf", "email": "a@example.org", "message": "hi"})
    s, b = d.post(FORMS + "contact", body, h)
    t.ok(s == 422 and b["error"]["fields"][0]["code"] == "invalid_utf8",
         "invalid UTF-8 (multipart): 422", b)
    body, h = multipart(good())
    s, b = d.post(FORMS + "contact", body[:-10], h)
    t.ok(s == 400 and "multipart" in b["error"]["message"], "multipart cut short: 400", b)
    s, b = d.post(FORMS + "contact", body, {"Content-Type": "multipart/form-data"})
    t.ok(s == 400, "multipart without a boundary: 400", b)
    s, b = d.post(FORMS + "contact", '{"name": "A", "email": ', {"Content-Type": "application/json"})
    t.ok(s == 400 and b["error"]["code"] == "bad_request", "broken JSON: 400", b)
    s, b = d.post(FORMS + "contact", {"name": {"first": "A"}, "email": "a@example.org"})
    t.ok(s == 400, "JSON with a nested value: 400", b)
    s, b = d.post(FORMS + "contact", "name=A", {"Content-Type": "text/plain"})
    t.ok(s == 415 and b["error"]["code"] == "unsupported_media_type", "text/plain: 415", b)
    s, b = d.post(FORMS + "contact", b"name=A&name=B", URLENC)
    t.ok(s == 400, "a repeated field: 400", b)
    s, b = d.post(FORMS + "no-such-form", urlenc(good()), URLENC)
    t.ok(s == 404 and b["error"]["code"] == "not_found", "unknown form: 404", b)
    body, h = multipart({"name": "A", "email": "a@example.org", "message": "hi"},
                        [("f", "a.bin", "application/octet-stream", b"x" * 101)])
    s, b = d.post(FORMS + "tiny", body, h)
    t.ok(s == 422 and b["error"]["fields"][0]["code"] == "file_too_large",
         "file over max_file_size: 422", b)
    body, h = multipart({"name": "A", "email": "a@example.org", "message": "hi"},
                        [("f", "a.txt", "text/plain", b"1"), ("g", "b.txt", "text/plain", b"2")])
    s, b = d.post(FORMS + "tiny", body, h)
    t.ok(s == 422 and b["error"]["fields"][0]["code"] == "too_many_files",
         "more files than max_files: 422", b)
    s, b = d.post(FORMS + "contact", urlenc(good()), dict(URLENC, **{"Idempotency-Key": "a b"}))
    t.ok(s == 400 and b["error"]["code"] == "bad_idempotency_key", "bad Idempotency-Key: 400", b)
    t.eq(keys(redis), before, "bad forms store nothing (same Redis keys)")
    s, text, _ = d.request("GET", "/metrics")
    t.ok('rxdesk_forms_total{result="invalid"} 7' in text.decode(), "invalid forms are counted")
    d.stop()
    redis.stop()


def test_honeypot_and_limits(t):
    redis = Redis()
    d = Daemon(redis, conf="[http]\nrate_limit = 5\n")
    before = keys(redis)
    s, b = d.post(FORMS + "contact", urlenc(good(website="http://spam.example")), URLENC)
    t.ok(s == 201 and sorted(b) == ["customer_matched", "duplicate", "id", "ticket"] and
         b["ticket"] == "RX-%d" % b["id"] and b["id"] > 0 and b["duplicate"] is False,
         "honeypot filled: the same 201 a person gets", b)
    after = keys(redis)
    t.ok(not [k for k in after if k not in before and k != "rx:seq:t"] and
         not [k for k in after if k.startswith(("rx:t:", "rx:c:", "rx:ix:"))],
         "honeypot: nothing stored but the ticket counter", after)
    s2, b2 = d.post(FORMS + "contact", urlenc(good(website="x")), URLENC)
    t.ok(s2 == 201 and b2["id"] > b["id"], "a second bot post gets the next number", b2)
    statuses = [d.request("POST", FORMS + "contact", b"name=A", URLENC) for _ in range(4)]
    last = statuses[-1]
    t.ok(last[0] == 429 and int(last[2].get("retry-after", "0")) > 0 and
         last[1]["error"]["code"] == "rate_limited",
         "over the per-IP rate limit: 429 with Retry-After", [s[0] for s in statuses])
    d.stop()
    redis.stop()


def test_check_config(t):
    path = os.path.join(tmpdir(), "forms.conf")
    with open(path, "w") as f:
        f.write("[form recall]\nfields = name, email, lot\nrequired = name, batch\n")
    r = subprocess.run([RXDESKD, "-c", path, "--check-config"], capture_output=True, text=True)
    t.ok(r.returncode == 1 and "[form recall] required: batch is not in fields" in r.stderr,
         "--check-config: a required field that is not a field", r.stderr)
    with open(path, "w") as f:
        f.write("[form recall]\ncategory = recall\n")
    r = subprocess.run([RXDESKD, "-c", path, "--check-config"], capture_output=True, text=True)
    t.ok(r.returncode == 1 and "forms.conf:2: [form recall] category" in r.stderr,
         "--check-config: a bad category names file, line and key", r.stderr)


def test_reload(t):
    """SIGHUP applies [form NAME] sections: a new form appears, one goes."""
    redis = Redis()
    d = Daemon(redis, conf="[form old]\nfields = name, email, message\n")
    bad = urlenc({"name": "A"})
    t.eq(d.post(FORMS + "old", bad, URLENC)[0], 422, "a configured form answers")
    text = open(d.conf_path).read().replace("[form old]", "[form late]")
    with open(d.conf_path, "w") as f:
        f.write(text + "[form contact]\nenabled = no\n")
    d.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: d.post(FORMS + "late", bad, URLENC)[0] == 422, timeout=20,
               what="form late after SIGHUP")
    t.eq(d.post(FORMS + "old", bad, URLENC)[0], 404, "after a reload: a removed form is gone")
    t.eq(d.post(FORMS + "contact", bad, URLENC)[0], 404, "after a reload: enabled = no")
    t.eq(d.post(FORMS + "medinfo", bad, URLENC)[0], 422, "after a reload: built-ins stay")
    d.stop()
    redis.stop()


def test_redis_away(t):
    redis = Redis()
    d = Daemon(redis)
    # Every write on disk before the reply, as the embedded Redis does, so
    # what a killed Redis comes back with is exactly what it had acknowledged.
    redis.cmd("CONFIG", "SET", "appendfsync", "always")
    redis.cmd("SET", "marker", "1")
    before = keys(redis)
    redis.kill()
    wait_until(lambda: d.get("/readyz")[0] == 503, timeout=20, what="not ready")
    s, b, h = d.request("POST", FORMS + "contact", urlenc(good()), URLENC)
    t.ok(s == 503 and "retry-after" in h and b["error"]["code"] == "unavailable",
         "Redis away: 503 with Retry-After", b)
    body, hh = multipart(good(), [("file", "scan.pdf", "application/pdf", b"%PDF-1.4 x")])
    s, b, h = d.request("POST", FORMS + "medinfo", body, hh)
    t.ok(s == 503 and "retry-after" in h, "Redis away, with an attachment: 503", b)
    restart(redis)
    wait_until(lambda: d.get("/readyz")[0] == 200, timeout=30, what="ready again")
    t.eq(keys(redis), before, "Redis away: nothing half-written")
    d.stop()
    redis.stop()


def restart(redis):
    """Redis.start, tolerating "LOADING" while the AOF is read back."""
    def pong():
        try:
            return redis.cmd("PING") == "PONG"
        except RuntimeError:
            return False
    try:
        redis.start()
    except RuntimeError:
        wait_until(pong, timeout=30, what="redis-server loaded")


def ticket_of(redis, n):
    return redis.cmd("HGETALL", "rx:t:%d" % n) or []


def test_accepted(t):
    redis = Redis()
    d = Daemon(redis)
    if not t.ok(have_ingest(redis), "rx_ingest is in the function library"):
        d.stop()
        redis.stop()
        return
    s, b = d.post(FORMS + "contact", urlenc(good()),
                  dict(URLENC, **{"Accept-Language": "uk-UA,uk;q=0.9,en;q=0.8"}))
    t.ok(s == 201 and b["ticket"] == "RX-%d" % b["id"] and b["customer_matched"] is False,
         "urlencoded (Cyrillic): 201 with the ticket number", b)
    first = b
    fields = ticket_of(redis, first["id"])
    t.ok("Дозування" in fields, "the ticket has the Cyrillic subject", fields)
    t.eq(redis.cmd("HGET", "rx:t:%d" % first["id"], "lang"), "uk", "Accept-Language: the ticket's lang")
    s, b = d.post(FORMS + "medinfo", {"name": "王芳", "email": "Olena@Example.org",
                                      "message": "请提供剂量信息。", "product": "Rxamol"})
    t.ok(s == 201 and b["customer_matched"] is True and b["id"] != first["id"],
         "JSON (Chinese), same email in another case: matched", b)
    t.eq(redis.cmd("GET", "rx:ix:email:olena@example.org"),
         redis.cmd("HGET", "rx:t:%d" % b["id"], "customer"), "the same email: the same customer")
    t.eq(redis.cmd("HGET", "rx:t:%d" % b["id"], "category"), "medinfo", "medinfo form: category")
    d_dir = tmpdir()
    path = os.path.join(d_dir, "лист.txt")
    data = "Партія 123, 批号 456\n".encode() * 50
    with open(path, "wb") as f:
        f.write(data)
    s, b = curl(d, "complaint", ["-F", "name=Іван", "-F", "email=ivan@example.org",
                                 "-F", "product=Rxamol", "-F", "lot=L123",
                                 "-F", "message=Пошкоджена упаковка",
                                 "-F", "file=@%s;type=text/plain" % path])
    t.ok(s == 201 and b["customer_matched"] is False, "multipart with an attachment (curl): 201", b)
    att = [k for k in keys(redis) if k.startswith("rx:att:")]
    stored = [redis.cmd("HGETALL", k) for k in att]
    t.ok(len(att) == 1 and data.decode() in stored[0] and "лист.txt" in stored[0],
         "the attachment is in Redis under its own key", stored)
    t.eq(redis.cmd("HGET", "rx:t:%d" % b["id"], "category"), "complaint", "complaint: category")
    t.ok(len(att) == 1 and redis.cmd("LRANGE", "rx:t:%d:att" % b["id"], 0, -1) == [att[0][7:]] and
         redis.cmd("HGET", att[0], "ticket") == str(b["id"]), "the attachment is listed on the ticket")
    log = json.dumps(redis.cmd("XRANGE", "rx:t:%d:log" % b["id"], "-", "+"), ensure_ascii=False)
    t.ok("лист.txt" in log and "lot: L123" in log, "the ticket log lists the attachment and fields",
         log)
    # another message: the same one again would be a resend (docs/forms.md)
    s, b, h = d.request("POST", FORMS + "contact", urlenc(good(message="A plain post.")),
                        dict(URLENC, Accept="text/html,application/xhtml+xml"))
    t.ok(s == 303 and h.get("location", "") == "/thanks.html?ticket=RX-%d" % (first["id"] + 3),
         "plain HTML post: 303 to the redirect page with the ticket", h)
    test_idempotent(t, d, redis)
    d.stop()
    redis.stop()


def test_idempotent(t, d, redis):
    key = {"Idempotency-Key": "retry-" + uuid.uuid4().hex}
    s, first = d.post(FORMS + "contact", urlenc(good(email="retry@example.org")),
                      dict(URLENC, **key))
    before = keys(redis)
    s2, again = d.post(FORMS + "contact", urlenc(good(email="retry@example.org")),
                       dict(URLENC, **key))
    t.ok(s == 201 and s2 == 201 and again["id"] == first["id"] and again["duplicate"] is True,
         "a retry with the same Idempotency-Key returns the first answer", (first, again))
    t.eq(keys(redis), before, "the retry creates nothing")
    key = {"Idempotency-Key": "race-" + uuid.uuid4().hex}
    body, h = multipart(good(email="race@example.org"), [("f", "x.txt", "text/plain", b"x")])
    answers = []

    def post():
        answers.append(d.post(FORMS + "contact", body, dict(h, **key)))
    threads = [threading.Thread(target=post) for _ in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    ids = {b["id"] for s, b in answers if s == 201}
    t.ok(len(answers) == 6 and len(ids) == 1, "concurrent duplicates: one ticket", answers)

    def kept():
        return [k for k in keys(redis) if k.startswith("rx:att:")
                and redis.cmd("HGET", k, "name") == "x.txt"]
    try:
        wait_until(lambda: len(kept()) == 1, timeout=10, what="duplicate attachments dropped")
    except AssertionError:
        pass
    n = ids.pop() if len(ids) == 1 else 0
    t.ok(len(kept()) == 1 and redis.cmd("LRANGE", "rx:t:%d:att" % n, 0, -1) ==
         [kept()[0][len("rx:att:"):]], "concurrent duplicates: one attachment kept, on the ticket",
         kept())


if __name__ == "__main__":
    Tap().run([test_check_config, test_bad_forms, test_honeypot_and_limits, test_reload, test_redis_away, test_accepted])
