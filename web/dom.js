// Small helpers every console module shares: elements built from text (never
// from markup), the JSON API with its error shape (docs/api.md, Errors), a
// toast. A 401 from anything but the login itself tells the page through a
// "rx:signed-out" event.
export const $ = (sel) => document.querySelector(sel);

export function el(tag, props, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === null || v === undefined) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const k of kids) if (k != null) e.append(k);
  return e;
}

export async function api(method, path, body) {
  const opt = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    opt.headers["Content-Type"] = "application/json";
    opt.body = JSON.stringify(body);
  }
  const r = await fetch(path, opt);
  const data = r.status === 204 ? null : await r.json().catch(() => null);
  if (r.status === 401 && path !== "/api/v1/session") document.dispatchEvent(new Event("rx:signed-out"));
  if (!r.ok) {
    const msg = (data && data.error && data.error.message) || r.statusText;
    throw Object.assign(new Error(msg), { status: r.status, data });
  }
  return data;
}

export function toast(text) {
  const t = $("#toast");
  t.textContent = text;
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.hidden = true; }, 4000);
}
