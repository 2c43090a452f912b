import { api } from "../api.js";
import { attempt, field, h, render, showNotice } from "../dom.js";

// A new server: choose the shares, get the keys and the root token once.
export async function initView() {
  const shares = h("input", { name: "shares", type: "number", min: 1, max: 255, value: 5, required: true });
  const threshold = h("input", { name: "threshold", type: "number", min: 1, max: 255, value: 3, required: true });
  const result = h("div", { id: "init-result" });
  const form = h("form", { class: "stack card", onsubmit: async (event) => {
    event.preventDefault();
    const answer = await attempt(() => api("PUT", "sys/init", { secret_shares: Number(shares.value), secret_threshold: Number(threshold.value) }));
    if (!answer) return;
    form.hidden = true;
    result.replaceChildren(
      h("p", {}, "Save these now: they are shown this once and never stored by the browser."),
      h("h2", {}, "Unseal keys"),
      h("ol", { id: "unseal-keys" }, (answer.keys_base64 || answer.keys).map((key) => h("li", {}, h("code", {}, key)))),
      h("h2", {}, "Initial root token"),
      h("p", {}, h("code", { id: "root-token" }, answer.root_token)),
      h("button", { type: "button", onclick: () => { location.hash = "#/unseal"; } }, "Continue to unseal"));
  } }, field("Key shares", shares), field("Key threshold", threshold), h("button", { type: "submit" }, "Initialize"));
  render(h("h1", {}, "Initialize Tresor"), form, result);
}

// Unseal keys entered one at a time; the server says how far it got.
export async function unsealView() {
  const progress = h("p", { class: "progress", id: "unseal-progress" });
  const key = h("input", { name: "key", type: "password", autocomplete: "off", required: true });
  async function refresh() {
    const status = await api("GET", "sys/seal-status");
    progress.textContent = `${status.progress} of ${status.t} keys entered`;
    if (!status.sealed) {
      showNotice("Unsealed.");
      location.hash = "#/login";
    }
  }
  const form = h("form", { class: "stack card", onsubmit: async (event) => {
    event.preventDefault();
    const answer = await attempt(() => api("PUT", "sys/unseal", { key: key.value.trim() }));
    key.value = "";
    if (answer) await refresh();
  } }, progress, field("Unseal key", key), h("div", { class: "row" },
    h("button", { type: "submit" }, "Unseal"),
    h("button", { type: "button", class: "secondary", onclick: async () => { await attempt(() => api("PUT", "sys/unseal", { reset: true })); await refresh(); } }, "Reset")));
  render(h("h1", {}, "Unseal Tresor"), form);
  await refresh();
  key.focus();
}
