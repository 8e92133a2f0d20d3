"""Chat relay latency (issue 15): customer -> agent -> customer at a steady
1,000 messages/s, open loop. 50 customers on /chat/ws send 20 messages/s
each; 5 agents on /agent/ws (10 chats each) answer every message with
chat.reply as soon as its ticket.message arrives. The figure is the p99 of
the time from the customer's send to the agent's answer in the customer's
socket; every message is acked only once Redis (appendfsync always) has
it, and the reply is stored before it is relayed. The ceiling is the same
relay as a bare node "ws" server in the same run (nothing stored). The
issue's target: p99 under 50 ms."""
import base64
import hashlib
import json
import os
import subprocess
import urllib.request

from bench import free_port, proc_cpu_s

ORDER = 41
HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT = os.path.join(HERE, "..", "tests", "integration", "ws", "chat_bench.js")
CHATS, AGENTS = 50, 5
# BENCH_RELAY_RATE: another offered rate, to find where the tail bends
RATE = int(os.environ.get("BENCH_RELAY_RATE", "1000"))
TARGET_P99_MS = 50.0


def scrypt_hash(password):
    """A password hash as rxdeskd writes it (server/auth/auth_password.c)."""
    salt = os.urandom(16)
    key = hashlib.scrypt(password.encode(), salt=salt, n=1024, r=8, p=1,
                         maxmem=1 << 24, dklen=32)
    return "scrypt$1024$8$1$%s$%s" % (base64.b64encode(salt).decode(),
                                      base64.b64encode(key).decode())


def agents(ctx, port):
    """AGENTS agents, available, with room for the chats; their /agent/ws URLs."""
    urls = []
    for i in range(AGENTS):
        email = "relay%d@example.com" % i
        a = json.loads(ctx.redis_cmd(
            "FCALL", "rx_agent_add", "0", "rx:", json.dumps(
                {"name": "relay%d" % i, "email": email, "roles": ["agent"],
                 "pwhash": scrypt_hash("bench"),
                 "capacity": {"voice": 1, "chat": CHATS // AGENTS + 1, "mail": 10}})
        ).split(b"\r\n")[1])
        req = urllib.request.Request(
            "http://127.0.0.1:%d/api/v1/session" % port,
            json.dumps({"email": email, "password": "bench"}).encode(),
            {"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            token = json.load(r)["token"]
        ctx.redis_cmd("FCALL", "rx_route_agent", "0", "rx:",
                      json.dumps({"agent": a["id"], "state": "available"}))
        urls.append("ws://127.0.0.1:%d/agent/ws?token=%s" % (port, token))
    return urls


def relay(ctx, chat_url, agent_urls):
    secs = 2 if ctx.quick else ctx.duration
    out = subprocess.run(["node", CLIENT, "relay", chat_url, json.dumps(agent_urls),
                          str(CHATS), str(RATE), str(secs), "0.5" if ctx.quick else "2"],
                         capture_output=True, text=True, timeout=180).stdout
    r = json.loads(out.strip().splitlines()[-1] if out.strip() else "{}")
    if "p99_ms" not in r:
        raise RuntimeError("relay client: %s" % (r.get("error") or out[-300:]))
    return r


def run(ctx):
    # a daemon of its own: the chat's per-socket rate (chat.rate) raised to
    # the 20 frames/s each customer sends here
    saved = (ctx.rxdeskd, getattr(ctx, "http_port", None), getattr(ctx, "smtp_port", None))
    ctx.rxdeskd = None
    rx = ctx.start_rxdeskd("[auth]\nscrypt_n = 1024\n"
                           "[chat]\nmax_per_ip = 0\nrate = 40\nburst = 40\n")
    port = ctx.http_port
    ctx.rxdeskd, ctx.http_port, ctx.smtp_port = saved
    node_port = free_port()
    srv = subprocess.Popen(["node", CLIENT, "relayserver", str(node_port)],
                           stdout=subprocess.PIPE, text=True)
    ctx.procs.append(srv)
    srv.stdout.readline()
    node = relay(ctx, "ws://127.0.0.1:%d/chat" % node_port,
                 ["ws://127.0.0.1:%d/agent" % node_port] * AGENTS)
    srv.terminate()
    cpu0, rcpu0 = proc_cpu_s(rx.pid), proc_cpu_s(ctx.redis.pid)
    r = relay(ctx, "ws://127.0.0.1:%d/chat/ws" % port, agents(ctx, port))
    cpu, rcpu = proc_cpu_s(rx.pid) - cpu0, proc_cpu_s(ctx.redis.pid) - rcpu0
    rx.terminate()
    note = ("%d chats, %d agents, %.0f msg/s offered; %d sent, %d answered, %d lost, "
            "%d errors %s; Redis CPU %.0f us per message (both ways); durable ack p50 %.2f p99 %.2f ms; p99 target < %.0f ms: %s; "
            "node relay p50 %.2f p99 %.2f ms (no storage)"
            % (CHATS, AGENTS, r["rate"], r["sent"], r["replies"], r["lost"], r["errors"], json.dumps(r.get("codes") or {}),
               rcpu * 1e6 / r["sent"] if r["sent"] else 0,
               r["ack_p50_ms"] or 0, r["ack_p99_ms"] or 0, TARGET_P99_MS,
               "met" if r["p99_ms"] < TARGET_P99_MS else "NOT met",
               node["p50_ms"], node["p99_ms"]))
    return [{"name": "chat: customer -> agent -> customer p99 at %d msg/s" % RATE,
             "figure": r["p99_ms"], "unit": "ms", "ceiling_name": "node ws relay p99",
             "ceiling": node["p99_ms"], "lower_is_better": True,
             "p50_ms": r["p50_ms"], "p99_ms": r["p99_ms"],
             "cpu_us_per_op": cpu * 1e6 / r["sent"] if r["sent"] else None, "note": note}]

