#!/usr/bin/env python3
"""Agents and auth against a real rxdeskd and redis-server: login by cookie
and bearer, logout, expiry, revocation, failures that look alike, slow-down
then lock-out then unlock, and who may use the agent endpoints."""
import base64
import hashlib
import json
import os
import subprocess
import time

from rxtest import RXDESKD, Daemon, Redis, Tap, add_agent, bearer, login, wait_until

CONF = ("[auth]\nscrypt_n = 1024\nslowdown_ms = 100\nslowdown_max_ms = 400\n"
        "max_failures = 3\nlockout = 8\n[http]\nrate_limit = 0\n")
PW = "correct horse"


def sess_key(token):
    return "rx:sess:" + hashlib.sha256(token.encode()).hexdigest()


def test_login_cookie_and_bearer(t, d, redis):
    a = add_agent(redis, "ann@example.com", roles="agent")
    s, body, h = d.request("POST", "/api/v1/session", {"email": "Ann@Example.com", "password": PW})
    t.eq(s, 201, "login: 201")
    tok = body["token"]
    t.ok(len(tok) == 43 and all(c.isalnum() or c in "-_" for c in tok),
         "login: token is 32 bytes base64url", tok)
    t.eq(body["agent"]["id"], a["id"], "login: the answer names the agent")
    t.ok("pwhash" not in body["agent"], "login: no password hash in the answer")
    t.ok(body["expires"] > time.time() * 1000 + 3600 * 1000, "login: expires is in the future")
    c = h.get("set-cookie", "")
    t.ok(c.startswith("rxsession=" + tok + ";") and "HttpOnly" in c and
         "SameSite=Strict" in c and "Path=/" in c and "Secure" not in c,
         "login: the cookie is HttpOnly, SameSite=Strict, Path=/ (no Secure on HTTP)", c)
    s, me = d.get("/api/v1/session", {"Cookie": "other=1; rxsession=" + tok})
    t.ok(s == 200 and me["agent"]["email"] == "ann@example.com", "whoami by cookie", me)
    s, me = d.get("/api/v1/session", bearer(tok))
    t.ok(s == 200 and me["agent"]["id"] == a["id"], "whoami by bearer", me)
    s, me = d.get("/api/v1/session", {"Authorization": "Basic YTpi", "Cookie": "rxsession=" + tok})
    t.eq(s, 200, "another Authorization scheme leaves the cookie in charge")
    s, me = d.get("/api/v1/session", dict(bearer("C" * 43), Cookie="rxsession=" + tok))
    t.eq(s, 401, "a bearer token wins over the cookie")
    t.ok(redis.cmd("EXISTS", sess_key(tok)) == 1 and redis.cmd("PTTL", sess_key(tok)) > 0,
         "the session is stored by the token's SHA-256 with a TTL")
    t.eq(redis.cmd("KEYS", "*" + tok + "*"), [], "the token itself is stored nowhere")
    s, body, _ = d.request("POST", "/api/v1/session",
                           "email=ann%40example.com&password=correct+horse",
                           {"Content-Type": "application/x-www-form-urlencoded"})
    t.eq(s, 201, "login with an urlencoded form")
    t.ok(body["token"] != tok, "each login gets a new token")


def test_unauthenticated(t, d, redis):
    for name, h in [("no token", {}), ("unknown token", bearer("A" * 43)),
                    ("malformed token", bearer("bad token!")),
                    ("Basic scheme", {"Authorization": "Basic YTpi"}),
                    ("unknown cookie", {"Cookie": "rxsession=" + "B" * 43})]:
        s, body, hh = d.request("GET", "/api/v1/session", headers=h)
        t.ok(s == 401 and body["error"]["code"] == "unauthenticated" and
             "www-authenticate" in hh, "401 unauthenticated: " + name, (s, body))
    for body in [{"email": "ann@example.com"}, {"password": "x"}, "not json"]:
        s, b, _ = d.request("POST", "/api/v1/session", body,
                            {"Content-Type": "application/json"})
        t.ok(s == 400 and b["error"]["code"] == "bad_request", "login: a bad body is 400", (s, b))
    s, b, _ = d.request("POST", "/api/v1/session", "x", {"Content-Type": "text/plain"})
    t.eq(s, 400, "login: a body that is neither JSON nor a form is 400")


