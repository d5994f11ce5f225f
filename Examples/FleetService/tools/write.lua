-- wrk script: every request POSTs one batch of InfluxDB line protocol to /write.
--
-- Every point is distinct, so the store really grows: each wrk thread writes its own
-- devices (fleet-T-D), and each request advances that thread's clock, so no point
-- overwrites another. Settings come from the environment:
--   FLEET_POINTS   points per request (default 500)
--   FLEET_DEVICES  devices per wrk thread (default 100)

local points_per_request = tonumber(os.getenv("FLEET_POINTS") or "500")
local devices = tonumber(os.getenv("FLEET_DEVICES") or "100")
-- Each request gives every device this many consecutive milliseconds.
local steps = math.ceil(points_per_request / devices)
local start_ms = 1767225600000 -- 2026-01-01T00:00:00Z

local threads = {}
local next_id = 0

function setup(thread)
   thread:set("id", next_id)
   next_id = next_id + 1
   table.insert(threads, thread)
end

function init(args)
   requests = 0
end

function request()
   local base = start_ms + requests * steps
   requests = requests + 1
   local lines = {}
   for i = 0, points_per_request - 1 do
      local device = i % devices
      local step = (i - device) / devices
      -- A value that changes from point to point, so the codecs do real work.
      local value = ((requests * 7919 + i * 104729) % 100000) / 1000
      lines[#lines + 1] = string.format("fleet,host=fleet-%d-%d temp=%.3f %d", id, device, value, base + step)
   end
   return wrk.format("POST", "/write?precision=ms", {["Content-Type"] = "text/plain"}, table.concat(lines, "\n"))
end

function done(summary, latency, requests_unused)
   local seconds = summary.duration / 1e6
   local failed = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
   local ok = summary.requests - summary.errors.status
   io.write(string.format("points per request: %d\n", points_per_request))
   io.write(string.format("acknowledged points: %d in %.1f s = %.0f points/s\n", ok * points_per_request, seconds, ok * points_per_request / seconds))
   io.write(string.format("failed requests (non-2xx, socket errors, timeouts): %d\n", failed))
end
