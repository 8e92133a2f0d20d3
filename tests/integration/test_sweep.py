#!/usr/bin/env python3
"""The security sweep (issue 18): every route rxdeskd registers (GET
/api/v1/routes) called without a session, with a forged cookie and a forged
token, with an expired session, cross-origin with a valid cookie, with an
unknown JSON field and with an oversized body; every WebSocket with a wrong
Origin; every webhook with a bad signature. Each role's answer on each
route is test_roles.py's matrix (its rows give the paths and bodies used
here); slow clients are test_slow.py's."""
import hashlib
import json
import secrets
import socket
import time
import urllib.parse

from rxtest import Daemon, Redis, Tap, WsClient, bearer, login, ws_client_missing
import test_roles

PUBLIC = {("POST", "/api/v1/session"), ("POST", "/api/v1/forms/{}"),
          ("POST", "/api/v1/voice/twilio"), ("POST", "/api/v1/voice/cti")}
WEBHOOKS = {("POST", "/api/v1/voice/twilio"), ("POST", "/api/v1/voice/cti")}
CHANGES = ("POST", "PUT", "PATCH", "DELETE")
EVIL = "http://evil.example"


class E:
    pass


def sample(method, pattern):
    """A concrete path and body for a route, from test_roles' rows."""
    for row in test_roles.ROWS:
        if (row[0], row[1]) == (method, pattern):
            fill = {k: v for k, v in E.fx.items() if isinstance(v, str)}
            fill["self"] = E.ids["admin"]
            body = row[3]("admin") if callable(row[3]) else row[3]
            return row[2].format(**fill), body
    return pattern.replace("{}", "1"), None


def routes():
    s, b = E.d.get("/api/v1/routes", bearer(E.admin))
    return sorted({(x["method"], x["path"]) for x in b["items"]
                   if x["path"].startswith("/api/v1/")})


def call(method, path, body=None, headers=None):
    s, b, h = E.d.request(method, path, body, headers)
    return s, b, h


def json_error(b):
    return isinstance(b, dict) and isinstance(b.get("error"), dict) and b["error"].get("code")


def test_no_credentials(t):
    bad = []
    for m, p in routes():
        if (m, p) in PUBLIC:
            continue
        path, body = sample(m, p)
        for name, h in (("no session", {}),
                        ("a forged cookie", {"Cookie": "rxsession=" + secrets.token_urlsafe(32),
                                             "Origin": E.own}),
                        ("a forged token", {"Authorization": "Bearer " +
                                            secrets.token_urlsafe(32)}),
                        ("an expired cookie", {"Cookie": "rxsession=" + E.expired,
                                               "Origin": E.own}),
                        ("an expired token", bearer(E.expired))):
            s, b, _ = call(m, path, body, h)
            if s != 401 or not json_error(b):
                bad.append("%s %s with %s: %s" % (m, path, name, s))
    t.eq(bad, [], "every protected route: 401 JSON without a session, with a forged cookie "
         "or token, and with an expired session (%d routes x 5)" % len(routes()))


def test_cross_origin(t):
    bad = []
    n = 0
    for m, p in routes():
        if m not in CHANGES or (m, p) in PUBLIC:
            continue
        path, body = sample(m, p)
        n += 1
        for name, h in (("Origin evil.example", {"Origin": EVIL}),
                        ("Sec-Fetch-Site cross-site", {"Sec-Fetch-Site": "cross-site",
                                                       "Origin": EVIL}),
                        ("no Origin at all", {})):
            h = dict(h, Cookie="rxsession=" + E.admin_cookie)
            if body is not None:
                h["Content-Type"] = "application/json"
            s, b, _ = call(m, path, json.dumps(body) if body is not None else None, h)
            if s != 403 or b["error"]["code"] != "origin_refused":
                bad.append("%s %s, %s: %s %r" % (m, path, name, s, b))
        h = {"Cookie": "rxsession=" + E.admin_cookie, "Origin": E.own,
             "Content-Type": "text/plain"}
        if body is not None:
            s, b, _ = call(m, path, json.dumps(body), h)
            if s != 415:
                bad.append("%s %s, JSON as text/plain: %s" % (m, path, s))
    t.eq(bad, [], "every state-changing route (%d) refuses a cookie session from another "
         "origin (403 origin_refused) and a JSON body as text/plain (415)" % n)
    s, b, h = call("GET", "/api/v1/tickets", None, {"Cookie": "rxsession=" + E.admin_cookie,
                                                   "Origin": EVIL})
    t.ok("access-control-allow-origin" not in h, "no CORS header lets another origin read", h)


