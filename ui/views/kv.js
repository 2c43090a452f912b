import { api, can, capabilities } from "../api.js";
import { attempt, field, h, render, showNotice, table } from "../dom.js";

// The KV v2 browser: folders, a secret's keys (values hidden until revealed), versions with
// a diff of keys, new versions, delete, undelete, destroy and metadata.
export async function kvView(mount, rest = "") {
  if (rest === "" || rest.endsWith("/")) return folderView(mount, rest);
  return secretView(mount, rest);
}

function crumbs(mount, path) {
  const parts = path.split("/").filter(Boolean);
  return h("div", { class: "breadcrumbs" }, h("a", { href: `#/kv/${mount}/` }, mount),
    parts.map((part, i) => ["/", i === parts.length - 1 && !path.endsWith("/") ? part : h("a", { href: `#/kv/${mount}/${parts.slice(0, i + 1).join("/")}/` }, part)]));
}

async function folderView(mount, folder) {
  const answer = await api("LIST", `${mount}/metadata/${folder}`);
  const keys = (answer.data && answer.data.keys) || [];
  const rows = keys.map((key) => [h("a", { href: `#/kv/${mount}/${folder}${key}` }, key), key.endsWith("/") ? "folder" : "secret"]);
  const name = h("input", { name: "name", required: true, placeholder: "app/config" });
  const form = h("form", { class: "row card", onsubmit: (event) => {
    event.preventDefault();
    location.hash = `#/kv/${mount}/${folder}${name.value.replace(/^\/+/, "")}`;
  } }, field("New secret at", name), h("button", { type: "submit" }, "Create"));
  render(h("h1", {}, `Secrets in ${mount}/${folder}`), crumbs(mount, folder),
    keys.length ? table(["Name", "Kind"], rows) : h("p", { class: "muted" }, "Nothing here yet."), form);
}

function pairsEditor(data) {
  const rows = h("div", { class: "stack", id: "kv-pairs" });
  const add = (key = "", value = "") => {
    const row = h("div", { class: "kv-row" },
      h("input", { name: "key", value: key, "aria-label": "Key", placeholder: "key" }),
      h("input", { name: "value", value: value, type: "password", autocomplete: "off", "aria-label": "Value", placeholder: "value" }),
      h("button", { type: "button", class: "secondary", onclick: () => row.remove() }, "Remove"));
    rows.append(row);
  };
  const entries = Object.entries(data || {});
  if (entries.length) entries.forEach(([k, v]) => add(k, typeof v === "string" ? v : JSON.stringify(v)));
  else add();
  const collect = () => {
    const out = {};
    for (const row of rows.querySelectorAll(".kv-row")) {
      const [k, v] = row.querySelectorAll("input");
      if (k.value.trim()) out[k.value.trim()] = v.value;
    }
    return out;
  };
  return { element: h("div", { class: "stack" }, rows, h("button", { type: "button", class: "secondary", onclick: () => add() }, "Add key")), collect };
}

function diff(older, newer) {
  const keys = [...new Set([...Object.keys(older || {}), ...Object.keys(newer || {})])].sort();
  return keys.map((key) => {
    if (!(key in (older || {}))) return h("li", { class: "diff-added" }, `+ ${key} added`);
    if (!(key in (newer || {}))) return h("li", { class: "diff-removed" }, `− ${key} removed`);
    if (JSON.stringify(older[key]) !== JSON.stringify(newer[key])) return h("li", { class: "diff-changed" }, `~ ${key} changed`);
    return h("li", { class: "muted" }, `= ${key} unchanged`);
  });
}

