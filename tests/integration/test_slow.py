#!/usr/bin/env python3
"""The HTTP listener against slow, oversized and malformed clients (issue
18): headers within http.header_timeout of their first byte, the body
within http.body_timeout of the headers, http.max_per_ip connections per
address, every error libevent raises before a route runs answered as JSON,
two different Content-Length headers refused (RFC 9112 6.3), and a body
still arriving at SIGTERM answered 503 with Connection: close."""
import json
import signal
import socket
import time

from rxtest import Daemon, Redis, Tap, wait_until

CONF = "[http]\nheader_timeout = 2\nbody_timeout = 2\nmax_per_ip = 8\n" \
       "max_body = 4096\nrate_limit = 0\n" \
       "[smtp]\ncommand_timeout = 2\ndata_timeout = 3\nmax_per_ip = 4\n"


def raw(d, data, wait=5.0):
    """Send DATA on a new connection; everything until the peer closes."""
    s = socket.create_connection(("127.0.0.1", d.http_port))
    s.sendall(data)
    s.settimeout(wait)
    out = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    except socket.timeout:
        out += b"<still open>"
    s.close()
    return out


def answer(out):
    """(status, parsed JSON body or None, headers text) of one answer."""
    head, _, body = out.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1]) if head.startswith(b"HTTP/1.1 ") else 0
    try:
        body = json.loads(body)
    except ValueError:
        body = None
    return status, body, head.decode("latin-1").lower()


def closed_after(d, pieces, every):
    """Send PIECES one at a time, EVERY seconds apart; seconds until the
    server closed the connection (None if it never did)."""
    s = socket.create_connection(("127.0.0.1", d.http_port))
    s.settimeout(every)
    t0 = time.time()
    for p in pieces:
        try:
            s.sendall(p)
            if s.recv(4096) == b"":
                return time.time() - t0
        except socket.timeout:
            continue
        except OSError:
            return time.time() - t0
    s.close()
    return None


def test_errors_json(t, d):
    s, body, head = answer(raw(d, b"POST /api/v1/forms/contact HTTP/1.1\r\nHost: x\r\n"
                               b"Content-Length: 9999\r\n\r\n" + b"a" * 9999))
    t.ok(s == 413 and body and body["error"]["code"] == "too_large" and
         "application/json" in head and "connection: close" in head,
         "a body over max_body: read and dropped, then 413 JSON, Connection: close",
         (s, body, head))
    t0 = time.time()
    out = raw(d, b"POST /api/v1/forms/contact HTTP/1.1\r\nHost: x\r\n"
              b"Content-Length: 99999999\r\n\r\n", wait=10)
    t.ok(b"<still open>" not in out and time.time() - t0 < 5, "a huge Content-Length whose "
         "body never comes: closed within body_timeout", out[:100])
    s, body, head = answer(raw(d, b"GARBAGE\r\n\r\n"))
    t.ok(s == 400 and body and body["error"]["code"] == "bad_request" and
         "application/json" in head, "a malformed request line: 400 JSON", (s, body))
    s, body, head = answer(raw(d, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX: " +
                               b"a" * 70000 + b"\r\n\r\n"))
    t.ok(s in (400, 413) and body and "error" in body and "application/json" in head,
         "headers over the limit: 400/413 JSON", (s, body))
    s, body, head = answer(raw(d, b"TRACE /healthz HTTP/1.1\r\nHost: x\r\n\r\n"))
    t.ok(s in (405, 501) and body and "error" in body and "application/json" in head,
         "a method the server does not take: JSON error", (s, body))
    s, body, head = answer(raw(d, b"POST /api/v1/forms/contact HTTP/1.1\r\nHost: x\r\n"
                               b"Transfer-Encoding: chunked\r\n\r\n"
                               b"2000\r\n" + b"a" * 0x2000 + b"\r\n0\r\n\r\n"))
    t.ok(s == 413 and body and body["error"]["code"] == "too_large",
         "a chunked body over max_body: 413 JSON", (s, body))


def test_framing(t, d):
    s, body, head = answer(raw(d, b"POST /api/v1/forms/contact HTTP/1.1\r\nHost: x\r\n"
                               b"Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"))
    t.ok(s == 400 and body["error"]["code"] == "bad_framing" and "connection: close" in head,
         "two different Content-Length headers: 400 bad_framing and the connection closed",
         (s, body))
    s, body, head = answer(raw(d, b"POST /api/v1/forms/contact HTTP/1.1\r\nHost: x\r\n"
                               b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
                               b"4\r\nabcd\r\n0\r\n\r\n"))
    t.ok(s == 400 and body["error"]["code"] in ("bad_framing", "bad_request"),
         "Content-Length with Transfer-Encoding: 400 JSON", (s, body))
    out = raw(d, b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
              b"Content-Length: 0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n"
              b"Connection: close\r\n\r\n")
    t.ok(out.count(b"HTTP/1.1 200") == 2, "two equal Content-Length headers are taken, and "
         "keep-alive goes on", out[:200])


