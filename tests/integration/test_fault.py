#!/usr/bin/env python3
"""Faults under load (issue 18): web forms (half with an Idempotency-Key,
half relying on the derived key) and mails (a Message-ID each) are sent
and retried until acknowledged, while rxdeskd is killed with SIGKILL and
started again at once, and Redis (appendfsync always) is killed and
restarted or frozen and thawed. Afterwards readiness has come back by
itself and every acknowledged interaction is stored exactly once.
Bounded: FAULT_SECONDS of faults (default 45), then at most a minute to
finish the retries."""
import http.client
import json
import os
import random
import signal
import smtplib
import threading
import time
import urllib.parse

from rxtest import Daemon, Redis, Tap, wait_until

SECONDS = float(os.environ.get("FAULT_SECONDS", "45"))


class Load:
    def __init__(self, d):
        self.d = d
        self.lock = threading.Lock()
        self.acked = {}         # marker -> what acknowledged it
        self.given_up = []
        self.attempts = 0
        self.stop = threading.Event()

    def note(self, marker, what):
        with self.lock:
            self.acked[marker] = what

    def form(self, marker, keyed):
        body = urllib.parse.urlencode({"name": "Fault", "email": marker + "@example.org",
                                       "subject": "fault", "message": "text " + marker})
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "Accept": "application/json"}
        if keyed:
            headers["Idempotency-Key"] = marker
        deadline = time.time() + SECONDS + 60
        while time.time() < deadline:
            self.attempts += 1
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.d.http_port, timeout=5)
                c.request("POST", "/api/v1/forms/contact", body, headers)
                r = c.getresponse()
                data = r.read()
                c.close()
                if r.status == 201:
                    self.note(marker, json.loads(data)["id"])
                    return
                if 400 <= r.status < 500 and r.status != 429:
                    raise AssertionError("form %s: %d %r" % (marker, r.status, data))
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.2)
        self.given_up.append(marker)

    def mail(self, marker):
        msg = ("From: %s@example.org\r\nTo: support@example.com\r\nSubject: fault\r\n"
               "Message-ID: <%s@example.org>\r\n\r\ntext %s\r\n" % (marker, marker, marker))
        deadline = time.time() + SECONDS + 60
        while time.time() < deadline:
            self.attempts += 1
            try:
                s = smtplib.SMTP("127.0.0.1", self.d.smtp_port, timeout=5)
                s.sendmail(marker + "@example.org", ["support@example.com"], msg.encode())
                s.quit()
                self.note(marker, "250")
                return
            except (OSError, smtplib.SMTPException):
                pass
            time.sleep(0.2)
        self.given_up.append(marker)

    def client(self, kind, k):
        i = 0
        while not self.stop.is_set():
            i += 1
            marker = "f%s%d-%d" % (kind, k, i)
            if kind == "m":
                self.mail(marker)
            else:
                self.form(marker, keyed=(kind == "k"))


def chaos(t, d, redis, until):
    """One fault every 3 to 6 s: what happened, in order."""
    done = []
    actions = ["kill_rxdeskd", "kill_redis", "freeze_redis"]
    n = 0
    while time.time() < until:
        time.sleep(random.uniform(3, 6))
        what = actions[n % len(actions)]
        n += 1
        if what == "kill_rxdeskd":
            d.proc.kill()
            d.proc.wait()
            d.log.close()
            d.start(wait_ready=False)
        elif what == "kill_redis":
            redis.kill()
            time.sleep(1)
            redis.start()
        else:
            redis.proc.send_signal(signal.SIGSTOP)
            time.sleep(3)
            redis.proc.send_signal(signal.SIGCONT)
        done.append(what)
    return done


def stored(redis, markers):
    """marker -> how many ticket log messages carry it."""
    count = {m: 0 for m in markers}
    last = int(redis.cmd("GET", "rx:seq:t") or 0)
    for n in range(1, last + 1):
        entries = redis.cmd("XRANGE", "rx:t:%d:log" % n, "-", "+") or []
        for _, fields in entries:
            f = dict(zip(fields[::2], fields[1::2]))
            if f.get("type") != "message":
                continue
            for word in (f.get("text") or "").split():
                if word in count:
                    count[word] += 1
    return count


