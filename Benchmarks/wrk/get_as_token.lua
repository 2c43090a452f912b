-- GETs the URL with the token given after "--" instead of root (a token that has an entity).
local token
init = function(args)
  token = args[1]
end
request = function()
  return wrk.format("GET", nil, {["X-Vault-Token"] = token})
end
