#!/usr/bin/env python3
"""Mail out: the rx:outbox stream sent through a real SMTP sink (Debian's
python3-aiosmtpd): threading headers, UTF-8, acknowledgements, retries of
temporary failures, permanent failures on the ticket, caps on automatic
mail, and jobs of a dead node claimed by a live one."""
import asyncio
import collections
import email
import email.policy
import json
import os
import socket
import sys
import threading
import time
import warnings

warnings.simplefilter("ignore")

from rxtest import Daemon, Redis, Tap, wait_until, free_port, SRCDIR

try:
    from aiosmtpd.controller import Controller
except ImportError:
    print("1..0 # SKIP python3-aiosmtpd is not installed (scripts/bootstrap)")
    sys.exit(0)

P = "rx:"


class Sink:
    """What the relay does depends on the recipient's local part:
    tempdataN-: 451 after DATA N times; temprcptN-: 451 at RCPT N times;
    reject-: 550 at RCPT; anything else is accepted."""

    def __init__(self):
        self.lock = threading.Lock()
        self.mails = []
        self.tries = collections.Counter()
        self.attempt_ids = collections.defaultdict(list)

    def _fail(self, kind, address):
        local = address.split("@")[0]
        if not local.startswith(kind):
            return False
        with self.lock:
            self.tries[kind + address] += 1
            return self.tries[kind + address] <= int(local[len(kind)])

    async def handle_RCPT(self, server, session, envelope, address, options):
        if address.startswith("reject"):
            return "550 5.1.1 no such user here"
        if self._fail("temprcpt", address):
            return "451 4.3.0 busy, try later"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        if any(a.startswith("slow") for a in envelope.rcpt_tos):
            await asyncio.sleep(1.2)  # a slow relay: each mail takes its time
        for a in envelope.rcpt_tos:
            with self.lock:
                self.attempt_ids[a].append(msg["Message-ID"])
            if self._fail("tempdata", a):
                return "451 4.3.0 try again later"
        with self.lock:
            self.mails.append((envelope.mail_from, list(envelope.rcpt_tos), msg))
        return "250 2.0.0 queued"

    def to(self, addr):
        with self.lock:
            return [m for (_, rcpts, m) in self.mails if addr in rcpts]


SINK = Sink()
CTL = None
REDIS = None
D = None


def start():
    global CTL, REDIS, D
    port = free_port()
    CTL = Controller(SINK, hostname="127.0.0.1", port=port)
    CTL.start()
    REDIS = Redis()
    conf = ("[mail_out]\nrelay = 127.0.0.1:%d\nstarttls = no\ntimeout = 10\n"
            "poll_ms = 100\nretry_min = 1\nretry_max = 2\nmax_attempts = 5\n"
            "claim_after = 3\nauto_per_ticket = 2\nauto_per_address = 3\n"
            "templates = %s\n" % (port, os.path.join(SRCDIR, "etc", "templates")))
    D = Daemon(REDIS, conf=conf)


def ticket(n, lang="en", token=None, email_addr=None, name="", subject="Question"):
    cid = str(1000 + n)
    REDIS.cmd("HSET", P + "t:%d" % n, "n", n, "customer", cid, "subject", subject,
              "status", "new", "lang", lang, "token", token or "tok%d" % n)
    REDIS.cmd("HSET", P + "c:" + cid, "id", cid, "name", name)
    if email_addr:
        REDIS.cmd("SADD", P + "c:%s:ids" % cid, "email:" + email_addr)


def enqueue(**fields):
    args = []
    for k, v in fields.items():
        args += [k, str(v)]
    return REDIS.cmd("XADD", P + "outbox", "*", *args)


def fcall(fn, arg):
    return json.loads(REDIS.cmd("FCALL", fn, 0, P, json.dumps(arg)))


def one_mail(addr, timeout=20):
    return wait_until(lambda: SINK.to(addr), timeout=timeout, what="mail to " + addr)[0]


def pending():
    return REDIS.cmd("XPENDING", P + "outbox", "mailout")[0]


def log_texts(n):
    return [dict(zip(e[1][::2], e[1][1::2])) for e in
            REDIS.cmd("XRANGE", P + "t:%d:log" % n, "-", "+")]


