#!/usr/bin/env python3
"""HTTPS and SMTP STARTTLS with real clients (issue 18): curl --cacert,
openssl s_client (also -starttls smtp), a TLS 1.1 client refused, HSTS and
Secure cookies, smtp.require_tls, and the certificate reloaded on SIGHUP
while requests run, with no failed request and open connections kept."""
import os
import signal
import smtplib
import ssl
import subprocess
import threading
import time

from rxtest import Daemon, Redis, Tap, add_agent, tmpdir, wait_until


def make_pki(d):
    """A CA and two server certificates for 127.0.0.1 (CN one, two)."""
    def run(*a):
        subprocess.run(["openssl"] + list(a), check=True, capture_output=True, cwd=d)
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=rxdesk test CA")
    for name in ("one", "two"):
        run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name)
        with open(os.path.join(d, "ext"), "w") as f:
            f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
        run("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", name + ".pem", "-days", "2", "-extfile", "ext")


def install(d, name):
    for ext in ("pem", "key"):
        src = os.path.join(d, "%s.%s" % (name, ext))
        dst = os.path.join(d, "server.%s" % ext)
        with open(src, "rb") as f, open(dst + ".tmp", "wb") as g:
            g.write(f.read())
        os.rename(dst + ".tmp", dst)


def curl(d, port, path, *extra):
    return subprocess.run(["curl", "-sS", "--cacert", os.path.join(d, "ca.pem"),
                           "-D", "-", "https://127.0.0.1:%d%s" % (port, path)] + list(extra),
                          capture_output=True, text=True, timeout=30)


def s_client(args, data=b"Q\n"):
    return subprocess.run(["openssl", "s_client"] + args, input=data,
                          capture_output=True, timeout=30)


def subject_of(out):
    for line in out.decode("latin-1").splitlines():
        if line.startswith("subject="):
            return line.split("CN", 1)[-1].strip(" =")
    return None


def test_https(t, d, pki):
    r = curl(pki, d.http_port, "/healthz")
    t.ok(r.returncode == 0 and "200" in r.stdout.splitlines()[0],
         "curl --cacert: GET /healthz over HTTPS is 200", r.stdout + r.stderr)
    t.ok("strict-transport-security: max-age=31536000" in r.stdout.lower(),
         "HSTS on every HTTPS answer", r.stdout)
    r = curl(pki, d.http_port, "/api/v1/session", "-H", "Content-Type: application/json",
             "-d", '{"email":"ann@example.com","password":"correct horse"}')
    cookie = [line for line in r.stdout.splitlines() if line.lower().startswith("set-cookie")]
    t.ok(cookie and "; secure" in cookie[0].lower() and "httponly" in cookie[0].lower(),
         "the session cookie is Secure on HTTPS", r.stdout)
    addr = "127.0.0.1:%d" % d.http_port
    for v in ("-tls1_2", "-tls1_3"):
        r = s_client(["-connect", addr, v, "-CAfile", os.path.join(pki, "ca.pem")])
        t.ok(b"Verify return code: 0 (ok)" in r.stdout and b"Cipher is (NONE)" not in r.stdout,
             "openssl s_client %s: handshake and verification" % v, r.stdout[-400:])
    r = s_client(["-connect", addr, "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"])
    t.ok((r.returncode != 0 or b"Cipher is (NONE)" in r.stdout) and
         b"protocol version" in r.stderr,
         "a TLS 1.1 client is refused by the server (alert protocol version)",
         (r.stdout[-300:], r.stderr[-300:]))
    r = s_client(["-connect", addr, "-tls1_2", "-cipher", "AES128-SHA"])
    t.ok(r.returncode != 0 or b"Cipher is (NONE)" in r.stdout,
         "a TLS 1.2 client offering only a non-forward-secret CBC cipher is refused",
         r.stderr[-300:])


def test_slow_handshake(t, d, pki):
    import socket
    s = socket.create_connection(("127.0.0.1", d.http_port))
    s.settimeout(0.5)
    t0, closed = time.time(), None
    hello = bytes.fromhex("16030100c8010000c40303") + b"\x00" * 200
    for b in hello[:40]:
        try:
            s.sendall(bytes([b]))
            if s.recv(100) == b"":
                closed = time.time() - t0
                break
        except socket.timeout:
            continue
        except OSError:
            closed = time.time() - t0
            break
    t.ok(closed is not None and 2 < closed < 6, "a TLS handshake a byte every 0.5 s is "
         "closed after http.header_timeout (3 s) from the accept (%s s)" % closed)
    s = socket.create_connection(("127.0.0.1", d.smtp_port))
    s.settimeout(2)
    s.recv(200)
    s.sendall(b"EHLO a\r\n")
    time.sleep(0.3)
    s.recv(500)
    s.sendall(b"STARTTLS\r\n")
    s.recv(200)
    s.settimeout(0.5)
    t0, closed = time.time(), None
    for b in hello[:40]:
        try:
            s.sendall(bytes([b]))
            if s.recv(100) == b"":
                closed = time.time() - t0
                break
        except socket.timeout:
            continue
        except OSError:
            closed = time.time() - t0
            break
    t.ok(closed is not None and 2 < closed < 6, "a STARTTLS handshake a byte every 0.5 s "
         "is closed after smtp.command_timeout (3 s) (%s s)" % closed)


