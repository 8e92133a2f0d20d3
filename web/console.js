// rxdesk agent console. Talks to the JSON API (docs/api.md) and the live
// channel /agent/ws. Customer text is only ever set with textContent.
"use strict";

const $ = (sel) => document.querySelector(sel);
const state = { me: null, cursor: null, ticket: null, customer: null, histCursor: null, ws: null, retry: 500 };

function el(tag, props, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const k of kids) if (k != null) e.append(k);
  return e;
}

async function api(method, path, body) {
  const opt = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    opt.headers["Content-Type"] = "application/json";
    opt.body = JSON.stringify(body);
  }
  const r = await fetch(path, opt);
  const data = r.status === 204 ? null : await r.json().catch(() => null);
  if (r.status === 401 && path !== "/api/v1/session") showLogin();
  if (!r.ok) {
    const msg = (data && data.error && data.error.message) || r.statusText;
    throw Object.assign(new Error(msg), { status: r.status, data });
  }
  return data;
}

function toast(text) {
  const t = $("#toast");
  t.textContent = text;
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.hidden = true; }, 4000);
}

const when = (ms) => (ms ? new Date(Number(ms)).toLocaleString() : "");
const number = (t) => t.number || ("RX-" + (t.id || t.n));
const tid = (t) => t.id || t.n || String(t.number || "").replace(/^RX-/, "");

function showLogin() {
  state.me = null;
  if (state.ws) state.ws.close();
  $("#login-view").hidden = false;
  $("#desk-view").hidden = true;
  $("#logout").hidden = true;
  $("#who").textContent = "";
}

async function showDesk(agent) {
  state.me = agent;
  $("#login-view").hidden = true;
  $("#desk-view").hidden = false;
  $("#logout").hidden = false;
  $("#who").textContent = agent.name + " (" + [].concat(agent.roles || []).join(", ") + ")";
  connectLive();
  await loadTickets(true);
}

// --- tickets -------------------------------------------------------------

function filterQuery() {
  const f = new FormData($("#filters"));
  const q = new URLSearchParams();
  for (const k of ["status", "category", "queue"]) if (f.get(k)) q.set(k, f.get(k));
  if (f.get("mine")) q.set("agent", "me");
  return q;
}

function ticketItem(t) {
  const flags = String(t.flags || "").split(",").filter(Boolean);
  return el("li", { "data-id": tid(t), onclick: () => openTicket(tid(t)) },
    el("div", {},
      el("strong", { text: number(t) + " " }),
      el("span", { text: t.subject || "(no subject)" })),
    el("div", { class: "meta" },
      ...flags.map((f) => el("span", { class: "badge " + f, text: f.toUpperCase() })),
      t.priority && t.priority !== "normal" ? el("span", { class: "badge " + t.priority, text: t.priority }) : null,
      el("span", { text: [t.status, t.category, t.queue, t.channel, when(t.updated)].filter(Boolean).join(" · ") })));
}

async function loadTickets(reset) {
  const q = filterQuery();
  if (!reset && state.cursor) q.set("cursor", state.cursor);
  q.set("limit", "50");
  const data = await api("GET", "/api/v1/tickets?" + q);
  const list = $("#tickets");
  if (reset) list.replaceChildren();
  for (const t of data.items || data.tickets || []) list.append(ticketItem(t));
  state.cursor = data.next || null;
  $("#more").hidden = !state.cursor;
  markSelected();
}

function markSelected() {
  for (const li of document.querySelectorAll("#tickets li"))
    li.classList.toggle("sel", state.ticket && li.dataset.id === String(tid(state.ticket)));
}

function logEntry(m) {
  const cls = m.type === "note" ? "note" : m.type === "event" ? "event" : m.direction === "out" ? "out" : "in";
  const kind = { note: "note", event: "change", out: "to customer", in: "from customer" }[cls];
  const who = [kind, m.author, m.channel, when(m.ts)].filter(Boolean).join(" · ");
  const li = el("li", { class: cls }, el("span", { class: "who", text: who }));
  if (m.subject && cls !== "event") li.append(el("strong", { text: m.subject + "\n" }));
  const change = m.field ? m.field + ": " + (m.old || "—") + " → " + (m.new || "—") : "";
  li.append(document.createTextNode(m.text || change));
  for (const a of m.attachments || [])
    li.append(el("div", {}, el("a", { href: "/api/v1/attachments/" + encodeURIComponent(a.id), text: "📎 " + a.name })));
  return li;
}

async function openTicket(id) {
  const data = await api("GET", "/api/v1/tickets/" + encodeURIComponent(id));
  const t = data.ticket || data;
  state.ticket = t;
  $("#ticket").hidden = false;
  $("#t-number").textContent = number(t);
  $("#t-subject").textContent = t.subject || "";
  const flags = $("#t-flags");
  flags.replaceChildren(...String(t.flags || "").split(",").filter(Boolean)
    .map((f) => el("span", { class: "badge " + f, text: f === "ae" ? "ADVERSE EVENT" : f.toUpperCase() })));
  const f = $("#t-fields");
  for (const k of ["status", "category", "priority", "queue", "agent"]) f.elements[k].value = t[k] || "";
  $("#t-log").replaceChildren(...(data.messages || data.log || []).map(logEntry));
  $("#t-error").textContent = "";
  markSelected();
  if (t.customer) await openCustomer(t.customer);
}