def test_reply_threads(t):
    ticket(17, token="Tok17abc", subject="Побічна дія")
    text = "Доброго дня!\nДякуємо за повідомлення про побічну дію.\n" + "Рядок " * 40
    enqueue(ticket=17, to="olena@example.org", subject="Re: Побічна дія", text=text,
            in_reply_to="<c2@example.org>", references="<c1@example.org> <c2@example.org>",
            kind="reply")
    m = one_mail("olena@example.org")
    t.eq(str(m["Subject"]), "[RX-17] Re: Побічна дія", "UTF-8 subject with [RX-n] (RFC 2047)")
    raw = m.as_bytes(policy=email.policy.SMTP)
    t.ok(all(b < 0x80 for b in raw), "the mail on the wire is 7-bit")
    t.eq(m.get_body(("plain",)).get_content().replace("\r\n", "\n"), text,
         "Ukrainian body arrives intact")
    t.eq(m["In-Reply-To"], "<c2@example.org>", "In-Reply-To: the customer's mail")
    t.eq(m["References"].split(), ["<c1@example.org>", "<c2@example.org>"], "References")
    t.eq(m["Reply-To"], "support+Tok17abc@example.com", "Reply-To carries the ticket token")
    t.ok(m["Auto-Submitted"] is None, "a person's reply is not Auto-Submitted")
    mid = m["Message-ID"]
    t.ok(mid.startswith("<RX-17.") and mid.endswith("@rxdesk.localhost>"),
         "our own Message-ID at smtp.hostname", mid)
    wait_until(lambda: REDIS.cmd("GET", P + "msgid:" + mid) == "17", what="rx:msgid")
    t.ok(True, "the Message-ID threads back to the ticket")
    wait_until(lambda: pending() == 0, what="job acked")
    t.eq(REDIS.cmd("XLEN", P + "outbox"), 0, "a sent job leaves the stream")


def test_subject_once_and_chinese(t):
    ticket(18, subject="药品咨询")
    text = "您好，关于您询问的药品，我们的答复如下。"
    enqueue(ticket=18, to="wang@example.cn", subject="Re: [RX-18] 药品咨询", text=text,
            html="<p>您好</p>", kind="reply")
    m = one_mail("wang@example.cn")
    t.eq(str(m["Subject"]), "Re: [RX-18] 药品咨询", "[RX-n] not repeated on a re-reply")
    body = m.get_body(("plain",))
    t.eq(body.get_content().strip(), text, "Chinese body arrives intact")
    t.eq(body["Content-Transfer-Encoding"], "base64", "mostly non-ASCII text goes base64")
    t.eq(m.get_body(("html",)).get_content().strip(), "<p>您好</p>", "HTML alternative")


def test_ack(t):
    ticket(19, lang="uk", subject="Запит щодо дозування", name="Петро")
    r = fcall("rx_outbox_ack", {"ticket": 19, "interaction": {
        "channel": "form", "direction": "in", "ident": {"email": "petro@example.org"},
        "subject": "Запит щодо дозування", "msgid": "<f19@example.org>"}})
    t.ok(r.get("id"), "acknowledgement queued", r)
    m = one_mail("petro@example.org")
    t.ok(str(m["Subject"]).startswith("[RX-19] Ми отримали ваше звернення"),
         "Ukrainian template subject", str(m["Subject"]))
    body = m.get_body(("plain",)).get_content()
    t.ok("RX-19" in body and "Вітаємо Петро" in body, "the ticket number and name in the body", body)
    t.eq(m["Auto-Submitted"], "auto-replied", "Auto-Submitted on an acknowledgement")
    t.eq(m["X-Loop"], "rxdesk.localhost", "X-Loop (smtp.hostname) on an acknowledgement")
    t.eq(m["In-Reply-To"], "<f19@example.org>", "the ack answers the customer's mail")
    wait_until(lambda: any("acknowledgement sent" in e.get("text", "") for e in log_texts(19)),
               what="ack on the ticket log")
    t.ok(True, "the acknowledgement is on the ticket log")
    ticket(21, lang="zh-CN", email_addr="li@example.cn")
    r = fcall("rx_outbox_ack", {"ticket": 21, "interaction": {"channel": "chat"}})
    t.ok(r.get("id"), "a chat customer's known address gets one", r)
    m = one_mail("li@example.cn")
    t.ok("我们已收到您的请求" in str(m["Subject"]) and
         "RX-21" in m.get_body(("plain",)).get_content(), "zh-CN uses the Chinese template")


