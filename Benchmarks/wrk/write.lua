-- KV v2 writes to a rotating set of keys, so versions pile up as in real use.
local counter = 0
request = function()
  counter = counter + 1
  local path = "/v1/secret/data/bench-write-" .. (counter % 100)
  local body = '{"data":{"password":"p-' .. counter .. '","user":"app"}}'
  return wrk.format("POST", path, {["Content-Type"] = "application/json", ["X-Vault-Token"] = "root"}, body)
end
