"""Mixed load of every channel that exists, at half of the measured
maximum, with rxdeskd's memory sampled every second: a flat line means
no leak."""
import subprocess
import threading
import time

from bench import proc_rss_mb
import case_http_form

ORDER = 90


def run(ctx):
    rx = ctx.start_rxdeskd()
    body = case_http_form.form_body()
    secs = 3 if ctx.quick else 60
    probe = ctx.wrk(ctx.http_port, "/api/v1/forms/contact", body, duration=1)
    conns = 16
    half = max(probe["rps"] / 2, 10)
    delay_ms = max(1, int(conns * 1000 / half))
    samples, stop = [], threading.Event()

    def sample():
        while not stop.is_set():
            samples.append(proc_rss_mb(rx.pid))
            stop.wait(1.0)

    t = threading.Thread(target=sample)
    t.start()
    mail = None
    if subprocess.run(["test", "-x", "/usr/sbin/smtp-source"]).returncode == 0:
        mail = subprocess.Popen(["/usr/sbin/smtp-source", "-s", "2", "-m", str(5 * secs), "-w", "0",
                                 "-f", "doctor@example.org", "-t", "support@example.com",
                                 "127.0.0.1:%d" % ctx.smtp_port],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    r = ctx.wrk(ctx.http_port, "/api/v1/forms/contact", body, conns=conns, duration=secs,
                delay_ms=delay_ms, pid=rx.pid)
    if mail:
        try:
            mail.wait(timeout=60)
        except subprocess.TimeoutExpired:
            mail.kill()
    stop.set()
    t.join()
    first, last, peak = samples[0], samples[-1], max(samples)
    half_point = samples[len(samples) // 2]
    return [{"name": "mixed load at half of max for %ds (forms + mail)" % secs, "figure": r["rps"],
             "unit": "req/s", "p50_ms": r["p50_ms"], "p99_ms": r["p99_ms"],
             "cpu_us_per_op": r["cpu_us_per_op"], "rss_mb": peak,
             "note": "RSS MB sampled each second: first %.1f, middle %.1f, last %.1f, peak %.1f "
                     "(%d samples); growth in the second half %.2f MB"
                     % (first, half_point, last, peak, len(samples), last - half_point)}]
