#!/usr/bin/env python3
"""The benchmark harness behind bench/run.

Each bench/case_*.py defines ORDER (an int) and run(ctx) returning rows
(dicts: name, figure, unit, ceiling_name, ceiling, p50_ms, p99_ms,
cpu_us_per_op, rss_mb, note). Adding a channel's benchmark is adding one
such file. ctx gives the processes and the load tools."""
import argparse
import glob
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(pred, timeout=20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if pred():
                return True
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError("timed out")


def http_get(port, path):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=2) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def proc_cpu_s(pid):
    """utime + stime of PID in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_rss_mb(pid, key="VmRSS"):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024.0
    return 0.0


class Ctx:
    def __init__(self, builddir, quick):
        self.builddir = builddir
        self.quick = quick
        self.duration = 2 if quick else 15
        self.tmp = tempfile.mkdtemp(prefix="rxbench")
        self.procs = []
        self.redis_port = free_port()
        self.redis = self.spawn([REDIS_SERVER, "--port", str(self.redis_port), "--bind",
                                 "127.0.0.1", "--dir", self.tmp, "--save", "",
                                 "--appendonly", "yes", "--appendfsync", "always",
                                 "--logfile", os.path.join(self.tmp, "redis.log")])
        wait_for(lambda: self.redis_cmd("PING").startswith(b"+PONG"))
        self.rxdeskd = None

    def spawn(self, args, **kw):
        p = subprocess.Popen(args, stdout=kw.pop("stdout", subprocess.DEVNULL),
                             stderr=kw.pop("stderr", subprocess.DEVNULL), **kw)
        self.procs.append(p)
        return p

    def redis_cmd(self, *args):
        with socket.create_connection(("127.0.0.1", self.redis_port), timeout=5) as s:
            out = b"*%d\r\n" % len(args)
            for a in args:
                a = a if isinstance(a, bytes) else str(a).encode()
                out += b"$%d\r\n%s\r\n" % (len(a), a)
            s.sendall(out)
            return s.recv(1 << 20)

    def redis_calls(self):
        """Total commands Redis has executed (from INFO stats)."""
        info = self.redis_cmd("INFO", "stats").decode()
        for line in info.splitlines():
            if line.startswith("total_commands_processed:"):
                return int(line.split(":")[1])
        return 0

    def start_rxdeskd(self, extra=""):
        if self.rxdeskd:
            return self.rxdeskd
        self.http_port, self.smtp_port = free_port(), free_port()
        conf = os.path.join(self.tmp, "rxdesk.conf")
        with open(conf, "w") as f:
            f.write("[server]\ndata_dir = %s\nlog_level = warn\n"
                    "[http]\nlisten = 127.0.0.1:%d\nrate_limit = 0\nmax_per_ip = 0\n"
                    "[form contact]\ndedup_window = 0\n"
                    "[smtp]\nlisten = 127.0.0.1:%d\ndomains = example.com\nmax_sessions = 1000\n"
                    "[redis]\nurl = redis://127.0.0.1:%d/0\n%s\n"
                    % (os.path.join(self.tmp, "data"), self.http_port, self.smtp_port,
                       self.redis_port, extra))
        self.rxdeskd = self.spawn([os.path.join(self.builddir, "rxdeskd"), "-c", conf],
                                  stderr=open(os.path.join(self.tmp, "rxdeskd.log"), "wb"))
        wait_for(lambda: http_get(self.http_port, "/readyz") == 200)
        return self.rxdeskd

    def wrk(self, port, path, body, ctype="application/x-www-form-urlencoded",
            conns=64, duration=None, delay_ms=None, pid=None):
        """Run wrk -t1 -cCONNS; returns dict with rps, p50_ms, p99_ms, errors,
        and cpu_us_per_op of PID when given."""
        bodyf = os.path.join(self.tmp, "body")
        with open(bodyf, "wb") as f:
            f.write(body if isinstance(body, bytes) else body.encode())
        env = dict(os.environ, BENCH_BODY=bodyf, BENCH_CTYPE=ctype)
        if delay_ms:
            env["BENCH_DELAY_MS"] = str(delay_ms)
        cpu0 = proc_cpu_s(pid) if pid else 0
        out = subprocess.run(["wrk", "-t1", "-c%d" % conns, "-d%ds" % (duration or self.duration),
                              "--timeout", "5s", "-s", os.path.join(HERE, "wrk_post.lua"),
                              "http://127.0.0.1:%d%s" % (port, path)],
                             capture_output=True, text=True, env=env, timeout=600).stdout
        cpu1 = proc_cpu_s(pid) if pid else 0
        line = [l for l in out.splitlines() if l.startswith("BENCHJSON ")]
        if not line:
            raise RuntimeError("wrk printed no result:\n" + out)
        j = json.loads(line[0][10:])
        secs = j["duration_us"] / 1e6
        ok = j["requests"] - j["non2xx"]
        return {"rps": ok / secs if secs else 0, "requests": j["requests"],
                "p50_ms": j["p50_us"] / 1000.0, "p99_ms": j["p99_us"] / 1000.0,
                "errors": j["errors"] + j["non2xx"],
                "cpu_us_per_op": (cpu1 - cpu0) * 1e6 / ok if pid and ok else None}

    def close(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


def fmt(v, spec="%.0f"):
    return "-" if v is None else spec % v


def print_table(rows):
    head = ["benchmark", "figure", "ceiling (same run)", "ratio", "p50 ms", "p99 ms",
            "CPU us/op", "peak RSS MB"]
    body = []
    for r in rows:
        ratio = (r["figure"] / r["ceiling"]) if r.get("ceiling") and r.get("figure") is not None else None
        body.append([r["name"],
                     "%s %s" % (fmt(r.get("figure")), r.get("unit", "")),
                     "%s %s" % (r.get("ceiling_name", "-"), fmt(r.get("ceiling"))) if r.get("ceiling") else "-",
                     fmt(ratio * 100 if ratio is not None else None, "%.1f%%"),
                     fmt(r.get("p50_ms"), "%.2f"), fmt(r.get("p99_ms"), "%.2f"),
                     fmt(r.get("cpu_us_per_op"), "%.1f"), fmt(r.get("rss_mb"), "%.1f")])
    widths = [max(len(x[i]) for x in [head] + body) for i in range(len(head))]
    line = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"
    print(line(head))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for b in body:
        print(line(b))
    for r in rows:
        if r.get("note"):
            print("- %s: %s" % (r["name"], r["note"]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--builddir", required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("cases", nargs="*", help="only these case names (e.g. http_form)")
    a = ap.parse_args()
    cases = []
    for path in sorted(glob.glob(os.path.join(HERE, "case_*.py"))):
        name = os.path.basename(path)[5:-3]
        if a.cases and name not in a.cases:
            continue
        spec = importlib.util.spec_from_file_location("case_" + name, path)
        mod = importlib.util.module_from_spec(spec)
        sys.path.insert(0, HERE)
        spec.loader.exec_module(mod)
        cases.append((getattr(mod, "ORDER", 50), name, mod))
    ctx = Ctx(a.builddir, a.quick)
    rows, failed = [], 0
    try:
        for _, name, mod in sorted(cases):
            t0 = time.monotonic()
            try:
                rows.extend(mod.run(ctx))
            except Exception as e:  # one broken case must not hide the others
                failed += 1
                rows.append({"name": name, "figure": None, "note": "failed: %s" % e})
            print("# %s done in %.1fs" % (name, time.monotonic() - t0), file=sys.stderr)
        if ctx.rxdeskd:
            for r in rows:
                r.setdefault("rss_mb", None)
            peak = proc_rss_mb(ctx.rxdeskd.pid, "VmHWM")
            rows.append({"name": "rxdeskd peak RSS over the whole run", "figure": peak, "unit": "MB"})
    finally:
        ctx.close()
    print("rxdesk benchmarks, %s, %s, %d cores%s" % (
        time.strftime("%Y-%m-%d"), subprocess.run(["git", "-C", TOP, "rev-parse", "--short", "HEAD"],
                                                   capture_output=True, text=True).stdout.strip(),
        os.cpu_count(), " (--quick: smoke test, figures meaningless)" if a.quick else ""))
    print_table(rows)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
