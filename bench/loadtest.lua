-- wrk script for bench/loadtest.sh.
--
-- Each wrk thread owns one session: line N of the file named by
-- $LOADTEST_TOKENS holds thread N's "access-token refresh-token". Requests
-- are GET /api/me with "Authorization: Bearer <access>"; with
-- $LOADTEST_REFRESH_EVERY = K > 0, every K-th request of a thread is
-- POST /auth/session/refresh with "Authorization: Bearer <refresh>" instead.
--
-- Refresh rotates the refresh token, so the thread takes the new pair from
-- the answer (st-access-token / st-refresh-token) and uses it from then on,
-- as the frontend SDK does. A thread has at most one refresh in flight:
-- otherwise one connection could present a token two rotations old while
-- another connection's refreshes went through, which ginsession rightly
-- treats as theft. With one in flight, every refresh presents the current
-- token and no grace window is needed.
--
-- Outcomes: 2xx is ok; 401 "try refresh token" from /api/me (the access
-- token expired: only with a short -access-ttl) is expected, and the thread
-- refreshes next, as the SDK does; anything else is a failure.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  local id = #threads
  local path = os.getenv("LOADTEST_TOKENS")
  assert(path, "LOADTEST_TOKENS not set")
  local f = assert(io.open(path, "r"))
  local n = 0
  for line in f:lines() do
    n = n + 1
    if n == id then
      local a, r = line:match("^(%S+)%s+(%S+)$")
      thread:set("access", a)
      thread:set("refresh", r)
    end
  end
  f:close()
  assert(n >= id, "fewer sessions in LOADTEST_TOKENS than wrk threads")
end

function init(args)
  every = tonumber(os.getenv("LOADTEST_REFRESH_EVERY") or "0") or 0
  sent = 0
  ok = 0
  expected401 = 0
  failed = 0
  refreshes = 0
  inflight = false
  must_refresh = false
end

function request()
  sent = sent + 1
  if not inflight and (must_refresh or (every > 0 and sent % every == 0)) then
    inflight = true
    must_refresh = false
    return wrk.format("POST", "/auth/session/refresh", { ["Authorization"] = "Bearer " .. refresh }, "")
  end
  return wrk.format("GET", "/api/me", { ["Authorization"] = "Bearer " .. access })
end

-- header looks a response header up whatever its case (Go writes them
-- canonicalised: Front-Token, St-Access-Token).
local function header(headers, name)
  for k, v in pairs(headers) do
    if k:lower() == name then
      return v
    end
  end
  return nil
end

function response(status, headers, body)
  -- Every refresh answer carries front-token (a new one, or "remove");
  -- /api/me answers never do.
  local front = header(headers, "front-token")
  local is_refresh = front ~= nil
  if is_refresh then
    inflight = false
    if status == 200 then
      refreshes = refreshes + 1
      access = header(headers, "st-access-token") or access
      refresh = header(headers, "st-refresh-token") or refresh
    end
  end
  if status >= 200 and status < 300 then
    ok = ok + 1
  elseif status == 401 and not is_refresh and body and body:find("try refresh token", 1, true) then
    expected401 = expected401 + 1
    must_refresh = true
  else
    failed = failed + 1
    if failed <= 5 then
      io.stderr:write(string.format("loadtest: unexpected %d %s: %s\n",
        status, is_refresh and "refresh" or "/api/me", (body or ""):sub(1, 200)))
    end
  end
end

function done(summary, latency, requests)
  local t = { ok = 0, expected401 = 0, failed = 0, refreshes = 0 }
  for _, thread in ipairs(threads) do
    for k in pairs(t) do
      t[k] = t[k] + (thread:get(k) or 0)
    end
  end
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    "RESULT requests=%d seconds=%.1f rps=%.0f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f ok=%d expected401=%d failed=%d refreshes=%d non2xx=%d socket_errors=%d\n",
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    t.ok, t.expected401, t.failed, t.refreshes, e.status,
    e.connect + e.read + e.write + e.timeout))
end