def test_resend(t):
    """A resend without an Idempotency-Key is recognised (docs/forms.md)."""
    redis = Redis()
    d = Daemon(redis, conf="[http]\nrate_limit = 0\n[form quick]\ndedup_window = 1\n",
               start_timeout=60)
    form = {"name": "Re", "email": "re@example.org", "subject": "s", "message": "once"}
    acc = {"Accept": "application/json"}
    s1, a = d.post("/api/v1/forms/contact", form, acc)
    s2, b = d.post("/api/v1/forms/contact", form, acc)
    t.ok(s1 == 201 and s2 == 201 and b["id"] == a["id"] and b["duplicate"] and
         not a["duplicate"], "the same submission again: the first ticket, duplicate", (a, b))
    for boundary in ("xyzzy1", "plugh22"):
        body = "".join('--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
                       % (boundary, k, v) for k, v in form.items()) + "--%s--\r\n" % boundary
        s, c, _ = d.request("POST", "/api/v1/forms/contact", body.encode(), dict(acc, **{
            "Content-Type": "multipart/form-data; boundary=" + boundary}))
        t.ok(s == 201 and c["id"] == a["id"] and c["duplicate"],
             "as multipart with boundary %s: the same submission" % boundary, c)
    s, c = d.post("/api/v1/forms/contact", dict(form, message="twice"), acc)
    t.ok(s == 201 and not c["duplicate"] and c["id"] != a["id"], "another message is new", c)
    s, c = d.post("/api/v1/forms/quick", form, acc)
    time.sleep(2.2)
    s2, e = d.post("/api/v1/forms/quick", form, acc)
    t.ok(s == 201 and s2 == 201 and not e["duplicate"] and e["id"] != c["id"],
         "after the form's dedup_window the same text is a new contact", (c, e))
    ttl = redis.cmd("TTL", [k for k in redis.cmd("KEYS", "rx:dedup:formauto:contact:*")][0])
    t.ok(0 < ttl <= 600, "the derived key expires with the window (TTL %s)" % ttl)
    d.stop()
    redis.stop()


def test_fault(t):
    random.seed(18)
    redis = Redis(fsync="always")
    d = Daemon(redis, conf="[http]\nrate_limit = 0\n[redis]\ntimeout_ms = 1000\n"
               "[smtp]\nmax_per_ip = 0\n", start_timeout=60)
    load = Load(d)
    threads = [threading.Thread(target=load.client, args=(kind, k))
               for kind, k in (("k", 1), ("k", 2), ("u", 1), ("u", 2), ("m", 1), ("m", 2))]
    for th in threads:
        th.start()
    done = chaos(t, d, redis, time.time() + SECONDS)
    load.stop.set()
    for th in threads:
        th.join(timeout=120)
    t.ok(all(not th.is_alive() for th in threads), "every client finished its retries")
    wait_until(lambda: d.get("/readyz")[0] == 200, timeout=60, what="readiness back")
    t.ok(True, "readiness recovered by itself after %d faults (%s)" % (len(done), ", ".join(
        sorted("%s x%d" % (w, done.count(w)) for w in set(done)))))
    t.ok(len(done) >= 6 and "kill_rxdeskd" in done and "kill_redis" in done
         and "freeze_redis" in done, "every kind of fault happened")
    acked = dict(load.acked)
    forms = sum(1 for m in acked if not m.startswith("fm"))
    t.ok(len(acked) > 50, "%d interactions acknowledged (%d forms, %d mails) in %d attempts"
         % (len(acked), forms, len(acked) - forms, load.attempts))
    count = stored(redis, list(acked) + load.given_up)
    lost = [m for m in acked if count[m] == 0]
    twice = [m for m in acked if count[m] > 1]
    t.eq(lost, [], "no acknowledged interaction is lost")
    t.eq(twice, [], "none is stored twice (keyed forms, derived keys, Message-IDs)")
    t.ok(all(count[m] <= 1 for m in load.given_up), "what was never acknowledged is stored "
         "at most once (%d given up)" % len(load.given_up))
    t.eq(d.stop(), 0, "rxdeskd stops cleanly afterwards")
    redis.stop()


if __name__ == "__main__":
    Tap().run([test_resend, test_fault])
