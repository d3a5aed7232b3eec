-- rum-bench.lua: the wrk script of scripts/bench-rum.sh. Every request is a
-- new, realistic rum.js beacon (docs/frontend.md) for POST /api/v1/rum: a new
-- page view id, one of ~50 pages /deals/<id>, a navigation type and device
-- class in browser-like proportions, the page view, 3 to 5 web vitals,
-- sometimes an uncaught error, 0 to 3 API calls; every event id is unique in
-- the run (it holds the run's tag, the thread and a counter), so the server
-- must store every beacon it answered 204.
--
--   wrk -t2 -c64 -d15s --latency -s scripts/rum-bench.lua URL -- TAG STOP_MS ORIGIN APP
--
-- TAG (a few letters) makes ids unique across runs on one server; each
-- thread stops sending new beacons STOP_MS after it started (so nothing is
-- in flight when wrk stops at -d, and the server's count can be compared
-- exactly with the 204s counted here); ORIGIN is the Origin header, APP the
-- data-app. done() prints one "RUMBENCH key=value ..." line for the shell.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } rumbench_timespec;
int clock_gettime(int clk_id, rumbench_timespec *tp);
]]
local ts = ffi.new("rumbench_timespec")
local function now_us() -- CLOCK_MONOTONIC, microseconds
	ffi.C.clock_gettime(1, ts)
	return tonumber(ts.tv_sec) * 1000000 + math.floor(tonumber(ts.tv_nsec) / 1000)
end

local random, floor, format, concat = math.random, math.floor, string.format, table.concat

-- ~50 pages, the same in every thread and run.
math.randomseed(4242)
local pages = {}
for i = 1, 50 do
	pages[i] = "/deals/" .. tostring(100000 + math.random(0, 899999))
end
local api_routes = { "/api/cart/items", "/api/recommendations/similar", "/api/session/refresh",
	"/api/search/suggestions", "/api/users/me/preferences" }

