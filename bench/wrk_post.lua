-- wrk script: POST the body in $BENCH_BODY (a file) with $BENCH_CTYPE, pace
-- each connection by $BENCH_DELAY_MS when set, and print one JSON line.
local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = os.getenv("BENCH_CTYPE") or "application/x-www-form-urlencoded"
wrk.headers["Accept"] = "application/json"
local pace = tonumber(os.getenv("BENCH_DELAY_MS") or "")

function delay()
  return pace or 0
end

function done(summary, latency, requests)
  io.write(string.format(
    '\nBENCHJSON {"requests":%d,"duration_us":%d,"errors":%d,"non2xx":%d,' ..
    '"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50), latency:percentile(99)))
end
