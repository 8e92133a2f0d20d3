#!/usr/bin/env python3
"""A differential test on mail nobody here wrote (issue 12): the messages
of Python's own e-mail test suite (Debian's libpython3.11-testsuite,
test/test_email/data/msg_*.txt) and the mail of tests/data/mail, each sent
byte for byte over SMTP and over LMTP to rxdeskd. Every one must be
accepted, its raw copy must be the bytes sent, and its subject, sender,
text and attachment list must agree with what Python's email package
(policy default) decodes -- except where Python is wrong or reads the
message differently on purpose; each such place is named below (WHERE
PYTHON DIFFERS) and checked against what is right instead."""
import email
import email.policy
import glob
import html.parser
import json
import os
import re
import socket

from rxtest import Daemon, Redis, Tap, SRCDIR

PYDATA = "/usr/lib/python3.11/test/test_email/data"
CONF = "[smtp]\ndomains = example.com\nhostname = rxdesk.test\nmax_size = 4m\n"


def corpus():
    files = sorted(glob.glob(os.path.join(PYDATA, "msg_*.txt")))
    files += sorted(glob.glob(os.path.join(SRCDIR, "tests", "data", "mail", "*.eml")))
    return files


def stuff(data):
    """DATA as a client sends it: dot-stuffed, ended by CRLF . CRLF."""
    lines = data.split(b"\n")
    out = b"\n".join(b"." + l if l.startswith(b".") else l for l in lines)
    if not out.endswith(b"\n"):
        out += b"\r\n"
    return out + b".\r\n"


def deliver(port, data, lmtp):
    """One message on a raw socket (smtplib would rewrite bare LF): the
    final reply line."""
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    f = s.makefile("rb")
    f.readline()
    s.sendall((b"LHLO" if lmtp else b"EHLO") + b" corpus.test\r\n")
    while True:
        line = f.readline()
        if line[3:4] != b"-":
            break
    s.sendall(b"MAIL FROM:<corpus@client.test>\r\nRCPT TO:<support@example.com>\r\nDATA\r\n")
    replies = [f.readline() for _ in range(3)]
    if not replies[2].startswith(b"354"):
        s.close()
        return replies[-1].decode(errors="replace")
    s.sendall(stuff(data))
    last = f.readline().decode(errors="replace")
    s.sendall(b"QUIT\r\n")
    s.close()
    return last.rstrip("\r\n")


class Text(html.parser.HTMLParser):
    """The text a browser shows: no script, style or head."""
    HIDDEN = {"script", "style", "head", "title", "noscript", "template"}

    def __init__(self):
        super().__init__()
        self.out = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        self.hidden += tag in self.HIDDEN

    def handle_endtag(self, tag):
        self.hidden -= tag in self.HIDDEN and self.hidden > 0

    def handle_data(self, d):
        if not self.hidden:
            self.out.append(d)


def norm(s):
    """Text compared without its layout: runs of white space are one."""
    return re.sub(r"\s+", " ", s or "").strip()


def python_view(raw):
    """What Python's email package (policy default) makes of RAW."""
    m = email.message_from_bytes(raw, policy=email.policy.default)
    v = {"subject": None, "from": None, "text": None, "html": False, "atts": []}
    try:
        v["subject"] = str(m["subject"]) if m["subject"] is not None else ""
    except Exception:  # noqa: BLE001 -- a header Python cannot parse
        pass
    try:
        addrs = m["from"].addresses if m["from"] is not None else ()
        spec = addrs[0].addr_spec if addrs else ""
        v["from"] = spec.lower() if spec and spec != "<>" else None   # "<>": no address
    except Exception:  # noqa: BLE001
        pass
    try:
        body = m.get_body(("plain", "html"))
        if body is not None:
            v["text"] = body.get_content()
            v["html"] = body.get_content_type() == "text/html"
    except Exception:  # noqa: BLE001 -- an undecodable body
        pass
    try:
        v["atts"] = [(a.get_content_type(), a.get_filename()) for a in m.iter_attachments()]
    except Exception:  # noqa: BLE001
        pass
    return m, v


def ours(redis, n):
    """The message just stored on ticket N: its log entry and attachments."""
    for _id, flat in redis.cmd("XREVRANGE", "rx:t:%d:log" % n, "+", "-", "COUNT", 20):
        e = dict(zip(flat[0::2], flat[1::2]))
        if e.get("type") == "message" and e.get("direction") == "in":
            break
    e["fields"] = json.loads(e.get("fields", "{}"))
    e["atts"] = json.loads(e.get("attachments", "[]"))
    return e


