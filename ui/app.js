// Tresor's web UI: plain ES modules, no build chain. Each screen is a client of /v1.
import { api, session } from "./api.js";
import { clearAlert, h, render, showError } from "./dom.js";
import { initView, unsealView } from "./views/status.js";
import { loginView } from "./views/login.js";
import { secretsView } from "./views/secrets.js";
import { kvView } from "./views/kv.js";
import { policiesView, policyView } from "./views/policies.js";
import { authView } from "./views/auth.js";
import { leasesView } from "./views/leases.js";
import { toolsView } from "./views/tools.js";

const routes = [
  [/^\/init$/, initView],
  [/^\/unseal$/, unsealView],
  [/^\/login$/, loginView],
  [/^\/secrets$/, secretsView],
  [/^\/kv\/([^/]+)\/?(.*)$/, kvView],
  [/^\/policies$/, policiesView],
  [/^\/policies\/(.+)$/, policyView],
  [/^\/auth$/, authView],
  [/^\/leases\/?(.*)$/, leasesView],
  [/^\/tools$/, toolsView],
];

// Where a visitor belongs before anything else: init, unseal or login.
async function gate(path) {
  const status = await api("GET", "sys/seal-status");
  if (!status.initialized) return path === "/init" ? null : "/init";
  if (status.sealed) return path === "/unseal" ? null : "/unseal";
  if (!session.token) return path === "/login" ? null : "/login";
  if (path === "/init" || path === "/unseal" || path === "/") return "/secrets";
  return null;
}

async function route() {
  const path = decodeURIComponent(location.hash.replace(/^#/, "")) || "/";
  clearAlert();
  try {
    const redirect = await gate(path);
    if (redirect) {
      location.hash = "#" + redirect;
      return;
    }
  } catch (error) {
    showError(error);
    return;
  }
  document.getElementById("nav").hidden = !session.token;
  for (const link of document.querySelectorAll("nav a")) {
    link.toggleAttribute("aria-current", path.startsWith(link.getAttribute("href").slice(1)));
    if (link.hasAttribute("aria-current")) link.setAttribute("aria-current", "page");
  }
  for (const [pattern, view] of routes) {
    const match = path.match(pattern);
    if (match) {
      try {
        await view(...match.slice(1));
      } catch (error) {
        // The screen could not be read (a denied path, a missing mount): say so in its place.
        render(h("h1", {}, "Cannot open this page"), h("p", { class: "muted" }, h("code", {}, path)));
        showError(error);
      }
      document.getElementById("main").focus();
      return;
    }
  }
  location.hash = "#/secrets";
}

document.getElementById("logout").addEventListener("click", () => {
  session.token = "";
  location.hash = "#/login";
});
window.addEventListener("hashchange", route);
route();
