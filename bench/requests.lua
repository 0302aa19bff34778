-- wrk script for bench.load: requests come from a file, one per line,
--   METHOD <tab> PATH <tab> AUTHORIZATION <tab> BODY
-- (empty AUTHORIZATION / BODY allowed), sent in turn, round robin, over every connection.
-- done() prints one line, BENCHJSON {...}, that bench.load parses.
-- Usage: wrk -t1 -c32 -d5s --timeout 10s -s requests.lua http://127.0.0.1:PORT -- FILE

local requests = {}
local count = 0
local index = 0

function init(args)
  local f = assert(io.open(args[1], "r"))
  for line in f:lines() do
    local method, path, auth, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    if method then
      local headers = {}
      if auth ~= "" then
        headers["Authorization"] = auth
      end
      if body == "" then
        body = nil
      else
        headers["Content-Type"] = "application/x-www-form-urlencoded"
      end
      count = count + 1
      requests[count] = wrk.format(method, path, headers, body)
    end
  end
  f:close()
  assert(count > 0, "no requests in " .. args[1])
end

function request()
  index = index + 1
  if index > count then
    index = 1
  end
  return requests[index]
end

function done(summary, latency, _)
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests": %.0f, "duration_us": %.0f, "p50_us": %.0f, "p99_us": %.0f, '
      .. '"mean_us": %.1f, "max_us": %.0f, "connect": %.0f, "read": %.0f, "write": %.0f, '
      .. '"status": %.0f, "timeout": %.0f}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.mean, latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