def test_logout(t, d, redis):
    add_agent(redis, "lou@example.com")
    t1, t2 = login(d, "lou@example.com", PW), login(d, "lou@example.com", PW)
    s, _, h = d.request("DELETE", "/api/v1/session", headers=bearer(t1))
    t.eq(s, 204, "logout: 204")
    t.ok(h.get("set-cookie", "").startswith("rxsession=;") and "Max-Age=0" in h["set-cookie"],
         "logout clears the cookie", h.get("set-cookie"))
    t.eq(d.get("/api/v1/session", bearer(t1))[0], 401, "the logged-out token is refused")
    t.eq(redis.cmd("EXISTS", sess_key(t1)), 0, "the session is gone from Redis")
    t.eq(d.get("/api/v1/session", bearer(t2))[0], 200, "the agent's other session lives on")
    t.eq(d.request("DELETE", "/api/v1/session", headers=bearer(t1))[0], 401,
         "logout without a session is 401")


def test_cookie_from_console(t, d, redis):
    """A state change on a cookie session must come from the console
    (DESIGN.md section 7): a page elsewhere cannot make a signed-in
    browser add a note, change a ticket or log out."""
    add_agent(redis, "sup@example.com", roles="supervisor")
    s, body, h = d.request("POST", "/api/v1/session", {"email": "sup@example.com", "password": PW})
    cookie = {"Cookie": h["set-cookie"].split(";")[0]}
    tok = body["token"]
    s, f = d.request("POST", "/api/v1/forms/contact",
                     {"name": "Csrf Test", "email": "csrf@example.org", "message": "Hello"},
                     {"Accept": "application/json"})[:2]
    n = f["id"]
    note = json.dumps({"text": "written by the console"})
    own = "http://127.0.0.1:%d" % d.http_port
    cases = [
        ("no Origin, no Sec-Fetch-Site", {}, "application/json", 403),
        ("another Origin", {"Origin": "http://127.0.0.1:%d" % (d.http_port + 1)}, "application/json", 403),
        ("a sibling origin that names the same host", {"Origin": "http://localhost:%d" % d.http_port},
         "application/json", 403),
        ("Sec-Fetch-Site cross-site with our Origin", {"Sec-Fetch-Site": "cross-site", "Origin": own},
         "application/json", 403),
        ("Sec-Fetch-Site same-site", {"Sec-Fetch-Site": "same-site"}, "application/json", 403),
        ("a JSON body as text/plain (a simple request)", {"Origin": own}, "text/plain", 415),
        ("the console's Origin", {"Origin": own}, "application/json", 201),
        ("Sec-Fetch-Site same-origin", {"Sec-Fetch-Site": "same-origin"}, "application/json; charset=utf-8", 201),
    ]
    for name, extra, ctype, want in cases:
        hh = dict(cookie, **extra)
        hh["Content-Type"] = ctype
        s, b, _ = d.request("POST", "/api/v1/tickets/%d/notes" % n, note, hh)
        t.ok(s == want and (want == 201 or b["error"]["code"] in ("origin_refused", "unsupported_media_type")),
             "cookie session, note: %s -> %d" % (name, want), (s, b))
    s, b, _ = d.request("POST", "/api/v1/tickets/%d/notes" % n, note,
                        {"Authorization": "Bearer " + tok, "Content-Type": "application/json"})
    t.eq(s, 201, "a bearer token needs no Origin")
    t.eq(d.get("/api/v1/tickets/%d" % n, cookie)[0], 200, "reading on a cookie session needs no Origin")
    s, _, _ = d.request("DELETE", "/api/v1/session", headers=dict(cookie, Origin="https://evil.example"))
    t.eq(s, 403, "a page elsewhere cannot log the agent out")
    t.eq(d.get("/api/v1/session", cookie)[0], 200, "the session lives on")


