-- Creates `count` tokens, then ends wrk (run it with one thread: wrk's own clock would
-- otherwise run on to the -d duration); prints "made N failed M" on stderr:
--   wrk -t 1 ... -s token_create_n.lua URL -- <count> <path> <min ttl s> <max ttl s>
-- Each token's TTL is drawn between the two bounds, so short-lived ones expire spread over time.
local target, path, ttl_min, ttl_max, done, failed = 0, "/v1/auth/token/create", 86400, 86400, 0, 0

init = function(args)
  target = tonumber(args[1])
  path = args[2] or path
  ttl_min = tonumber(args[3] or ttl_min)
  ttl_max = tonumber(args[4] or ttl_min)
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 100000)
end

request = function()
  local ttl = math.random(ttl_min, ttl_max)
  return wrk.format("POST", path, {["Content-Type"] = "application/json", ["X-Vault-Token"] = "root"},
    '{"policies":["default"],"ttl":"' .. ttl .. 's"}')
end

response = function(status)
  done = done + 1
  if status ~= 200 then failed = failed + 1 end
  if done >= target then
    io.stderr:write("made " .. done .. " failed " .. failed .. "\n")
    io.stderr:flush()
    os.exit(0)
  end
end
