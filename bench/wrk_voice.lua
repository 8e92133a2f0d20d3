-- wrk script: POST prebuilt signed requests from $BENCH_REQS (one per line:
-- "<X-Twilio-Signature>\t<urlencoded body>"), each once in turn, so that
-- every request is a new call; print one JSON line as wrk_post.lua does.
local reqs, i = {}, 0
for line in io.lines(os.getenv("BENCH_REQS")) do
  local sig, body = line:match("^([^\t]+)\t(.*)$")
  reqs[#reqs + 1] = wrk.format("POST", nil, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-Twilio-Signature"] = sig }, body)
end

function request()
  i = i % #reqs + 1
  return reqs[i]
end

function done(summary, latency, requests)
  io.write(string.format(
    '\nBENCHJSON {"requests":%d,"duration_us":%d,"errors":%d,"non2xx":%d,' ..
    '"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50), latency:percentile(99)))
end
