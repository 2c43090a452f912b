import { api } from "../api.js";
import { attempt, field, h, render } from "../dom.js";

const toBase64 = (text) => btoa(String.fromCharCode(...new TextEncoder().encode(text)));
const fromBase64 = (b64) => new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));

function output(id) { return h("pre", { class: "mono card", id, "aria-live": "polite" }); }

export async function toolsView() {
  // Transit: encrypt and decrypt with a key the browser never sees.
  const mount = h("input", { name: "mount", value: "transit" });
  const key = h("input", { name: "key", required: true });
  const input = h("textarea", { name: "input" });
  const transitOut = output("transit-output");
  const transit = async (op) => {
    const body = op === "encrypt" ? { plaintext: toBase64(input.value) } : { ciphertext: input.value.trim() };
    const answer = await attempt(() => api("POST", `${mount.value}/${op}/${key.value}`, body));
    if (answer) transitOut.textContent = op === "encrypt" ? answer.data.ciphertext : fromBase64(answer.data.plaintext);
  };
  // Response wrapping.
  const wrapData = h("textarea", { name: "wrap-data", placeholder: '{"key": "value"}' });
  const wrapToken = h("input", { name: "wrap-token", autocomplete: "off" });
  const wrapOut = output("wrap-output");
  // Random bytes.
  const bytes = h("input", { name: "bytes", type: "number", value: 32, min: 1, max: 1024 });
  const randomOut = output("random-output");
  render(h("h1", {}, "Tools"),
    h("section", { class: "stack" }, h("h2", {}, "Transit"), field("Mount", mount), field("Key name", key), field("Plaintext or ciphertext", input),
      h("div", { class: "row" }, h("button", { type: "button", onclick: () => transit("encrypt") }, "Encrypt"),
        h("button", { type: "button", class: "secondary", onclick: () => transit("decrypt") }, "Decrypt")), transitOut),
    h("section", { class: "stack" }, h("h2", {}, "Wrap and unwrap"), field("Data to wrap (JSON)", wrapData),
      h("button", { type: "button", onclick: async () => {
        let data;
        try { data = JSON.parse(wrapData.value || "{}"); } catch (error) { wrapOut.textContent = `Not JSON: ${error.message}`; return; }
        const answer = await attempt(() => fetchWrapped(data));
        if (answer) wrapOut.textContent = answer.wrap_info.token;
      } }, "Wrap for 5 minutes"), field("Wrapping token", wrapToken),
      h("button", { type: "button", class: "secondary", onclick: async () => {
        const answer = await attempt(() => api("POST", "sys/wrapping/unwrap", { token: wrapToken.value.trim() }));
        if (answer) wrapOut.textContent = JSON.stringify(answer.data, null, 2);
      } }, "Unwrap"), wrapOut),
    h("section", { class: "stack" }, h("h2", {}, "Random bytes"), field("Bytes", bytes),
      h("button", { type: "button", onclick: async () => {
        const answer = await attempt(() => api("POST", "sys/tools/random", { bytes: Number(bytes.value), format: "base64" }));
        if (answer) randomOut.textContent = answer.data.random_bytes;
      } }, "Generate"), randomOut));
}

async function fetchWrapped(data) {
  const { session } = await import("../api.js");
  const response = await fetch("/v1/sys/wrapping/wrap", {
    method: "POST", cache: "no-store", credentials: "omit",
    headers: { "X-Vault-Token": session.token, "X-Vault-Wrap-TTL": "300", "Content-Type": "application/json", "X-Vault-Request": "true" },
    body: JSON.stringify(data),
  });
  const json = await response.json();
  if (!response.ok) throw Object.assign(new Error((json.errors || []).join("; ")), { errors: json.errors || [] });
  return json;
}
