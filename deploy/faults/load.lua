-- wrk script of the fault runs: GET FAULT_PATH with a bearer token, counting every response by status.
-- With FAULT_HONOR_RETRY_AFTER=1 the clients behave as the 503's Retry-After asks: for every 503 one of the thread's
-- next requests waits that many seconds before it is sent (wrk measures latency from the send, so the wait is not
-- counted); otherwise every connection sends its next request at once.
-- Environment: FAULT_TOKEN (bearer token), FAULT_PATH (request path), FAULT_REPORT (file written at the end: one
-- "status <code> <count>" line per status, "retry_after_missing <n>" (503 answers without Retry-After),
-- "not_problem_503 <n>" (503 answers whose body is not the service_unavailable problem), "errors <connect> <read>
-- <write> <timeout>", "latency_max_ms", "latency_p50_ms", "latency_p99_ms" (of the answered requests, ms), "requests <n>").

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

-- Globals, so that done() can read each thread's counts with thread:get.
statuses = {}
retry_after_missing = 0
not_problem_503 = 0
local honor_retry_after = false
local owed_waits = {}  -- Retry-After delays (ms) still to be served by the next requests

function init(args)
   wrk.headers["Authorization"] = "Bearer " .. os.getenv("FAULT_TOKEN")
   wrk.headers["Accept"] = "application/json"
   wrk.path = os.getenv("FAULT_PATH")
   honor_retry_after = os.getenv("FAULT_HONOR_RETRY_AFTER") == "1"
end

function delay()
   if #owed_waits > 0 then
      return table.remove(owed_waits)
   end
   return 0
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
   if status == 503 then
      local retry = nil
      for name, value in pairs(headers) do
         if string.lower(name) == "retry-after" then
            retry = value
         end
      end
      if retry == nil then
         retry_after_missing = retry_after_missing + 1
      elseif honor_retry_after then
         table.insert(owed_waits, (tonumber(retry) or 1) * 1000)
      end
      if not string.find(body or "", '"code":"service_unavailable"', 1, true) then
         not_problem_503 = not_problem_503 + 1
      end
   end
end

function done(summary, latency, requests)
   local all = {}
   local missing, not_problem = 0, 0
   for _, thread in ipairs(threads) do
      for status, count in pairs(thread:get("statuses")) do
         all[status] = (all[status] or 0) + count
      end
      missing = missing + thread:get("retry_after_missing")
      not_problem = not_problem + thread:get("not_problem_503")
   end
   local f = io.open(os.getenv("FAULT_REPORT"), "w")
   for status, count in pairs(all) do
      f:write(string.format("status %d %d\n", status, count))
   end
   f:write(string.format("retry_after_missing %d\n", missing))
   f:write(string.format("not_problem_503 %d\n", not_problem))
   local e = summary.errors
   f:write(string.format("errors %d %d %d %d\n", e.connect, e.read, e.write, e.timeout))
   f:write(string.format("latency_max_ms %d\n", latency.max / 1000))
   f:write(string.format("latency_p50_ms %d\n", latency:percentile(50) / 1000))
   f:write(string.format("latency_p99_ms %d\n", latency:percentile(99) / 1000))
   f:write(string.format("requests %d\n", summary.requests))
   f:close()
end
