import { api, session } from "../api.js";
import { attempt, field, h, render } from "../dom.js";

// Token, userpass or AppRole; the token from a login goes to sessionStorage only.
export async function loginView() {
  const method = h("select", { name: "method", id: "login-method" },
    h("option", { value: "token" }, "Token"), h("option", { value: "userpass" }, "Username and password"),
    h("option", { value: "approle" }, "AppRole"));
  const mount = h("input", { name: "mount", placeholder: "userpass" });
  const fields = h("div", { class: "stack" });
  const inputs = {
    token: h("input", { name: "token", type: "password", autocomplete: "off" }),
    username: h("input", { name: "username", autocomplete: "username" }),
    password: h("input", { name: "password", type: "password", autocomplete: "current-password" }),
    role_id: h("input", { name: "role_id", autocomplete: "off" }),
    secret_id: h("input", { name: "secret_id", type: "password", autocomplete: "off" }),
  };
  function showFields() {
    const m = method.value;
    mount.placeholder = m === "token" ? "" : m;
    fields.replaceChildren(...(m === "token" ? [field("Token", inputs.token)]
      : m === "userpass" ? [field("Username", inputs.username), field("Password", inputs.password), field("Mount path", mount)]
      : [field("Role ID", inputs.role_id), field("Secret ID", inputs.secret_id), field("Mount path", mount)]));
  }
  method.addEventListener("change", showFields);
  showFields();
  const form = h("form", { class: "stack card", onsubmit: async (event) => {
    event.preventDefault();
    const m = method.value;
    const path = (mount.value || m).replace(/^\/+|\/+$/g, "");
    let token = "";
    if (m === "token") {
      token = inputs.token.value.trim();
      session.token = token;
      const ok = await attempt(() => api("GET", "auth/token/lookup-self"));
      if (!ok) { session.token = ""; return; }
    } else {
      session.token = "";
      const body = m === "userpass" ? { password: inputs.password.value } : { role_id: inputs.role_id.value, secret_id: inputs.secret_id.value };
      const target = m === "userpass" ? `auth/${path}/login/${inputs.username.value}` : `auth/${path}/login`;
      const answer = await attempt(() => api("POST", target, body));
      if (!answer) return;
      token = answer.auth.client_token;
    }
    for (const input of Object.values(inputs)) input.value = "";
    session.token = token;
    location.hash = "#/secrets";
  } }, field("Method", method), fields, h("button", { type: "submit" }, "Log in"));
  render(h("h1", {}, "Log in"), form);
}
