-- Userpass logins: each one hashes the password (scrypt on Tresor, bcrypt on OpenBao).
request = function()
  return wrk.format("POST", "/v1/auth/userpass/login/bench", {["Content-Type"] = "application/json"},
                    '{"password":"bench-password"}')
end
