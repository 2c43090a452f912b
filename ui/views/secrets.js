import { api, can, capabilities } from "../api.js";
import { attempt, field, h, render, showNotice, table } from "../dom.js";

// Secrets engines: the list, and a form to enable one.
export async function secretsView() {
  const answer = await api("GET", "sys/mounts");
  const mounts = answer.data || answer;
  const caps = await capabilities(["sys/mounts/example"]);
  const rows = Object.entries(mounts).filter(([, m]) => m && m.type).sort().map(([path, m]) => {
    const kv2 = m.type === "kv" && m.options && m.options.version === "2";
    const name = kv2 ? h("a", { href: `#/kv/${path.replace(/\/$/, "")}/` }, path) : h("code", {}, path);
    return [name, m.type + (kv2 ? " v2" : ""), m.description || ""];
  });
  const path = h("input", { name: "path", required: true, placeholder: "kv" });
  const type = h("select", { name: "type" }, ["kv-v2", "kv", "transit", "pki", "database", "cubbyhole"].map((t) => h("option", { value: t }, t)));
  const form = h("form", { class: "stack card", onsubmit: async (event) => {
    event.preventDefault();
    const body = type.value === "kv-v2" ? { type: "kv", options: { version: "2" } } : { type: type.value };
    const done = await attempt(() => api("POST", `sys/mounts/${path.value.replace(/^\/+|\/+$/g, "")}`, body));
    if (done !== undefined) {
      showNotice(`Enabled ${type.value} at ${path.value}/`);
      await secretsView();
    }
  } }, h("h2", {}, "Enable a secrets engine"), field("Path", path), field("Type", type), h("button", { type: "submit" }, "Enable"));
  render(h("h1", {}, "Secrets engines"), table(["Path", "Type", "Description"], rows),
    can(caps, "sys/mounts/example", "create", "update", "sudo") ? form : h("p", { class: "muted" }, "Your token cannot enable engines."));
}
