"""Chat: 10,000 concurrent idle customer WebSockets on one rxdeskd node, with
the daemon's memory per idle connection, beside a plain node "ws" server
holding as many in the same run (the ceiling: on this kind of machine about
6 to 9 kB each). The hard descriptor limit here is 20,000 per process: the
soft limit is raised to it for the clients and servers started here."""
import json
import os
import resource
import subprocess
import time

from bench import free_port, proc_rss_mb, wait_for

ORDER = 40
HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT = os.path.join(HERE, "..", "tests", "integration", "ws", "chat_bench.js")


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def hold(url, n):
    """Open N idle sockets from a node client; returns (client, opened)."""
    p = subprocess.Popen(["node", CLIENT, "idle", url, str(n)], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    return p, json.loads(line or "{}").get("opened", 0)


def per_conn_kb(pid, url, n):
    time.sleep(0.5)
    before = proc_rss_mb(pid)
    client, opened = hold(url, n)
    time.sleep(1.0)
    after = proc_rss_mb(pid)
    client.stdin.close()
    client.wait(timeout=60)
    return ((after - before) * 1024.0 / opened if opened else None), opened, before, after


def run(ctx):
    limit = raise_nofile()
    n = 500 if ctx.quick else min(10000, limit - 200)
    # a daemon of its own: started after the descriptor limit was raised,
    # with no per-address cap (every client here is 127.0.0.1)
    saved = (ctx.rxdeskd, getattr(ctx, "http_port", None), getattr(ctx, "smtp_port", None))
    ctx.rxdeskd = None
    rx = ctx.start_rxdeskd("[chat]\nmax_per_ip = 0\nmax_sessions = 20000\n")
    rx_port = ctx.http_port
    ctx.rxdeskd, ctx.http_port, ctx.smtp_port = saved
    port = free_port()
    srv = subprocess.Popen(["node", CLIENT, "server", str(port)], stdout=subprocess.PIPE, text=True)
    ctx.procs.append(srv)
    srv.stdout.readline()
    node_kb, node_n, _, _ = per_conn_kb(srv.pid, "ws://127.0.0.1:%d/" % port, n)
    rx_kb, rx_n, b, a = per_conn_kb(rx.pid, "ws://127.0.0.1:%d/chat/ws" % rx_port, n)
    srv.terminate()
    note = "%d of %d opened; rxdeskd RSS %.1f -> %.1f MB" % (rx_n, n, b, a)
    return [{"name": "chat: memory per idle customer socket (%d open)" % rx_n,
             "figure": rx_kb, "unit": "kB", "ceiling_name": "node ws server, %d open" % node_n,
             "ceiling": node_kb, "lower_is_better": True, "note": note}]
