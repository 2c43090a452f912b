-- Kubernetes service-account logins; the JWT comes after "--" on wrk's command line.
local body
init = function(args)
  body = '{"role":"bench","jwt":"' .. args[1] .. '"}'
end
request = function()
  return wrk.format("POST", "/v1/auth/kubernetes/login", {["Content-Type"] = "application/json"}, body)
end
