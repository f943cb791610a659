-- wrk script for the live tests: every 10th request of a thread asks for a missing page; counts
-- the responses per status and prints exact totals and latency bounds as one JSON line.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

sent = 0
ok = 0
missing = 0
other = 0

function request()
  sent = sent + 1
  if sent % 10 == 0 then
    return wrk.format(nil, "/missing/wrk")
  end
  return wrk.format(nil, "/ok/wrk")
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
  elseif status == 404 then
    missing = missing + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local s200, s404, sother, issued = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    s200 = s200 + t:get("ok")
    s404 = s404 + t:get("missing")
    sother = sother + t:get("other")
    issued = issued + t:get("sent")
  end
  io.write(string.format(
    'FLOWSCOPE {"requests":%d,"issued":%d,"status200":%d,"status404":%d,"other":%d,"connectErrors":%d,"readErrors":%d,"writeErrors":%d,"timeouts":%d,"durationUs":%d,"latencyMaxUs":%d,"latencyP99Us":%d}\n',
    summary.requests, issued, s200, s404, sother, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout, summary.duration, latency.max, latency:percentile(99)))
end
