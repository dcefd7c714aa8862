-- wrk script: GET /v1/workspaces/{id} over random seeded workspaces.
-- Environment: BENCH_TOKEN (bearer token), BENCH_WORKSPACE_IDS (file, one id per line),
-- BENCH_ERRORS (file prefix; the first responses that are not 2xx are written to <prefix>.<thread>).

local next_thread = 0

function setup(thread)
   next_thread = next_thread + 1
   thread:set("thread_no", next_thread)
end

local ids = {}
local errors_kept = 0
local errors_file = nil

function init(args)
   for line in io.lines(os.getenv("BENCH_WORKSPACE_IDS")) do
      if line ~= "" then
         ids[#ids + 1] = line
      end
   end
   assert(#ids > 0, "no workspace ids")
   math.randomseed(os.time() * 1000 + thread_no)
   wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
   wrk.headers["Accept"] = "application/json"
   local prefix = os.getenv("BENCH_ERRORS")
   if prefix then
      errors_file = prefix .. "." .. thread_no
   end
end

function request()
   return wrk.format("GET", "/v1/workspaces/" .. ids[math.random(#ids)])
end

function response(status, headers, body)
   if (status < 200 or status > 299) and errors_file and errors_kept < 5 then
      errors_kept = errors_kept + 1
      local f = io.open(errors_file, "a")
      f:write(status, " ", body or "", "\n")
      f:close()
   end
end