def test_indistinguishable(t, d, redis):
    add_agent(redis, "ida@example.com")
    answers = []
    for email in ["ida@example.com", "nobody-here@example.com"]:
        t0 = time.monotonic()
        s, body, h = d.request("POST", "/api/v1/session", {"email": email, "password": "wrong pw"})
        answers.append((s, body, sorted(k for k in h if k not in ("date", "x-request-id")),
                        time.monotonic() - t0))
    (s1, b1, h1, dt1), (s2, b2, h2, dt2) = answers
    t.ok(s1 == s2 == 401 and b1 == b2 and b1["error"]["code"] == "invalid_credentials",
         "wrong password and unknown email: the same 401", answers)
    t.eq(h1, h2, "wrong password and unknown email: the same headers")
    t.ok(dt1 >= 0.09 and dt2 >= 0.09, "both waited the first slow-down (100 ms)", (dt1, dt2))


def timed_login(d, email, pw):
    t0 = time.monotonic()
    s, body, _ = d.request("POST", "/api/v1/session", {"email": email, "password": pw})
    return s, body, time.monotonic() - t0


def test_slowdown_lockout(t, d, redis):
    add_agent(redis, "lea@example.com")
    times = []
    for i in range(3):
        s, body, dt = timed_login(d, "lea@example.com", "wrong %d" % i)
        t.ok(s == 401 and body["error"]["code"] == "invalid_credentials", "failure %d: 401" % (i + 1))
        times.append(dt)
    t.ok(times[0] >= 0.09 and times[1] >= 0.18 and times[2] >= 0.36,
         "failures slow down: 100, 200, then 400 ms (locked)", times)
    lf = redis.cmd("HGET", "rx:lf:lea@example.com", "locked_until")
    t.ok(lf and int(lf) > 0, "the third failure locks the account", lf)
    s, body, dt = timed_login(d, "lea@example.com", PW)
    t.ok(s == 401 and body["error"]["code"] == "invalid_credentials" and dt >= 0.36,
         "locked: even the right password gets the same 401", (s, body, dt))
    s, body, dt = timed_login(d, "nobody-else@example.com", "x")
    t.ok(s == 401 and dt >= 0.09, "another email is not locked by it", (s, dt))
    wait_until(lambda: d.post("/api/v1/session", {"email": "lea@example.com", "password": PW})[0] == 201,
               timeout=60, step=0.3, what="the lock to end")
    now = redis.cmd("TIME")
    t.ok(int(now[0]) * 1000 + int(now[1]) // 1000 >= int(lf),
         "unlocked only after the lock-out (8 s, by the Redis clock)", (now, lf))
    s, body, dt = timed_login(d, "lea@example.com", "wrong again")
    t.ok(s == 401 and 0.09 <= dt < 0.4 + 5, "after a success the counter starts again", dt)
    t.eq(redis.cmd("HGET", "rx:lf:lea@example.com", "failed"), "1", "the counter is back to 1")
    s, text, _ = d.request("GET", "/metrics")
    text = text.decode() if isinstance(text, bytes) else text
    counts = {}
    for line in text.splitlines():
        if line.startswith("rxdesk_logins_total{"):
            counts[line.split('"')[1]] = float(line.split()[-1])
    t.ok(counts.get("ok", 0) >= 1 and counts.get("failed", 0) >= 3 and counts.get("locked", 0) >= 1,
         "rxdesk_logins_total counts ok, failed and locked logins", counts)
    t.ok("lea@example.com" not in d.logtext(), "failed logins do not log the email")


def test_expiry(t, redis):
    d = Daemon(redis, conf="[auth]\nsession_ttl = 2\n[redis]\nprefix = ex:\n")
    admin = add_agent(redis, "exp@example.com", roles="admin", prefix="ex:")
    tok = login(d, "exp@example.com", PW)
    t.eq(d.get("/api/v1/session", bearer(tok))[0], 200, "expiry: the session works at first")
    t.ok(0 < redis.cmd("PTTL", "ex:sess:" + hashlib.sha256(tok.encode()).hexdigest()) <= 2000,
         "expiry: Redis holds it for session_ttl")
    wait_until(lambda: d.get("/api/v1/session", bearer(tok))[0] == 401, timeout=15,
               step=0.2, what="the session to expire")
    t.ok(True, "expiry: after session_ttl the token is refused")
    # The default scrypt cost (N=2^15, r=8, p=1), checked by another implementation.
    tok = login(d, "exp@example.com", PW)
    s, a = d.post("/api/v1/agents", {"name": "Dee", "email": "dee@example.com",
                                     "roles": ["agent"], "password": "dee's password"}, bearer(tok))
    t.eq(s, 201, "an admin creates an agent with a password")
    h = redis.cmd("HGET", "ex:a:" + a["id"], "pwhash")
    parts = h.split("$")
    t.eq(parts[:4], ["scrypt", "32768", "8", "1"], "the hash says scrypt N=2^15 r=8 p=1")
    key = hashlib.scrypt(b"dee's password", salt=base64.b64decode(parts[4]), n=32768, r=8, p=1,
                         maxmem=64 << 20, dklen=32)
    t.eq(base64.b64encode(key).decode(), parts[5], "Python's hashlib.scrypt agrees with the hash")
    other = add_agent(redis, "eve@example.com", prefix="ex:")
    t.ok(redis.cmd("HGET", "ex:a:" + other["id"], "pwhash").split("$")[4] != parts[4],
         "each hash has its own salt")
    t.eq(login(d, "dee@example.com", "dee's password") != "", True, "the new agent logs in")
    d.stop()