-- weighted picks: { {value, cumulative weight}, ... } with weights summing to 100
local function picker(t)
	local acc, out = 0, {}
	for _, e in ipairs(t) do
		acc = acc + e[2]
		out[#out + 1] = { e[1], acc }
	end
	return function()
		local r = random() * acc
		for _, e in ipairs(out) do
			if r < e[2] then return e[1] end
		end
		return out[#out][1]
	end
end
local pick_nav = picker({ { "navigate", 80 }, { "reload", 8 }, { "back-forward", 7 },
	{ "back-forward-cache", 3 }, { "prerender", 1 }, { "restore", 1 } })
local pick_dev = picker({ { "mobile", 55 }, { "desktop", 38 }, { "tablet", 7 } })
local pick_status = picker({ { 200, 86 }, { 201, 4 }, { 304, 3 }, { 404, 4 }, { 500, 1 }, { 503, 1 }, { 0, 1 } })

local b36 = "0123456789abcdefghijklmnopqrstuvwxyz"
local function base36(n, width)
	local s = {}
	repeat
		local d = n % 36
		s[#s + 1] = b36:sub(d + 1, d + 1)
		n = floor(n / 36)
	until n == 0
	while #s < (width or 0) do s[#s + 1] = "0" end
	return string.reverse(concat(s))
end
local function rand36(len)
	local s = {}
	for i = 1, len do
		local d = random(0, 35)
		s[i] = b36:sub(d + 1, d + 1)
	end
	return concat(s)
end

-- main thread: number the threads, collect their counters in done().
local threads, nthreads = {}, 0
function setup(thread)
	nthreads = nthreads + 1
	thread:set("tid", nthreads)
	threads[nthreads] = thread
end

-- per thread
local tag, stop_at, origin, app
local seq = 0
local armed = 0 -- delay() calls not yet followed by request()
sent, ok204, non204, uncounted = 0, 0, 0, 0
pageviews, errors, apis, api_failed, vitals, lcps, bodybytes = 0, 0, 0, 0, 0, 0, 0
minbody, maxbody = 1e9, 0
first_us, last_us = 0, 0
other_status = ""

function init(args)
	tag = args[1] or "r"
	local stop_ms = tonumber(args[2] or "0")
	origin = args[3] or "https://shop.example.com"
	app = args[4] or "web-frontend"
	math.randomseed((tid or 0) * 7919 + os.time() + floor(os.clock() * 1e6))
	local t = now_us()
	first_us = t
	stop_at = stop_ms > 0 and t + stop_ms * 1000 or math.huge
	wrk.method = "POST"
	wrk.headers["Content-Type"] = "text/plain;charset=UTF-8"
	wrk.headers["Origin"] = origin
end

-- wrk calls delay() before each request it sends, and request() once more
-- at start-up without sending it (to check it): request() counts what it
-- generates only after a delay(). No request starts after STOP_MS (wrk ends
-- the run at -d).
function delay()
	if now_us() >= stop_at then
		return 3600000
	end
	armed = armed + 1
	return 0
end

local function vital(ev, id, name, v)
	ev[#ev + 1] = format('{"t":"vital","id":"%s","n":"%s","v":%s}', id, name, v)
	return 1
end

function request()
	seq = seq + 1
	local ms = floor(now_us() / 1000) + 1700000000000 -- a plausible Date.now()
	-- pv as rum.js makes it (Date.now() in base 36, "-", random base 36),
	-- with the run tag, thread and counter in it so that it is unique.
	local uniq = tag .. base36(tid or 0) .. base36(seq, 6)
	local pv = base36(ms) .. "-" .. uniq .. rand36(4)
	local page = pages[random(1, #pages)]
	local ev = { format('{"t":"pageview","id":"%s"}', pv) }
	-- web-vitals' ids: v5-<Date.now()>-<13 random digits>, here uniq + random.
	local vid = "v5-" .. ms .. "-" .. uniq .. rand36(4) .. "-"
	local nv, nerr, napi, nfail = 3, 0, 0, 0
	vital(ev, vid .. "1", "TTFB", format("%.1f", 40 + random() * random() * 900))
	vital(ev, vid .. "2", "FCP", format("%.1f", 300 + random() * random() * 3200))
	vital(ev, vid .. "3", "LCP", format("%.1f", 800 + 5200 * random() ^ 2))
	if random() < 0.85 then
		nv = nv + vital(ev, vid .. "4", "CLS", format("%.4f", 0.4 * random() ^ 3))
	end
	if random() < 0.6 then
		nv = nv + vital(ev, vid .. "5", "INP", format("%.1f", 20 + 580 * random() ^ 2))
	end
	if random() < 0.05 then
		ev[#ev + 1] = format('{"t":"error","id":"%s:err"}', pv)
		nerr = 1
	end
	for i = 1, random(0, 3) do
		local route = i == 1 and ("/api" .. page .. "/offers") or api_routes[random(1, #api_routes)]
		local st = pick_status()
		local ok = st > 0 and st < 500
		ev[#ev + 1] = format('{"t":"api","id":"%s:api:%d","route":"%s","ok":%s,"status":%d}',
			pv, i, route, ok and "true" or "false", st)
		napi = napi + 1
		if not ok then nfail = nfail + 1 end
	end
	local body = format('{"v":1,"app":"%s","page":"%s","nav":"%s","dev":"%s","pv":"%s","ev":[%s]}',
		app, page, pick_nav(), pick_dev(), pv, concat(ev, ","))
	if armed > 0 then
		armed = armed - 1
		sent = sent + 1
		pageviews, vitals, lcps, errors = pageviews + 1, vitals + nv, lcps + 1, errors + nerr
		apis, api_failed = apis + napi, api_failed + nfail
		bodybytes = bodybytes + #body
		if #body < minbody then minbody = #body end
		if #body > maxbody then maxbody = #body end
	else
		uncounted = uncounted + 1
	end
	return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
	if status == 204 then
		ok204 = ok204 + 1
	else
		non204 = non204 + 1
		if #other_status < 200 then
			other_status = other_status .. status .. ":" .. (body or ""):sub(1, 120):gsub("%s", "_") .. ";"
		end
	end
	last_us = now_us()
end

function done(summary, latency, requests)
	local keys = { "sent", "ok204", "non204", "uncounted", "pageviews", "errors", "apis", "api_failed", "vitals", "lcps", "bodybytes" }
	local tot = {}
	for _, k in ipairs(keys) do tot[k] = 0 end
	local first, last, other, minb, maxb = math.huge, 0, "", 1e9, 0
	for _, t in ipairs(threads) do
		for _, k in ipairs(keys) do tot[k] = tot[k] + (t:get(k) or 0) end
		first = math.min(first, t:get("first_us") or math.huge)
		last = math.max(last, t:get("last_us") or 0)
		other = other .. (t:get("other_status") or "")
		minb = math.min(minb, t:get("minbody") or 1e9)
		maxb = math.max(maxb, t:get("maxbody") or 0)
	end
	local window = (last > first) and (last - first) / 1e6 or 0
	local e = summary.errors
	local out = { "RUMBENCH" }
	for _, k in ipairs(keys) do out[#out + 1] = k .. "=" .. tot[k] end
	out[#out + 1] = format("minbody=%d maxbody=%d", minb, maxb)
	out[#out + 1] = format("window_s=%.3f", window)
	out[#out + 1] = format("rate=%.1f", window > 0 and tot.ok204 / window or 0)
	out[#out + 1] = "requests=" .. summary.requests
	out[#out + 1] = format("duration_s=%.3f", summary.duration / 1e6)
	out[#out + 1] = format("p50_ms=%.3f", latency:percentile(50) / 1000)
	out[#out + 1] = format("p90_ms=%.3f", latency:percentile(90) / 1000)
	out[#out + 1] = format("p99_ms=%.3f", latency:percentile(99) / 1000)
	out[#out + 1] = format("max_ms=%.3f", latency.max / 1000)
	out[#out + 1] = format("sock_errors=%d", e.connect + e.read + e.write + e.timeout)
	out[#out + 1] = format("connect=%d read=%d write=%d timeout=%d status=%d", e.connect, e.read, e.write, e.timeout, e.status)
	if other ~= "" then out[#out + 1] = "other=" .. other end
	io.write(concat(out, " "), "\n")
end
