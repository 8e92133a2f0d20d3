"""Routing assignments as agents grow: bench/routing (the routing
module's own program, a private Redis without AOF) run once for 10, 100
and 1,000 agents; one row per agent count and assignment kind. The
ceiling is the same assignment with 10 agents: the ratio shows how the
cost grows (logarithmic growth keeps it near 100%)."""
import json
import os
import subprocess
import sys

from bench import HERE

ORDER = 30


def parse(out):
    """bench/routing --json: one object per row (agents, name, rate, p50,
    p99, r50, r99 in-Redis, growth, target)."""
    rows = []
    for line in out.splitlines():
        if line.startswith("{"):
            rows.append(json.loads(line))
    return rows


def run(ctx):
    ops, waiting = (50, 200) if ctx.quick else (1000, 10000)
    out = subprocess.run([sys.executable, os.path.join(HERE, "routing"), "--builddir", ctx.builddir,
                          "--ops", str(ops), "--waiting", str(waiting), "--agents", "10,100,1000",
                          "--json"], capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        raise RuntimeError("bench/routing: " + (out.stderr or out.stdout)[-300:])
    got = parse(out.stdout)
    if not got:
        raise RuntimeError("bench/routing printed no rows:\n" + out.stdout[-300:])
    # the rows a reader compares: least-recent ticket in, agent freed and
    # resolve -> next, every agent count; the others are in bench/routing's table
    keep = [r for r in got if "leastrecent" in r["name"] or "freed" in r["name"] or
            "resolve" in r["name"]]
    base = {r["name"]: r["rate"] for r in keep if r["agents"] == keep[0]["agents"]}
    rows = []
    for r in keep:
        name = "routing, %d agents: %s" % (r["agents"], r["name"])
        if r["target"] != "-":
            name += " [in Redis p50 %.2f p99 %.2f ms, x%.2f; target %s]" % (
                r.get("r50", -1), r.get("r99", -1), r["growth"], r["target"])
        rows.append({"name": name, "figure": r["rate"], "unit": "assign/s",
                     "ceiling_name": "10 agents", "ceiling": base.get(r["name"]),
                     "p50_ms": r["p50"], "p99_ms": r["p99"]})
    rows[-1]["note"] = ("bench/routing --ops %d --waiting %d: one client, one call after another, "
                        "Redis without AOF; p50/p99 columns are round trips, the name carries the "
                        "time inside Redis (INFO latencystats) and issue 19's targets (p99 < 1 ms ticket in and "
                        "agent freed, < 10 ms resolve -> next, growth 10 -> 1,000 agents <= 1.5x); "
                        "the other strategies are in bench/routing's own table" % (ops, waiting))
    return rows
