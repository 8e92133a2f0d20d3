#!/usr/bin/env python3
"""Mail in: real SMTP and LMTP clients (smtplib, raw sockets, swaks,
Postfix's smtp-source when installed) against rxdeskd on a private Redis.
Covers: relay refusal, limits, Redis away (451), duplicates, threading by
tag, References and token address, auto/bounce flags, the MIME corpus,
LMTP per-recipient replies, STARTTLS."""
import glob
import json
import os
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import time

from rxtest import Daemon, Redis, Tap, wait_until, SRCDIR, tmpdir, add_agent, login, bearer

CORPUS = os.path.join(SRCDIR, "tests", "data", "mail")
CONF = "[queue ae]\nstrategy = leastrecent\n" \
       "[smtp]\ndomains = example.com, example.org\nhostname = rxdesk.test\n" \
       "max_size = 2m\nmax_rcpt = 5\nmax_sessions = 6\nqueues = support:general, safety:ae\n"


def mail(frm, subject, body, msgid, extra=""):
    return ("From: %s\r\nTo: support@example.com\r\nSubject: %s\r\n"
            "Message-ID: %s\r\n%sContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n"
            % (frm, subject, msgid, extra, body)).encode()


def send(d, frm, rcpts, data):
    """One message with smtplib; returns (code, text) of the DATA reply."""
    with smtplib.SMTP("127.0.0.1", d.smtp_port, timeout=30) as s:
        s.ehlo("client.test")
        code, text = s.mail(frm)
        if code != 250:
            return code, text.decode()
        for r in rcpts:
            code, text = s.rcpt(r)
            if code != 250:
                return code, text.decode()
        code, text = s.data(data)
        return code, text.decode()


def ticket_of(text):
    return int(text.rsplit("RX-", 1)[1])


def log_entries(redis, n):
    """The messages on ticket N's log (events and notes left out)."""
    out = []
    for _id, flat in redis.cmd("XRANGE", "rx:t:%d:log" % n, "-", "+"):
        e = dict(zip(flat[0::2], flat[1::2]))
        if e.get("type") == "message":
            out.append(e)
    return out


