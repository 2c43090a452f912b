import { api, can, capabilities } from "../api.js";
import { attempt, field, h, render, showNotice } from "../dom.js";

export async function policiesView() {
  const answer = await api("LIST", "sys/policies/acl");
  const names = (answer.data && answer.data.keys) || [];
  const name = h("input", { name: "name", required: true });
  const form = h("form", { class: "row card", onsubmit: (event) => {
    event.preventDefault();
    location.hash = `#/policies/${encodeURIComponent(name.value.trim())}`;
  } }, field("New policy", name), h("button", { type: "submit" }, "Create"));
  render(h("h1", {}, "ACL policies"), h("ul", { id: "policy-list" }, names.map((n) => h("li", {}, h("a", { href: `#/policies/${encodeURIComponent(n)}` }, n)))), form);
}

// One policy: its text, and an editor whose errors come from the server's own parser.
export async function policyView(name) {
  let text = "";
  try {
    const answer = await api("GET", `sys/policies/acl/${name}`);
    text = (answer.data && answer.data.policy) || "";
  } catch (error) {
    if (error.status !== 404) throw error;
  }
  const caps = await capabilities([`sys/policies/acl/${name}`]);
  const editable = can(caps, `sys/policies/acl/${name}`, "create", "update");
  const area = h("textarea", { name: "policy", id: "policy-text", spellcheck: "false", readonly: !editable }, text);
  const errors = h("div", { class: "field-error", id: "policy-errors", role: "status" });
  const form = h("form", { class: "stack card", onsubmit: async (event) => {
    event.preventDefault();
    errors.textContent = "";
    try {
      await api("PUT", `sys/policies/acl/${name}`, { policy: area.value });
      showNotice(`Saved policy ${name}`);
    } catch (error) {
      errors.textContent = (error.errors || [String(error)]).join("\n");
    }
  } }, field("Policy (HCL)", area), errors,
    editable ? h("div", { class: "row" }, h("button", { type: "submit" }, "Save"),
      h("button", { type: "button", class: "danger", onclick: async () => {
        if (!confirm(`Delete policy ${name}?`)) return;
        if (await attempt(() => api("DELETE", `sys/policies/acl/${name}`)) !== undefined) location.hash = "#/policies";
      } }, "Delete")) : h("p", { class: "muted" }, "Read only for your token."));
  render(h("h1", {}, `Policy ${name}`), form);
}
