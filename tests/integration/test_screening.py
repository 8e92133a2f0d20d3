#!/usr/bin/env python3
"""Adverse-event and complaint screening on every channel that exists:
the text decides, whatever form or address it came through."""
import json
import smtplib
import time

from rxtest import Daemon, Redis, Tap, wait_until

CONF = "[http]\nrate_limit = 0\n"
ACCEPT = {"Accept": "application/json"}


def ticket(redis, n):
    flat = redis.cmd("HGETALL", "rx:t:%d" % n)
    return dict(zip(flat[::2], flat[1::2]))


def screening_explains(redis, n, text):
    """The log entry carries the screening: hits with byte offsets into the
    text that point at the words that fired."""
    ent = redis.cmd("XRANGE", "rx:t:%d:log" % n, "-", "+")
    fields = dict(zip(ent[0][1][::2], ent[0][1][1::2])) if ent else {}
    scr = json.loads(fields.get("screening", "null") or "null")
    if not scr or not scr.get("hits"):
        return False
    stored = {"text": fields.get("text", "").encode(), "subject": fields.get("subject", "").encode()}
    for h in scr["hits"]:
        raw = stored.get(h.get("where", "text"), b"")
        if not (0 <= h["start"] < h["end"] <= len(raw)):
            print("# bad offsets", h, len(raw))
            return False
        raw[h["start"]:h["end"]].decode()  # a whole UTF-8 sequence, or this raises
    return True


def test_forms(t, d, redis):
    cases = [
        ("contact", "Після прийому препарату з'явився висип, дитину госпіталізували.",
         "ae", {"ae"}),
        ("contact", "After the second dose my patient developed a severe rash.", "ae", {"ae"}),
        ("medinfo", "服用后出现皮疹和不良反应", "ae", {"ae"}),
        ("contact", "Упаковка пошкоджена, таблетки розкришені.", "complaint", {"complaint"}),
        ("complaint", "The blister was broken and the patient had a rash after taking it.",
         "ae", {"ae", "complaint"}),
        ("contact", "Where can I find the product leaflet?", "general", set()),
    ]
    for form, text, category, flags in cases:
        s, body = d.post("/api/v1/forms/" + form,
                         {"name": "Reporter", "email": "reporter@example.org",
                          "subject": "Report", "message": text, "product": "Cardiomax 5 mg",
                          "lot": "A1234"}, ACCEPT)
        if not t.eq(s, 201, "%s form accepted" % form):
            continue
        tk = ticket(redis, body["id"])
        got = set(f for f in tk.get("flags", "").split(",") if f)
        t.ok(tk.get("category") == category and got == flags,
             "%s form %r: category %s flags %s" % (form, text[:30], category, sorted(flags)),
             "got %s %s" % (tk.get("category"), sorted(got)))
        if flags:
            t.ok(tk.get("priority") in ("high", "urgent"), "a screening hit raises the priority",
                 tk.get("priority"))
            t.ok(screening_explains(redis, body["id"], text),
                 "the message on the ticket's log says which words fired, where", text[:30])


def test_mail(t, d, redis):
    msg = ("From: Dr Petrenko <petrenko@clinic.example.org>\r\nTo: support@example.com\r\n"
           "Subject: =?utf-8?b?0J/QuNGC0LDQvdC90Y8=?=\r\nMessage-ID: <scr-1@clinic.example.org>\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n\r\n"
           "Пацієнтка повідомила про побічну реакцію: набряк обличчя.\r\n").encode()
    with smtplib.SMTP("127.0.0.1", d.smtp_port, timeout=30) as s:
        s.sendmail("petrenko@clinic.example.org", ["support@example.com"], msg)
    n = wait_until(lambda: redis.cmd("GET", "rx:msgid:<scr-1@clinic.example.org>"),
                   what="the mail's ticket")
    tk = ticket(redis, int(n))
    t.ok(tk.get("category") == "ae" and "ae" in tk.get("flags", ""),
         "mail to support@ reporting a reaction is screened as an adverse event",
         "%s %s" % (tk.get("category"), tk.get("flags")))


if __name__ == "__main__":
    redis = Redis()
    d = Daemon(redis, conf=CONF)
    Tap().run([lambda t: test_forms(t, d, redis), lambda t: test_mail(t, d, redis)])
