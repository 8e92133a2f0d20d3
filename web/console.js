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
  const mark = { confirmed: " ✓", rejected: " ✗" };
  return el("li", { "data-id": tid(t), onclick: () => openTicket(tid(t)) },
    el("div", {},
      el("strong", { text: number(t) + " " }),
      el("span", { text: t.subject || "(no subject)" })),
    el("div", { class: "meta" },
      ...flags.map((f) => el("span", { class: "badge " + f + (t[f + "_decision"] === "rejected" ? " rejected" : ""),
        text: f.toUpperCase() + (mark[t[f + "_decision"]] || ""), title: t[f + "_decision"] || "not yet decided" })),
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

// --- screening: why a message was flagged ---------------------------------
// Hits carry UTF-8 byte offsets into the stored text or subject
// (docs/screening.md); the words are cut out as text nodes, never as HTML.

const hitField = (h) => h.field || h.where || "text";
const hitWhy = (h) => [h.kind === "context" ? "context" : h.kind.toUpperCase(), "cue " + h.cue,
  "rule " + h.rule, "term " + h.term].join(" · ") + (h.counted === false ? " · held (not counted)" : "");

// Byte offset -> string index, for offsets that fall on character boundaries.
function charIndex(bytes, off) {
  return new TextDecoder().decode(bytes.subarray(0, Math.max(0, Math.min(off, bytes.length)))).length;
}

// Spans of TEXT that hits mark, overlapping hits merged into one span.
function hitSpans(text, hits) {
  const bytes = new TextEncoder().encode(text);
  const spans = hits.filter((h) => h.end > h.start && h.end <= bytes.length)
    .map((h) => ({ from: charIndex(bytes, h.start), to: charIndex(bytes, h.end), hits: [h] }))
    .sort((a, b) => a.from - b.from || b.to - a.to);
  const out = [];
  for (const s of spans) {
    const last = out[out.length - 1];
    if (last && s.from < last.to) { last.to = Math.max(last.to, s.to); last.hits.push(...s.hits); }
    else out.push(s);
  }
  return out;
}

// TEXT as text nodes with each span that fired in a <mark> whose tooltip
// says the cue, rule and term.
function markedText(text, hits) {
  const frag = document.createDocumentFragment();
  let at = 0;
  for (const s of hitSpans(text, hits)) {
    if (s.from > at) frag.append(document.createTextNode(text.slice(at, s.from)));
    const kinds = new Set(s.hits.map((h) => h.kind));
    const kind = kinds.has("ae") ? "ae" : kinds.has("complaint") ? "complaint" : "context";
    const held = s.hits.every((h) => h.counted === false);
    frag.append(el("mark", { class: "hit " + kind + (held ? " held" : ""),
      title: s.hits.map(hitWhy).join("\n"), text: text.slice(s.from, s.to) }));
    at = s.to;
  }
  if (at < text.length) frag.append(document.createTextNode(text.slice(at)));
  return frag;
}

// The legend under a message: every hit, the flag ones first.
function hitLegend(scr) {
  const rank = { ae: 0, complaint: 1, context: 2 };
  const hits = [...(scr.hits || [])].sort((a, b) => (rank[a.kind] ?? 3) - (rank[b.kind] ?? 3));
  const head = "screening: " + (scr.ae ? "AE " + scr.ae : "no AE") + " · " +
    (scr.complaint ? "complaint" : "no complaint") + (scr.lang ? " · " + scr.lang : "");
  return el("details", { class: "screening" }, el("summary", { text: head }),
    el("ul", {}, ...hits.map((h) => el("li", { class: "hit-why " + h.kind + (h.counted === false ? " held" : "") },
      el("q", { text: h.text || "" }), document.createTextNode(" " + hitWhy(h) + " [" + hitField(h) + " " + h.start + "–" + h.end + "]")))));
}

// What a person must check on a received mail (docs/email.md, fields).
function mailWarnings(f) {
  const out = [];
  if (!f || typeof f !== "object") return out;
  if (f.sender_unverified) out.push("sender unverified: no From header, the envelope sender (" + (f.envelope_from || "none") + ") stands in");
  if (typeof f.malformed === "string") out.push("malformed mail: " + f.malformed + " (the raw message is kept)");
  return out;
}

function logEntry(m) {
  const cls = m.type === "note" ? "note" : m.type === "event" ? "event" : m.direction === "out" ? "out" : "in";
  const kind = { note: "note", event: "change", out: "to customer", in: "from customer" }[cls];
  const who = [kind, m.author, m.channel, when(m.ts)].filter(Boolean).join(" · ");
  const li = el("li", { class: cls }, el("span", { class: "who", text: who }));
  for (const w of mailWarnings(m.fields)) li.append(el("div", { class: "mail-warn", text: "⚠ " + w }));
  const scr = m.screening && Array.isArray(m.screening.hits) ? m.screening : null;
  const hits = (f) => (scr ? scr.hits.filter((h) => hitField(h) === f) : []);
  if (m.subject && cls !== "event")
    li.append(el("strong", {}, markedText(m.subject, hits("subject")), document.createTextNode("\n")));
  const change = m.field ? m.field + ": " + (m.old || "—") + " → " + (m.new || "—") : "";
  li.append(m.text ? markedText(m.text, hits("text")) : document.createTextNode(change));
  if (scr && scr.hits.length) li.append(hitLegend(scr));
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
  $("#t-flags").replaceChildren(...screenFlags(t, data.messages || data.log || []));
  const f = $("#t-fields");
  for (const k of ["status", "category", "priority", "queue", "agent"]) f.elements[k].value = t[k] || "";
  $("#t-log").replaceChildren(...(data.messages || data.log || []).map(logEntry));
  $("#t-error").textContent = "";
  markSelected();
  if (t.customer) await openCustomer(t.customer);
}

// The strongest AE level any message's screening gave: probable, possible.
function aeLevel(messages) {
  const levels = messages.map((m) => m.screening && m.screening.ae).filter(Boolean);
  return levels.includes("probable") ? "probable" : levels.includes("possible") ? "possible" : "";
}

const FLAG_NAMES = { ae: "ADVERSE EVENT", complaint: "COMPLAINT" };

// One raised flag: its badge, the AE level, the decision taken and the
// buttons to confirm or reject it (a reason is needed to reject).
function flagBox(t, f, messages) {
  const dec = t[f + "_decision"], by = t[f + "_decided_by"], reason = t[f + "_reason"];
  const level = f === "ae" ? aeLevel(messages) : "";
  const box = el("div", { class: "screen-flag", "data-flag": f },
    el("span", { class: "badge " + f + (dec === "rejected" ? " rejected" : ""), text: FLAG_NAMES[f] || f.toUpperCase() }),
    level ? el("span", { class: "level " + level, text: level, title: "the screener's AE level" }) : null,
    dec ? el("span", { class: "decision " + dec, text: dec + (by ? " by " + by : "") + (reason ? ": " + reason : "") }) : null);
  const input = el("input", { name: "reason", placeholder: "reason (needed to reject)", size: "24", "aria-label": "reason" });
  box.append(el("button", { type: "button", class: "confirm secondary", text: "Confirm",
    onclick: () => decide(f, "confirm", input.value) }), input,
  el("button", { type: "button", class: "reject secondary", text: "Reject",
    onclick: () => decide(f, "reject", input.value, input) }));
  return box;
}

function screenFlags(t, messages) {
  const raised = [].concat(t.flags || []).join(",").split(",").filter(Boolean);
  const out = raised.filter((f) => FLAG_NAMES[f]).map((f) => flagBox(t, f, messages));
  for (const f of raised) if (!FLAG_NAMES[f]) out.push(el("span", { class: "badge " + f, text: f.toUpperCase() }));
  // a person may report what the screener missed
  for (const f of Object.keys(FLAG_NAMES)) if (!raised.includes(f))
    out.push(el("button", { type: "button", class: "raise secondary", "data-flag": f,
      text: "Flag as " + (f === "ae" ? "AE" : f), onclick: () => decide(f, "confirm", "") }));
  return out;
}

async function decide(flag, decision, reason, input) {
  reason = (reason || "").trim();
  if (decision === "reject" && !reason) {
    $("#t-error").textContent = "A reason is needed to reject a flag.";
    if (input) input.focus();
    return;
  }
  const body = { flag, decision };
  if (reason) body.reason = reason;
  const t = state.ticket;
  try {
    await api("POST", "/api/v1/tickets/" + tid(t) + "/screening", body);
  } catch (e) { $("#t-error").textContent = e.message; return; }
  toast(number(t) + ": " + flag + " " + decision + "ed");
  // A flag raised by hand makes the ticket the safety staff's: an agent
  // without that role may no longer see it.
  await openTicket(tid(t)).catch((e) => {
    if (e.status !== 404) throw e;
    $("#ticket").hidden = true;
    state.ticket = null;
    toast(number(t) + " is now with the safety staff");
  }).catch((e) => { $("#t-error").textContent = e.message; });
  await loadTickets(true).catch(() => {});
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

// The screen pop: the caller's card and latest contacts, shown the moment
// the call rings (docs/voice.md); customer text only through textContent.
function callPop(ev) {
  const c = ev.customer || {};
  state.callpop = ev;
  $("#cp-from").textContent = ev.from || "";
  $("#cp-who").textContent = (c.name || "Unknown caller") + (c.organisation ? ", " + c.organisation : "") +
    " \u00b7 RX-" + ev.ticket + (ev.agent ? "" : " (group call)");
  const card = $("#cp-card");
  card.replaceChildren();
  for (const [k, v] of [["type", c.type], ["specialty", c.specialty], ["region", c.region],
    ["ids", [].concat(c.identities || []).join(", ")], ["tickets", c.tickets]]) {
    if (v === undefined || v === "") continue;
    card.append(el("dt", { text: k }), el("dd", { text: String(v) }));
  }
  const h = $("#cp-history");
  h.replaceChildren(...[].concat(c.history || []).map((x) =>
    el("li", { text: (x.channel || "") + " \u00b7 " + (x.ts ? new Date(x.ts).toLocaleString() : "") +
      (x.ticket ? " \u00b7 RX-" + x.ticket : "") + ": " + (x.summary || "") })));
  $("#callpop").hidden = false;
}

function onCall(ev) {
  if (ev.type === "call.ringing") callPop(ev);
  else if (ev.type === "call.ended" && state.callpop && state.callpop.call === ev.call) {
    $("#callpop").hidden = true;
    toast("Call RX-" + ev.ticket + " " + (ev.outcome || "ended") + (ev.callback ? ": call-back task" : ""));
  }
}

function onEvent(ev) {
  if (ev.type && ev.type.startsWith("call.")) { onCall(ev); return; }
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
  $("#cp-close").addEventListener("click", () => { $("#callpop").hidden = true; });
  $("#cp-open").addEventListener("click", () => {
    $("#callpop").hidden = true;
    if (state.callpop) openTicket(state.callpop.ticket).catch(() => {});
  });
  $("#t-fields").addEventListener("submit", saveFields);
  $("#t-reply").addEventListener("submit", send);
  try {
    const me = await api("GET", "/api/v1/session");
    await showDesk(me.agent || me);
  } catch (e) { showLogin(); }
});
