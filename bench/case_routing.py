"""Routing assignments as agents grow: bench/routing (the routing
module's own program, a private Redis without AOF) run once for 10, 100
and 1,000 agents; one row per agent count and assignment kind. The
ceiling is the same assignment with 10 agents: the ratio shows how the
cost grows (logarithmic growth keeps it near 100%)."""
import os
import subprocess
import sys

from bench import HERE

ORDER = 30


def parse(out):
    """Rows of bench/routing's table (agents, name, per s, p50, p99, p50 x):
    (agents, name, per_s, p50, p99)."""
    rows = []
    for line in out.splitlines():
        f = line.split()
        if len(f) < 6 or not f[0].isdigit():
            continue
        try:
            rows.append((int(f[0]), " ".join(f[1:-4]), float(f[-4]), float(f[-3]), float(f[-2])))
        except ValueError:
            continue
    return rows


def run(ctx):
    ops, waiting = (50, 200) if ctx.quick else (1000, 5000)
    out = subprocess.run([sys.executable, os.path.join(HERE, "routing"), "--builddir", ctx.builddir,
                          "--ops", str(ops), "--waiting", str(waiting), "--agents", "10,100,1000"],
                         capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        raise RuntimeError("bench/routing: " + (out.stderr or out.stdout)[-300:])
    got = parse(out.stdout)
    if not got:
        raise RuntimeError("bench/routing printed no rows:\n" + out.stdout[-300:])
    # the table's columns are per assignment kind: keep the ones a reader
    # compares (least-recent strategy and the agent freed path), all agents
    keep = [r for r in got if "leastrecent" in r[1] or "freed" in r[1]]
    base = {r[1]: r[2] for r in keep if r[0] == keep[0][0]}
    rows = []
    for n, name, rate, p50, p99 in keep:
        rows.append({"name": "routing, %d agents: %s" % (n, name), "figure": rate,
                     "unit": "assign/s", "ceiling_name": "10 agents", "ceiling": base.get(name),
                     "p50_ms": p50, "p99_ms": p99})
    rows[-1]["note"] = ("bench/routing --ops %d --waiting %d: one client, one call after another, "
                        "Redis without AOF; the other strategies are in bench/routing's own table"
                        % (ops, waiting))
    return rows
