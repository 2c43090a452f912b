import { api, can, capabilities } from "../api.js";
import { attempt, field, h, render, showNotice, table } from "../dom.js";

// Leases by prefix; lookup, renew, revoke, and revoke-prefix behind a confirmation.
export async function leasesView(prefix = "") {
  const answer = await api("LIST", `sys/leases/lookup/${prefix}`);
  const keys = (answer.data && answer.data.keys) || [];
  const crumbs = h("div", { class: "breadcrumbs" }, h("a", { href: "#/leases/" }, "leases"),
    prefix.split("/").filter(Boolean).map((part, i, all) => ["/", h("a", { href: `#/leases/${all.slice(0, i + 1).join("/")}/` }, part)]));
  const details = h("div", { id: "lease-details" });
  async function lookup(id) {
    const found = await attempt(() => api("PUT", "sys/leases/lookup", { lease_id: id }));
    if (!found) return;
    const d = found.data;
    details.replaceChildren(h("div", { class: "card stack" }, h("h2", {}, "Lease"),
      table(["Field", "Value"], [["ID", h("code", {}, d.id)], ["Issued", d.issue_time], ["Expires", d.expire_time || "never"],
        ["TTL (s)", String(d.ttl)], ["Renewable", String(d.renewable)]]),
      h("div", { class: "row" },
        h("button", { type: "button", onclick: async () => {
          const renewed = await attempt(() => api("PUT", "sys/leases/renew", { lease_id: id }));
          if (renewed) { showNotice(`Renewed for ${renewed.lease_duration}s`); await lookup(id); }
        } }, "Renew"),
        h("button", { type: "button", class: "danger", onclick: async () => {
          if (!confirm(`Revoke lease ${id}?`)) return;
          if (await attempt(() => api("PUT", "sys/leases/revoke", { lease_id: id })) !== undefined) {
            showNotice(`Revoked ${id}`);
            await leasesView(prefix);
          }
        } }, "Revoke"))));
  }
  const rows = keys.map((key) => key.endsWith("/")
    ? [h("a", { href: `#/leases/${prefix}${key}` }, key), "folder"]
    : [h("button", { type: "button", class: "link", onclick: () => lookup(prefix + key) }, key), "lease"]);
  const idInput = h("input", { name: "lease_id", required: true });
  const lookupForm = h("form", { class: "row card", onsubmit: (event) => { event.preventDefault(); lookup(idInput.value.trim()); } },
    field("Lease ID", idInput), h("button", { type: "submit" }, "Look up"));
  const prefixPath = `sys/leases/revoke-prefix/${prefix.replace(/\/$/, "")}`;
  const caps = prefix ? await capabilities([prefixPath]) : {};
  const revokePrefix = prefix && can(caps, prefixPath, "sudo") ? h("button", { type: "button", class: "danger", onclick: async () => {
    if (!confirm(`Revoke every lease under ${prefix}? This cannot be undone.`)) return;
    if (await attempt(() => api("PUT", `sys/leases/revoke-prefix/${prefix.replace(/\/$/, "")}`, { sync: true })) !== undefined) {
      showNotice(`Revoked everything under ${prefix}`);
      await leasesView(prefix);
    }
  } }, `Revoke all under ${prefix}`) : null;
  render(h("h1", {}, "Leases"), crumbs, keys.length ? table(["Name", "Kind"], rows) : h("p", { class: "muted" }, "No leases here."),
    revokePrefix, lookupForm, details);
}
