-- POSTs the same JSON body on every request; the body is read from the file named after "--".
local body
init = function(args)
  local file = assert(io.open(args[1], "rb"))
  body = file:read("*a")
  file:close()
end
request = function()
  return wrk.format("POST", nil, {["Content-Type"] = "application/json", ["X-Vault-Token"] = "root"}, body)
end
