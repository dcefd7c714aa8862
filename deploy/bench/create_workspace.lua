-- wrk script: POST /v1/workspaces {"name", "organization_id"} into random seeded organizations, every request
-- with a new name (the slug is derived from it).
-- Environment: BENCH_TOKEN (bearer token), BENCH_ORGANIZATION_IDS (file, one id per line), BENCH_RUN (a tag
-- that keeps names unique across runs), BENCH_ERRORS (file prefix; the first responses that are not 2xx are
-- written to <prefix>.<thread>).

local next_thread = 0

function setup(thread)
   next_thread = next_thread + 1
   thread:set("thread_no", next_thread)
end

local orgs = {}
local sent = 0
local run = "0"
local errors_kept = 0
local errors_file = nil

function init(args)
   for line in io.lines(os.getenv("BENCH_ORGANIZATION_IDS")) do
      if line ~= "" then
         orgs[#orgs + 1] = line
      end
   end
   assert(#orgs > 0, "no organization ids")
   math.randomseed(os.time() * 1000 + thread_no)
   run = os.getenv("BENCH_RUN") or "0"
   wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
   wrk.headers["Content-Type"] = "application/json"
   wrk.headers["Accept"] = "application/json"
   local prefix = os.getenv("BENCH_ERRORS")
   if prefix then
      errors_file = prefix .. "." .. thread_no
   end
end

function request()
   sent = sent + 1
   local body = string.format('{"name":"wrk %s %d %d","organization_id":"%s"}', run, thread_no, sent,
      orgs[math.random(#orgs)])
   return wrk.format("POST", "/v1/workspaces", nil, body)
end

function response(status, headers, body)
   if (status < 200 or status > 299) and errors_file and errors_kept < 5 then
      errors_kept = errors_kept + 1
      local f = io.open(errors_file, "a")
      f:write(status, " ", body or "", "\n")
      f:close()
   end
end
