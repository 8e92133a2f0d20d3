#!/usr/bin/env python3
"""The console an operator works in (issue 17) in Debian's Chromium
(tests/integration/browser/desk.js): sign-in, the dashboard within a second,
the public forms with and without JavaScript, presence, a live form, a reply
that leaves through mail-out (an aiosmtpd sink here), customer text as
text, shortcuts, Ukrainian. Screenshots go to tests/browser/out/."""
import email
import email.policy
import json
import os
import subprocess
import sys
import threading
import time

from rxtest import Daemon, Redis, Tap, add_agent, free_port, SRCDIR
from test_console import missing

SCRIPT = os.path.join(SRCDIR, "tests", "integration", "browser", "desk.js")
SHOTS = os.path.join(SRCDIR, "tests", "browser", "out")


class Sink:
    def __init__(self):
        self.lock = threading.Lock()
        self.mails = []

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.mails.append((list(envelope.rcpt_tos), msg))
        return "250 2.0.0 queued"

    def to(self, addr):
        with self.lock:
            return [m for (rcpts, m) in self.mails if addr in rcpts]


def test_desk(t):
    from aiosmtpd.controller import Controller
    sink = Sink()
    port = free_port()
    ctl = Controller(sink, hostname="127.0.0.1", port=port)
    ctl.start()
    redis = Redis()
    conf = ("[auth]\nscrypt_n = 1024\n[http]\nrate_limit = 0\n"
            "[mail_out]\nrelay = 127.0.0.1:%d\nstarttls = no\ntimeout = 10\npoll_ms = 100\n"
            "templates = %s\n" % (port, os.path.join(SRCDIR, "etc", "templates")))
    d = Daemon(redis, conf=conf)
    add_agent(redis, "olena@example.com", password="agent pass 1", roles="agent", name="Olena Koval")
    add_agent(redis, "maria@example.com", password="supervisor pass 1", roles="supervisor",
              name="Maria Supervisor")
    os.makedirs(SHOTS, exist_ok=True)
    out = subprocess.run(["node", SCRIPT, "http://127.0.0.1:%d" % d.http_port, SHOTS],
                         capture_output=True, text=True, timeout=240)
    lines = [json.loads(l) for l in out.stdout.splitlines() if l.startswith("{")]
    t.ok(lines, "the browser script ran", out.stderr[-2000:])
    reply = None
    for r in lines:
        if "reply_ticket" in r:
            reply = r["reply_ticket"]
            continue
        t.ok(r["ok"], "desk: " + r["name"], json.dumps(r.get("diag"), ensure_ascii=False))
    t.ok(reply, "the agent replied to a ticket")
    deadline = time.time() + 15
    got = []
    while time.time() < deadline:
        got = [m for m in sink.to("ivanna.live@example.org") if "grapefruit" in m.get_body(("plain",)).get_content()]
        if got:
            break
        time.sleep(0.2)
    t.ok(got, "the reply left through mail-out to the form's address")
    if got:
        t.ok("[RX-%d]" % reply in got[0]["Subject"], "its subject carries the ticket number", got[0]["Subject"])
    shots = sorted(os.listdir(SHOTS))
    t.ok({"signin.png", "dashboard.png", "desk-reply.png", "form-nojs.png"} <= set(shots),
         "screenshots saved under tests/browser/out/", shots)
    d.stop()
    redis.stop()
    ctl.stop()


def test_strings(t):
    """English and Ukrainian are complete: the same keys, no empty string."""
    d = os.path.join(SRCDIR, "web", "i18n")
    en = json.load(open(os.path.join(d, "en.json"), encoding="utf-8"))
    uk = json.load(open(os.path.join(d, "uk.json"), encoding="utf-8"))
    t.eq(sorted(set(en) ^ set(uk)), [], "en.json and uk.json have the same keys")
    t.eq([k for k in uk if not uk[k].strip()], [], "no Ukrainian string is empty")


if __name__ == "__main__":
    why = missing()
    if why:
        print("1..0 # SKIP " + why)
        sys.exit(0)
    try:
        import aiosmtpd  # noqa: F401
    except ImportError:
        print("1..0 # SKIP python3-aiosmtpd is not installed (scripts/bootstrap)")
        sys.exit(0)
    Tap().run([test_strings, test_desk])