def dialogue(port, lines, nreplies, timeout=30):
    """Send LINES on a raw socket; read until NREPLIES final reply lines."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    f = s.makefile("rb")
    got = [f.readline().decode().rstrip("\r\n")]
    s.sendall(lines)
    finals = 0
    while finals < nreplies:
        line = f.readline().decode()
        if not line:
            break
        line = line.rstrip("\r\n")
        got.append(line)
        if len(line) >= 4 and line[3] == " ":
            finals += 1
    s.close()
    return got


def test_protocol(t, d, redis):
    with smtplib.SMTP("127.0.0.1", d.smtp_port, timeout=30) as s:
        code, text = s.ehlo("client.test")
        t.ok(code == 250 and b"PIPELINING" in text and b"SIZE 2097152" in text
             and b"ENHANCEDSTATUSCODES" in text and b"8BITMIME" in text,
             "EHLO lists the extensions", text)
        t.ok(b"STARTTLS" not in text, "no STARTTLS without a certificate")
        s.mail("a@client.test")
        code, text = s.rcpt("someone@elsewhere.net")
        t.eq((code, text[:5]), (550, b"5.7.1"), "relay to another domain refused 550 5.7.1")
        code, _ = s.verify("x")
        t.eq(code, 252, "VRFY 252")
    code, text = send(d, "a@client.test", ["support@example.com"], b"Subject: big\r\n\r\n" +
                      (b"x" * 998 + b"\r\n") * 2200)
    t.eq((code, text[:5]), (552, "5.3.4"), "message over max_size: 552 5.3.4")


def acks(redis, n):
    """Acknowledgements queued in rx:outbox for ticket N."""
    out = 0
    for _id, flat in redis.cmd("XRANGE", "rx:outbox", "-", "+") or []:
        f = dict(zip(flat[0::2], flat[1::2]))
        out += f.get("ticket") == str(n) and f.get("kind") == "ack"
    return out


def test_ingest_and_threading(t, d, redis):
    code, text = send(d, "Alice <alice@clinic.example.org>", ["support@example.com"],
                      mail("Alice <alice@clinic.example.org>", "Rash after tablets", "Hello, a rash.",
                           "<m1@clinic.example.org>"))
    t.ok(code == 250 and "RX-" in text, "a message is accepted with its ticket", text)
    n = ticket_of(text)
    tk = redis.cmd("HGETALL", "rx:t:%d" % n)
    t.ok(tk and "email" in tk[tk.index("channel") + 1], "the ticket exists, channel email", tk)
    ent = log_entries(redis, n)
    t.ok(ent and "Hello, a rash." in ent[0].get("text", ""), "the text is on the ticket log", ent)
    raw = ent[0].get("raw", "") if ent else ""
    t.ok(raw.startswith("rx:raw:") and "Hello, a rash." in (redis.cmd("GET", raw) or ""),
         "the raw message is in Redis under the key the log names", raw)
    t.eq(redis.cmd("GET", "rx:msgid:<m1@clinic.example.org>"), str(n), "Message-ID indexed")
    t.eq(acks(redis, n), 1, "a person's mail gets an acknowledgement queued")
    # a reply with the tag only
    code, text = send(d, "alice@clinic.example.org", ["support@example.com"],
                      mail("alice@clinic.example.org", "Re: [RX-%d] Rash after tablets" % n,
                           "more", "<m2@clinic.example.org>"))
    t.eq(ticket_of(text), n, "a reply threads by the [RX-n] tag")
    # a reply with References only (subject rewritten)
    code, text = send(d, "alice@clinic.example.org", ["support@example.com"],
                      mail("alice@clinic.example.org", "AW: something else", "by refs",
                           "<m3@clinic.example.org>",
                           "In-Reply-To: <m1@clinic.example.org>\r\nReferences: <m1@clinic.example.org>\r\n"))
    t.eq(ticket_of(text), n, "a reply threads by In-Reply-To/References")
    # a stranger with the tag opens a new ticket
    code, text = send(d, "mallory@evil.example", ["support@example.com"],
                      mail("mallory@evil.example", "Re: [RX-%d]" % n, "hijack", "<m4@evil.example>"))
    t.ok(code == 250 and ticket_of(text) != n, "the tag alone does not thread another customer's mail")
    # the token address
    tok = redis.cmd("HGET", "rx:t:%d" % n, "token")
    code, text = send(d, "bob@other.example", ["support+%s@example.com" % tok],
                      mail("bob@other.example", "no tag", "via token", "<m5@other.example>"))
    t.eq(ticket_of(text), n, "mail to support+<token>@ threads to its ticket")
    # duplicate Message-ID
    before = redis.cmd("XLEN", "rx:t:%d:log" % n)
    code, text = send(d, "alice@clinic.example.org", ["support@example.com"],
                      mail("alice@clinic.example.org", "Re: [RX-%d]" % n, "more", "<m2@clinic.example.org>"))
    t.ok(code == 250 and ticket_of(text) == n, "the same Message-ID again: 250", text)
    t.eq(redis.cmd("XLEN", "rx:t:%d:log" % n), before, "... and recorded once")
    # no Message-ID at all: the same bytes twice are stored once
    bare = b"From: dora@clinic.example.org\r\nSubject: no id\r\n\r\nno message-id here\r\n"
    c1, x1 = send(d, "dora@clinic.example.org", ["support@example.com"], bare)
    c2, x2 = send(d, "dora@clinic.example.org", ["support@example.com"], bare)
    t.ok(c1 == 250 and c2 == 250 and ticket_of(x1) == ticket_of(x2) and
         len(log_entries(redis, ticket_of(x1))) == 1,
         "without a Message-ID a retried message is stored once", (x1, x2))
    # queue mapping
    code, text = send(d, "carol@clinic.example.org", ["safety@example.com"],
                      mail("carol@clinic.example.org", "side effect", "x", "<m6@clinic.example.org>"))
    t.eq(redis.cmd("HGET", "rx:t:%d" % ticket_of(text), "queue"), "ae", "safety@ goes to queue ae")
    tk = redis.cmd("HGETALL", "rx:t:%d" % n)
    tk = dict(zip(tk[0::2], tk[1::2]))
    t.ok(tk.get("category") == "ae" and "ae" in tk.get("flags", "") and
         tk.get("priority") in ("high", "urgent"),
         "a mail about a rash is screened: category ae, flag ae, priority high", tk)
    return n


def test_noise(t, d, redis, n):
    data = open(os.path.join(CORPUS, "autoreply.eml"), "rb").read()
    code, text = send(d, "olena@clinic.example.org", ["support@example.com"], data)
    ent = log_entries(redis, ticket_of(text))[-1]
    f = json.loads(ent.get("fields", "{}"))
    t.ok(f.get("auto") is True and f.get("auto_submitted") is True and
         f.get("no_autoreply") == "auto-submitted", "an auto-reply is flagged auto", f)
    t.eq(acks(redis, ticket_of(text)), 0, "... and gets no acknowledgement")
    t.ok(f.get("to") == ["support@example.com"], "To is recorded", f)
    data = open(os.path.join(CORPUS, "list.eml"), "rb").read()
    code, text = send(d, "x@example.org.invalid", ["support@example.com"], data)
    f = json.loads(log_entries(redis, ticket_of(text))[-1].get("fields", "{}"))
    t.ok(f.get("bulk") is True and f.get("auto") is True, "list mail is flagged bulk", f)
    t.eq(acks(redis, ticket_of(text)), 0, "... and gets no acknowledgement")
    code, text = send(d, "echo@other.example", ["support@example.com"],
                      mail("echo@other.example", "Re: hello", "an echo of our own mail",
                           "<RX-1.77.abc@rxdesk.test>"))
    f = json.loads(log_entries(redis, ticket_of(text))[-1].get("fields", "{}"))
    t.ok(f.get("loop") is True and f.get("auto") is True, "our own Message-ID coming back is a loop", f)
    t.eq(acks(redis, ticket_of(text)), 0, "... and gets no acknowledgement")
    dsn = ("From: MAILER-DAEMON@mx.example.net\r\nTo: support@example.com\r\n"
           "Subject: Undelivered Mail\r\nMessage-ID: <dsn-it@mx.example.net>\r\n"
           "Content-Type: multipart/report; report-type=delivery-status; boundary=R\r\n\r\n"
           "--R\r\nContent-Type: text/plain\r\n\r\nFailed.\r\n"
           "--R\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
           "Final-Recipient: rfc822; gone@example.net\r\nStatus: 5.1.1\r\n\r\n"
           "--R\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: support@example.com\r\n"
           "Message-ID: <m1@clinic.example.org>\r\n\r\n--R--\r\n").encode()
    code, text = send(d, "", ["support@example.com"], dsn)
    t.eq(ticket_of(text), n, "a bounce (RFC 3464) is recorded on the ticket of the bounced mail")
    f = json.loads(log_entries(redis, n)[-1].get("fields", "{}"))
    t.ok(f.get("bounce") is True and f.get("bounced_msgid") == "<m1@clinic.example.org>",
         "... flagged bounce with the bounced Message-ID", f)


def test_corpus(t, d, redis):
    bad = []
    for path in sorted(glob.glob(os.path.join(CORPUS, "*.eml"))):
        code, text = send(d, "corpus@client.test", ["medinfo@example.com"],
                          open(path, "rb").read())
        if code != 250:
            bad.append((os.path.basename(path), code, text))
    t.ok(not bad, "every corpus message (charsets, broken MIME, NULs, bare LF, huge headers) "
         "is accepted", bad)
    code, text = send(d, "corpus@client.test", ["medinfo@example.com"],
                      open(os.path.join(CORPUS, "cp1251.eml"), "rb").read().replace(
                          b"cp1251.eml@", b"cp1251-again@"))
    ent = log_entries(redis, ticket_of(text))[-1]
    t.ok("Добрий день! Ліки викликали висип" in ent.get("text", ""),
         "windows-1251 text arrives as UTF-8", ent.get("text"))
    code, text = send(d, "corpus@client.test", ["medinfo@example.com"],
                      open(os.path.join(CORPUS, "truncated.eml"), "rb").read())
    n = ticket_of(text)
    ent = log_entries(redis, n)[-1]
    t.ok("malformed" in (redis.cmd("HGET", "rx:t:%d" % n, "flags") or "") or
         "malformed" in ent.get("fields", ""), "broken MIME is flagged for a person", ent)
    code, text = send(d, "corpus@client.test", ["medinfo@example.com"],
                      open(os.path.join(CORPUS, "nested.eml"), "rb").read().replace(
                          b"nested@", b"nested-again@"))
    n = ticket_of(text)
    atts = redis.cmd("LRANGE", "rx:t:%d:att" % n, 0, -1) or []
    t.eq(len(atts), 1, "a nested multipart lists its attachment, not the cid: image")
    f = json.loads(log_entries(redis, n)[-1].get("fields", "{}"))
    t.eq(f.get("inline"), 1, "... which is counted inline")
    if atts:
        h = redis.cmd("HGETALL", "rx:att:" + atts[-1])
        h = dict(zip(h[0::2], h[1::2])) if h else {}
        t.ok(h.get("name") == "звіт.pdf" and h.get("size") == "3009" and
             h.get("ticket") == str(n), "rx:att:<id> holds the attachment", h)


def raw_send(port, frm, rcpt, data, lmtp=False):
    """DATA bytes exactly as given (smtplib would rewrite bare LF); the
    reply lines after the final dot."""
    hello = b"LHLO c\r\n" if lmtp else b"EHLO c\r\n"
    got = dialogue(port, hello + b"MAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nDATA\r\n"
                   % (frm.encode(), rcpt.encode()) + data + b".\r\n", 5)
    return got[-1]


def fields_of(redis, n):
    return json.loads(log_entries(redis, n)[-1].get("fields", "{}"))


def test_real_mail(t, d, redis):
    """Issue 12: the defects found with real mail, end to end."""
    # the raw copy is the bytes after DATA: bare LF kept, dot-unstuffed
    body = (b"From: lf@clinic.example.org\nSubject: bare LF\nMessage-ID: <lf1@c>\n\n"
            b"line one\n..dot line\r\nmixed\n")
    last = raw_send(d.smtp_port, "lf@clinic.example.org", "support@example.com", body)
    n = ticket_of(last)
    ent = log_entries(redis, n)[-1]
    t.eq(redis.cmd("GET", ent.get("raw", "")), body.replace(b"\n..dot", b"\n.dot").decode(),
         "the raw copy is exactly the bytes after DATA, dot-unstuffed, bare LF kept")
    t.ok(fields_of(redis, n).get("received", "").startswith("Received: from c"),
         "our Received: line is kept beside it, in the fields")
    # a Subject of padded B-words, folded (Outlook, Gmail)
    subj = ("=?UTF-8?B?0J/QvtCx0ZbRh9C90LAg0LTRltGPINC/0ZbRgdC70Y8=?=\r\n"
            " =?UTF-8?B?INC00YDRg9Cz0L7RlyDQtNC+0LfQuA==?=")
    code, text = send(d, "a@clinic.example.org", ["support@example.com"],
                      mail("a@clinic.example.org", subj, "x", "<subj1@c>"))
    n = ticket_of(text)
    t.eq(redis.cmd("HGET", "rx:t:%d" % n, "subject"), "Побічна дія після другої дози",
         "a Subject of several padded B-words is whole")
    # the loop: our product's marker in X-Loop with the default-like hostname
    code, text = send(d, "robot@other.example", ["support@example.com"],
                      mail("robot@other.example", "Re: your ticket", "loop", "<loop1@other>",
                           "X-Loop: rxdesk\r\n"))
    n = ticket_of(text)
    f = fields_of(redis, n)
    t.ok(f.get("loop") is True and f.get("no_autoreply") == "x-loop",
         "X-Loop with the product's marker is a loop", f)
    t.eq(acks(redis, n), 0, "... and gets no acknowledgement")
    code, text = send(d, "x@other.example", ["support@example.com"],
                      mail("x@other.example", "hi", "rp", "<rp1@other>", "Return-Path: <>\r\n"))
    t.eq(acks(redis, ticket_of(text)), 0, "Return-Path: <> (RFC 3834): no acknowledgement")
    # malformed: flagged with the reason, on the ticket and in the API
    code, text = send(d, "mb@clinic.example.org", ["support@example.com"],
                      ("From: mb@clinic.example.org\r\nSubject: cut\r\nMessage-ID: <mb1@c>\r\n"
                       "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
                       "--B\r\nContent-Type: text/plain\r\n\r\nthe text survives\r\n").encode())
    n = ticket_of(text)
    f = fields_of(redis, n)
    t.ok("closing boundary" in f.get("malformed", "") and "truncated" not in f["malformed"],
         "a multipart without its closing boundary: flagged with that reason", f)
    t.ok("malformed" in (redis.cmd("HGET", "rx:t:%d" % n, "flags") or ""),
         "... the ticket carries the flag malformed")
    add_agent(redis, "mailsup@example.org", roles="supervisor")
    hdrs = bearer(login(d, "mailsup@example.org"))
    status, got, _ = d.request("GET", "/api/v1/tickets/RX-%d" % n, headers=hdrs)
    msgs = [m for m in (got.get("messages") or []) if m.get("type") == "message"] \
        if status == 200 else []
    t.ok(msgs and "closing boundary" in msgs[-1].get("fields", {}).get("malformed", "") and
         "the text survives" in msgs[-1].get("text", ""),
         "GET /api/v1/tickets/{n}: the message shows the reason and the text", (status, msgs))
    # no From: the envelope sender stands in, marked unverified
    code, text = send(d, "env@clinic.example.org", ["support@example.com"],
                      b"To: support@example.com\r\nSubject: who\r\nMessage-ID: <nf1@c>\r\n\r\nhi\r\n")
    n = ticket_of(text)
    f = fields_of(redis, n)
    t.ok(f.get("sender_unverified") is True and "no From header" in f.get("malformed", ""),
         "no From header: marked sender_unverified and malformed", f)
    cust = redis.cmd("HGET", "rx:t:%d" % n, "customer")
    t.eq(redis.cmd("GET", "rx:ix:email:env@clinic.example.org"), cust,
         "... and the customer is the envelope sender's")
    # the same over LMTP
    lmtp = Daemon(redis, conf=CONF + "mode = lmtp\n")
    last = raw_send(lmtp.smtp_port, "lf@clinic.example.org", "support@example.com",
                    body.replace(b"<lf1@c>", b"<lf2@c>"), lmtp=True)
    n = ticket_of(last)
    t.eq(redis.cmd("GET", log_entries(redis, n)[-1].get("raw", "")),
         body.replace(b"<lf1@c>", b"<lf2@c>").replace(b"\n..dot", b"\n.dot").decode(),
         "LMTP: the raw copy is exact too")
    lmtp.stop()


def test_lmtp(t, redis):
    d = Daemon(redis, conf=CONF + "mode = lmtp\n")
    lines = (b"LHLO client\r\nMAIL FROM:<a@client.test>\r\nRCPT TO:<support@example.com>\r\n"
             b"RCPT TO:<nobody@nowhere.test>\r\nRCPT TO:<medinfo@example.org>\r\nDATA\r\n"
             b"From: a@client.test\r\nSubject: lmtp\r\nMessage-ID: <lmtp1@client.test>\r\n\r\n"
             b"two recipients\r\n.\r\nQUIT\r\n")
    got = dialogue(d.smtp_port, lines, 9)
    after = got[got.index([g for g in got if g.startswith("354")][0]) + 1:]
    t.ok(got[0].startswith("220 ") and "LMTP" in got[0], "LMTP greeting", got)
    t.ok(any(g.startswith("550 5.7.1") for g in got), "LMTP refuses another domain's recipient")
    t.ok(len(after) >= 2 and after[0].startswith("250 ") and after[1].startswith("250 "),
         "LMTP: one reply per accepted recipient after DATA", got)
    t.ok(after[2:3] == ["221 2.0.0 rxdesk.test Bye"], "... and nothing more before QUIT's", got)
    if shutil.which("swaks"):
        r = subprocess.run(["swaks", "--protocol", "LMTP", "--server", "127.0.0.1",
                            "--port", str(d.smtp_port), "--to", "support@example.com",
                            "--from", "swaks@client.test", "--header", "Subject: via swaks lmtp"],
                           capture_output=True, text=True, timeout=60)
        t.ok(r.returncode == 0 and "250 2.0.0 Ok" in r.stdout, "swaks over LMTP", r.stdout[-800:])
    d.stop()


def test_tls(t, redis):
    tls = os.path.join(SRCDIR, "tests", "data", "tls")
    d = Daemon(redis, conf=CONF + "cert = %s\nkey = %s\n" % (
        os.path.join(tls, "smtp-cert.pem"), os.path.join(tls, "smtp-key.pem")))
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with smtplib.SMTP("127.0.0.1", d.smtp_port, timeout=30) as s:
        s.ehlo("c")
        t.ok(s.has_extn("starttls"), "STARTTLS offered with a certificate")
        code, _ = s.starttls(context=ctx)
        t.eq(code, 220, "STARTTLS 220")
        s.ehlo("c")
        t.ok(not s.has_extn("starttls"), "... and not offered again inside TLS")
        r = s.sendmail("tls@client.test", ["support@example.com"],
                       mail("tls@client.test", "over TLS", "secret", "<tls1@client.test>"))
        t.eq(r, {}, "smtplib delivers over STARTTLS")
    if shutil.which("swaks"):
        r = subprocess.run(["swaks", "--server", "127.0.0.1", "--port", str(d.smtp_port), "-tls",
                            "--to", "support@example.com", "--from", "tls@client.test",
                            "--header", "Subject: over TLS"],
                           capture_output=True, text=True, timeout=60)
        t.ok(r.returncode == 0 and "STARTTLS" in r.stdout and "250 2.0.0 Ok" in r.stdout
             and "221 2.0.0" in r.stdout, "swaks delivers over STARTTLS and hears QUIT's 221",
             r.stdout[-1500:] + r.stderr[-500:])
    # a command pipelined after STARTTLS is discarded (RFC 3207 4.2)
    got = dialogue(d.smtp_port, b"EHLO c\r\nSTARTTLS\r\nNOOP\r\n", 2, timeout=10)
    t.ok(got[-1].startswith("220 2.0.0") and not any(g.startswith("250 2.0.0 Ok") for g in got),
         "input after STARTTLS is dropped", got)
    d.stop()


def test_redis_away(t, redis, d):
    redis.kill()
    wait_until(lambda: d.get("/readyz")[0] == 503, timeout=20, what="not ready")
    code, text = send(d, "a@client.test", ["support@example.com"],
                      mail("a@client.test", "while away", "x", "<away1@client.test>"))
    t.eq((code, text[:5]), (451, "4.3.0"), "Redis killed: 451 4.3.0")
    redis.start()
    try:
        wait_until(lambda: d.get("/readyz")[0] == 200, timeout=90, what="ready again")
    except AssertionError:
        t.ok(False, "rxdeskd ready again after Redis restarted", d.logtext()[-3000:])
        raise
    code, text = send(d, "a@client.test", ["support@example.com"],
                      mail("a@client.test", "while away", "x", "<away1@client.test>"))
    t.eq(code, 250, "the retry is accepted once Redis is back")


def test_limits(t, d):
    socks = []
    for _ in range(6):
        s = socket.create_connection(("127.0.0.1", d.smtp_port), timeout=10)
        s.makefile("rb").readline()
        socks.append(s)
    s = socket.create_connection(("127.0.0.1", d.smtp_port), timeout=10)
    line = s.makefile("rb").readline()
    t.ok(line.startswith(b"421 4.3.2"), "over max_sessions: 421 4.3.2", line)
    for x in socks + [s]:
        x.close()
    wait_until(lambda: 'rxdesk_open_connections{kind="smtp"} 0' in
               d.request("GET", "/metrics")[1].decode(), timeout=20, what="the sessions closed")
    got = dialogue(d.smtp_port, b"EHLO c\r\n" + b"X" * 2000 + b"\r\nNOOP\r\n", 3)
    t.ok("500 5.5.2 Line too long" in got and got[-1] == "250 2.0.0 Ok",
         "a long command line: 500 5.5.2, the session goes on", got)
    got = dialogue(d.smtp_port, b"EHLO c\r\nMAIL FROM:<a@b.c>\r\n" +
                   b"".join(b"RCPT TO:<r%d@example.com>\r\n" % i for i in range(6)), 8)
    t.ok(got[-1].startswith("452 4.5.3"), "too many recipients: 452 4.5.3", got)
    got = dialogue(d.smtp_port, b"BAD\r\n" * 10, 11)
    t.ok(any(g.startswith("421 4.7.0") for g in got), "too many bad commands: 421", got)


def test_reload(t, d):
    """SIGHUP applies new smtp.domains to new commands."""
    with open(d.conf_path, "a") as f:
        f.write("\n[smtp]\ndomains = example.com, example.org, new.example\n")
    d.proc.send_signal(signal.SIGHUP)

    def accepted():
        with smtplib.SMTP("127.0.0.1", d.smtp_port, timeout=30) as s:
            s.ehlo("c")
            s.mail("a@client.test")
            return s.rcpt("x@new.example")[0] == 250
    t.ok(wait_until(accepted, timeout=20, what="new domain accepted"),
         "SIGHUP: a domain added to smtp.domains is accepted")


def test_smtp_source(t, d, redis):
    src = shutil.which("smtp-source") or ("/usr/sbin/smtp-source"
                                          if os.path.exists("/usr/sbin/smtp-source") else None)
    if src is None:
        return
    r = subprocess.run([src, "-c", "-l", "2000", "-m", "30", "-s", "3", "-f", "load@client.test",
                        "-t", "support@example.com", "127.0.0.1:%d" % d.smtp_port],
                       capture_output=True, text=True, timeout=300)
    t.ok(r.returncode == 0, "smtp-source: 30 messages, 3 sessions", r.stdout + r.stderr)
    _, body, _ = d.request("GET", "/metrics")
    line = [l for l in body.decode().splitlines()
            if l.startswith('rxdesk_smtp_messages_total{result="accepted"}')]
    t.ok(line and float(line[0].split()[-1]) >= 30, "the metrics count them", line)


def test_shutdown(t, d):
    """SIGTERM: an idle session hears 421 4.3.2, then rxdeskd exits 0."""
    s = socket.create_connection(("127.0.0.1", d.smtp_port), timeout=30)
    f = s.makefile("rb")
    f.readline()
    s.sendall(b"HELO c\r\n")
    f.readline()
    d.proc.send_signal(signal.SIGTERM)
    line = f.readline()
    t.ok(line.startswith(b"421 4.3.2"), "SIGTERM: an idle session hears 421 4.3.2", line)
    s.close()
    t.eq(d.stop(), 0, "SIGTERM: clean exit")


def main(t):
    redis = Redis()
    d = Daemon(redis, conf=CONF)
    test_protocol(t, d, redis)
    n = test_ingest_and_threading(t, d, redis)
    test_noise(t, d, redis, n)
    test_corpus(t, d, redis)
    test_real_mail(t, d, redis)
    test_limits(t, d)
    test_smtp_source(t, d, redis)
    test_reload(t, d)
    test_redis_away(t, redis, d)
    test_shutdown(t, d)
    test_lmtp(t, redis)
    test_tls(t, redis)
    redis.stop()


if __name__ == "__main__":
    Tap().run([main])