def raw_8bit_header(raw):
    head = raw.split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0]
    return any(b >= 0x80 for b in head)


def compare(name, raw, m, py, e, redis):
    """The differences between rxdesk and Python for one message, each a
    string; WHERE PYTHON DIFFERS, the right answer is checked instead."""
    bad = []
    # subject
    if py["subject"] is not None and norm(py["subject"]) != norm(e.get("subject")):
        # WHERE PYTHON DIFFERS (1): raw 8-bit header bytes with no charset.
        # Python keeps them as U+FFFD (surrogateescape); we decode them (UTF-8,
        # else a guess) and flag the message malformed with that reason.
        if not (raw_8bit_header(raw) and "\ufffd" in py["subject"] and
                "raw 8-bit" in e["fields"].get("malformed", "")):
            bad.append("subject %r != python %r" % (e.get("subject"), py["subject"]))
    # sender: the customer is the From address; without one, the envelope
    cust = e.get("author", "")[2:]
    want = py["from"] or "corpus@client.test"
    if redis.cmd("GET", "rx:ix:email:" + want) != cust:
        bad.append("sender: customer %s is not %s's" % (cust, want))
    if py["from"] is None and not e["fields"].get("sender_unverified"):
        bad.append("no From, yet not marked sender_unverified")
    # text
    bad += compare_text(m, py, e)
    # attachments
    bad += compare_atts(m, py, e)
    return bad


def compare_text(m, py, e):
    text = e.get("text", "")
    if py["text"] is None:
        return []
    if py["html"]:
        p = Text()
        p.feed(py["text"])
        want = norm("".join(p.out))
        got = norm(text)
        # html to text differs in layout only: every word is there, in order
        return [] if re.sub(r"[\s\-]", "", got) == re.sub(r"[\s\-]", "", want) or \
            want.replace(" ", "") in got.replace(" ", "").replace("-", "") else \
            ["html text %r != python %r" % (got[:200], want[:200])]
    # WHERE PYTHON DIFFERS (9): NUL bytes stay in Python's text; ours has
    # none (they end C strings and mean nothing to a reader)
    want = norm(py["text"].replace("\0", ""))
    got = norm(text)
    if got == want:
        return []
    body = m.get_body(("plain",))
    # WHERE PYTHON DIFFERS (2): format=flowed (RFC 3676) is not re-joined by
    # Python; the soft line breaks are only white space, which norm() drops.
    # WHERE PYTHON DIFFERS (3): text/plain parts beside the body (Apple
    # Mail splits the text around inline images): Python's get_body takes
    # the first, we join every inline text/plain part; the first is ours.
    if got.startswith(want):
        return []
    # WHERE PYTHON DIFFERS (4): a body with no charset and 8-bit bytes, or
    # bytes its charset cannot decode: Python shows U+FFFD for each byte;
    # we guess an undeclared charset; both agree on the ASCII around it.
    def ascii(x):
        return norm(re.sub(r"[^\x00-\x7f]+", "", x.replace("\0", "")))
    if "\ufffd" in py["text"] and ascii(py["text"]) == ascii(text):
        return []
    # WHERE PYTHON DIFFERS (5): a multipart Python cannot split (no closing
    # boundary, a boundary that never appears): we flag it malformed and
    # show the raw body when no part was found; the text is in ours.
    if e["fields"].get("malformed") and want.replace(" ", "") in got.replace(" ", ""):
        return []
    return ["text %r != python %r (%s)" % (got[:160], want[:160],
                                           body.get_content_type() if body else "-")]


def leaves(part, related=False):
    """Python's leaf parts of PART, not entering an attached message, each
    with whether it sits in a multipart/related."""
    if part.get_content_maintype() == "message" or not part.is_multipart():
        return [(part, related)]
    out = []
    rel = part.get_content_type() == "multipart/related"
    for p in part.iter_parts():
        out += leaves(p, rel)
    return out


def python_atts(m, top_is_body=True):
    """The attachments by Python's parse, as a person calls them (docs/
    email.md): every leaf but the body's text parts, the parts of a bounce
    report, and images a multipart/related shows by cid:.
    WHERE PYTHON DIFFERS (6): Python's own iter_attachments looks at the
    top level only, lists a nested multipart as one "attachment", lists
    every part of a multipart/related but its root (the cid: images a
    person never attached) and every text part after the first; so the
    attachment list is built here from Python's parse of each part
    (type, file name, decoded size) by the rules above."""
    out = []
    html_cids = " ".join(str(p.get_content()) for p, _ in leaves(m)
                         if p.get_content_type() == "text/html" and not p.is_attachment()
                         and _decodes(p))
    for p, rel in leaves(m):
        ctype = p.get_content_type()
        disp = p.get_content_disposition()
        name = p.get_filename()
        text = ctype in ("text/plain", "text/html") and disp != "attachment"
        cid = (p.get("content-id") or "").strip().strip("<>")
        inline = disp != "attachment" and cid and (rel or ("cid:" + cid) in html_cids)
        if text or inline or ctype in ("message/delivery-status", "text/rfc822-headers"):
            continue
        out.append((ctype, name))
    return out


