-- wrk script of deploy/bench/run.sh: one kind of call, chosen by BENCH_CALL.
--   get     GET /v1/workspaces/{id} over random ids of BENCH_WORKSPACE_IDS, as BENCH_TOKEN
--   list    GET /v1/workspaces?limit=100, each request as the next user of BENCH_USERS
--   me      GET /v1/me, each request as the next user of BENCH_USERS
--   create  POST /v1/workspaces {"name", "organization_id"}, each request as the next user of BENCH_USERS into one
--           of that user's organizations, a new name every time; with BENCH_PREFER the header Prefer: BENCH_PREFER
--   path    GET BENCH_PATH as BENCH_TOKEN
-- BENCH_USERS: a file, one user a line: "<token> <organization id> <organization id>". BENCH_RUN: a tag that keeps
-- names unique across runs. BENCH_ERRORS: a file prefix; the first responses that are not 2xx are written to
-- <prefix>.<thread>. At the end the answers are counted by status: "statuses: 200=N 201=N ...".

local threads = {}
local next_thread = 0

function setup(thread)
   next_thread = next_thread + 1
   thread:set("thread_no", next_thread)
   table.insert(threads, thread)
end

local call = os.getenv("BENCH_CALL") or "get"
local ids = {}
local users = {}
local turn = 0
local sent = 0
local run = "0"
local errors_kept = 0
local errors_file = nil
statuses = {}

local function lines(path)
   local out = {}
   for line in io.lines(path) do
      if line ~= "" then
         out[#out + 1] = line
      end
   end
   assert(#out > 0, "nothing in " .. path)
   return out
end

function init(args)
   math.randomseed(os.time() * 1000 + thread_no)
   run = os.getenv("BENCH_RUN") or "0"
   wrk.headers["Accept"] = "application/json"
   if call == "get" then
      ids = lines(os.getenv("BENCH_WORKSPACE_IDS"))
   end
   if call == "get" or call == "path" then
      wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
   else
      for _, line in ipairs(lines(os.getenv("BENCH_USERS"))) do
         local token, org1, org2 = line:match("^(%S+) (%S+) (%S+)$")
         assert(token, "a line of BENCH_USERS is not '<token> <org> <org>'")
         users[#users + 1] = { auth = "Bearer " .. token, orgs = { org1, org2 } }
      end
      -- Threads start at different users, so that together they rotate through all of them.
      turn = (thread_no - 1) * math.floor(#users / 2)
   end
   if call == "create" then
      wrk.headers["Content-Type"] = "application/json"
      local prefer = os.getenv("BENCH_PREFER")
      if prefer and prefer ~= "" then
         wrk.headers["Prefer"] = prefer
      end
   end
   local prefix = os.getenv("BENCH_ERRORS")
   if prefix then
      errors_file = prefix .. "." .. thread_no
   end
end

local function next_user()
   turn = turn % #users + 1
   return users[turn]
end

function request()
   if call == "get" then
      return wrk.format("GET", "/v1/workspaces/" .. ids[math.random(#ids)])
   elseif call == "path" then
      return wrk.format("GET", os.getenv("BENCH_PATH"))
   end
   local user = next_user()
   -- wrk.format sends the headers given instead of wrk.headers (but Host): the common ones are copied in.
   local headers = { ["Authorization"] = user.auth }
   for name, value in pairs(wrk.headers) do
      headers[name] = value
   end
   if call == "list" then
      return wrk.format("GET", "/v1/workspaces?limit=100", headers)
   elseif call == "me" then
      return wrk.format("GET", "/v1/me", headers)
   end
   sent = sent + 1
   local body = string.format('{"name":"wrk %s %d %d","organization_id":"%s"}', run, thread_no, sent,
      user.orgs[math.random(2)])
   return wrk.format("POST", "/v1/workspaces", headers, body)
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
   if (status < 200 or status > 299) and errors_file and errors_kept < 5 then
      errors_kept = errors_kept + 1
      local f = io.open(errors_file, "a")
      f:write(status, " ", body or "", "\n")
      f:close()
   end
end

function done(summary, latency, requests)
   local total = {}
   for _, thread in ipairs(threads) do
      for status, n in pairs(thread:get("statuses")) do
         total[status] = (total[status] or 0) + n
      end
   end
   local keys = {}
   for status in pairs(total) do
      keys[#keys + 1] = status
   end
   table.sort(keys)
   local out = {}
   for _, status in ipairs(keys) do
      out[#out + 1] = status .. "=" .. total[status]
   end
   io.write("statuses: ", table.concat(out, " "), "\n")
end
