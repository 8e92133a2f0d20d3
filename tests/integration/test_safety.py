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
                    login, bearer)

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


def ticket(redis, n):
    flat = redis.cmd("HGETALL", "rx:t:%d" % n) or []
    return dict(zip(flat[0::2], flat[1::2]))


def send_mail(d, rcpt, subject, body, frm="doctor@example.org"):
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


TESTS = [test_unknown_queues, test_flagged_routing]

if __name__ == "__main__":
    Tap().run(TESTS)