def test_smtp(t, d, pki):
    r = s_client(["-connect", "127.0.0.1:%d" % d.smtp_port, "-starttls", "smtp",
                  "-CAfile", os.path.join(pki, "ca.pem")], data=b"QUIT\r\n")
    t.ok(b"Verify return code: 0 (ok)" in r.stdout, "openssl s_client -starttls smtp: verified",
         r.stdout[-400:])
    s = smtplib.SMTP("127.0.0.1", d.smtp_port, timeout=10)
    s.ehlo("client.example.org")
    code, msg = s.docmd("MAIL", "FROM:<doc@example.org>")
    t.ok(code == 530 and b"STARTTLS" in msg, "smtp.require_tls: MAIL before STARTTLS is 530",
         (code, msg))
    s.starttls(context=ssl.create_default_context(cafile=os.path.join(pki, "ca.pem")))
    s.ehlo("client.example.org")
    refused = s.sendmail("doc@example.org", ["support@example.com"],
                         b"Subject: over TLS\r\nFrom: doc@example.org\r\n\r\nHello.\r\n")
    t.eq(refused, {}, "after STARTTLS the mail is accepted")
    s.quit()


def test_reload(t, d, pki):
    ctx = ssl.create_default_context(cafile=os.path.join(pki, "ca.pem"))
    import http.client
    keep = http.client.HTTPSConnection("127.0.0.1", d.http_port, context=ctx, timeout=10)
    keep.request("GET", "/healthz")
    keep.getresponse().read()
    failures, done, count = [], threading.Event(), [0]

    def load():
        while not done.is_set():
            c = http.client.HTTPSConnection("127.0.0.1", d.http_port, context=ctx, timeout=10)
            try:
                c.request("GET", "/healthz")
                r = c.getresponse()
                r.read()
                if r.status != 200:
                    failures.append(r.status)
                count[0] += 1
            except Exception as e:  # noqa: BLE001 - every failure counts
                failures.append(repr(e))
            finally:
                c.close()
    threads = [threading.Thread(target=load) for _ in range(4)]
    for th in threads:
        th.start()
    time.sleep(1)
    install(pki, "two")
    d.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: subject_of(s_client(["-connect", "127.0.0.1:%d" % d.http_port]).stdout)
               == "two", timeout=10, what="the new certificate")
    time.sleep(1)
    done.set()
    for th in threads:
        th.join()
    t.ok(not failures and count[0] > 20, "HTTPS certificate reloaded on SIGHUP under load: "
         "%d requests, none failed" % count[0], failures[:5])
    keep.request("GET", "/healthz")
    t.eq(keep.getresponse().status, 200, "a connection opened before the reload still works")
    r = s_client(["-connect", "127.0.0.1:%d" % d.smtp_port, "-starttls", "smtp"],
                 data=b"QUIT\r\n")
    t.eq(subject_of(r.stdout), "two", "STARTTLS serves the reloaded certificate too")


def main():
    pki = tmpdir()
    make_pki(pki)
    install(pki, "one")
    redis = Redis()
    crt, key = os.path.join(pki, "server.pem"), os.path.join(pki, "server.key")
    d = TlsDaemon(redis, pki, crt, key)
    add_agent(redis, "ann@example.com")
    Tap().run([lambda t: test_https(t, d, pki), lambda t: test_slow_handshake(t, d, pki),
               lambda t: test_smtp(t, d, pki),
               lambda t: test_reload(t, d, pki)])


class TlsDaemon(Daemon):
    """Daemon whose readiness is probed over HTTPS."""

    def __init__(self, redis, pki, crt, key):
        self.pki = pki
        super().__init__(redis, conf="[http]\ncert = %s\nkey = %s\nrate_limit = 0\n"
                         "header_timeout = 3\n"
                         "[smtp]\ncert = %s\nkey = %s\nrequire_tls = yes\n"
                         "command_timeout = 3\n"
                         "[auth]\nscrypt_n = 1024\n" % (crt, key, crt, key))

    def request(self, method, path, body=None, headers=None, port=None):
        import http.client
        import json
        ctx = ssl.create_default_context(cafile=os.path.join(self.pki, "ca.pem"))
        c = http.client.HTTPSConnection("127.0.0.1", port or self.http_port, context=ctx,
                                        timeout=10)
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        c.close()
        if hdrs.get("content-type", "").startswith("application/json") and data:
            data = json.loads(data)
        return r.status, data, hdrs


if __name__ == "__main__":
    main()