def test_no_ack_for_noise(t):
    ticket(22)
    before = REDIS.cmd("XLEN", P + "outbox")
    r = fcall("rx_outbox_ack", {"ticket": 22, "interaction": {
        "channel": "email", "ident": {"email": "robot@example.org"}, "fields": {"auto": True}}})
    t.eq(r.get("reason"), "auto", "no acknowledgement of automatic mail")
    r = fcall("rx_outbox_ack", {"ticket": 22, "interaction": {"channel": "voice"}})
    t.eq(r.get("reason"), "channel", "no acknowledgement of a call")
    r = fcall("rx_outbox_ack", {"ticket": 22, "interaction": {"channel": "form"}})
    t.eq(r.get("reason"), "no address", "no acknowledgement without an address")
    t.ok(REDIS.cmd("XLEN", P + "outbox") <= before, "nothing queued for them")


def test_retry(t):
    ticket(23)
    enqueue(ticket=23, to="tempdata2-a@example.org", subject="retry", text="x", kind="reply")
    enqueue(ticket=23, to="temprcpt2-b@example.org", subject="retry", text="y", kind="reply")
    m = one_mail("tempdata2-a@example.org", timeout=40)
    t.ok(m is not None, "451 after DATA twice, then the mail arrives")
    ids = SINK.attempt_ids["tempdata2-a@example.org"]
    t.ok(len(ids) == 3 and len(set(ids)) == 1, "three attempts, one Message-ID", ids)
    m = one_mail("temprcpt2-b@example.org", timeout=40)
    t.ok(SINK.tries["temprcpttemprcpt2-b@example.org"] == 3,
         "451 at RCPT twice, then the mail arrives")
    wait_until(lambda: REDIS.cmd("ZCARD", P + "outbox:retry") == 0 and pending() == 0,
               what="retry set drained")
    t.ok(True, "nothing left to retry")


def test_permanent(t):
    ticket(24)
    sub = socket.create_connection(("127.0.0.1", REDIS.port), timeout=30)
    sub.sendall(b"*2\r\n$9\r\nSUBSCRIBE\r\n$9\r\nrx:events\r\n")
    enqueue(ticket=24, to="reject-x@example.org", subject="nope", text="x", kind="reply")
    ev = wait_until(lambda: [e for e in log_texts(24) if e.get("type") == "event"],
                    timeout=20, what="failure on the ticket log")[0]
    t.ok("550" in ev["text"] and "reject-x@example.org" in ev["text"],
         "a 550 is written on the ticket log", ev)
    t.eq(ev.get("author"), "system", "by the system")
    got = b""
    deadline = time.monotonic() + 10
    while b'"ticket.updated"' not in got and time.monotonic() < deadline:
        got += sub.recv(65536)
    sub.close()
    t.ok(b'"ticket.updated"' in got and b'"ticket":24' in got, "ticket.updated published", got)
    t.eq(REDIS.cmd("ZCARD", P + "outbox:retry"), 0, "a permanent failure is not retried")
    t.eq(SINK.to("reject-x@example.org"), [], "and nothing was delivered")


def test_caps(t):
    ticket(25, email_addr="cap@example.org")
    rs = [fcall("rx_outbox_ack", {"ticket": 25, "interaction": {"channel": "email"}})
          for _ in range(3)]
    t.ok(rs[0].get("id") and rs[1].get("id"), "two acks per ticket allowed", rs)
    t.eq(rs[2].get("reason"), "capped:auto_per_ticket", "the third is capped")
    wait_until(lambda: any("limit auto_per_ticket" in e.get("text", "") for e in log_texts(25)),
               what="cap on the ticket log")
    t.ok(True, "the agent sees the cap on the ticket")
    # An auto-responder that opens a new ticket with every answer: each new
    # ticket would be acknowledged, and answered again, without the caps.
    sent = 0
    for n in range(30, 38):
        ticket(n)
        r = fcall("rx_outbox_ack", {"ticket": n, "interaction": {
            "channel": "email", "ident": {"email": "bot@example.org"}}})
        sent += 1 if r.get("id") else 0
    t.eq(sent, 3, "per-address cap stops a ping-pong after auto_per_address")
    wait_until(lambda: len(SINK.to("bot@example.org")) == 3 and pending() == 0,
               what="capped mails delivered")
    time.sleep(0.5)
    t.eq(len(SINK.to("bot@example.org")), 3, "exactly three mails reached the responder")
    t.eq(len(SINK.to("cap@example.org")), 2, "and two acknowledgements the other customer")


