#!/usr/bin/env python3
"""Write the mail corpus used by tests/unit/channels/test_mime.c and
tests/integration/test_smtp.py. Run once; the .eml files are committed.
Each file is built by hand (not by the email package) so that the bytes
are exactly what real, sometimes broken, mailers send."""
import base64
import os
import quopri

HERE = os.path.dirname(os.path.abspath(__file__))

UK = "Добрий день! Ліки викликали висип, прошу допомогти. Ґанок їжак є."
RU = "Здравствуйте! После приёма препарата появилась сыпь."
ZH = "您好，服用药物后出现皮疹，请帮助。"
ZH_TW = "您好，服用藥物後出現皮疹，請幫助。"
PL = "Dzień dobry, zażółć gęślą jaźń."
DE = "Grüße aus München, Straße."


def b64h(text, cs):
    return "=?%s?B?%s?=" % (cs, base64.b64encode(text.encode(cs)).decode())


def qh(text, cs):
    raw = text.encode(cs)
    out = "".join(chr(c) if (48 <= c < 123 and chr(c).isalnum()) else "=%02X" % c for c in raw)
    return "=?%s?Q?%s?=" % (cs, out)


def head(subject, extra="", frm="Olena Koval <olena@clinic.example.org>",
         msgid=None):
    h = ("From: %s\r\nTo: support@example.com\r\nSubject: %s\r\n"
         "Date: Mon, 23 Nov 2026 10:00:00 +0000\r\nMessage-ID: <%s>\r\n"
         "MIME-Version: 1.0\r\n" % (frm, subject, msgid or "corpus-%d@clinic.example.org" % id(subject)))
    return (h + extra).encode("ascii")


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def charset_mail(name, text, cs, enc="base64", hdr="B"):
    subj = (b64h if hdr == "B" else qh)(text[:20], cs)
    body = text.encode(cs)
    if enc == "base64":
        body = base64.encodebytes(body).replace(b"\n", b"\r\n")
    elif enc == "quoted-printable":
        body = quopri.encodestring(body).replace(b"\n", b"\r\n")
    write(name, head(subj, "Content-Type: text/plain; charset=%s\r\n"
                     "Content-Transfer-Encoding: %s\r\n\r\n" % (cs, enc),
                     msgid=name + "@clinic.example.org") + body + b"\r\n")


