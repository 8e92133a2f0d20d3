#!/usr/bin/env python3
"""The one way in (server/core/ingest.c): interactions that arrive together
go to Redis in one call and are each answered on their own; one bad
interaction in a batch does not fail the others; a duplicate writes
nothing; the blobs travel inside the call. A real redis-server and a real
rxdeskd on free ports."""
import json
import re
import socket
import threading
import urllib.parse

from rxtest import Daemon, Redis, Tap, load_functions

P = "rx:"
CONF = "[http]\nrate_limit = 0\n"


def metric(d, name):
    text = d.request("GET", "/metrics")[1].decode()
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            total += float(line.rsplit(" ", 1)[1])
    return total


def post_raw(port, body):
    """One form POST on its own connection; the status and the body."""
    req = ("POST /api/v1/forms/contact HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           "Content-Type: application/x-www-form-urlencoded\r\nAccept: application/json\r\n"
           "Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(req)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, payload = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), payload


def test_batched(t, d, redis):
    calls0 = metric(d, "rxdesk_ingest_calls_total")
    forms0 = metric(d, "rxdesk_interactions_total")
    n = 48
    results = [None] * n
    go = threading.Barrier(n)

    def one(i):
        body = urllib.parse.urlencode({"name": "Batch %d" % i, "email": "batch%d@example.org" % i,
                                       "message": "Question number %d about storage" % i})
        go.wait()
        results[i] = post_raw(d.http_port, body)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    ok = [r for r in results if r and r[0] == 201]
    t.eq(len(ok), n, "%d forms at once: every one accepted" % n)
    tickets = [json.loads(r[1])["id"] for r in ok]
    t.eq(len(set(tickets)), len(tickets), "each form answered with its own ticket")
    owners = {}
    for tk in tickets:
        log = redis.cmd("XRANGE", "%st:%d:log" % (P, tk), "-", "+")
        text = dict(zip(log[0][1][::2], log[0][1][1::2]))["text"] if log else ""
        owners[tk] = text
    t.ok(all(re.match(r"Question number \d+", v) for v in owners.values()) and
         len(set(owners.values())) == n, "each ticket holds its own form's text", owners)
    calls = metric(d, "rxdesk_ingest_calls_total") - calls0
    forms = metric(d, "rxdesk_interactions_total") - forms0
    t.eq(forms, n, "every form counted once in rxdesk_interactions_total")
    t.ok(0 < calls < n, "forms that arrive together share Redis calls (%d calls for %d forms)"
         % (calls, n), calls)


def test_batch_function(t, redis):
    good = json.dumps({"channel": "form", "direction": "in", "text": "one",
                       "ident": {"email": "b1@example.org"},
                       "attachments": [{"name": "a.txt", "type": "text/plain", "blob": 1}]})
    bad = json.dumps({"channel": "fax", "text": "two"})
    dup = json.dumps({"channel": "form", "text": "three", "dedup": "form:batch-k",
                      "ident": {"email": "b2@example.org"}})
    keys0 = len(redis.cmd("KEYS", P + "att:*"))
    # the client raises on an error element: read the reply raw
    args = ["FCALL", "rx_ingest_batch", 0, P, 4, good, 1, b"hello", bad, 0, dup, 0, dup, 1, b"x"]
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    with socket.create_connection(("127.0.0.1", redis.port), timeout=5) as s:
        s.sendall(out)
        f = s.makefile("rb")
        head = f.readline()
        items = []
        for _ in range(int(head[1:])):
            line = f.readline()
            if line.startswith(b"-"):
                items.append(("err", line[1:].strip().decode()))
            else:
                items.append(("ok", json.loads(f.read(int(line[1:]) + 2)[:-2])))
    t.eq([k for k, _ in items], ["ok", "err", "ok", "ok"],
         "a batch answers each interaction: three stored or found, the bad one refused")
    t.ok("BADARG" in items[1][1] and "fax" in items[1][1], "the refusal names its reason", items[1])
    t.ok(items[3][1]["duplicate"] and items[3][1]["ticket"] == items[2][1]["ticket"],
         "the same dedup key twice in one batch: the second is a duplicate of the first", items[2:])
    t.eq(len(redis.cmd("KEYS", P + "att:*")) - keys0, 1,
         "the duplicate's blob is not written; the first interaction's attachment is")


if __name__ == "__main__":
    redis = Redis()
    load_functions(redis)
    d = Daemon(redis, conf=CONF)
    Tap().run([lambda t: test_batched(t, d, redis), lambda t: test_batch_function(t, redis)])