def test_agents_roles(t, d, redis):
    ag = add_agent(redis, "al@example.com", roles="agent")
    sup = add_agent(redis, "sue@example.com", roles="supervisor")
    adm = add_agent(redis, "ada@example.com", roles="admin")
    ta, ts, tadm = (login(d, e, PW) for e in ["al@example.com", "sue@example.com", "ada@example.com"])
    t.eq(d.get("/api/v1/agents")[0], 401, "agents list: no session 401")
    s, b = d.get("/api/v1/agents", bearer(ta))
    t.ok(s == 403 and b["error"]["code"] == "forbidden", "agents list: agent 403", (s, b))
    s, b = d.get("/api/v1/agents", bearer(ts))
    t.ok(s == 200 and any(x["id"] == ag["id"] for x in b["items"]) and
         all("pwhash" not in x for x in b["items"]), "agents list: supervisor 200", s)
    t.eq(d.get("/api/v1/agents", bearer(tadm))[0], 200, "agents list: admin 200")
    t.eq(d.get("/api/v1/agents/" + ag["id"], bearer(ta))[0], 200, "an agent reads itself")
    t.eq(d.get("/api/v1/agents/" + adm["id"], bearer(ta))[0], 403, "an agent may not read another")
    t.eq(d.get("/api/v1/agents/99999", bearer(tadm))[0], 404, "unknown agent: 404")
    t.eq(d.get("/api/v1/agents/abc", bearer(tadm))[0], 404, "non-numeric id: 404")
    new = {"name": "Nia", "email": "nia@example.com", "roles": ["agent", "safety"],
           "skills": {"medinfo": 3, "safety": 2}, "languages": ["uk", "en"],
           "capacity": {"voice": 1, "chat": 3, "mail": 10}, "password": "nia password"}
    t.eq(d.post("/api/v1/agents", new, bearer(ts))[0], 403, "create: supervisor 403")
    s, a = d.post("/api/v1/agents", new, bearer(tadm))
    t.ok(s == 201 and a["roles"] == ["agent", "safety"] and a["skills"] == {"medinfo": 3, "safety": 2}
         and a["languages"] == ["uk", "en"] and a["capacity"]["mail"] == 10, "create: admin 201", a)
    s, b = d.post("/api/v1/agents", new, bearer(tadm))
    t.ok(s == 409 and b["error"]["field"] == "email", "create: the same email again is 409", b)
    for field, patch in [("roles", {"roles": ["boss"]}), ("password", {"password": "short"}),
                         ("email", {"email": "no-at-sign"}), ("skills", {"skills": {"x": "high"}}),
                         ("name", {"name": ""})]:
        bad = dict(new, email="x%s@example.com" % field)
        bad.update(patch)
        s, b = d.post("/api/v1/agents", bad, bearer(tadm))
        t.ok(s == 422 and b["error"]["field"] == field, "create: bad %s is 422" % field, (s, b))
    t.eq(d.request("PATCH", "/api/v1/agents/" + a["id"], {"name": "X"}, bearer(ts))[0], 403,
         "update: supervisor 403")
    s, b, _ = d.request("PATCH", "/api/v1/agents/" + a["id"], {"pwhash": "scrypt$1"}, bearer(tadm))
    t.ok(s == 422 and b["error"]["field"] == "pwhash", "update: unknown field is 422", b)
    s, b, _ = d.request("PATCH", "/api/v1/agents/" + a["id"], {"disabled": "no"}, bearer(tadm))
    t.ok(s == 422 and b["error"]["field"] == "disabled", "update: disabled must be a boolean", b)
    tn = login(d, "nia@example.com", "nia password")
    s, b, _ = d.request("PATCH", "/api/v1/agents/" + a["id"],
                        {"roles": ["supervisor"], "password": "a new password"}, bearer(tadm))
    t.ok(s == 200 and b["roles"] == ["supervisor"], "update: admin changes roles and password", b)
    t.eq(d.get("/api/v1/session", bearer(tn))[0], 401, "a new password ends the old sessions")
    t.eq(d.post("/api/v1/session", {"email": "nia@example.com", "password": "nia password"})[0],
         401, "the old password no longer works")
    tn = login(d, "nia@example.com", "a new password")
    t.eq(d.get("/api/v1/agents", bearer(tn))[0], 200, "the new role counts at once")
    s, b, _ = d.request("PATCH", "/api/v1/agents/" + a["id"], {"disabled": True}, bearer(tadm))
    t.ok(s == 200 and b["disabled"] is True, "update: disable", b)
    t.eq(d.get("/api/v1/session", bearer(tn))[0], 401, "a disabled agent's sessions end")
    t.eq(d.post("/api/v1/session", {"email": "nia@example.com", "password": "a new password"})[0],
         401, "a disabled agent cannot log in")
    audit = redis.cmd("XRANGE", "rx:audit", "-", "+")
    t.ok(any("agent:" + a["id"] in e[1] for e in audit), "agent changes are audited")


