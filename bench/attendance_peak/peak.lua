-- wrk script of the 16:40 peak; bench/attendance_peak.py writes the plan it reads and runs
--
--   wrk -tN -cN -dS -s peak.lua http://127.0.0.1:PORT -- MODE PLAN.lua N TAG
--
-- One connection per thread (-t = -c), so a thread's state is its connection's: thread k plays
-- the tutors whose place in the plan is k modulo N, one after another, each with their own
-- session cookie. MODE is
--   bare   the reference view;
--   get    a tutor opens their lesson's roll call;
--   post   a tutor submits it: CSRF token, the lesson's current revision, a fresh token and a
--          mark for each of the 25 children (two mark sets that differ for every child, so every
--          accepted submission rewrites all 25 records, as a first roll call does);
--   mix    the peak itself: open, submit, land on the day's page (the submit's redirect), next.
-- (The peak at the issue's own rate is driven from Python, not here: wrk's delay() waits on an
-- open connection, and a silent open connection holds a gunicorn sync worker.)
-- Each request is timed here (CLOCK_MONOTONIC through LuaJIT's ffi) and kept by kind, so GET and
-- POST have their own percentiles in one run; done() prints one BENCH line per kind.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } peak_timespec;
int clock_gettime(int clk_id, peak_timespec *tp);
]]
local clock = ffi.new("peak_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, clock)  -- CLOCK_MONOTONIC
  return tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_nsec) / 1e6
end

local KINDS = { "bare", "get", "post", "today" }
local threads, counter = {}, 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

-- Per thread, globals so that done() can read them through thread:get, which copies a flat
-- table but not a nested one: lat_<kind> (ms of each request), bad_<kind>, accepted.
accepted = 0
local mode, plan, tag, mine, rev
local turn, step, serial, sent_at, kind, current = 0, 0, 0, 0, nil, nil

function init(args)
  mode, plan, tag = args[1], dofile(args[2]), args[4]
  local n = tonumber(args[3])
  mine, rev = {}, {}
  for i, tutor in ipairs(plan.tutors) do
    if (i - 1) % n == id then
      table.insert(mine, tutor)
      rev[tutor.lesson] = tutor.revision
    end
  end
  for _, k in ipairs(KINDS) do
    _G["lat_" .. k], _G["bad_" .. k] = {}, 0
  end
end

-- The same two sets as marks_for() in bench/attendance_peak.py.
local function marks(tutor)
  local flip = rev[tutor.lesson] % 2 == 1
  local parts = {}
  for i, student in ipairs(tutor.students) do
    local status = "present"
    if i % 25 == 8 then status = "leave" elseif i % 10 == 4 then status = "late" end
    if flip then status = (status == "present") and "late" or "present" end
    parts[#parts + 1] = "s-" .. student .. "=" .. status
  end
  return table.concat(parts, "&")
end

function request()
  local method, path, body = "GET", nil, nil
  local headers = {}
  if mode == "bare" then
    kind, path = "bare", plan.bare
  else
    current = mine[turn % #mine + 1]
    headers["Cookie"] = current.cookie
    if mode == "get" or (mode == "mix" and step == 0) then
      kind, path = "get", current.path
    elseif mode == "post" or (mode == "mix" and step == 1) then
      serial = serial + 1
      kind, method, path = "post", "POST", current.path
      headers["Content-Type"] = "application/x-www-form-urlencoded"
      body = "csrfmiddlewaretoken=" .. plan.csrf .. "&revision=" .. rev[current.lesson]
        .. "&token=" .. tag .. "-" .. id .. "-" .. serial .. "&" .. marks(current)
    else
      kind, path = "today", plan.today
    end
  end
  sent_at = now_ms()
  return wrk.format(method, path, headers, body)
end

function response(status, headers, body)
  table.insert(_G["lat_" .. kind], now_ms() - sent_at)
  local expected = (kind == "post") and 302 or 200
  if status ~= expected then _G["bad_" .. kind] = _G["bad_" .. kind] + 1 end
  if kind == "get" or (kind == "post" and status == 400) then
    -- the page (or the refusal, re-rendered) carries the lesson's current revision
    local r = body and string.match(body, 'name="revision" value="(%d+)"')
    if r then rev[current.lesson] = tonumber(r) end
  elseif kind == "post" and status == 302 then
    rev[current.lesson] = rev[current.lesson] + 1
    accepted = accepted + 1
  end
  if mode == "mix" then
    step = (step + 1) % 3
    if step == 0 then turn = turn + 1 end
  elseif mode ~= "bare" then
    turn = turn + 1
  end
end

local function percentile(sorted, p)
  local i = math.max(1, math.ceil(#sorted * p / 100))
  return sorted[i]
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local all, bads, posts = {}, {}, 0
  for _, k in ipairs(KINDS) do
    all[k], bads[k] = {}, 0
  end
  for _, thread in ipairs(threads) do
    for _, k in ipairs(KINDS) do
      for _, v in ipairs(thread:get("lat_" .. k)) do table.insert(all[k], v) end
      bads[k] = bads[k] + thread:get("bad_" .. k)
    end
    posts = posts + thread:get("accepted")
  end
  for _, k in ipairs(KINDS) do
    local list = all[k]
    if #list > 0 then
      table.sort(list)
      io.write(string.format(
        "BENCH kind=%s n=%d rps=%.1f p50=%.1f p95=%.1f p99=%.1f bad=%d accepted=%d\n",
        k, #list, #list / secs, percentile(list, 50), percentile(list, 95), percentile(list, 99),
        bads[k], k == "post" and posts or 0))
    end
  end
  local e = summary.errors
  io.write(string.format("WRK seconds=%.1f errors=%d\n", secs,
    e.connect + e.read + e.write + e.timeout))
end