def pipeline(*cmds):
    """Several commands on one connection (MULTI needs it)."""
    s = socket.create_connection(("127.0.0.1", REDIS.port), timeout=10)
    out = b""
    for c in cmds:
        out += b"*%d\r\n" % len(c)
        for a in c:
            a = str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
    s.sendall(out)
    f = s.makefile("rb")
    from rxtest import _resp
    res = []
    for _ in cmds:
        try:
            res.append(_resp(f))
        except RuntimeError as e:
            res.append(e)
    s.close()
    return res


def test_claim_dead_node(t):
    ticket(26)
    r = pipeline(["MULTI"],
                 ["XADD", P + "outbox", "*", "ticket", "26", "to", "orphan@example.org",
                  "subject", "claimed", "text", "z", "kind", "reply"],
                 ["XREADGROUP", "GROUP", "mailout", "ghost", "COUNT", "1", "STREAMS",
                  P + "outbox", ">"],
                 ["EXEC"])
    ghost = r[-1][1]
    t.ok(ghost and ghost[0][1][0][1][3] == "orphan@example.org",
         "a job taken by a node that then died", r)
    m = one_mail("orphan@example.org", timeout=30)
    t.ok(m is not None, "claimed after claim_after and delivered")
    wait_until(lambda: pending() == 0, what="claimed job acked")
    t.ok(True, "and acknowledged")


def test_bad_job(t):
    ticket(27)
    enqueue(ticket=27, to="no address here", subject="x", text="x", kind="reply")
    ev = wait_until(lambda: [e for e in log_texts(27) if e.get("type") == "event"],
                    timeout=20, what="bad job on the ticket")[0]
    t.ok("malformed recipient" in ev["text"], "a malformed job fails on the ticket", ev)


def drained():
    wait_until(lambda: REDIS.cmd("XLEN", P + "outbox") == 0 and pending() == 0 and
               REDIS.cmd("ZCARD", P + "outbox:retry") == 0, timeout=30, what="outbox drained")


def test_through_tickets(t):
    """rx_ingest acknowledges a new ticket; rx_ticket_reply's job is sent."""
    a = fcall("rx_ingest", {"channel": "email", "ident": {"email": "ivan@example.org"},
                            "subject": "Вопрос о дозировке", "text": "Здравствуйте",
                            "msgid": "<in1@example.org>", "lang": "ru"})
    n = a["ticket"]
    ack = one_mail("ivan@example.org")
    t.ok(str(ack["Subject"]).startswith("[RX-%d] Мы получили ваше обращение" % n),
         "rx_ingest: a new ticket is acknowledged in Russian", str(ack["Subject"]))
    t.eq(ack["In-Reply-To"], "<in1@example.org>", "the ack threads to the customer's mail")
    # The sink holds the mail before the node has its 250 and records the
    # Message-ID (rx_outbox_done): a customer's reply comes after that.
    wait_until(lambda: REDIS.cmd("GET", P + "msgid:" + ack["Message-ID"]) == str(n),
               timeout=30, what="the ack's Message-ID in rx:msgid")
    b = fcall("rx_ingest", {"channel": "email", "ident": {"email": "ivan@example.org"},
                            "subject": "Re: Вопрос", "text": "ещё", "msgid": "<in2@example.org>",
                            "thread": {"msgids": [ack["Message-ID"]]}})
    t.eq(b["ticket"], n, "a reply to the ack threads by our Message-ID")
    r = fcall("rx_ticket_reply", {"ticket": n, "author": "a:1", "text": "Ответ агента",
                                  "domain": "rxdesk.localhost"})
    wait_until(lambda: len(SINK.to("ivan@example.org")) >= 2, what="agent's reply")
    drained()
    mails = SINK.to("ivan@example.org")
    t.eq(len(mails), 2, "one ack only: a continued ticket is not acknowledged again")
    m = mails[-1]
    token = REDIS.cmd("HGET", P + "t:%d" % n, "token")
    t.eq(m["Message-ID"], r["msgid"], "the reply keeps the Message-ID rx_ticket_reply chose")
    t.ok(str(m["Subject"]).count("[RX-%d]" % n) == 1, "the tag once", str(m["Subject"]))
    t.eq(m["Reply-To"], "support+%s@example.com" % token, "Reply-To with the ticket's token")
    t.ok(m["Auto-Submitted"] is None and
         m.get_body(("plain",)).get_content().strip() == "Ответ агента", "an agent's reply")
    fcall("rx_ingest", {"channel": "email", "ident": {"email": "vacation@example.org"},
                        "subject": "Out of office", "text": "away", "fields": {"auto": True}})
    drained()
    t.eq(SINK.to("vacation@example.org"), [], "rx_ingest: no ack of an auto-submitted mail")


