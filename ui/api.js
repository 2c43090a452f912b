// A client of the same /v1 API every other client uses. The token lives in sessionStorage only:
// never localStorage, never a URL.
const TOKEN_KEY = "tresor.token";

export class APIError extends Error {
  constructor(status, errors) {
    super(errors.length ? errors.join("; ") : `request failed (${status})`);
    this.status = status;
    this.errors = errors;
  }
}

export const session = {
  get token() { return sessionStorage.getItem(TOKEN_KEY) || ""; },
  set token(value) { value ? sessionStorage.setItem(TOKEN_KEY, value) : sessionStorage.removeItem(TOKEN_KEY); },
};

export async function api(method, path, body) {
  const headers = { "X-Vault-Request": "true" };
  if (session.token) headers["X-Vault-Token"] = session.token;
  const init = { method: method === "LIST" ? "GET" : method, headers, cache: "no-store", credentials: "omit" };
  const [route, query] = path.split("?", 2);
  let url = "/v1/" + route.split("/").map(encodeURIComponent).join("/") + (query ? "?" + query : "");
  if (method === "LIST") url += (url.includes("?") ? "&" : "?") + "list=true";
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url, init);
  if (response.status === 204) return null;
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (!response.ok) {
    if (response.status === 404 && method === "LIST") return { data: { keys: [] } };
    throw new APIError(response.status, (json && json.errors) || [text || response.statusText]);
  }
  return json;
}

// The caller's capabilities on each path (sys/capabilities-self), to hide what it cannot do.
export async function capabilities(paths) {
  try {
    const answer = await api("POST", "sys/capabilities-self", { paths });
    const result = {};
    for (const path of paths) result[path] = new Set((answer && (answer[path] || (answer.data && answer.data[path]))) || []);
    return result;
  } catch {
    return Object.fromEntries(paths.map((p) => [p, new Set()]));
  }
}

export function can(caps, path, ...wanted) {
  const set = caps[path] || new Set();
  return set.has("root") || wanted.some((w) => set.has(w));
}
