import { api } from "../api.js";
import { h, render, table } from "../dom.js";

export async function authView() {
  const answer = await api("GET", "sys/auth");
  const mounts = answer.data || answer;
  const rows = Object.entries(mounts).filter(([, m]) => m && m.type).sort()
    .map(([path, m]) => [h("code", {}, path), m.type, m.description || "", h("code", { class: "hide-narrow" }, m.accessor || "")]);
  render(h("h1", {}, "Auth methods"), table(["Path", "Type", "Description", "Accessor"], rows));
}
