"""rxtest: the integration tests' harness.

Each test file starts its own redis-server and rxdeskd on free loopback
ports, prints TAP, and cleans up by PID. Only the standard library is used,
so the clients here are real ones (http.client, smtplib, sockets).
"""
import atexit
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

BUILDDIR = os.environ.get("RXDESK_BUILDDIR", os.getcwd())
SRCDIR = os.environ.get("RXDESK_SRCDIR", BUILDDIR)
REDIS_SERVER = os.environ.get("REDIS_SERVER", "/usr/bin/redis-server")
RXDESKD = os.path.join(BUILDDIR, "rxdeskd")
RXDESKCTL = os.path.join(BUILDDIR, "rxdeskctl")

_procs = []
_tmpdirs = []


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tmpdir():
    d = tempfile.mkdtemp(prefix="rxt")
    _tmpdirs.append(d)
    return d


def wait_until(pred, timeout=10.0, step=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            v = pred()
            if v:
                return v
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(step)
    raise AssertionError("timed out waiting for " + what)


class Redis:
    """A private redis-server on a free loopback port."""

    def __init__(self, port=None, appendonly=True, fsync="everysec"):
        self.port = port or free_port()
        self.dir = tmpdir()
        self.appendonly = appendonly
        self.fsync = fsync
        self.start()

    def start(self):
        args = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", self.dir, "--save", "", "--daemonize", "no",
                "--appendonly", "yes" if self.appendonly else "no",
                "--appendfsync", self.fsync, "--logfile", os.path.join(self.dir, "log")]
        self.args = args
        self.proc = subprocess.Popen(args)
        _procs.append(self.proc)
        wait_until(self._pong, timeout=60, what="redis-server")

    def _pong(self):
        try:
            return self.cmd("PING") == "PONG"
        except RuntimeError:  # -LOADING while the AOF is read back
            return False

    def url(self):
        return "redis://127.0.0.1:%d/0" % self.port

    def kill(self):
        self.proc.kill()
        self.proc.wait()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def cmd(self, *args, timeout=5):
        """One command over RESP; returns str, int, list or None."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as s:
            out = b"*%d\r\n" % len(args)
            for a in args:
                a = a if isinstance(a, bytes) else str(a).encode()
                out += b"$%d\r\n%s\r\n" % (len(a), a)
            s.sendall(out)
            f = s.makefile("rb")
            return _resp(f)


def _resp(f):
    line = f.readline()
    if not line:
        raise OSError("redis closed")
    t, rest = line[:1], line[1:-2]
    if t == b"+":
        return rest.decode()
    if t == b"-":
        raise RuntimeError(rest.decode())
    if t == b":":
        return int(rest)
    if t == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)[:-2]
        try:
            return data.decode()
        except UnicodeDecodeError:
            return data
    if t == b"*":
        n = int(rest)
        return None if n < 0 else [_resp(f) for _ in range(n)]
    raise OSError("bad RESP " + repr(line))


class Daemon:
    """A real rxdeskd with its own config file and ports."""

    def __init__(self, redis=None, conf="", env=None, embedded=False, wrapper=None,
                 start_timeout=10.0):
        self.wrapper = list(wrapper or [])
        self.start_timeout = start_timeout
        self.dir = tmpdir()
        self.http_port = free_port()
        self.smtp_port = free_port()
        self.redis = redis
        # public_url: where this node is reached, as a deployment says it
        text = "[server]\ndata_dir = %s\nlog_level = debug\nshutdown_timeout = 5\n" \
               "public_url = http://127.0.0.1:%d\n" \
               "[http]\nlisten = 127.0.0.1:%d\nweb_root = %s\n" \
               "[smtp]\nlisten = 127.0.0.1:%d\n" % (
                   os.path.join(self.dir, "data"), self.http_port, self.http_port,
                   os.path.join(SRCDIR, "web"), self.smtp_port)
        if not embedded:
            text += "[redis]\nurl = %s\ntimeout_ms = 1000\n" % redis.url()
        self.conf_path = os.path.join(self.dir, "rxdesk.conf")
        with open(self.conf_path, "w") as f:
            f.write(merge_ini(text, conf))
        self.env = dict(os.environ)
        self.env.update(env or {})
        self.log_path = os.path.join(self.dir, "rxdeskd.log")
        self.start()

    def start(self, wait_ready=True):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.wrapper + [RXDESKD, "-c", self.conf_path],
                                     stdout=self.log, stderr=self.log, env=self.env)
        _procs.append(self.proc)
        wait_until(lambda: self.get("/healthz")[0] == 200, timeout=self.start_timeout,
                   what="rxdeskd /healthz")
        if wait_ready:
            wait_until(lambda: self.get("/readyz")[0] == 200, timeout=self.start_timeout,
                       what="rxdeskd /readyz")

    def stop(self, sig=signal.SIGTERM, timeout=60):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=timeout)
        self.log.close()
        return self.proc.returncode

    def logtext(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def request(self, method, path, body=None, headers=None, port=None):
        c = http.client.HTTPConnection("127.0.0.1", port or self.http_port, timeout=10)
        h = dict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            body = body.encode()
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        c.close()
        ctype = hdrs.get("content-type", "")
        if ctype.startswith("application/json") and data:
            data = json.loads(data)
        return r.status, data, hdrs

    def get(self, path, headers=None):
        s, d, _ = self.request("GET", path, headers=headers)
        return s, d

    def post(self, path, body, headers=None):
        s, d, _ = self.request("POST", path, body, headers)
        return s, d

    def ctl(self, *args, input=None):
        return subprocess.run([RXDESKCTL, "-c", self.conf_path] + list(args),
                              input=input, capture_output=True, env=self.env,
                              text=True, timeout=600)


def merge_ini(base, extra):
    """Append EXTRA's keys into BASE's sections (later keys win in rxdeskd)."""
    if not extra:
        return base
    return base + "\n" + extra + "\n"


class Tap:
    """Minimal TAP producer: every check is one numbered line."""

    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, diag=None):
        self.n += 1
        print("%s %d - %s" % ("ok" if cond else "not ok", self.n, name), flush=True)
        if not cond:
            self.failed += 1
            if diag is not None:
                for line in str(diag).splitlines():
                    print("# " + line, flush=True)
        return cond

    def eq(self, got, want, name):
        return self.ok(got == want, name, "got:  %r\nwant: %r" % (got, want))

    def run(self, tests):
        """Run each test function; an exception fails that test."""
        for fn in tests:
            try:
                fn(self)
            except Exception:
                self.ok(False, fn.__name__ + " raised", traceback.format_exc())
        print("1..%d" % self.n, flush=True)
        cleanup()
        sys.exit(1 if self.failed else 0)


def cleanup():
    for p in _procs:
        if p.poll() is None:
            p.kill()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
    del _procs[:]
    if not os.environ.get("RXTEST_KEEP"):
        for d in _tmpdirs:
            shutil.rmtree(d, ignore_errors=True)


atexit.register(cleanup)


def load_functions(redis):
    """Load the built Redis function library (server/rxdesk.lua) into REDIS,
    as rxdeskd would at connect, for tests that drive functions by FCALL."""
    with open(os.path.join(BUILDDIR, "server", "rxdesk.lua"), "rb") as f:
        return redis.cmd("FUNCTION", "LOAD", "REPLACE", f.read())


class Subscriber:
    """A SUBSCRIBE connection to REDIS on CHANNEL; next() returns the next
    published message (str), or None when none came within TIMEOUT seconds
    (the connection stays usable)."""

    def __init__(self, redis, channel):
        self.sock = socket.create_connection(("127.0.0.1", redis.port), timeout=10)
        ch = channel.encode()
        self.sock.sendall(b"*2\r\n$9\r\nSUBSCRIBE\r\n$%d\r\n%s\r\n" % (len(ch), ch))
        self.buf = b""
        self.next(10.0, confirm=True)

    def _parse(self, pos):
        """One RESP value at POS of the buffer: (value, end) or None if short."""
        nl = self.buf.find(b"\r\n", pos)
        if nl < 0:
            return None
        t, rest = self.buf[pos:pos + 1], self.buf[pos + 1:nl]
        if t == b"$":
            n = int(rest)
            if len(self.buf) < nl + 2 + n + 2:
                return None
            return self.buf[nl + 2:nl + 2 + n].decode("utf-8", "replace"), nl + 4 + n
        if t == b"*":
            out, at = [], nl + 2
            for _ in range(int(rest)):
                r = self._parse(at)
                if r is None:
                    return None
                out.append(r[0])
                at = r[1]
            return out, at
        return rest.decode(), nl + 2

    def next(self, timeout=10.0, confirm=False):
        deadline = time.monotonic() + timeout
        while True:
            r = self._parse(0) if self.buf else None
            if r is not None:
                self.buf = self.buf[r[1]:]
                m = r[0]
                if isinstance(m, list) and m[0] == ("subscribe" if confirm else "message"):
                    return m[1] if confirm else m[2]
                continue
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                return None
            if not data:
                raise OSError("redis closed the subscription")
            self.buf += data

    def close(self):
        self.sock.close()


def scrypt_hash(password, n=1024, r=8, p=1):
    """An agent password hash as rxdeskd writes it (server/auth/auth_password.c):
    scrypt$N$r$p$<salt base64>$<hash base64>."""
    import base64
    import hashlib
    salt = os.urandom(16)
    key = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p,
                         maxmem=256 * r * (n + p + 2) + (1 << 20), dklen=32)
    return "scrypt$%d$%d$%d$%s$%s" % (n, r, p, base64.b64encode(salt).decode(),
                                      base64.b64encode(key).decode())


def add_agent(redis, email, password="correct horse", roles="agent", name=None,
              prefix="rx:", **more):
    """Create an agent straight in REDIS (rx_agent_add, the function library
    must be loaded: a running rxdeskd or load_functions). ROLES is a comma
    list; MORE may hold skills, languages, capacity. Returns the agent (dict)."""
    a = {"name": name or email.split("@")[0], "email": email,
         "roles": roles.split(",") if isinstance(roles, str) else roles,
         "pwhash": scrypt_hash(password)}
    a.update(more)
    return json.loads(redis.cmd("FCALL", "rx_agent_add", 0, prefix, json.dumps(a)))


def login(daemon, email, password="correct horse"):
    """Log in through POST /api/v1/session; returns the bearer token, or
    raises AssertionError with the answer."""
    s, d, _ = daemon.request("POST", "/api/v1/session",
                             {"email": email, "password": password})
    if s != 201:
        raise AssertionError("login %s: %s %r" % (email, s, d))
    return d["token"]


def bearer(token):
    """Headers for a request with TOKEN."""
    return {"Authorization": "Bearer " + token}


NODE = shutil.which("node") or "/usr/bin/node"
WS_CLIENT = os.path.join(SRCDIR, "tests", "integration", "ws", "client.js")


def ws_client_missing():
    """Why the node WebSocket client cannot run (None when it can): node,
    or tests/node_modules (scripts/bootstrap with BOOTSTRAP_TEST_TOOLS=1)."""
    if not os.path.exists(NODE):
        return "node is not installed"
    if not os.path.isdir(os.path.join(SRCDIR, "tests", "node_modules", "ws")):
        return "tests/node_modules/ws is missing (BOOTSTRAP_TEST_TOOLS=1 scripts/bootstrap)"
    return None


class WsClient:
    """A real RFC 6455 client: node's "ws" package run as
    tests/integration/ws/client.js, driven over pipes. Every report is a
    dict ({"ev": "open" | "message" | "ping" | "pong" | "close" | "refused"
    | "error", ...}); next() returns them in order."""

    def __init__(self, url, headers=None, origin=None, auto_pong=True, insecure=False):
        import queue
        import threading
        opts = {"headers": headers or {}, "autoPong": auto_pong, "insecure": insecure}
        if origin:
            opts["origin"] = origin
        self.proc = subprocess.Popen([NODE, WS_CLIENT, url, json.dumps(opts)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, bufsize=1)
        _procs.append(self.proc)
        self.q = queue.Queue()
        self.seen = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                self.q.put(json.loads(line))
            except ValueError:
                self.q.put({"ev": "garbage", "line": line})
        self.q.put(None)

    def next(self, pred=None, timeout=10.0):
        """The next report for which PRED is true (any, without PRED); the
        ones skipped stay in self.seen. None on timeout or exit."""
        import queue
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                r = self.q.get(timeout=left)
            except queue.Empty:
                return None
            if r is None:
                self.q.put(None)
                return None
            self.seen.append(r)
            if pred is None or pred(r):
                return r

    def message(self, pred=None, timeout=10.0):
        """The next text message decoded as JSON for which PRED is true."""
        def want(r):
            if r["ev"] == "close":
                return True
            if r["ev"] != "message":
                return False
            r["json"] = json.loads(r["data"])
            return pred is None or pred(r["json"])
        r = self.next(want, timeout)
        return r["json"] if r and r["ev"] == "message" else None

    def opened(self, timeout=15.0):
        """Wait for the handshake: the "open" report, or "refused",
        "close" or "error" (None on timeout)."""
        return self.next(lambda r: r["ev"] in ("open", "refused", "close", "error"),
                         timeout)

    def closed(self, timeout=15.0):
        """Wait for the "close" report: {"code", "reason", "t"}."""
        return self.next(lambda r: r["ev"] == "close", timeout)

    def op(self, **cmd):
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()

    def send(self, obj):
        """Send OBJ as one text message (JSON unless it is a str)."""
        self.op(op="send", text=obj if isinstance(obj, str) else json.dumps(obj))

    def stop(self):
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