async function saveFields(ev) {
  ev.preventDefault();
  const f = new FormData(ev.target), t = state.ticket, change = {};
  for (const k of ["status", "category", "priority", "queue", "agent"])
    if ((f.get(k) || "") !== (t[k] || "")) change[k] = f.get(k);
  if (!Object.keys(change).length) return;
  try {
    await api("PATCH", "/api/v1/tickets/" + tid(t), change);
    toast(number(t) + " saved");
    await openTicket(tid(t));
    await loadTickets(true);
  } catch (e) { $("#t-error").textContent = e.message; }
}

async function send(ev) {
  ev.preventDefault();
  const kind = ev.submitter ? ev.submitter.value : "reply";
  const text = ev.target.elements.text.value.trim();
  if (!text) return;
  try {
    await api("POST", "/api/v1/tickets/" + tid(state.ticket) + (kind === "note" ? "/notes" : "/replies"), { text });
    ev.target.reset();
    await openTicket(tid(state.ticket));
  } catch (e) { $("#t-error").textContent = e.message; }
}

// --- customer ------------------------------------------------------------

async function openCustomer(id) {
  // Events can reopen the card while it loads: only the latest call draws,
  // and it draws card and history at once, never an emptied list.
  const gen = state.customerGen = (state.customerGen || 0) + 1;
  const data = await api("GET", "/api/v1/customers/" + encodeURIComponent(id));
  const c = data.customer || data;
  const hist = await fetchHistory(c.id, null);
  if (gen !== state.customerGen) return;
  state.customer = c;
  $("#customer").hidden = false;
  $("#c-name").textContent = c.name || ("Customer " + (c.id || id));
  const ids = [].concat(c.identities || c.ids || []);
  const rows = [];
  for (const [k, v] of [["type", c.type], ["organisation", c.organisation], ["specialty", c.specialty],
    ["region", c.region], ["segment", c.segment], ["identities", ids.join("\n")]])
    if (v) rows.push(el("dt", { text: k }), el("dd", { text: v }));
  $("#c-card").replaceChildren(...rows);
  $("#c-history").replaceChildren(...hist.items);
  state.histCursor = hist.next;
  $("#c-more").hidden = !state.histCursor;
}

async function fetchHistory(cid, cursor) {
  const q = new URLSearchParams({ limit: "30" });
  if (cursor) q.set("cursor", cursor);
  const data = await api("GET", "/api/v1/customers/" + encodeURIComponent(cid) + "/history?" + q);
  const items = (data.history || data.entries || []).map((h) => {
    const n = h.ticket ? "RX-" + String(h.ticket).replace(/^RX-/, "") : "";
    return el("li", {},
      el("div", { class: "meta", text: [when(h.ts), h.channel, h.direction, n].filter(Boolean).join(" · ") }),
      el("div", { text: h.summary || "" }));
  });
  return { items, next: data.next || null };
}

async function olderHistory() {
  const gen = state.customerGen;
  const hist = await fetchHistory(state.customer.id, state.histCursor);
  if (gen !== state.customerGen) return;
  $("#c-history").append(...hist.items);
  state.histCursor = hist.next;
  $("#c-more").hidden = !state.histCursor;
}

// --- live channel ----------------------------------------------------------

function connectLive() {
  if (state.ws || !state.me) return;
  const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/agent/ws");
  state.ws = ws;
  ws.onopen = () => { state.retry = 500; $("#live").textContent = "live"; $("#live").classList.remove("off"); };
  ws.onclose = () => {
    state.ws = null;
    $("#live").textContent = "offline";
    $("#live").classList.add("off");
    if (state.me) setTimeout(connectLive, state.retry = Math.min(state.retry * 2, 15000));
  };
  ws.onmessage = (m) => {
    let ev;
    try { ev = JSON.parse(m.data); } catch (e) { return; }
    onEvent(ev);
  };
}

function onEvent(ev) {
  if (!ev.type || !ev.type.startsWith("ticket.")) return;
  const n = ev.ticket ? "RX-" + ev.ticket : "a ticket";
  if (ev.type === "ticket.assigned" && state.me && String(ev.agent) === String(state.me.id)) toast(n + " assigned to you");
  else if (ev.type === "ticket.new") toast("New ticket " + n);
  else if (ev.type === "ticket.message") toast("New message on " + n);
  loadTickets(true).catch(() => {});
  if (state.ticket && String(ev.ticket) === String(tid(state.ticket))) openTicket(tid(state.ticket)).catch(() => {});
}

// --- start ---------------------------------------------------------------

async function login(ev) {
  ev.preventDefault();
  const f = new FormData(ev.target);
  $("#login-error").textContent = "";
  try {
    const data = await api("POST", "/api/v1/session", { email: f.get("email"), password: f.get("password") });
    ev.target.reset();
    await showDesk(data.agent);
  } catch (e) {
    $("#login-error").textContent = e.status === 401 ? "Wrong email or password." : e.message;
  }
}

document.addEventListener("DOMContentLoaded", async () => {
  $("#login").addEventListener("submit", login);
  $("#logout").addEventListener("click", async () => {
    await api("DELETE", "/api/v1/session").catch(() => {});
    showLogin();
  });
  $("#filters").addEventListener("change", () => loadTickets(true));
  $("#more").addEventListener("click", () => loadTickets(false));
  $("#c-more").addEventListener("click", olderHistory);
  $("#t-fields").addEventListener("submit", saveFields);
  $("#t-reply").addEventListener("submit", send);
  try {
    const me = await api("GET", "/api/v1/session");
    await showDesk(me.agent || me);
  } catch (e) { showLogin(); }
});