def test_form_ack(t):
    """A web form with an address: the customer gets the acknowledgement."""
    s, body, _ = D.request("POST", "/api/v1/forms/contact",
                           {"name": "Оксана", "email": "oksana@example.org",
                            "subject": "Де купити препарат?", "message": "Доброго дня, де купити?"},
                           headers={"Accept-Language": "uk-UA,uk;q=0.9"})
    t.eq(s, 201, "form stored")
    n = body.get("id") if isinstance(body, dict) else None
    m = one_mail("oksana@example.org")
    t.ok(str(m["Subject"]).startswith("[RX-%s] Ми отримали ваше звернення" % n),
         "the form's customer is acknowledged in Ukrainian", str(m["Subject"]))
    t.ok("RX-%s" % n in m.get_body(("plain",)).get_content(), "with the ticket number")


def smtp_in(mail_from, data):
    import smtplib
    with smtplib.SMTP("127.0.0.1", D.smtp_port, timeout=30) as c:
        c.sendmail(mail_from, ["support@example.com"], data)


def test_ping_pong_smtp(t):
    """Through the real SMTP listener: an auto-responder that marks nothing
    and opens a new ticket with every answer gets auto_per_address acks and
    no more; our own mail coming back (X-Loop, our Message-ID) gets none."""
    for i in range(6):
        smtp_in("pingbot@example.org", ("From: pingbot@example.org\r\nTo: support@example.com\r\n"
                                        "Subject: I am away %d\r\nMessage-ID: <pb%d@example.org>\r\n"
                                        "\r\nBack next week.\r\n" % (i, i)).encode())
    wait_until(lambda: len(SINK.to("pingbot@example.org")) == 3, timeout=30, what="3 acks")
    drained()
    t.eq(len(SINK.to("pingbot@example.org")), 3, "six new tickets, three acknowledgements")
    ack = SINK.to("pingbot@example.org")[0]
    echo = ack.as_bytes(policy=email.policy.SMTP).replace(
        b"To: pingbot@example.org", b"To: support@example.com")
    echo = echo.replace(b"From: support@example.com", b"From: echo@example.org")
    # no threading keys left: only the loop marks can stop an acknowledgement
    echo = b"\r\n".join(l for l in echo.split(b"\r\n") if not
                         l.startswith((b"In-Reply-To:", b"References:", b"Reply-To:")))
    echo = echo.replace(b"[RX-", b"[XX-")
    smtp_in("echo@example.org", echo)
    smtp_in("ooo@example.org", b"From: ooo@example.org\r\nTo: support@example.com\r\n"
            b"Auto-Submitted: auto-replied\r\nSubject: Out of office\r\n\r\naway\r\n")
    wait_until(lambda: REDIS.cmd("EXISTS", P + "ix:email:ooo@example.org") and
               REDIS.cmd("EXISTS", P + "ix:email:echo@example.org"), timeout=20,
               what="both stored")
    drained()
    t.eq(SINK.to("echo@example.org"), [], "our own mail echoed back is not acknowledged")
    cid = REDIS.cmd("GET", P + "ix:email:echo@example.org")
    n = REDIS.cmd("ZRANGE", P + "c:%s:tickets" % cid, 0, -1)
    fields = [json.loads(dict(zip(e[1][::2], e[1][1::2])).get("fields", "{}"))
              for e in REDIS.cmd("XRANGE", P + "t:%s:log" % n[0], "-", "+")] if n else []
    t.ok(fields and fields[0].get("loop") is True,
         "the echo opened a ticket marked as a loop", fields)
    t.eq(SINK.to("ooo@example.org"), [], "an Auto-Submitted mail is not acknowledged")


