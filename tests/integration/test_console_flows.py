#!/usr/bin/env python3
"""Whole flows through the console in Debian's Chromium (issue 17;
tests/integration/browser/flows.js): a chat between the widget's demo page
and the desk's chat tabs; a screen pop from a Twilio webhook signed by
Twilio's helper library; a safety officer opening a case from a flagged
ticket and exporting its E2B; two agents on two nodes seeing each other on
the same ticket (the collision notice). Screenshots in tests/browser/out/."""
import json
import os
import subprocess
import sys
import time

from rxtest import Daemon, Redis, Tap, add_agent, login, SRCDIR
from test_console import missing

SCRIPT = os.path.join(SRCDIR, "tests", "integration", "browser", "flows.js")
SHOTS = os.path.join(SRCDIR, "tests", "browser", "out")
CONF = "[auth]\nscrypt_n = 1024\n[http]\nrate_limit = 0\n[routing]\nwrapup_seconds = 0\n"
TWILIO = "12345678901234567890123456789012"


def run(t, mode, d, *args):
    os.makedirs(SHOTS, exist_ok=True)
    out = subprocess.run(["node", SCRIPT, mode, "http://127.0.0.1:%d" % d.http_port, SHOTS]
                         + [str(a) for a in args], capture_output=True, text=True, timeout=240)
    lines = [json.loads(l) for l in out.stdout.splitlines() if l.startswith("{")]
    t.ok(lines, mode + ": the browser script ran", out.stderr[-2000:])
    for r in lines:
        t.ok(r["ok"], mode + ": " + r["name"], json.dumps(r.get("diag"), ensure_ascii=False)[:3000])


def test_chat(t):
    redis = Redis()
    d = Daemon(redis, conf=CONF)
    add_agent(redis, "petro@example.com", password="agent pass 1", roles="agent", name="Petro Chat")
    run(t, "chat", d, "petro@example.com", "agent pass 1")
    d.stop()
    redis.stop()


def test_voice(t):
    if not os.path.isdir(os.path.join(SRCDIR, "tests", "node_modules", "twilio")):
        t.ok(True, "# SKIP tests/node_modules/twilio is missing")
        return
    redis = Redis()
    d = Daemon(redis, conf=CONF + "[voice]\ntwilio_auth_token = %s\n" % TWILIO)
    add_agent(redis, "vira@example.com", password="agent pass 1", roles="agent", name="Vira Voice")
    s, b, _ = d.request("PUT", "/api/v1/agents/me/voice", {"identity": "client:vira"},
                        {"Authorization": "Bearer " + login(d, "vira@example.com", "agent pass 1")})
    t.eq(s, 200, "the agent's dial identity")
    s, _ = d.post("/api/v1/forms/contact", {"name": "Olena Koval", "email": "olena@example.org",
                  "phone": "+380441234567", "subject": "Dose", "message": "Please call me"},
                  {"Accept": "application/json"})
    t.eq(s, 201, "a known caller (a form with her phone)")
    run(t, "voice", d, "vira@example.com", "agent pass 1", TWILIO)
    d.stop()
    redis.stop()


def test_safety(t):
    redis = Redis()
    d = Daemon(redis, conf=CONF + "[safety]\nencryption_key = k1:" + "5a" * 32 + "\n")
    add_agent(redis, "iryna@example.com", password="safety pass 1", roles="safety",
              name="Iryna Safety")
    s, _ = d.post("/api/v1/forms/contact", {"name": "Mail Doctor", "email": "md@example.org",
                  "subject": "Rash after Cardiolex",
                  "message": "My patient developed a rash after Cardiolex."},
                  {"Accept": "application/json"})
    t.eq(s, 201, "a contact form reporting a rash (flagged by the screener)")
    run(t, "safety", d, "iryna@example.com", "safety pass 1")
    d.stop()
    redis.stop()


def test_collide(t):
    redis = Redis()
    a = Daemon(redis, conf=CONF + "[server]\nnode_id = node-a\n")
    b = Daemon(redis, conf=CONF + "[server]\nnode_id = node-b\n")
    add_agent(redis, "anna@example.com", password="agent pass 1", roles="agent", name="Anna Node-A")
    add_agent(redis, "bohdan@example.com", password="agent pass 2", roles="agent",
              name="Bohdan Node-B")
    s, body = a.post("/api/v1/forms/contact", {"name": "Taras", "email": "taras@example.org",
                     "subject": "Two agents, one ticket", "message": "Who answers?"},
                     {"Accept": "application/json"})
    t.eq(s, 201, "a ticket both open")
    n = int(str(body["ticket"]).replace("RX-", ""))
    run(t, "collide", a, "http://127.0.0.1:%d" % b.http_port, n,
        "anna@example.com", "agent pass 1", "bohdan@example.com", "agent pass 2")
    a.stop()
    b.stop()
    redis.stop()


if __name__ == "__main__":
    why = missing()
    if why:
        print("1..0 # SKIP " + why)
        sys.exit(0)
    tests = [test_collide, test_chat, test_voice, test_safety]
    only = os.environ.get("FLOWS")  # e.g. FLOWS=chat,voice
    Tap().run([f for f in tests if not only or f.__name__[5:] in only.split(",")])
