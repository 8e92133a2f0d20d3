"""HTTP form ingest against its ceilings: bare evhttp, evhttp + one FCALL
of a ten-write function (both through rxdesk's own build), and Redis alone
(redis-benchmark running the same FCALL). After the form run, Redis alone
runs rx_ingest itself with the form's interaction: what Redis can take with
no HTTP in front."""
import json
import os
import subprocess
import urllib.parse

from bench import free_port, http_get, proc_cpu_s, wait_for

ORDER = 10


def form_body():
    msg = ("Доброго дня. Прошу надіслати інформацію щодо дозування препарату "
           "для пацієнтів з нирковою недостатністю. ")
    fields = {"name": "Олена Коваль", "email": "olena.bench@example.org",
              "phone": "+380 44 123 45 67", "subject": "Medical information request",
              "message": ""}
    # grow the message a character at a time: never cut an escape in two
    text = msg * 20
    for n in range(len(text)):
        fields["message"] = text[:n]
        if len(urllib.parse.urlencode(fields)) > 1024:
            fields["message"] = text[:n - 1]
            break
    return urllib.parse.urlencode(fields)


def ceiling_http(ctx, body):
    port = free_port()
    p = ctx.spawn([os.path.join(ctx.builddir, "bench", "bare_http"), str(port)])
    wait_for(lambda: http_get(port, "/") in (201, 200))
    r = ctx.wrk(port, "/f", body, pid=p.pid)
    p.terminate()
    p.wait()
    return r


def ceiling_redis_fn(ctx, body):
    port = free_port()
    p = ctx.spawn([os.path.join(ctx.builddir, "bench", "bare_redis"), str(port),
                   "redis://127.0.0.1:%d/0" % ctx.redis_port])
    wait_for(lambda: http_get(port, "/") == 201)
    r = ctx.wrk(port, "/f", body, pid=p.pid)
    p.terminate()
    p.wait()
    return r


def redis_alone(ctx, body, n=None, call=None):
    n = n or (2000 if ctx.quick else 200000)
    call = call or ["FCALL", "bench_ingest", "0", "someone@example.com", body[:1024]]
    out = subprocess.run(["redis-benchmark", "-p", str(ctx.redis_port), "-c", "64", "-n", str(n),
                          "-q"] + call, capture_output=True, text=True, timeout=600).stdout
    # "FCALL bench_ingest ...: 45000.00 requests per second, p50=1.2 msec"
    for part in out.replace("\r", "\n").splitlines():
        if "requests per second" in part:
            rps = float(part.split(":")[-1].split("requests")[0].strip().split()[-1])
            p50 = part.split("p50=")[1].split()[0] if "p50=" in part else None
            return {"rps": rps, "p50_ms": float(p50) if p50 else None}
    raise RuntimeError("redis-benchmark printed no result: " + out[-300:])


def run(ctx):
    body = form_body()
    rows = []
    bare = ceiling_http(ctx, body)
    rows.append({"name": "ceiling: bare evhttp, small JSON answer", "figure": bare["rps"],
                 "unit": "req/s", "p50_ms": bare["p50_ms"], "p99_ms": bare["p99_ms"],
                 "cpu_us_per_op": bare["cpu_us_per_op"]})
    fn = ceiling_redis_fn(ctx, body)
    rows.append({"name": "ceiling: evhttp + 1 FCALL (10 writes), fsync always", "figure": fn["rps"],
                 "unit": "req/s", "ceiling_name": "bare evhttp", "ceiling": bare["rps"],
                 "p50_ms": fn["p50_ms"], "p99_ms": fn["p99_ms"],
                 "cpu_us_per_op": fn["cpu_us_per_op"]})
    alone = redis_alone(ctx, body)
    rows.append({"name": "ceiling: redis-benchmark FCALL (10 writes), -c64", "figure": alone["rps"],
                 "unit": "calls/s", "p50_ms": alone["p50_ms"]})
    rx = ctx.start_rxdeskd()
    # the customer exists before the measured run: every post is "matched"
    ctx.wrk(ctx.http_port, "/api/v1/forms/contact", body, conns=1, duration=1)
    calls0 = ctx.redis_calls()
    r = ctx.wrk(ctx.http_port, "/api/v1/forms/contact", body, pid=rx.pid)
    calls = (ctx.redis_calls() - calls0) / r["requests"] if r["requests"] else None
    note = "Redis commands per interaction (INFO stats delta / requests): %s" % (
        "%.2f" % calls if calls is not None else "-")
    if r["errors"]:
        note += "; %d requests failed or were not 2xx" % r["errors"]
    rows.append({"name": "form ingest: urlencoded 1 KiB, matched, durable", "figure": r["rps"],
                 "unit": "req/s", "ceiling_name": "bare evhttp", "ceiling": bare["rps"],
                 "p50_ms": r["p50_ms"], "p99_ms": r["p99_ms"],
                 "cpu_us_per_op": r["cpu_us_per_op"], "note": note})
    rows.append({"name": "form ingest vs the Redis-function ceiling", "figure": r["rps"],
                 "unit": "req/s", "ceiling_name": "evhttp+FCALL", "ceiling": fn["rps"]})
    # the interaction webform sends (the customer is matched, the token is
    # left to the function's fallback), straight from redis-benchmark
    f = dict(urllib.parse.parse_qsl(body))
    arg = json.dumps({"channel": "form", "direction": "in", "queue": "general", "lang": "uk",
                      "ident": {"email": f["email"], "phone": "+380441234567", "name": f["name"]},
                      "subject": f["subject"], "text": f["message"], "fields": {"form": "contact"}},
                     ensure_ascii=False)
    ing = redis_alone(ctx, body, 1000 if ctx.quick else 40000,
                      ["FCALL", "rx_ingest", "0", "rx:", arg])
    rows.append({"name": "redis-benchmark FCALL rx_ingest (the form's interaction), -c64",
                 "figure": ing["rps"], "unit": "calls/s", "ceiling_name": "10 writes",
                 "ceiling": alone["rps"], "p50_ms": ing["p50_ms"]})
    rows.append({"name": "form ingest vs Redis alone running rx_ingest", "figure": r["rps"],
                 "unit": "req/s", "ceiling_name": "rx_ingest alone", "ceiling": ing["rps"]})
    return rows
