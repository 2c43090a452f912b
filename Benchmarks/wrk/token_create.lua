-- Child tokens of root with a policy and a TTL, as an orchestrator would mint them.
request = function()
  return wrk.format("POST", "/v1/auth/token/create", {["Content-Type"] = "application/json", ["X-Vault-Token"] = "root"},
    '{"policies":["default"],"ttl":"1h"}')
end
