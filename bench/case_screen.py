"""Screening alone: bench/screen_bench screens 1 KiB messages glued from
the development corpus (every language) many times; the row is the median
per message, with p50 and p99. No ceiling to compare: the target is under
200 us median per 1 KiB message (issue 13)."""
import os
import subprocess

ORDER = 5
TARGET_US = 200.0


def run(ctx):
    exe = os.path.join(ctx.builddir, "bench", "screen_bench")
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, RXDESK_SRCDIR=top)
    out = subprocess.run([exe, "-r", "2" if ctx.quick else "20"], capture_output=True,
                         text=True, timeout=600, env=env)
    if out.returncode != 0:
        raise RuntimeError("bench/screen_bench: " + (out.stderr or out.stdout)[-300:])
    f = out.stdout.split()
    v = dict(zip(f[::2], f[1::2]))
    med, p99 = float(v["median_us"]), float(v["p99_us"])
    return [{"name": "screening alone, per 1 KiB message", "figure": med, "unit": "us",
             "p50_ms": med / 1000.0, "p99_ms": p99 / 1000.0, "cpu_us_per_op": med,
             "note": "median %.0f us, p99 %.0f us over %s messages x %s rounds; target "
                     "under %.0f us median" % (med, p99, v["messages"], v["rounds"], TARGET_US)}]
