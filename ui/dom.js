// Small DOM builders: text always goes in as text, never as HTML.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function render(...nodes) {
  const main = document.getElementById("main");
  main.replaceChildren(...nodes.flat(Infinity).filter((n) => n !== null && n !== undefined && n !== false));
  const heading = main.querySelector("h1");
  document.title = heading ? `${heading.textContent} · Tresor` : "Tresor";
}

export function showError(error) {
  const alert = document.getElementById("alert");
  alert.className = "";
  alert.hidden = false;
  alert.textContent = error && error.errors ? error.errors.join("\n") : String(error && error.message ? error.message : error);
}

export function showNotice(text) {
  const alert = document.getElementById("alert");
  alert.className = "ok";
  alert.hidden = false;
  alert.textContent = text;
}

export function clearAlert() {
  const alert = document.getElementById("alert");
  alert.hidden = true;
  alert.textContent = "";
}

// Runs an action, showing the API's errors instead of throwing.
export async function attempt(action) {
  clearAlert();
  try {
    return await action();
  } catch (error) {
    showError(error);
    return undefined;
  }
}

export function field(label, input) {
  return h("label", {}, label, input);
}

export function table(headers, rows) {
  return h("table", {}, h("thead", {}, h("tr", {}, headers.map((x) => h("th", { scope: "col" }, x)))),
    h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((c) => h("td", {}, c))))));
}

export function formValues(form) {
  return Object.fromEntries(new FormData(form).entries());
}