async function secretView(mount, path, version) {
  const dataPath = `${mount}/data/${path}`;
  const metaPath = `${mount}/metadata/${path}`;
  const caps = await capabilities([dataPath, metaPath, `${mount}/destroy/${path}`, `${mount}/undelete/${path}`, `${mount}/delete/${path}`]);
  let current = null;
  let metadata = null;
  let readError = null;
  try {
    current = await api("GET", dataPath + (version ? `?version=${version}` : ""));
  } catch (error) {
    if (error.status === 404) current = null; else readError = error;
  }
  try {
    metadata = (await api("GET", metaPath)).data;
  } catch (error) {
    if (error.status !== 404 && !readError) readError = error;
  }
  if (readError && !metadata && !current) throw readError;
  const data = current && current.data ? current.data.data : null;
  const shown = current && current.data ? current.data.metadata : null;

  const valueRows = Object.entries(data || {}).map(([key, value]) => {
    const text = typeof value === "string" ? value : JSON.stringify(value);
    const cell = h("code", { class: "secret-value", "data-key": key }, "••••••••");
    let revealed = false;
    return [h("code", {}, key), cell, h("div", { class: "row" },
      h("button", { type: "button", class: "secondary", "aria-label": `Reveal ${key}`, onclick: (event) => {
        revealed = !revealed;
        cell.textContent = revealed ? text : "••••••••";
        event.target.textContent = revealed ? "Hide" : "Reveal";
      } }, "Reveal"),
      h("button", { type: "button", class: "secondary", "aria-label": `Copy ${key}`, onclick: async () => {
        try { await navigator.clipboard.writeText(text); showNotice(`Copied ${key}`); } catch { showNotice("Copying needs clipboard access"); }
      } }, "Copy"))];
  });

  const editor = pairsEditor(data);
  const writable = can(caps, dataPath, "create", "update");
  const write = h("form", { class: "stack card", id: "kv-write", onsubmit: async (event) => {
    event.preventDefault();
    const body = { data: editor.collect() };
    if (metadata && metadata.current_version) body.options = { cas: metadata.current_version };
    const done = await attempt(() => api("POST", dataPath, body));
    if (done) { showNotice(`Saved version ${done.data.version}`); await secretView(mount, path); }
  } }, h("h2", {}, data ? "Create a new version" : "Create the secret"), editor.element, h("button", { type: "submit" }, "Save"));

  const versions = metadata ? Object.entries(metadata.versions || {}).sort((a, b) => Number(b[0]) - Number(a[0])) : [];
  const versionRows = versions.map(([n, v]) => {
    const state = v.destroyed ? h("span", { class: "tag destroyed" }, "destroyed") : v.deletion_time ? h("span", { class: "tag deleted" }, "deleted") : h("span", { class: "tag" }, "live");
    const actions = h("div", { class: "row" },
      h("button", { type: "button", class: "link", onclick: () => secretView(mount, path, n) }, `View v${n}`),
      !v.destroyed && !v.deletion_time && can(caps, `${mount}/delete/${path}`, "update", "create") ? h("button", { type: "button", class: "secondary", onclick: async () => {
        if (await attempt(() => api("POST", `${mount}/delete/${path}`, { versions: [Number(n)] })) !== undefined) await secretView(mount, path);
      } }, "Delete") : null,
      v.deletion_time && !v.destroyed && can(caps, `${mount}/undelete/${path}`, "update", "create") ? h("button", { type: "button", class: "secondary", onclick: async () => {
        if (await attempt(() => api("POST", `${mount}/undelete/${path}`, { versions: [Number(n)] })) !== undefined) await secretView(mount, path);
      } }, "Undelete") : null,
      !v.destroyed && can(caps, `${mount}/destroy/${path}`, "update", "create") ? h("button", { type: "button", class: "danger", "data-version": n, onclick: async () => {
        if (!confirm(`Destroy version ${n} of ${path}? It cannot be recovered.`)) return;
        if (await attempt(() => api("PUT", `${mount}/destroy/${path}`, { versions: [Number(n)] })) !== undefined) {
          showNotice(`Destroyed version ${n}`);
          await secretView(mount, path);
        }
      } }, "Destroy") : null);
    return [`v${n}`, v.created_time || "", state, actions];
  });

  const diffBox = h("ul", { id: "kv-diff" });
  const from = h("select", { name: "from", "aria-label": "Older version" }, versions.map(([n]) => h("option", { value: n }, `v${n}`)));
  const to = h("select", { name: "to", "aria-label": "Newer version" }, versions.map(([n]) => h("option", { value: n }, `v${n}`)));
  if (versions.length > 1) from.value = versions[1][0];
  const diffForm = h("form", { class: "row card", onsubmit: async (event) => {
    event.preventDefault();
    const read = async (n) => ((await api("GET", `${dataPath}?version=${n}`)).data || {}).data || {};
    const answer = await attempt(async () => [await read(from.value), await read(to.value)]);
    if (answer) diffBox.replaceChildren(...diff(answer[0], answer[1]));
  } }, field("From", from), field("To", to), h("button", { type: "submit" }, "Compare keys"));

  const maxVersions = h("input", { name: "max_versions", type: "number", min: 0, value: metadata ? metadata.max_versions : 0 });
  const custom = h("textarea", { name: "custom_metadata", rows: 3 }, JSON.stringify((metadata && metadata.custom_metadata) || {}, null, 2));
  const metaForm = h("form", { class: "stack card", onsubmit: async (event) => {
    event.preventDefault();
    let customMetadata;
    try { customMetadata = JSON.parse(custom.value || "{}"); } catch (error) { return attempt(() => { throw error; }); }
    if (await attempt(() => api("POST", metaPath, { max_versions: Number(maxVersions.value), custom_metadata: customMetadata })) !== undefined) {
      showNotice("Metadata saved");
      await secretView(mount, path);
    }
  } }, h("h2", {}, "Metadata"), field("Max versions (0: the mount's)", maxVersions), field("Custom metadata (JSON)", custom),
    h("button", { type: "submit" }, "Save metadata"));

  render(h("h1", {}, `Secret ${path}`), crumbs(mount, path),
    shown ? h("p", { class: "muted", id: "shown-version" }, `Version ${shown.version}${shown.deletion_time ? " (deleted)" : ""}${shown.destroyed ? " (destroyed)" : ""}`) : null,
    valueRows.length ? table(["Key", "Value", ""], valueRows) : h("p", { class: "muted" }, data === null && metadata ? "This version holds no data." : "No data yet."),
    writable ? write : h("p", { class: "muted" }, "Your token cannot write here."),
    metadata ? [h("h2", {}, "Version history"), table(["Version", "Created", "State", ""], versionRows), versions.length > 1 ? [diffForm, diffBox] : null,
      can(caps, metaPath, "update", "create") ? metaForm : null] : null);
}
