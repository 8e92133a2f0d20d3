"""Twilio voice webhooks against bare evhttp: signed ringing webhooks, each
a new call (its own CallSid, a caller among 1,000 numbers), answered with
TwiML by an rxdeskd of its own on the run's Redis (appendfsync always).
Each call is the core's ingest (customer, ticket, queue) and the call
record (rx_voice_ring): two Redis calls. No agent is free, so every call
is answered with the hold TwiML, as in a busy call centre. The ceiling is
bare_http answering the same requests."""
import base64
import hashlib
import hmac
import os
import subprocess
import urllib.parse

from bench import free_port, http_get, proc_cpu_s, wait_for

ORDER = 60
TOKEN = "bench-auth-token-0123456789abcdef"
PATH = "/api/v1/voice/twilio"


def sign(url, params):
    """Twilio's X-Twilio-Signature (the algorithm test_voice checks against
    Twilio's own helper library)."""
    data = url + "".join(k + params[k] for k in sorted(params))
    return base64.b64encode(hmac.new(TOKEN.encode(), data.encode(), hashlib.sha1).digest()).decode()


def requests_file(ctx, port, n):
    url = "http://127.0.0.1:%d%s" % (port, PATH)
    path = os.path.join(ctx.tmp, "voice_reqs_%d" % port)
    with open(path, "w") as f:
        for i in range(n):
            p = {"AccountSid": "AC" + "0" * 32, "ApiVersion": "2010-04-01",
                 "CallSid": "CA%032x" % i, "CallStatus": "ringing", "Direction": "inbound",
                 "From": "+38044%07d" % (i % 1000), "To": "+380440000000",
                 "Called": "+380440000000", "Caller": "+38044%07d" % (i % 1000)}
            f.write("%s\t%s\n" % (sign(url, p), urllib.parse.urlencode(p)))
    return path


def wrk(ctx, port, reqs, pid=None):
    import json
    env = dict(os.environ, BENCH_REQS=reqs)
    cpu0 = proc_cpu_s(pid) if pid else 0
    out = subprocess.run(["wrk", "-t1", "-c64", "-d%ds" % ctx.duration, "--timeout", "5s",
                          "-s", os.path.join(os.path.dirname(__file__), "wrk_voice.lua"),
                          "http://127.0.0.1:%d%s" % (port, PATH)],
                         capture_output=True, text=True, env=env, timeout=600).stdout
    cpu1 = proc_cpu_s(pid) if pid else 0
    j = json.loads([l for l in out.splitlines() if l.startswith("BENCHJSON ")][0][10:])
    secs = j["duration_us"] / 1e6
    ok = j["requests"] - j["non2xx"]
    return {"rps": ok / secs if secs else 0, "requests": j["requests"],
            "p50_ms": j["p50_us"] / 1000.0, "p99_ms": j["p99_us"] / 1000.0,
            "errors": j["errors"] + j["non2xx"],
            "cpu_us_per_op": (cpu1 - cpu0) * 1e6 / ok if pid and ok else None}


def start(ctx):
    port = free_port()
    conf = os.path.join(ctx.tmp, "voice.conf")
    with open(conf, "w") as f:
        f.write("[server]\ndata_dir = %s\nlog_level = warn\npublic_url = http://127.0.0.1:%d\n"
                "[http]\nlisten = 127.0.0.1:%d\nrate_limit = 0\n[smtp]\nlisten = 127.0.0.1:%d\n"
                "[redis]\nurl = redis://127.0.0.1:%d/0\n[voice]\ntwilio_auth_token = %s\n"
                "hold_attempts = 100\n"
                % (os.path.join(ctx.tmp, "voice-data"), port, port, free_port(),
                   ctx.redis_port, TOKEN))
    p = ctx.spawn([os.path.join(ctx.builddir, "rxdeskd"), "-c", conf],
                  stderr=open(os.path.join(ctx.tmp, "voice-rxdeskd.log"), "wb"))
    wait_for(lambda: http_get(port, "/readyz") == 200)
    return port, p


def run(ctx):
    n = 4000 if ctx.quick else 120000
    bport = free_port()
    b = ctx.spawn([os.path.join(ctx.builddir, "bench", "bare_http"), str(bport)])
    wait_for(lambda: http_get(bport, "/") in (201, 200))
    bare = wrk(ctx, bport, requests_file(ctx, bport, 2000), pid=b.pid)
    b.terminate()
    b.wait()
    port, p = start(ctx)
    reqs = requests_file(ctx, port, n)
    r = wrk(ctx, port, reqs, pid=p.pid)
    note = "%d distinct calls prepared, %d posted%s" % (
        n, r["requests"], " (some calls posted twice: replays, deduplicated)"
        if r["requests"] > n else "")
    if r["errors"]:
        note += "; %d requests failed or were not 2xx" % r["errors"]
    p.terminate()
    p.wait()
    return [
        {"name": "ceiling: bare evhttp, the same signed webhooks", "figure": bare["rps"],
         "unit": "req/s", "p50_ms": bare["p50_ms"], "p99_ms": bare["p99_ms"],
         "cpu_us_per_op": bare["cpu_us_per_op"]},
        {"name": "Twilio ringing webhook -> TwiML (signed, new call, durable)",
         "figure": r["rps"], "unit": "req/s", "ceiling_name": "bare evhttp",
         "ceiling": bare["rps"], "p50_ms": r["p50_ms"], "p99_ms": r["p99_ms"],
         "cpu_us_per_op": r["cpu_us_per_op"], "note": note},
    ]