def test_revoke(t, d, redis):
    ag = add_agent(redis, "rev@example.com")
    add_agent(redis, "rad@example.com", roles="admin")
    t1, t2 = login(d, "rev@example.com", PW), login(d, "rev@example.com", PW)
    tadm = login(d, "rad@example.com", PW)
    path = "/api/v1/agents/%s/sessions" % ag["id"]
    t.eq(d.request("DELETE", path, headers=bearer(t1))[0], 403, "revoke: an agent may not")
    s, b, _ = d.request("DELETE", path, headers=bearer(tadm))
    t.ok(s == 200 and b["deleted"] == 2, "revoke: admin ends both sessions", b)
    t.ok(d.get("/api/v1/session", bearer(t1))[0] == 401 and
         d.get("/api/v1/session", bearer(t2))[0] == 401, "revoked tokens are refused")
    t.eq(d.get("/api/v1/session", bearer(tadm))[0], 200, "the admin's own session lives")
    t.eq(d.request("DELETE", "/api/v1/agents/99999/sessions", headers=bearer(tadm))[0], 404,
         "revoke: unknown agent 404")


def test_redis_away(t, d, redis):
    add_agent(redis, "ray@example.com")
    tok = login(d, "ray@example.com", PW)
    redis.kill()
    s, b, h = d.request("GET", "/api/v1/session", headers=bearer(tok))
    t.ok(s == 503 and "retry-after" in h, "Redis away: the guard answers 503", (s, b))
    s, b, h = d.request("POST", "/api/v1/session", {"email": "ray@example.com", "password": PW})
    t.eq(s, 503, "Redis away: login answers 503")
    redis.start()
    wait_until(lambda: d.get("/readyz")[0] == 200, timeout=20, what="readiness")
    t.eq(d.get("/api/v1/session", bearer(tok))[0], 200, "Redis back: the session works again")