def _decodes(p):
    try:
        p.get_content()
        return True
    except Exception:  # noqa: BLE001
        return False


def compare_atts(m, py, e):
    got = sorted(a.get("type", "").lower() for a in e["atts"])
    names = sorted(a.get("name", "") for a in e["atts"])
    want_all = python_atts(m)
    # a bounce's returned message is what the bounce is about (fields.bounce)
    if e["fields"].get("bounce"):
        want_all = [(t, n) for t, n in want_all if t != "message/rfc822"]
    # WHERE PYTHON DIFFERS (7): a multipart whose boundary Python cannot
    # find (StartBoundaryNotFound, NoBoundaryInMultipart: an inner part
    # reusing its parent's boundary, no boundary parameter) stays one
    # unsplit part for Python. GMime splits what it can; the message must
    # then be flagged malformed, and may keep more parts than Python saw.
    unsplit = [t for t, _ in want_all if t.startswith("multipart/")]
    want_all = [(t, n) for t, n in want_all if not t.startswith("multipart/")]
    want = sorted(t for t, _ in want_all)
    want_names = sorted(n for _, n in want_all if n)
    bad = []
    if unsplit and not e["fields"].get("malformed"):
        bad.append("Python could not split %s, yet not flagged malformed" % unsplit)
    if e["fields"].get("malformed"):
        # WHERE PYTHON DIFFERS (10): broken mail keeps every part we could
        # salvage (a truncated last part too); Python's are all among ours
        if any(got.count(t) < want.count(t) for t in set(want)):
            bad.append("attachments %s miss some of python's %s" % (got, want))
    elif got != want:
        bad.append("attachments %s != python %s" % (got, want))
    elif any(n not in names for n in want_names):
        bad.append("attachment names %s != python %s" % (names, want_names))
    return bad


def run(t, redis, d, lmtp, seen):
    mode = "LMTP" if lmtp else "SMTP"
    refused, wrong_raw, diffs, dup = [], [], [], 0
    for path in corpus():
        raw = open(path, "rb").read()
        last = deliver(d.smtp_port, raw, lmtp)
        name = os.path.basename(path)
        if not last.startswith("250 ") or "RX-" not in last:
            refused.append((name, last))
            continue
        if "already have it" in last:
            dup += 1    # the same Message-ID as an earlier message: stored once
            continue
        n = int(last.rsplit("RX-", 1)[1])
        e = ours(redis, n)
        kept = redis.cmd("GET", e.get("raw", ""))
        # a last line without its line end gets the CRLF a client must add
        sent = raw if raw.endswith(b"\n") else raw + b"\r\n"
        if (kept.encode() if isinstance(kept, str) else kept) != sent:
            wrong_raw.append(name)
        m, py = python_view(raw)
        for why in compare(name, raw, m, py, e, redis):
            diffs.append("%s: %s" % (name, why))
        seen.add(name)
    t.ok(not refused, "%s: every message of the corpus is accepted" % mode, refused)
    t.ok(not wrong_raw, "%s: each raw copy is the bytes sent" % mode, wrong_raw)
    t.ok(not diffs, "%s: subject, sender, text and attachments agree with Python's "
         "email package (where it is right)" % mode, "\n".join(diffs))
    return dup


def main(t):
    if not os.path.isdir(PYDATA):
        t.ok(False, "the corpus is installed (libpython3.11-testsuite; scripts/bootstrap "
             "with BOOTSTRAP_TEST_TOOLS=1)", PYDATA)
        return
    t.ok(len(glob.glob(os.path.join(PYDATA, "msg_*.txt"))) >= 40,
         "Python's test messages are there")
    for lmtp in (False, True):
        redis = Redis()
        d = Daemon(redis, conf=CONF + ("mode = lmtp\n" if lmtp else ""))
        seen = set()
        dup = run(t, redis, d, lmtp, seen)
        t.ok(len(seen) + dup == len(corpus()) and len(seen) >= 60,
             "every message stored once or recognised as a duplicate "
             "(%d stored, %d duplicates)" % (len(seen), dup))
        d.stop()
        redis.stop()


if __name__ == "__main__":
    Tap().run([main])
