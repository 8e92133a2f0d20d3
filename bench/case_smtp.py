"""SMTP ingest (parsed, matched, ticketed, durable) against Postfix's
smtp-source -> smtp-sink on the same machine, with a new connection per
message and with reused sessions."""
import os
import subprocess
import time

from bench import free_port, proc_cpu_s, wait_for

ORDER = 20
SOURCE, SINK = "/usr/sbin/smtp-source", "/usr/sbin/smtp-sink"


def source(port, count, sessions, reuse):
    args = [SOURCE, "-s", str(sessions), "-m", str(count), "-l", "2048",
            "-f", "doctor@example.org", "-t", "support@example.com", "-S", "Dosage question"]
    if reuse:
        args.append("-d")
    t0 = time.monotonic()
    subprocess.run(args + ["127.0.0.1:%d" % port], capture_output=True, timeout=600, check=True)
    return count / (time.monotonic() - t0)


def sink_ceiling(ctx, count, reuse):
    port = free_port()
    p = ctx.spawn([SINK, "-u", "nobody", "127.0.0.1:%d" % port, "256"])
    time.sleep(0.3)
    r = source(port, count, 16, reuse)
    p.terminate()
    p.wait()
    return r


def run(ctx):
    if not os.path.exists(SOURCE):
        return [{"name": "smtp ingest", "figure": None, "note": "postfix not installed"}]
    rx = ctx.start_rxdeskd()
    count = 200 if ctx.quick else 5000
    rows = []
    for reuse, label in ((False, "new connection per message"), (True, "reused sessions")):
        ceiling = sink_ceiling(ctx, count, reuse)
        cpu0 = proc_cpu_s(rx.pid)
        try:
            figure = source(ctx.smtp_port, count, 16, reuse)
            note = None
        except subprocess.CalledProcessError as e:
            figure, note = None, "smtp-source failed: %s" % (e.stderr or b"")[-200:]
        cpu = (proc_cpu_s(rx.pid) - cpu0) * 1e6 / count if figure else None
        rows.append({"name": "smtp ingest, 2 KiB, %s" % label, "figure": figure, "unit": "msg/s",
                     "ceiling_name": "smtp-source->smtp-sink", "ceiling": ceiling,
                     "cpu_us_per_op": cpu, "note": note})
    return rows