def main():
    charset_mail("utf8.eml", UK, "utf-8", "quoted-printable", "Q")
    charset_mail("cp1251.eml", UK, "windows-1251", "8bit")
    charset_mail("koi8u.eml", UK, "koi8-u", "quoted-printable")
    charset_mail("koi8r.eml", RU, "koi8-r", "8bit", "Q")
    charset_mail("iso8859-5.eml", RU, "iso-8859-5", "base64")
    charset_mail("gb2312.eml", ZH, "gb2312", "base64")
    charset_mail("gbk.eml", ZH, "gbk", "8bit")
    charset_mail("gb18030.eml", ZH, "gb18030", "base64")
    charset_mail("big5.eml", ZH_TW, "big5", "base64")
    charset_mail("iso8859-2.eml", PL, "iso-8859-2", "quoted-printable", "Q")
    charset_mail("iso8859-15.eml", DE, "iso-8859-15", "8bit")
    # raw 8-bit headers and body with no declared charset at all
    write("raw-cp1251.eml", b"From: =?utf-8?Q?Ivan?= <ivan@example.net>\r\nTo: support@example.com\r\n"
          b"Subject: " + UK[:20].encode("cp1251") + b"\r\nMessage-ID: <raw-cp1251@example.net>\r\n\r\n"
          + UK.encode("cp1251") + b"\r\n")
    write("raw-koi8r.eml", b"From: ivan@example.net\r\nTo: support@example.com\r\n"
          b"Subject: " + RU[:20].encode("koi8-r") + b"\r\nMessage-ID: <raw-koi8r@example.net>\r\n\r\n"
          + RU.encode("koi8-r") + b"\r\n")
    write("raw-gb18030.eml", b"From: li@example.net\r\nTo: support@example.com\r\n"
          b"Subject: " + ZH[:8].encode("gb18030") + b"\r\nMessage-ID: <raw-gb@example.net>\r\n\r\n"
          + ZH.encode("gb18030") + b"\r\n")
    html = ("<html><head><title>t</title><style>p{color:red}</style>"
            "<script>alert(1)</script></head><body><p>Dear team,</p>"
            "<p>the patient had a <b>rash</b> &amp; fever.</p><ul><li>one</li>"
            "<li>two</li></ul><br>Regards</body></html>")
    write("html-only.eml", head("HTML only", "Content-Type: text/html; charset=utf-8\r\n\r\n",
                                msgid="html-only@example.org") + html.encode() + b"\r\n")
    alt = ("--ALT\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlain wins.\r\n"
           "--ALT\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>HTML loses.</p>\r\n--ALT--\r\n")
    write("alternative.eml", head("Alternative", "Content-Type: multipart/alternative; boundary=ALT\r\n\r\n",
                                  msgid="alternative@example.org") + alt.encode())
    png = base64.encodebytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256))).decode().replace("\n", "\r\n")
    pdf = base64.encodebytes(b"%PDF-1.4\n" + b"x" * 3000).decode().replace("\n", "\r\n")
    nested = ("--OUT\r\nContent-Type: multipart/related; boundary=REL\r\n\r\n"
              "--REL\r\nContent-Type: multipart/alternative; boundary=ALT\r\n\r\n"
              "--ALT\r\nContent-Type: text/plain; charset=koi8-u\r\nContent-Transfer-Encoding: base64\r\n\r\n"
              + base64.b64encode(UK.encode("koi8-u")).decode() + "\r\n"
              "--ALT\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>html</p>\r\n--ALT--\r\n"
              "--REL\r\nContent-Type: image/png\r\nContent-ID: <img1>\r\nContent-Transfer-Encoding: base64\r\n\r\n"
              + png + "--REL--\r\n"
              "--OUT\r\nContent-Type: application/pdf\r\n"
              "Content-Disposition: attachment; filename*=utf-8''%D0%B7%D0%B2%D1%96%D1%82.pdf\r\n"
              "Content-Transfer-Encoding: base64\r\n\r\n" + pdf + "--OUT--\r\n")
    write("nested.eml", head(b64h("Вкладення", "utf-8"),
                             "Content-Type: multipart/mixed; boundary=OUT\r\n\r\n",
                             msgid="nested@example.org") + nested.encode())
    write("no-boundary.eml", head("Broken", "Content-Type: multipart/mixed\r\n\r\n", msgid="no-boundary@example.org")
          + b"--X\r\nContent-Type: text/plain\r\n\r\nbody of a broken multipart\r\n--X--\r\n")
    write("truncated.eml", head("Truncated", "Content-Type: multipart/mixed; boundary=T\r\n\r\n",
                                msgid="truncated@example.org")
          + b"--T\r\nContent-Type: text/plain\r\n\r\nthe end never comes\r\n--T\r\nContent-Type: appl")
    hdrs = b"".join(b"X-Filler-%d: %s\r\n" % (i, b"v" * 200) for i in range(1000))
    write("huge-headers.eml", head("Huge " + "s" * 2000, msgid="huge@example.org") + hdrs
          + b"Content-Type: text/plain\r\n\r\nsmall body after huge headers\r\n")
    write("nul-bytes.eml", head("NUL", "Content-Type: text/plain; charset=utf-8\r\n\r\n", msgid="nul@example.org")
          + b"before\x00after\x00\x00end\r\n")
    write("bare-lf.eml", head("Bare LF", "Content-Type: text/plain; charset=utf-8\r\n\r\n",
                              msgid="bare-lf@example.org").replace(b"\r\n", b"\n")
          + UK.encode() + b"\nsecond line\n")
    dsn = ("--R\r\nContent-Type: text/plain\r\n\r\nDelivery to the following recipient failed.\r\n"
           "--R\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n"
           "Final-Recipient: rfc822; gone@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
           "--R\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: support@example.com\r\n"
           "Subject: [RX-7] Re: your question\r\nMessage-ID: <rx.7.abc@rxdesk.localhost>\r\n\r\n--R--\r\n")
    write("dsn-headers.eml", head("Undelivered Mail Returned to Sender",
                                  "Auto-Submitted: auto-replied\r\nContent-Type: multipart/report; "
                                  "report-type=delivery-status; boundary=R\r\n\r\n",
                                  frm="MAILER-DAEMON@mx.example.net", msgid="dsn1@mx.example.net") + dsn.encode())
    dsn2 = ("--R\r\nContent-Type: text/plain\r\n\r\nFailed.\r\n"
            "--R\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
            "Final-Recipient: rfc822; gone@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
            "--R\r\nContent-Type: message/rfc822\r\n\r\nFrom: support@example.com\r\nTo: gone@example.net\r\n"
            "Subject: hello\r\nMessage-ID: <rx.8.def@rxdesk.localhost>\r\n\r\nthe body\r\n--R--\r\n")
    write("dsn-rfc822.eml", head("Delivery Status Notification (Failure)",
                                 "Content-Type: multipart/report; report-type=delivery-status; boundary=R\r\n\r\n",
                                 frm="postmaster@mx.example.net", msgid="dsn2@mx.example.net") + dsn2.encode())
    write("autoreply.eml", head("Out of office", "Auto-Submitted: auto-replied\r\n"
                                "X-Auto-Response-Suppress: All\r\nContent-Type: text/plain\r\n\r\n",
                                msgid="ooo@example.org") + b"I am away.\r\n")
    write("list.eml", head("Newsletter", "List-Id: <news.example.org>\r\nPrecedence: list\r\n"
                           "List-Unsubscribe: <mailto:unsub@example.org>\r\nContent-Type: text/plain\r\n\r\n",
                           msgid="list@example.org") + b"News.\r\n")
    deep = b"".join(b"--B%d\r\nContent-Type: multipart/mixed; boundary=B%d\r\n\r\n" % (i, i + 1) for i in range(60))
    write("deep.eml", head("Deep", "Content-Type: multipart/mixed; boundary=B0\r\n\r\n", msgid="deep@example.org")
          + deep + b"--B60\r\nContent-Type: text/plain\r\n\r\ndeep text\r\n")
    write("garbage.eml", bytes((i * 37 + 11) % 256 for i in range(4096)))


if __name__ == "__main__":
    main()