def test_ctl(t, d, redis):
    """rxdeskctl agent add / list against the same Redis."""
    r = d.ctl("agent", "add", "--name", "Cli Agent", "--email", "cli@example.com",
              "--roles", "agent,supervisor", "--skills", "medinfo:3,safety:2",
              "--languages", "uk,en", "--capacity", "voice:1,chat:3,mail:10",
              "--password", "cli password")
    t.ok(r.returncode == 0 and "cli@example.com" in r.stdout, "ctl agent add --password", r)
    s, body, _ = d.request("POST", "/api/v1/session", {"email": "cli@example.com",
                                                      "password": "cli password"})
    t.ok(s == 201 and body["agent"]["roles"] == ["agent", "supervisor"] and
         body["agent"]["skills"] == {"medinfo": 3, "safety": 2} and
         body["agent"]["languages"] == ["uk", "en"] and
         body["agent"]["capacity"] == {"voice": 1, "chat": 3, "mail": 10},
         "the agent rxdeskctl made logs in, with its roles, skills, languages and capacity", body)
    r = d.ctl("agent", "add", "--name", "Stdin", "--email", "stdin@example.com",
              "--roles", "admin", input="from stdin pw\n")
    t.eq(r.returncode, 0, "ctl agent add reads the password from standard input")
    t.eq(d.post("/api/v1/session", {"email": "stdin@example.com", "password": "from stdin pw"})[0],
         201, "that password works")
    r = d.ctl("agent", "add", "--name", "Dup", "--email", "CLI@example.com", "--roles", "agent",
              "--password", "whatever pw")
    t.ok(r.returncode == 1 and "exists" in r.stderr, "ctl agent add: a taken email fails", r)
    r = d.ctl("agent", "add", "--name", "Bad", "--email", "bad@example.com", "--roles", "boss",
              "--password", "whatever pw")
    t.ok(r.returncode == 2 and "role" in r.stderr, "ctl agent add: an unknown role is a usage error", r)
    r = d.ctl("agent", "add", "--name", "Short", "--email", "short@example.com", "--roles", "agent",
              "--password", "short")
    t.eq(r.returncode, 1, "ctl agent add: a short password fails")
    r = d.ctl("agent", "list")
    t.ok(r.returncode == 0 and "cli@example.com" in r.stdout and "stdin@example.com" in r.stdout
         and "agent,supervisor" in r.stdout, "ctl agent list shows them", r.stdout)


def test_two_nodes(t, d, redis):
    """Sessions and lock-outs live in Redis: any node honours them."""
    d2 = Daemon(redis, conf=CONF)
    add_agent(redis, "two@example.com")
    tok = login(d, "two@example.com", PW)
    t.eq(d2.get("/api/v1/session", bearer(tok))[0], 200, "two nodes: a session from node 1 works on node 2")
    t.eq(d2.request("DELETE", "/api/v1/session", headers=bearer(tok))[0], 204, "two nodes: logout on node 2")
    t.eq(d.get("/api/v1/session", bearer(tok))[0], 401, "two nodes: node 1 refuses it at once")
    for node in (d, d2, d):
        node.post("/api/v1/session", {"email": "two@example.com", "password": "wrong"})
    t.eq(d2.post("/api/v1/session", {"email": "two@example.com", "password": PW})[0], 401,
         "two nodes: failures on both nodes add up to the lock")
    d2.stop()


def test_check_config(t):
    """auth.scrypt_n must be a power of two; --check-config says so."""
    env = dict(os.environ, RXDESK_AUTH_SCRYPT_N="1000")
    r = subprocess.run([RXDESKD, "--check-config"], capture_output=True, text=True,
                       env=env, timeout=60)
    t.ok(r.returncode == 1 and "auth.scrypt_n" in r.stderr, "--check-config: scrypt_n 1000 refused", r)
    env["RXDESK_AUTH_SCRYPT_N"] = "16384"
    r = subprocess.run([RXDESKD, "--check-config"], capture_output=True, text=True,
                       env=env, timeout=60)
    t.ok(r.returncode == 0 and "scrypt_n = 16384" in r.stdout, "--check-config: scrypt_n 16384 taken", r)


def main():
    redis = Redis()
    d = Daemon(redis, conf=CONF)
    tests = [test_login_cookie_and_bearer, test_unauthenticated, test_logout, test_cookie_from_console,
             test_indistinguishable, test_slowdown_lockout, test_agents_roles,
             test_revoke, test_ctl, test_two_nodes, test_redis_away]
    wrapped = [(lambda fn: (lambda t: fn(t, d, redis)))(fn) for fn in tests]
    for w, fn in zip(wrapped, tests):
        w.__name__ = fn.__name__
    wrapped.append(lambda t: test_expiry(t, Redis()))
    wrapped[-1].__name__ = "test_expiry"
    wrapped.append(test_check_config)
    Tap().run(wrapped)


if __name__ == "__main__":
    main()
