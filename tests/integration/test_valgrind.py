#!/usr/bin/env python3
"""rxdeskd under valgrind through a Redis outage and a clean stop: no leaks,
no invalid accesses. Skipped (as a TAP skip) when valgrind is missing or in
the sanitizer build, where ASan already watches every access."""
import os
import shutil
import sys

from rxtest import Daemon, Redis, Tap, wait_until


def test_valgrind(t):
    log = os.path.join(os.environ.get("TMPDIR", "/tmp"), "rxt-valgrind-%d.log" % os.getpid())
    vg = ["valgrind", "--quiet", "--leak-check=full", "--show-leak-kinds=definite,indirect",
          "--errors-for-leak-kinds=definite,indirect", "--error-exitcode=99",
          "--log-file=" + log]
    redis = Redis()
    d = Daemon(redis, wrapper=vg, start_timeout=60)
    for path in ("/healthz", "/readyz", "/metrics", "/nope"):
        d.get(path)
    redis.kill()
    wait_until(lambda: d.get("/readyz")[0] == 503, timeout=30, what="readyz 503")
    redis.start()
    wait_until(lambda: d.get("/readyz")[0] == 200, timeout=30, what="readyz 200")
    rc = d.stop(timeout=120)
    report = open(log).read() if os.path.exists(log) else ""
    t.ok(rc == 0, "rxdeskd under valgrind exits 0 (no leaks, no errors)", report[-4000:])
    if os.path.exists(log):
        os.unlink(log)
    redis.stop()


if __name__ == "__main__":
    asan = "asan" in os.environ.get("RXDESK_BUILDDIR", "")
    if shutil.which("valgrind") is None or asan:
        print("1..0 # SKIP %s" % ("sanitizer build" if asan else "valgrind not installed"))
        sys.exit(0)
    Tap().run([test_valgrind])