def test_unknown_fields(t):
    bad, n = [], 0
    for m, p in routes():
        if m not in ("POST", "PUT", "PATCH") or (m, p) in PUBLIC:
            continue
        path, body = sample(m, p)
        if not isinstance(body, dict):
            continue
        n += 1
        s, b, _ = call(m, path, dict(body, zz_unknown=1), bearer(E.admin))
        if s in (404, 409):
            print("# %s %s: %d before the fields are read (fixture)" % (m, path, s))
        elif s != 422 or b["error"].get("field", "zz_unknown") != "zz_unknown" or \
                "script:" in b["error"]["message"]:
            bad.append("%s %s: %s %r" % (m, path, s, b))
    t.eq(bad, [], "an unknown JSON field is 422 (naming it), on every route that changes "
         "something (%d)" % n)


def test_oversized(t):
    big = "x" * (1100 * 1024)
    bad = []
    for m, p in routes() + [("POST", "/api/v1/forms/{}")]:
        if m not in ("POST", "PUT", "PATCH"):
            continue
        path, _ = sample(m, p)
        if p == "/api/v1/forms/{}":
            path = "/api/v1/forms/contact"
        s, b, h = call(m, path, json.dumps({"text": big}), dict(bearer(E.admin), **{
            "Content-Type": "application/json"}))
        if s != 413 or not json_error(b):
            bad.append("%s %s: %s" % (m, path, s))
    t.eq(bad, [], "a body over http.max_body on every route that takes one: 413 JSON")


def test_websockets(t):
    if ws_client_missing():
        t.ok(True, "# SKIP node ws client missing")
        return
    for path, h in (("/agent/ws", {"Cookie": "rxsession=" + E.admin_cookie}), ("/chat/ws", {})):
        for origin in (EVIL, E.own.replace("http://", "https://"),
                       "http://127.0.0.1:%d" % (E.d.http_port + 1)):
            c = WsClient("ws://127.0.0.1:%d%s" % (E.d.http_port, path), headers=h,
                         origin=origin)
            r = c.opened()
            t.ok(r and r["ev"] == "refused" and r["status"] == 403,
                 "%s with Origin %s: 403" % (path, origin), r)
            c.stop()


def test_webhooks(t):
    params = urllib.parse.urlencode({"CallSid": "CA" + "0" * 32, "From": "+380441234567",
                                     "To": "+380441111111", "CallStatus": "ringing"})
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    for name, h in (("no signature", form),
                    ("a bad signature", dict(form, **{"X-Twilio-Signature": "AAAA"}))):
        s, b, _ = call("POST", "/api/v1/voice/twilio", params, h)
        t.ok(s in (401, 403), "Twilio webhook with %s: refused (%d)" % (name, s))
    body = {"event": "newCall", "callId": "c1", "from": "+380441234567", "to": "100",
            "direction": "in"}
    for q in ("", "?token=wrong"):
        s, b, _ = call("POST", "/api/v1/voice/cti" + q, body)
        t.ok(s in (401, 403) and json_error(b), "CTI webhook with %s: refused (%d)"
             % (q or "no token", s))


def test_slow_one(t):
    s = socket.create_connection(("127.0.0.1", E.d.http_port))
    s.settimeout(0.5)
    t0, closed = time.time(), None
    for i in range(16):
        try:
            s.sendall(b"P")
            if s.recv(10) == b"":
                closed = time.time() - t0
                break
        except socket.timeout:
            continue
        except OSError:
            closed = time.time() - t0
            break
    t.ok(closed is not None and closed < 5, "a header sent a byte at a time is cut off "
         "(%s s; test_slow.py has the rest)" % closed)


def main():
    redis = Redis()
    d = Daemon(redis, conf="[auth]\nscrypt_n = 1024\nslowdown_ms = 1\nslowdown_max_ms = 2\n"
               "max_failures = 1000\n[http]\nrate_limit = 0\nmax_body = 1m\n"
               "header_timeout = 2\n"
               "[voice]\ntwilio_auth_token = tw-secret\ncti_token = cti-secret\n"
               "[safety]\nencryption_key = k1:" + "ab" * 32 + "\n")
    E.d, E.own = d, "http://127.0.0.1:%d" % d.http_port
    E.ids, E.fx = test_roles.fixtures(redis)
    E.fx["redis"] = redis
    s, b, _ = d.request("POST", "/api/v1/tickets/%s/case" % E.fx["ae_ticket2"], {},
                        bearer(login(d, "admin@example.com", test_roles.PW)))
    E.fx["case_id"] = str(b["id"]) if s == 201 else "999999"
    # an expired session: its record says so (Redis has not dropped it yet)
    E.expired = login(d, "agent@example.com", test_roles.PW)
    redis.cmd("HSET", "rx:sess:" + hashlib.sha256(E.expired.encode()).hexdigest(),
              "expires", 1)
    E.admin = login(d, "admin@example.com", test_roles.PW)
    E.admin_cookie = E.admin
    Tap().run([test_no_credentials, test_cross_origin, test_unknown_fields, test_oversized,
               test_websockets, test_webhooks, test_slow_one])


if __name__ == "__main__":
    main()
