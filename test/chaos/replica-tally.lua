-- wrk script of `npm run chaos` (replica scenario): rotates over the ha.v1 GET
-- routes and counts answers per second and replica id ("fail<status>" for a
-- failure), written as "C <epoch second> <id> <count>" lines at the end.
local threads = {}
local paths = { "/v1/whoami", "/v1/whoami:slow", "/v1/flaky/a", "/v1/flaky/b" }
local i = 0

setup = function(thread)
  table.insert(threads, thread)
end

init = function(args)
  counts = {}
  out = ""
  n = 0
end

request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end

local function serialize()
  local parts = {}
  for k, v in pairs(counts) do
    table.insert(parts, "C " .. k .. " " .. v)
  end
  out = table.concat(parts, "\n")
end

response = function(status, headers, body)
  local id = "fail" .. status
  if status == 200 then
    id = string.match(body, '"id":"(%w+)"') or "unknown"
  end
  local key = os.time() .. " " .. id
  counts[key] = (counts[key] or 0) + 1
  n = n + 1
  -- Tables cannot leave a wrk thread: done() reads this string.
  if n % 50 == 0 or status ~= 200 then
    serialize()
  end
end

done = function(summary, latency, requests)
  for _, thread in ipairs(threads) do
    io.write(thread:get("out"), "\n")
  end
end
