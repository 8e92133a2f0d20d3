#!/usr/bin/env python3
"""SMTP limits on connections: per address (421 4.7.0) and in all (421
4.3.2), each refused before a session starts, the rest unharmed."""
import socket

from rxtest import Daemon, Redis, Tap, wait_until


def greet(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    return s, s.recv(512).decode()


def test_per_address(t):
    redis = Redis()
    d = Daemon(redis, conf="[smtp]\nmax_per_ip = 3\nmax_sessions = 50\n")
    held = []
    for i in range(3):
        s, banner = greet(d.smtp_port)
        t.ok(banner.startswith("220 "), "session %d from 127.0.0.1 greeted" % (i + 1), banner)
        held.append(s)
    s, banner = greet(d.smtp_port)
    t.ok(banner.startswith("421 4.7.0 ") and "your address" in banner,
         "the fourth from the same address: 421 4.7.0", banner)
    s.close()
    held[0].sendall(b"NOOP\r\n")
    t.ok(held[0].recv(200).startswith(b"250"), "the sessions already open carry on")
    held.pop().close()
    wait_until(lambda: 'rxdesk_open_connections{kind="smtp"} 2' in
               d.request("GET", "/metrics")[1].decode(), what="a session closed")
    s, banner = greet(d.smtp_port)
    t.ok(banner.startswith("220 "), "a freed place is taken again", banner)
    held.append(s)
    for s in held:
        s.close()
    t.eq(d.stop(), 0, "stops cleanly")
    redis.stop()


def test_total(t):
    redis = Redis()
    d = Daemon(redis, conf="[smtp]\nmax_per_ip = 0\nmax_sessions = 2\n")
    held = [greet(d.smtp_port)[0] for _ in range(2)]
    s, banner = greet(d.smtp_port)
    t.ok(banner.startswith("421 4.3.2 "), "beyond max_sessions: 421 4.3.2", banner)
    s.close()
    for s in held:
        s.close()
    t.eq(d.stop(), 0, "stops cleanly")
    redis.stop()


if __name__ == "__main__":
    Tap().run([test_per_address, test_total])