def test_auth(t):
    """mail_out.user/password: AUTH PLAIN or LOGIN through libesmtp."""
    from aiosmtpd.smtp import AuthResult
    seen = []

    def check(server, session, envelope, mechanism, auth_data):
        seen.append((mechanism, auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.login == b"rxdesk" and
                          auth_data.password == b"s3cret")

    port = free_port()
    sink = Sink()
    ctl = Controller(sink, hostname="127.0.0.1", port=port, authenticator=check,
                     auth_required=True, auth_require_tls=False)
    ctl.start()
    conf = ("[mail_out]\nrelay = 127.0.0.1:%d\nstarttls = optional\ntimeout = 10\n"
            "poll_ms = 100\nuser = rxdesk\npassword = s3cret\n" % port)
    r2 = Redis()
    d2 = Daemon(r2, conf=conf)
    try:
        r2.cmd("XADD", P + "outbox", "*", "to", "authed@example.org", "subject", "auth",
               "text", "x", "kind", "notice")
        wait_until(lambda: sink.to("authed@example.org"), timeout=20, what="authed mail")
        t.ok(seen and seen[-1][1:] == (b"rxdesk", b"s3cret"),
             "the relay got our credentials", seen)
    finally:
        t.eq(d2.stop(), 0, "second node stops cleanly")
        ctl.stop()


def failing_node(relay_port, extra, what):
    """A node whose one attempt fails: the reason lands on the ticket."""
    r = Redis()
    d = Daemon(r, conf="[mail_out]\nrelay = 127.0.0.1:%d\ntimeout = 1\npoll_ms = 100\n"
                       "max_attempts = 1\n%s" % (relay_port, extra))
    try:
        r.cmd("HSET", P + "t:40", "n", "40", "subject", "x", "token", "t40")
        r.cmd("XADD", P + "outbox", "*", "ticket", "40", "to", what + "@example.org",
              "subject", "x", "text", "x", "kind", "reply")
        ev = wait_until(lambda: [e for e in r.cmd("XRANGE", P + "t:40:log", "-", "+")],
                        timeout=30, what=what + " failure on the ticket")[0][1]
        ev = dict(zip(ev[::2], ev[1::2]))
        sent = r.cmd("KEYS", P + "msgid:*")
    finally:
        rc = d.stop()
    return ev, sent, rc


def test_silent_relay_and_tls(t):
    """A relay that never greets (libesmtp then reports success) and a relay
    without STARTTLS when it is required: neither counts as sent."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    ev, sent, rc = failing_node(silent.getsockname()[1], "", "silent")
    silent.close()
    t.ok("failed" in ev.get("text", "") and "gave up after 1 attempts" in ev["text"],
         "a greeting timeout is a failure, not a success", ev)
    t.eq(sent, [], "and no Message-ID was recorded as sent")
    t.eq(rc, 0, "the node stops cleanly after a timed-out session")
    before = len(SINK.to("cleartext@example.org"))
    ev, sent, rc = failing_node(CTL.port, "starttls = required\n", "cleartext")
    t.ok("failed" in ev.get("text", ""), "starttls = required: no mail in clear text", ev)
    t.eq(len(SINK.to("cleartext@example.org")), before, "nothing reached the relay")


def test_two_nodes(t):
    """A second node on the same Redis: every job is sent exactly once."""
    d2 = Daemon(REDIS, conf="[server]\nnode_id = second\n[mail_out]\nrelay = 127.0.0.1:%d\n"
                             "starttls = no\npoll_ms = 50\n" % CTL.port)
    try:
        ticket(41)
        addrs = ["many%d@example.org" % i for i in range(40)]
        for a in addrs:
            enqueue(ticket=41, to=a, subject="fan-out", text="x", kind="notice")
        wait_until(lambda: all(SINK.to(a) for a in addrs), timeout=60, what="40 mails")
        drained()
        t.ok(all(len(SINK.to(a)) == 1 for a in addrs), "40 jobs, 40 mails, none twice")
        print("# second node sent some of them: %s" % ("status=sent" in d2.logtext()))
        s, body = D.get("/metrics")
        body = body.decode() if isinstance(body, bytes) else body
        t.ok(s == 200 and 'rxdesk_mail_out_total{result="sent"}' in body,
             "mail out counted in /metrics")
    finally:
        t.eq(d2.stop(), 0, "the second node stops cleanly")


def test_slow_relay_keeps_its_jobs(t):
    """A node whose relay is slow holds its jobs longer than claim_after:
    it renews its lease at every poll, so a second node (claim_after 2 s)
    never takes them over and no customer gets a mail twice."""
    fast = Daemon(REDIS, conf="[server]\nnode_id = eager\n[mail_out]\nrelay = 127.0.0.1:%d\n"
                               "starttls = no\npoll_ms = 100\nclaim_after = 2\n" % CTL.port)
    fast.stop()  # start it only once the slow node holds the jobs
    slow = Daemon(REDIS, conf="[server]\nnode_id = slow\n[mail_out]\nrelay = 127.0.0.1:%d\n"
                               "starttls = no\npoll_ms = 100\nworkers = 1\nclaim_after = 2\n"
                               "timeout = 30\n" % CTL.port)
    try:
        ticket(42)
        addrs = ["slow%d@example.org" % i for i in range(4)]
        D.stop()  # only the slow node polls while it takes the four jobs
        for a in addrs:
            enqueue(ticket=42, to=a, subject="slow relay", text="x", kind="notice")
        wait_until(lambda: pending() == 4, timeout=20, what="the slow node holds the four jobs")
        fast.start()
        wait_until(lambda: all(SINK.to(a) for a in addrs), timeout=60, what="four slow mails")
        drained()
        t.ok(all(len(SINK.to(a)) == 1 for a in addrs),
             "a slow relay (4 x 1.2 s > claim_after 2 s): every mail sent once",
             [len(SINK.to(a)) for a in addrs])
        t.ok("status=sent" not in fast.logtext(), "the other node sent none of them")
    finally:
        t.eq(slow.stop(), 0, "the slow node stops cleanly")
        fast.stop()
        D.start()


def test_valgrind_workers(t):
    """The worker threads and libesmtp under valgrind: sent, deferred and
    refused mail, then a clean stop with the threads joined, no leaks."""
    import shutil
    if shutil.which("valgrind") is None or "asan" in os.environ.get("RXDESK_BUILDDIR", ""):
        print("# skipped valgrind run: no valgrind, or the sanitizer build")
        return
    log = os.path.join(os.environ.get("TMPDIR", "/tmp"), "rxt-vg-mail-%d.log" % os.getpid())
    vg = ["valgrind", "--quiet", "--leak-check=full", "--show-leak-kinds=definite,indirect",
          "--errors-for-leak-kinds=definite,indirect", "--error-exitcode=99",
          "--log-file=" + log]
    r = Redis()
    d = Daemon(r, wrapper=vg, start_timeout=60,
               conf="[mail_out]\nrelay = 127.0.0.1:%d\nstarttls = no\nretry_min = 1\n"
                    "templates = %s\n" % (CTL.port, os.path.join(SRCDIR, "etc", "templates")))
    r.cmd("HSET", P + "t:50", "n", "50", "customer", "9", "subject", "vg", "token", "t50",
          "lang", "uk")
    for to, kind in (("vg-ok@example.org", "reply"), ("tempdata1-vg@example.org", "reply"),
                     ("reject-vg@example.org", "reply"), ("vg-ack@example.org", "ack")):
        r.cmd("XADD", P + "outbox", "*", "ticket", "50", "to", to, "subject", "vg",
              "text", "x", "kind", kind, "auto", "1" if kind == "ack" else "0")
    wait_until(lambda: SINK.to("vg-ok@example.org") and SINK.to("tempdata1-vg@example.org")
               and SINK.to("vg-ack@example.org"), timeout=90, what="mail under valgrind")
    wait_until(lambda: r.cmd("XPENDING", P + "outbox", "mailout")[0] == 0, timeout=60,
               what="jobs recorded under valgrind")
    rc = d.stop(timeout=120)
    report = open(log).read() if os.path.exists(log) else ""
    t.ok(rc == 0, "rxdeskd sending mail under valgrind exits 0 (no leaks, no errors)",
         report[-4000:])
    if os.path.exists(log):
        os.unlink(log)


def test_stop(t):
    rc = D.stop()
    log = D.logtext()
    # the log's tail says why, should a stop ever fail (sanitizer reports too)
    t.ok(rc == 0, "rxdeskd stops cleanly with the workers joined",
         "exit %s; log tail:\n%s" % (rc, log[-3000:]))
    t.ok("status=sent" in log and "status=deferred" in log, "sends are logged")
    CTL.stop()


if __name__ == "__main__":
    start()
    Tap().run([test_reply_threads, test_subject_once_and_chinese, test_ack,
               test_no_ack_for_noise, test_retry, test_permanent, test_caps,
               test_claim_dead_node, test_bad_job, test_through_tickets, test_form_ack, test_ping_pong_smtp, test_auth, test_silent_relay_and_tls, test_two_nodes, test_slow_relay_keeps_its_jobs, test_valgrind_workers, test_stop])
