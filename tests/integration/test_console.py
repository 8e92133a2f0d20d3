#!/usr/bin/env python3
"""The agent console in Debian's Chromium (playwright-core): a real browser
against a real rxdeskd and redis-server."""
import json
import os
import shutil
import subprocess
import sys

from rxtest import Daemon, Redis, Tap, add_agent, SRCDIR, BUILDDIR

SCRIPT = os.path.join(SRCDIR, "tests", "integration", "browser", "console.js")
CONF = "[auth]\nscrypt_n = 1024\n[http]\nrate_limit = 0\n"


def missing():
    if not os.path.exists("/usr/bin/chromium"):
        return "chromium not installed"
    if not os.path.isdir(os.path.join(SRCDIR, "tests", "node_modules", "playwright-core")):
        return "tests/node_modules lacks playwright-core"
    if shutil.which("node") is None:
        return "node not installed"
    return None


def test_console(t):
    redis = Redis()
    d = Daemon(redis, conf=CONF)
    add_agent(redis, "desk@example.com", password="desk pass 1", roles="agent,supervisor",
              name="Olha Desk")
    first = {"name": "Олена Коваль", "email": "olena.koval@example.org",
             "subject": "Перше звернення", "message": "Перше питання."}
    s, _ = d.post("/api/v1/forms/contact", first, {"Accept": "application/json"})
    t.eq(s, 201, "an earlier form from the customer")
    second = dict(first, subject="Дозування препарату",
                  message="Прошу інформацію про дозування при нирковою недостатності.")
    s, _ = d.post("/api/v1/forms/medinfo", second, {"Accept": "application/json"})
    t.eq(s, 201, "the form the agent opens")
    s, _ = d.post("/api/v1/forms/contact", {"name": "X", "email": "x@example.org",
                  "subject": "<b>bold</b><img src=x onerror=alert(1)>", "message": "hi"},
                  {"Accept": "application/json"})
    t.eq(s, 201, "a form with HTML in its subject")
    s, _ = d.post("/api/v1/forms/contact", {"name": "Dr Reporter", "email": "dr.rep@example.org",
                  "subject": "Rash report",
                  "message": "After the second dose my patient developed a severe rash."},
                  {"Accept": "application/json"})
    t.eq(s, 201, "a form reporting an adverse event")
    out = subprocess.run(["node", SCRIPT, "http://127.0.0.1:%d" % d.http_port,
                          "desk@example.com", "desk pass 1", BUILDDIR],
                         capture_output=True, text=True, timeout=180)
    lines = [l for l in out.stdout.splitlines() if l.startswith("{")]
    t.ok(lines, "the browser script ran", out.stderr[-2000:])
    for l in lines:
        r = json.loads(l)
        t.ok(r["ok"], "console: " + r["name"], json.dumps(r.get("diag"), ensure_ascii=False))
    d.stop()
    redis.stop()


SAFETY_SCRIPT = os.path.join(SRCDIR, "tests", "integration", "browser", "safety.js")


def test_safety_console(t):
    """The safety desk's view (web/safety.js, docs/safety.md)."""
    redis = Redis()
    d = Daemon(redis, conf=CONF + "[safety]\nencryption_key = k1:" + "5a" * 32 + "\n")
    add_agent(redis, "iryna@example.com", password="safety pass 1", roles="safety",
              name="Iryna Safety")
    s, b = d.post("/api/v1/forms/ae-report", {
        "name": "Dr Koval", "email": "koval@example.org", "patient_initials": "TK",
        "patient_age": "61", "patient_sex": "male", "product": "Cardiolex",
        "reaction": "Dizziness", "outcome": "recovered"}, {"Accept": "application/json"})
    t.eq(s, 201, "an ae-report form")
    s, _ = d.post("/api/v1/forms/contact", {"name": "Mail Doctor", "email": "md@example.org",
                  "subject": "Rash after Cardiolex",
                  "message": "My patient developed a rash. <img src=x onerror=alert(1)>"},
                  {"Accept": "application/json"})
    t.eq(s, 201, "a contact form reporting a rash (flagged by the screener)")
    import time
    deadline = time.time() + 20
    while time.time() < deadline and not redis.cmd("KEYS", "rx:case:t:*"):
        time.sleep(0.2)
    out = subprocess.run(["node", SAFETY_SCRIPT, "http://127.0.0.1:%d" % d.http_port,
                          "iryna@example.com", "safety pass 1", BUILDDIR],
                         capture_output=True, text=True, timeout=180)
    lines = [l for l in out.stdout.splitlines() if l.startswith("{")]
    t.ok(lines, "the browser script ran", out.stderr[-2000:])
    for l in lines:
        r = json.loads(l)
        t.ok(r["ok"], "safety console: " + r["name"], json.dumps(r.get("diag"), ensure_ascii=False))
    d.stop()
    redis.stop()


if __name__ == "__main__":
    why = missing()
    if why:
        print("1..0 # SKIP " + why)
        sys.exit(0)
    Tap().run([test_console, test_safety_console])
