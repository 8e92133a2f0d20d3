#!/usr/bin/env python3
"""scripts/run as a developer runs it: on a terminal of its own, with the
demo data, stopped by one Ctrl-C, which must drain (an idle SMTP session
hears 421), stop the embedded Redis and exit 0, with no "second signal"."""
import os
import pty
import re
import select
import signal
import socket
import time
import urllib.request

from rxtest import Tap, free_port, tmpdir, SRCDIR, BUILDDIR


class Terminal:
    """COMMAND on a pseudo-terminal, as the foreground job of its session."""

    def __init__(self, argv, env):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            try:
                # A terminal's job hears Ctrl-C even when the test itself was
                # started in the background, where a shell ignores SIGINT
                # and SIGQUIT for its children (and bash cannot trap a
                # signal it was started ignoring).
                for sig in (signal.SIGINT, signal.SIGQUIT, signal.SIGHUP):
                    signal.signal(sig, signal.SIG_DFL)
                os.execvpe(argv[0], argv, env)
            finally:
                os._exit(127)
        self.out = b""
        self.status = None

    def read(self, timeout):
        """Read what came within TIMEOUT seconds; False at end of output."""
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return True
        try:
            b = os.read(self.fd, 65536)
        except OSError:  # EIO: every process on the terminal has closed it
            return False
        self.out += b
        return bool(b)

    def expect(self, text, timeout):
        deadline = time.monotonic() + timeout
        while text.encode() not in self.out and time.monotonic() < deadline:
            if not self.read(0.2):
                break
        return text.encode() in self.out

    def type(self, data):
        os.write(self.fd, data)

    def wait(self, timeout):
        """The exit status (as subprocess returns it), or None on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.read(0.1)
            pid, st = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                while self.read(0.05):
                    pass
                self.status = os.waitstatus_to_exitcode(st)
                return self.status
        return None

    def kill(self):
        if self.status is None:
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except OSError:
                pass

    def text(self):
        return self.out.decode("utf-8", "replace").replace("\r\n", "\n")


def gone(pid):
    if not pid:
        return True
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ", 1)[1].startswith("Z")
    except FileNotFoundError:
        return True


def test_ctrl_c(t):
    http, smtp, data = free_port(), free_port(), os.path.join(tmpdir(), "data")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS"))}
    env.update(RXDESK_HTTP_LISTEN="127.0.0.1:%d" % http, RXDESK_SMTP_LISTEN="127.0.0.1:%d" % smtp,
               RXDESK_SERVER_DATA_DIR=data, BUILD_DIR=BUILDDIR, TERM="dumb")
    term = Terminal([os.path.join(SRCDIR, "scripts", "run")], env)
    rx = redis_pid = 0
    try:
        up = term.expect("Ctrl-C stops rxdeskd", 120)
        t.ok(up, "scripts/run: the banner", term.text()[-3000:])
        if not up:
            return
        text = term.text()
        t.ok("http://127.0.0.1:%d/" % http in text and "127.0.0.1:%d" % smtp in text
             and "data in %s" % data in text, "the banner names the addresses and data in use",
             text[-800:])
        t.ok("olena@example.com" in text and "200 rows" in text, "the demo data was loaded",
             text[-1500:])
        with urllib.request.urlopen("http://127.0.0.1:%d/readyz" % http, timeout=10) as r:
            t.eq(r.status, 200, "ready on the address RXDESK_HTTP_LISTEN gave")
        m = re.search(r"rxdesk is running \(pid (\d+)\)", text)
        rx = int(m.group(1))
        m = re.search(r"eredis pid=(\d+)", text)
        t.ok(m, "rxdeskd started its embedded Redis", text[-1500:])
        redis_pid = int(m.group(1)) if m else 0
        s = socket.create_connection(("127.0.0.1", smtp), timeout=30)
        f = s.makefile("rb")
        f.readline()
        s.sendall(b"HELO c\r\n")
        f.readline()

        term.type(b"\x03")  # Ctrl-C: SIGINT to the terminal's foreground process group
        line = f.readline()
        t.ok(line.startswith(b"421 4.3.2"), "Ctrl-C: an idle SMTP session hears 421 4.3.2", line)
        s.close()
        t.eq(term.wait(30), 0, "Ctrl-C: scripts/run exits 0")
        text = term.text()
        t.eq(len(re.findall(r"level=info signal=\d+ stopping", text)), 1,
             "Ctrl-C: rxdeskd hears one signal and drains")
        t.ok("second signal" not in text and "unfinished" not in text,
             "Ctrl-C: no second signal cuts the drain short", text[-1500:])
        t.ok("eredis pid=%d stopped" % redis_pid in text and "rxdeskd stopped" in text,
             "Ctrl-C: the embedded Redis, then rxdeskd, stop", text[-1500:])
        t.ok(gone(rx) and gone(redis_pid), "Ctrl-C: no rxdeskd or redis-server is left",
             (rx, redis_pid))
        with open(os.path.join(data, "redis.log")) as lf:
            t.ok("ready to exit" in lf.read(), "the embedded Redis shut down cleanly")
    finally:
        term.kill()
        for pid in (rx, redis_pid):  # rxdeskd runs in a session of its own
            if not gone(pid):
                os.kill(pid, signal.SIGKILL)


if __name__ == "__main__":
    Tap().run([test_ctrl_c])