def test_slow(t, d):
    took = closed_after(d, [b"G"] + [b"E"] * 20, 0.5)
    t.ok(took is not None and 1.5 < took < 4, "a byte every 0.5 s of headers: closed after "
         "header_timeout (2 s), not reset by each byte (%s s)" % took)
    head = b"POST /api/v1/forms/contact HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"
    took = closed_after(d, [head] + [b"a"] * 20, 0.5)
    t.ok(took is not None and 1.5 < took < 4, "a body a byte every 0.5 s: closed after "
         "body_timeout (2 s) (%s s)" % took)
    idle = socket.create_connection(("127.0.0.1", d.http_port))
    time.sleep(3)
    idle.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    t.ok(idle.recv(100).startswith(b"HTTP/1.1 200"),
         "a connection silent before its first byte is timed by http.timeout, not the header bound")
    idle.close()
    s, _ = d.get("/metrics")
    text = d.request("GET", "/metrics")[1].decode()
    line = [x for x in text.splitlines() if x.startswith("rxdesk_http_slow_closed_total ")]
    t.ok(line and int(line[0].split()[1]) >= 2, "slow closes counted in /metrics", line)


def test_cap(t, d):
    held = [socket.create_connection(("127.0.0.1", d.http_port)) for _ in range(8)]
    time.sleep(0.3)
    x = socket.create_connection(("127.0.0.1", d.http_port))
    x.settimeout(3)
    try:
        got = x.recv(10)
    except OSError:
        got = b""
    t.eq(got, b"", "the 9th connection from one address (max_per_ip = 8) is closed at once")
    x.close()
    for s in held:
        s.close()
    wait_until(lambda: d.get("/healthz")[0] == 200, what="room again")
    t.ok(True, "once they close, the address may connect again")


def smtp_slow(d, prelude, drip):
    """Say PRELUDE, then a byte of DRIP every 0.5 s; (seconds until the
    server closed, everything it said)."""
    s = socket.create_connection(("127.0.0.1", d.smtp_port))
    s.settimeout(0.5)
    said = b""
    for line in prelude:
        s.sendall(line)
        time.sleep(0.2)
    t0 = time.time()
    for b in drip:
        try:
            s.sendall(bytes([b]))
            chunk = s.recv(4096)
            said += chunk
            if chunk == b"" or b"421" in chunk:
                return time.time() - t0, said
        except socket.timeout:
            continue
        except OSError:
            return time.time() - t0, said
    return None, said


def test_smtp(t, d):
    took, said = smtp_slow(d, [], b"EHLO " + b"x" * 40)
    t.ok(took is not None and 1.5 < took < 4 and b"421 4.4.2" in said,
         "SMTP: a command a byte every 0.5 s gets 421 after command_timeout (%s s)" % took,
         said[-200:])
    took, said = smtp_slow(d, [b"EHLO a\r\n", b"MAIL FROM:<a@example.org>\r\n",
                               b"RCPT TO:<support@example.com>\r\n", b"DATA\r\n"],
                           b"Subject: x\r\n\r\n" + b"y" * 40)
    t.ok(took is not None and 1.5 < took < 5 and b"421 4.4.2" in said,
         "SMTP: a message a byte every 0.5 s gets 421 after data_timeout (%s s)" % took,
         said[-200:])
    held = [socket.create_connection(("127.0.0.1", d.smtp_port)) for _ in range(4)]
    time.sleep(0.3)
    x = socket.create_connection(("127.0.0.1", d.smtp_port))
    x.settimeout(3)
    try:
        got = x.recv(200)
    except OSError:
        got = b""
    t.ok(not got.startswith(b"220"), "SMTP: the 5th session from one address (max_per_ip = 4) "
         "is refused", got)
    for s in held + [x]:
        s.close()


def test_drain(t):
    redis = Redis()
    d = Daemon(redis, conf="[http]\nbody_timeout = 60\n[server]\nshutdown_timeout = 1\n")
    s = socket.create_connection(("127.0.0.1", d.http_port))
    s.sendall(b"POST /api/v1/forms/contact HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"
              b"\r\nname=a")
    time.sleep(0.3)
    d.proc.send_signal(signal.SIGTERM)
    s.settimeout(10)
    out = b""
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            out += chunk
    except OSError:
        pass
    st, body, head = answer(out)
    t.ok(st == 503 and "connection: close" in head and body["error"]["code"] == "shutting_down",
         "a body still arriving at SIGTERM: 503, Connection: close after the shutdown bound",
         out[:300])
    t.eq(d.proc.wait(timeout=20), 0, "and rxdeskd exits 0")
    redis.stop()


def main():
    t = Tap()
    redis = Redis()
    d = Daemon(redis, conf=CONF)
    t.run([lambda t: test_errors_json(t, d), lambda t: test_framing(t, d),
           lambda t: test_slow(t, d), lambda t: test_cap(t, d), lambda t: test_smtp(t, d), test_drain])


if __name__ == "__main__":
    main()
