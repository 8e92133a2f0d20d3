// rxdesk agent console: the desk (lists, ticket, customer), presence, chat
// tabs, the screen pop, shortcuts. Talks to the JSON API (docs/api.md) and
// the live channel /agent/ws (docs/live.md); no polling. Customer text is
// only ever set as text (textContent, text nodes), never as markup.
import { t, setLang, guess, remembered, translate, date, span, num, current } from "./i18n.js";
import { el, api, toast, $ } from "./dom.js";
import * as dash from "./dashboard.js";

const state = { me: null, cursor: null, ticket: null, customer: null, histCursor: null, ws: null,
  retry: 500, list: "all", team: new Map(), presence: "offline", chats: new Map(), viewers: new Map() };
const SUPERVISORS = ["supervisor", "admin"];
const roles = () => [].concat((state.me && state.me.roles) || []);
const isSupervisor = () => roles().some((r) => SUPERVISORS.includes(r));

const number = (x) => x.number || ("RX-" + (x.id || x.n));
const tid = (x) => x.id || x.n || String(x.number || "").replace(/^RX-/, "");
const ICONS = { mail: "✉", form: "✎", chat: "❝", voice: "☎", phone: "☎", api: "⚙" };
const icon = (ch) => ICONS[ch] || "•";

// --- sign-in and the header ------------------------------------------------

function showLogin() {
  state.me = null;
  if (state.ws) state.ws.close();
  for (const id of ["#desk-view", "#dash-view", "#logout", "#views", "#search", "#presence-box"]) $(id).hidden = true;
  $("#login-view").hidden = false;
  $("#who").textContent = "";
}

async function showDesk(agent) {
  state.me = agent;
  await setLang(remembered(agent.id) || current(), agent.id);
  $("#lang").value = current();
  $("#login-view").hidden = true;
  $("#desk-view").hidden = false;
  for (const id of ["#logout", "#views", "#search", "#presence-box"]) $(id).hidden = false;
  $("#view-dash").hidden = !isSupervisor();
  $("#who").textContent = agent.name + " (" + roles().map((r) => t("role." + r)).join(", ") + ")";
  await loadTeam().catch(() => {});
  connectLive();
  await loadTickets(true);
  setInterval(tickSla, 1000);
}

function showView(which) {
  $("#desk-view").hidden = which !== "desk";
  $("#dash-view").hidden = which !== "dash";
  const cases = $("#cases-view");
  if (cases) cases.hidden = true;
  if (which === "dash") dash.show(state);
}

// The team by name (GET /api/v1/team): authors, the agent picker, my state.
async function loadTeam() {
  const data = await api("GET", "/api/v1/team");
  state.team = new Map(data.items.map((a) => [String(a.id), a]));
  const mine = state.team.get(String(state.me.id));
  if (mine) showPresence(mine.state);
  fillAgentPickers();
}

function showPresence(s) {
  state.presence = s;
  $("#presence").value = s;
  $("#presence").className = "presence " + s;
}

async function setPresence(ev) {
  const want = ev.target.value;
  try {
    const r = await api("POST", "/api/v1/agents/me/presence", { state: want });
    showPresence(r.state);
    toast(t("presence.now", { state: t("state." + r.state) }) +
      (r.assigned && r.assigned.length ? " · " + t("presence.assigned", { n: r.assigned.length }) : ""));
    if (r.assigned && r.assigned.length) loadTickets(true).catch(() => {});
  } catch (e) {
    showPresence(state.presence);
    toast(e.message);
  }
}

// An author as a person: "a:5" is the agent's name, "c:2" the customer's.
function author(a) {
  if (!a) return "";
  if (a === "system") return t("author.system");
  const [k, id] = a.split(":");
  if (k === "a") return (state.team.get(id) || {}).name || t("author.agent", { id });
  if (k === "c" && state.customer && String(state.customer.id) === id) return state.customer.name || t("author.customer");
  if (k === "c" && state.ticketCustomer && String(state.ticketCustomer.id) === id) return state.ticketCustomer.name || t("author.customer");
  return k === "c" ? t("author.customer") : a;
}

function agentName(id) {
  if (!id) return t("agent.none");
  return (state.team.get(String(id)) || {}).name || t("author.agent", { id });
}

function fillAgentPickers() {
  const opts = () => [el("option", { value: "", text: t("agent.none") }),
    ...[...state.team.values()].map((a) => el("option", { value: String(a.id),
      text: a.name + " · " + t("state." + a.state) }))];
  const sel = $("#t-fields select[name=agent]");
  const keep = sel.value;
  sel.replaceChildren(...opts());
  sel.value = keep;
  const tr = $("#t-transfer");
  tr.replaceChildren(...opts().slice(1).filter((o) => o.value !== String(state.me.id)));
}

// --- the ticket lists --------------------------------------------------------

function filterQuery() {
  const f = new FormData($("#filters"));
  const q = new URLSearchParams();
  for (const k of ["status", "category", "queue", "customer"]) if (f.get(k)) q.set(k, f.get(k));
  if (f.get("mine") || state.list === "mine") q.set("agent", "me");
  return q;
}

// The deadline that runs: the first response until it is given, then the
// resolution; null when none is set.
function deadline(x) {
  if (x.status === "resolved" || x.status === "closed") return null;
  if (x.first_response_due && !x.first_response) return { kind: "first", due: Number(x.first_response_due) };
  if (x.resolution_due) return { kind: "resolution", due: Number(x.resolution_due) };
  return null;
}

function slaText(d) {
  const left = d.due - Date.now();
  return left < 0 ? t("sla.overdue", { kind: t("sla." + d.kind), span: span(left) })
    : t("sla.left", { kind: t("sla." + d.kind), span: span(left) });
}

function slaClass(d) {
  const left = d.due - Date.now();
  return "sla " + (left < 0 ? "breached" : left < 15 * 60000 ? "risk" : "ok");
}

// Countdowns tick here, from the due times the lists already hold.
function tickSla() {
  for (const s of document.querySelectorAll("[data-due]")) {
    const d = { kind: s.dataset.kind, due: Number(s.dataset.due) };
    s.textContent = slaText(d);
    s.className = slaClass(d);
  }
}

function slaSpan(x) {
  const d = deadline(x);
  if (!d) return null;
  return el("span", { class: slaClass(d), "data-due": String(d.due), "data-kind": d.kind, text: slaText(d) });
}

function badges(x) {
  const flags = [].concat(x.flags || []).join(",").split(",").filter(Boolean);
  if (x.category === "ae" && !flags.includes("ae")) flags.unshift("ae");
  if (x.category === "complaint" && !flags.includes("complaint")) flags.push("complaint");
  const mark = { confirmed: " ✓", rejected: " ✗" };
  return flags.map((f) => el("span", { class: "badge " + f + (x[f + "_decision"] === "rejected" ? " rejected" : ""),
    text: t("flag.short." + f) + (mark[x[f + "_decision"]] || ""), title: x[f + "_decision"] ? t("decision." + x[f + "_decision"]) : t("decision.none") }));
}

function ticketItem(x) {
  const unread = state.chats.get(String(tid(x)));
  return el("li", { "data-id": String(tid(x)), tabindex: "0", onclick: () => openTicket(tid(x)),
    onkeydown: (e) => { if (e.key === "Enter") openTicket(tid(x)); } },
    el("div", {},
      el("span", { class: "channel", title: x.channel || "", text: icon(x.channel) + " " }),
      el("strong", { text: number(x) + " " }),
      el("span", { text: x.subject || t("ticket.nosubject") }),
      unread && unread.unread ? el("span", { class: "unread", text: " " + num(unread.unread) }) : null),
    el("div", { class: "meta" },
      ...badges(x),
      x.priority && x.priority !== "normal" ? el("span", { class: "badge " + x.priority, text: t("prio." + x.priority) }) : null,
      el("span", { text: [x.customer_name, t("status." + x.status), x.category ? t("cat." + x.category) : "", x.queue,
        x.agent ? agentName(x.agent) : t("agent.none"), date(x.updated)].filter(Boolean).join(" · ") }),
      " ", slaSpan(x)));
}

async function loadTickets(reset) {
  const q = filterQuery();
  if (!reset && state.cursor) q.set("cursor", state.cursor);
  q.set("limit", "50");
  const data = await api("GET", "/api/v1/tickets?" + q);
  let items = data.items || [];
  if (state.list === "unassigned") items = items.filter((x) => !x.agent);
  const list = $("#tickets");
  if (reset) list.replaceChildren();
  list.append(...items.map(ticketItem));
  if (reset && !items.length) list.append(el("li", { class: "empty", text: t("list.empty") }));
  state.cursor = data.next || null;
  $("#more").hidden = !state.cursor;
  rememberQueues(items);
  trackChats(items);
  markSelected();
}

function rememberQueues(items) {
  const dl = $("#queue-names");
  const have = new Set([...dl.options].map((o) => o.value));
  for (const x of items) if (x.queue && !have.has(x.queue)) { have.add(x.queue); dl.append(el("option", { value: x.queue })); }
}

function markSelected() {
  for (const li of document.querySelectorAll("#tickets li"))
    li.classList.toggle("sel", !!state.ticket && li.dataset.id === String(tid(state.ticket)));
}

function selectList(which) {
  state.list = which;
  for (const b of document.querySelectorAll("#list-tabs button"))
    b.setAttribute("aria-selected", String(b.dataset.list === which));
  loadTickets(true).catch((e) => toast(e.message));
}

// --- screening: why a message was flagged ----------------------------------
// Hits carry UTF-8 byte offsets into the stored text or subject
// (docs/screening.md); the words are cut out as text nodes, never as HTML.

const hitField = (h) => h.field || h.where || "text";
const hitWhy = (h) => [h.kind === "context" ? "context" : h.kind.toUpperCase(), "cue " + h.cue,
  "rule " + h.rule, "term " + h.term].join(" · ") + (h.counted === false ? " · held (not counted)" : "");

function charIndex(bytes, off) {
  return new TextDecoder().decode(bytes.subarray(0, Math.max(0, Math.min(off, bytes.length)))).length;
}

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

function hitLegend(scr) {
  const rank = { ae: 0, complaint: 1, context: 2 };
  const hits = [...(scr.hits || [])].sort((a, b) => (rank[a.kind] ?? 3) - (rank[b.kind] ?? 3));
  const head = "screening: " + (scr.ae ? "AE " + scr.ae : "no AE") + " · " +
    (scr.complaint ? "complaint" : "no complaint") + (scr.lang ? " · " + scr.lang : "");
  return el("details", { class: "screening" }, el("summary", { text: head }),
    el("ul", {}, ...hits.map((h) => el("li", { class: "hit-why " + h.kind + (h.counted === false ? " held" : "") },
      el("q", { text: h.text || "" }), document.createTextNode(" " + hitWhy(h) + " [" + hitField(h) + " " + h.start + "–" + h.end + "]")))));
}

function mailWarnings(f) {
  const out = [];
  if (!f || typeof f !== "object") return out;
  if (f.sender_unverified) out.push(t("mail.unverified", { from: f.envelope_from || "—" }));
  if (typeof f.malformed === "string") out.push(t("mail.malformed", { why: f.malformed }));
  return out;
}

// --- one ticket -----------------------------------------------------------------

// Fields whose values are times (Unix ms) or agents: shown as such.
const TIME_FIELD = /(^|_)(due|at|response|created|updated|last_in|last_out)$/;
function eventValue(field, v) {
  if (v === undefined || v === null || v === "") return "—";
  if (TIME_FIELD.test(field) && /^\d{12,}$/.test(String(v))) return date(v);
  if (field === "agent") return agentName(v);
  return String(v);
}

// The form's own fields (not the bookkeeping) as a small table.
function formFields(f) {
  if (!f || typeof f !== "object") return null;
  const skip = new Set(["form", "sender_unverified", "envelope_from", "malformed", "malformed_reasons",
    "to", "cc", "rcpt", "message_id", "references", "in_reply_to"]);
  const rows = Object.entries(f).filter(([k, v]) => !skip.has(k) && v !== "" && typeof v !== "object");
  if (!rows.length) return null;
  return el("dl", { class: "form-fields" }, ...rows.flatMap(([k, v]) =>
    [el("dt", { text: k.replace(/_/g, " ") }), el("dd", { text: String(v) })]));
}

function attachment(a) {
  const href = "/api/v1/attachments/" + encodeURIComponent(a.id);
  const box = el("div", { class: "attachment" }, el("a", { href, text: "📎 " + a.name }),
    a.size ? document.createTextNode(" (" + num(Math.ceil(a.size / 1024)) + " KB)") : null);
  if (/^image\/(png|jpeg|gif|webp)$/.test(a.type || "")) box.append(el("img", { src: href, alt: a.name, class: "inline-img" }));
  return box;
}

function logEntry(m) {
  const cls = m.type === "note" ? "note" : m.type === "event" ? "event" : m.direction === "out" ? "out" : "in";
  const kind = { note: t("log.note"), event: t("log.change"), out: t("log.out"), in: t("log.in") }[cls];
  const who = [icon(m.channel), kind, author(m.author), m.channel, date(m.ts)].filter(Boolean).join(" · ");
  const li = el("li", { class: cls, "data-channel": m.channel || "" }, el("span", { class: "who", text: who }));
  for (const w of mailWarnings(m.fields)) li.append(el("div", { class: "mail-warn", text: "⚠ " + w }));
  const scr = m.screening && Array.isArray(m.screening.hits) ? m.screening : null;
  const hits = (f) => (scr ? scr.hits.filter((h) => hitField(h) === f) : []);
  if (m.subject && cls !== "event")
    li.append(el("strong", {}, markedText(m.subject, hits("subject")), document.createTextNode("\n")));
  const change = m.field ? m.field + ": " + eventValue(m.field, m.old) + " → " + eventValue(m.field, m.new) : "";
  li.append(m.text ? markedText(m.text, hits("text")) : document.createTextNode(change));
  if (cls === "in") { const ff = formFields(m.fields); if (ff) li.append(ff); }
  const rec = m.fields && (m.fields.recording_url || m.fields.recording);
  if (typeof rec === "string" && /^https?:\/\//.test(rec))
    li.append(el("div", {}, el("a", { href: rec, rel: "noreferrer", target: "_blank", text: "🔊 " + t("log.recording") })));
  if (scr && scr.hits.length) li.append(hitLegend(scr));
  for (const a of m.attachments || []) li.append(attachment(a));
  return li;
}

async function openTicket(id) {
  const data = await api("GET", "/api/v1/tickets/" + encodeURIComponent(id));
  const x = data.ticket || data;
  const other = !state.ticket || String(tid(state.ticket)) !== String(tid(x));
  if (other) follow(state.ticket, x);
  state.ticket = x;
  state.ticketCustomer = data.customer || null;
  $("#ticket").hidden = false;
  $("#t-channel").textContent = icon(x.channel);
  $("#t-channel").title = x.channel || "";
  $("#t-number").textContent = number(x);
  $("#t-subject").textContent = x.subject || "";
  const d = deadline(x);
  $("#t-sla").replaceChildren(...(d ? [slaSpan(x)] : []));
  const messages = data.messages || [];
  $("#t-flags").replaceChildren(...screenFlags(x, messages));
  const f = $("#t-fields");
  for (const k of ["status", "category", "priority", "queue"]) f.elements[k].value = x[k] || "";
  if (x.agent && !state.team.has(String(x.agent))) await loadTeam().catch(() => {});
  f.elements.agent.value = x.agent || "";
  $("#t-log").replaceChildren(...messages.map(logEntry));
  $("#t-via").textContent = t("reply.via", { channel: t("channel." + (x.channel || "mail")) });
  $("#t-error").textContent = "";
  showChatBar(x);
  markSelected();
  renderCollision();
  if (x.customer && (other || !state.customer)) await openCustomer(x.customer);
}

function aeLevel(messages) {
  const levels = messages.map((m) => m.screening && m.screening.ae).filter(Boolean);
  return levels.includes("probable") ? "probable" : levels.includes("possible") ? "possible" : "";
}

const FLAG_NAMES = { ae: "ADVERSE EVENT", complaint: "COMPLAINT" };

function flagBox(x, f, messages) {
  const dec = x[f + "_decision"], by = x[f + "_decided_by"], reason = x[f + "_reason"];
  const level = f === "ae" ? aeLevel(messages) : "";
  const box = el("div", { class: "screen-flag", "data-flag": f },
    el("span", { class: "badge " + f + (dec === "rejected" ? " rejected" : ""), text: FLAG_NAMES[f] }),
    level ? el("span", { class: "level " + level, text: level, title: t("flag.level") }) : null,
    dec ? el("span", { class: "decision " + dec, text: dec + (by ? " by " + author(by) : "") + (reason ? ": " + reason : "") }) : null);
  const input = el("input", { name: "reason", placeholder: t("flag.reason"), size: "24", "aria-label": t("flag.reason") });
  box.append(el("button", { type: "button", class: "confirm secondary", text: t("flag.confirm"),
    onclick: () => decide(f, "confirm", input.value) }), input,
  el("button", { type: "button", class: "reject secondary", text: t("flag.reject"),
    onclick: () => decide(f, "reject", input.value, input) }));
  return box;
}

// The raised flags, a category of ae or complaint counting as its flag.
function screenFlags(x, messages) {
  const raised = [].concat(x.flags || []).join(",").split(",").filter(Boolean);
  for (const c of ["ae", "complaint"]) if (x.category === c && !raised.includes(c)) raised.push(c);
  const out = raised.filter((f) => FLAG_NAMES[f]).map((f) => flagBox(x, f, messages));
  for (const f of raised) if (!FLAG_NAMES[f]) out.push(el("span", { class: "badge " + f, text: f.toUpperCase() }));
  for (const f of Object.keys(FLAG_NAMES)) if (!raised.includes(f))
    out.push(el("button", { type: "button", class: "raise secondary", "data-flag": f,
      text: t("flag.raise." + f), onclick: () => decide(f, "confirm", "") }));
  return out;
}

async function decide(flag, decision, reason, input) {
  reason = (reason || "").trim();
  if (decision === "reject" && !reason) {
    $("#t-error").textContent = t("flag.needreason");
    if (input) input.focus();
    return;
  }
  const body = { flag, decision };
  if (reason) body.reason = reason;
  const x = state.ticket;
  try {
    await api("POST", "/api/v1/tickets/" + tid(x) + "/screening", body);
  } catch (e) { $("#t-error").textContent = e.message; return; }
  toast(t("flag.decided", { n: number(x), flag, decision: t("flag." + decision + "ed") }));
  await openTicket(tid(x)).catch((e) => {
    if (e.status !== 404) throw e;
    $("#ticket").hidden = true;
    state.ticket = null;
    toast(t("flag.gone", { n: number(x) }));
  }).catch((e) => { $("#t-error").textContent = e.message; });
  await loadTickets(true).catch(() => {});
}

async function saveFields(ev) {
  ev.preventDefault();
  const f = new FormData(ev.target), x = state.ticket, change = {};
  for (const k of ["status", "category", "priority", "queue", "agent"])
    if ((f.get(k) || "") !== String(x[k] || "")) change[k] = f.get(k);
  if (!Object.keys(change).length) return;
  await patchTicket(change);
}

async function patchTicket(change) {
  const x = state.ticket;
  try {
    await api("PATCH", "/api/v1/tickets/" + tid(x), change);
    toast(t("ticket.saved", { n: number(x) }));
    await openTicket(tid(x));
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
    viewing("viewing");
    await openTicket(tid(state.ticket));
  } catch (e) { $("#t-error").textContent = e.message; }
}

// --- the customer -------------------------------------------------------------

async function openCustomer(id) {
  // Events can reopen the card while it loads: only the latest call draws.
  const gen = state.customerGen = (state.customerGen || 0) + 1;
  const data = await api("GET", "/api/v1/customers/" + encodeURIComponent(id));
  const c = data.customer || data;
  const hist = await fetchHistory(c.id, null);
  if (gen !== state.customerGen) return;
  state.customer = c;
  $("#customer").hidden = false;
  $("#c-name").textContent = c.name || t("customer.unnamed", { id: c.id || id });
  const ids = [].concat(c.identities || c.ids || []);
  const rows = [];
  for (const [k, v] of [["type", c.type ? t("ctype." + c.type) : ""], ["organisation", c.organisation],
    ["specialty", c.specialty], ["region", c.region], ["segment", c.segment], ["identities", ids.join("\n")],
    ["tickets", data.tickets_total != null ? num(data.tickets_total) : ""]])
    if (v) rows.push(el("dt", { text: t("c." + k) }), el("dd", { text: v }));
  $("#c-card").replaceChildren(...rows);
  $("#c-tickets").replaceChildren(el("button", { type: "button", class: "secondary", text: t("customer.tickets"),
    onclick: () => listCustomer(c) }));
  $("#c-merge").hidden = !isSupervisor();
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
    return el("li", { class: "ch-" + (h.channel || "other"), onclick: h.ticket && !h.restricted ? () => openTicket(h.ticket).catch(() => {}) : null },
      el("span", { class: "tl-icon", title: h.channel || "", text: icon(h.channel) }),
      el("div", { class: "meta", text: [date(h.ts), h.channel ? t("channel." + h.channel) : "", h.direction ? t("dir." + h.direction) : "", n].filter(Boolean).join(" · ") }),
      el("div", { text: h.restricted ? t("history.restricted") : (h.summary || "") }));
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

// The list shows one customer's tickets until the filter is cleared.
function listCustomer(c) {
  $("#filters").elements.customer.value = c ? c.id : "";
  const p = $("#list-customer");
  p.hidden = !c;
  p.replaceChildren(...(c ? [document.createTextNode(t("list.customer", { name: c.name || c.id }) + " "),
    el("button", { type: "button", class: "secondary", text: t("list.clear"), onclick: () => listCustomer(null) })] : []));
  if (c) selectList("all"); else loadTickets(true).catch(() => {});
}

async function search(ev) {
  ev.preventDefault();
  const q = ev.target.elements.q.value.trim();
  if (!q) return;
  try {
    const data = await api("GET", "/api/v1/customers?" + new URLSearchParams({ q, limit: "20" }));
    const list = data.customers || data.items || [];
    $("#results-list").replaceChildren(...(list.length ? list.map((c) => el("li", { tabindex: "0",
      onclick: () => pickCustomer(c), onkeydown: (e) => { if (e.key === "Enter") pickCustomer(c); } },
      el("strong", { text: c.name || c.id }),
      el("div", { class: "meta", text: [c.type ? t("ctype." + c.type) : "", c.organisation, c.region,
        c.matched ? t("search.matched", { how: c.matched }) : ""].filter(Boolean).join(" · ") })))
      : [el("li", { class: "empty", text: t("search.none") })]));
    $("#results").hidden = false;
    const first = $("#results-list li[tabindex]");
    if (first) first.focus();
  } catch (e) { toast(e.message); }
}

function pickCustomer(c) {
  $("#results").hidden = true;
  showView("desk");
  openCustomer(c.id).then(() => listCustomer(state.customer)).catch((e) => toast(e.message));
}

async function merge(ev) {
  ev.preventDefault();
  const from = ev.target.elements.from.value.trim();
  if (!from || !state.customer) return;
  if (!confirm(t("merge.confirm", { from, into: state.customer.name || state.customer.id }))) return;
  try {
    const r = await api("POST", "/api/v1/customers/" + encodeURIComponent(state.customer.id) + "/merge", { from });
    toast(r.already ? t("merge.already") : t("merge.done", { n: r.tickets, h: r.history }));
    ev.target.reset();
    await openCustomer(state.customer.id);
  } catch (e) { toast(e.message); }
}

// --- chats: tabs with unread counts, typing, transfer -----------------------

// Open chats of mine are tabs; an inbound message on one I am not looking
// at counts as unread until I open it.
function trackChats(items) {
  for (const x of items)
    if (x.channel === "chat" && String(x.agent) === String(state.me.id) && !["resolved", "closed"].includes(x.status)) {
      const c = state.chats.get(String(tid(x))) || { unread: 0 };
      state.chats.set(String(tid(x)), Object.assign(c, { n: tid(x), title: x.customer_name || x.subject || number(x) }));
    }
  renderChatTabs();
}

function renderChatTabs() {
  const bar = $("#chat-tabs");
  const cur = state.ticket && String(tid(state.ticket));
  bar.replaceChildren(...[...state.chats.values()].map((c) => el("button", { type: "button", role: "tab",
    "data-ticket": String(c.n), "aria-selected": String(cur === String(c.n)), class: c.unread ? "has-unread" : "",
    onclick: () => openTicket(c.n).catch((e) => toast(e.message)) },
  "❝ " + c.title + " ", c.unread ? el("span", { class: "unread", text: num(c.unread) }) : null,
  c.typing ? el("span", { class: "typing", text: " …" }) : null)));
  bar.hidden = state.chats.size === 0;
}

function showChatBar(x) {
  const chat = x.channel === "chat" && !["resolved", "closed"].includes(x.status);
  $("#t-chat").hidden = !chat;
  $("#t-typing").textContent = "";
  const c = state.chats.get(String(tid(x)));
  if (c) { c.unread = 0; c.typing = false; }
  renderChatTabs();
}

function wsSend(cmd) {
  if (state.ws && state.ws.readyState === 1) { state.ws.send(JSON.stringify(cmd)); return true; }
  return false;
}

function onChat(ev) {
  const key = String(ev.ticket);
  const c = state.chats.get(key);
  const open = state.ticket && String(tid(state.ticket)) === key;
  if (ev.type === "chat.typing" && ev.from === "customer") {
    if (open) {
      $("#t-typing").textContent = t("chat.typing");
      clearTimeout(onChat.typing);
      onChat.typing = setTimeout(() => { $("#t-typing").textContent = ""; }, 4000);
    }
    if (c) { c.typing = true; renderChatTabs(); setTimeout(() => { c.typing = false; renderChatTabs(); }, 4000); }
  } else if (ev.type === "chat.closed" || ev.type === "chat.transferred" || ev.type === "chat.requeued") {
    state.chats.delete(key);
    renderChatTabs();
    if (open) openTicket(key).catch(() => {});
  } else if (ev.type === "chat.customer" && open) {
    $("#t-typing").textContent = ev.online === false ? t("chat.left") : "";
  } else if (ev.type === "error" && ev.ref && String(ev.ref).startsWith("chat")) {
    toast(ev.message || ev.code);
  }
}

function onChatMessage(ev) {
  const key = String(ev.ticket);
  const c = state.chats.get(key);
  if (!c || ev.direction !== "in") return;
  const open = state.ticket && String(tid(state.ticket)) === key && !document.hidden;
  if (!open) c.unread++;
  c.typing = false;
  renderChatTabs();
}

// Typing tells the customer; it is sent at most every 3 s.
function onTyping() {
  const x = state.ticket;
  if (!x || x.channel !== "chat" || Date.now() - (onTyping.last || 0) < 3000) return;
  onTyping.last = Date.now();
  wsSend({ type: "chat.typing", ticket: Number(tid(x)) });
  viewing("replying");
}

function transfer() {
  const to = $("#t-transfer").value;
  if (!to || !state.ticket) return;
  if (!wsSend({ type: "chat.transfer", id: "chat-transfer", ticket: Number(tid(state.ticket)), agent: to })) toast(t("live.down"));
}

function closeChat() {
  if (!state.ticket) return;
  if (!wsSend({ type: "chat.close", id: "chat-close", ticket: Number(tid(state.ticket)), transcript: true })) toast(t("live.down"));
}

// --- collisions: who else has this ticket open ------------------------------

// Following the open ticket (subscribe) brings its events; "ticket.viewing"
// tells the others who follow it that I have it open or am replying, and
// its answer ("viewers") names those who had it open before me.
function follow(old, x) {
  if (old) { wsSend({ type: "unsubscribe", ticket: Number(tid(old)) }); viewing("left", old); }
  state.viewers = new Map();
  if (x) { wsSend({ type: "subscribe", ticket: Number(tid(x)) }); state.viewingNow = null; setTimeout(() => viewing("viewing"), 0); }
}

function viewing(what, x) {
  x = x || state.ticket;
  if (!x || (what === state.viewingNow && x === state.ticket)) return;
  if (x === state.ticket) state.viewingNow = what;
  wsSend({ type: "ticket.viewing", ticket: Number(tid(x)), state: what });
}

function onViewing(ev) {
  if (!state.ticket || String(ev.ticket) !== String(tid(state.ticket)) || String(ev.agent) === String(state.me.id)) return;
  if (ev.state === "left") state.viewers.delete(String(ev.agent));
  else state.viewers.set(String(ev.agent), { state: ev.state, name: ev.name || agentName(ev.agent), at: Date.now() });
  renderCollision();
}

function onViewers(ev) {
  if (!state.ticket || String(ev.ticket) !== String(tid(state.ticket))) return;
  for (const v of ev.viewers || []) {
    if (String(v.agent) !== String(state.me.id)) onViewing({ ticket: ev.ticket, agent: v.agent, name: v.name, state: v.state });
  }
}

function renderCollision() {
  const p = $("#collision");
  const v = [...state.viewers.values()];
  p.hidden = !v.length;
  p.textContent = v.map((x) => t(x.state === "replying" ? "collide.replying" : "collide.viewing", { name: x.name })).join(" · ");
}

// --- the live channel ----------------------------------------------------------

function connectLive() {
  if (state.ws || !state.me) return;
  const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/agent/ws");
  state.ws = ws;
  ws.onopen = () => {
    state.retry = 500;
    $("#live").textContent = t("live.on");
    $("#live").classList.remove("off");
    if (state.ticket) { wsSend({ type: "subscribe", ticket: Number(tid(state.ticket)) }); state.viewingNow = null; viewing("viewing"); }
    loadTeam().catch(() => {});
  };
  ws.onclose = () => {
    state.ws = null;
    $("#live").textContent = t("live.off");
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
  $("#cp-who").textContent = (c.name || t("call.unknown")) + (c.organisation ? ", " + c.organisation : "") +
    " · RX-" + ev.ticket + (ev.agent ? "" : " (" + t("call.group") + ")");
  const card = $("#cp-card");
  card.replaceChildren();
  for (const [k, v] of [["type", c.type ? t("ctype." + c.type) : ""], ["specialty", c.specialty], ["region", c.region],
    ["identities", [].concat(c.identities || []).join(", ")], ["tickets", c.tickets]]) {
    if (v === undefined || v === "") continue;
    card.append(el("dt", { text: t("c." + k) }), el("dd", { text: String(v) }));
  }
  $("#cp-history").replaceChildren(...[].concat(c.history || []).map((h) =>
    el("li", { text: icon(h.channel) + " " + (h.channel || "") + " · " + date(h.ts) +
      (h.ticket ? " · RX-" + h.ticket : "") + ": " + (h.summary || "") })));
  $("#callpop").hidden = false;
}

function onCall(ev) {
  if (ev.type === "call.ringing") callPop(ev);
  else if (ev.type === "call.ended" && state.callpop && state.callpop.call === ev.call) {
    $("#callpop").hidden = true;
    toast(t("call.ended", { n: "RX-" + ev.ticket, outcome: ev.outcome || t("call.ended.plain") }) + (ev.callback ? " · " + t("call.callback") : ""));
  }
}

let listTimer = null;
function reloadListSoon() {
  clearTimeout(listTimer);
  listTimer = setTimeout(() => loadTickets(true).catch(() => {}), 100);
}

function onEvent(ev) {
  const type = ev.type || "";
  if (type === "hello") return;
  if (type.startsWith("call.")) { onCall(ev); return; }
  if (type === "viewing") { onViewing(ev); return; }
  if (type === "viewers") { onViewers(ev); return; }
  if (type.startsWith("chat.") || (type === "error" && ev.ref)) onChat(ev);
  if (type === "agent.presence") {
    const a = state.team.get(String(ev.agent));
    if (a) a.state = ev.state;
    if (String(ev.agent) === String(state.me.id)) showPresence(ev.state);
  }
  dash.onEvent(ev);
  if (!type.startsWith("ticket.") && !type.startsWith("sla.")) return;
  const n = ev.ticket ? "RX-" + ev.ticket : "";
  if (type === "ticket.assigned" && state.me && String(ev.agent) === String(state.me.id)) toast(t("ev.assigned", { n }));
  else if (type === "ticket.new") toast(t("ev.new", { n }));
  else if (type === "ticket.message" && ev.direction === "in") toast(t("ev.message", { n }));
  if (type === "ticket.message") onChatMessage(ev);
  reloadListSoon();
  if (state.ticket && String(ev.ticket) === String(tid(state.ticket))) openTicket(tid(state.ticket)).catch(() => {});
}

// --- keyboard ------------------------------------------------------------------

function moveInList(step) {
  const items = [...document.querySelectorAll("#tickets li[data-id]")];
  if (!items.length) return;
  const at = items.findIndex((li) => li.classList.contains("sel"));
  const next = items[Math.max(0, Math.min(items.length - 1, at < 0 ? 0 : at + step))];
  next.scrollIntoView({ block: "nearest" });
  openTicket(next.dataset.id).catch((e) => toast(e.message));
}

// "Next ticket": the one waiting longest with nobody on it.
async function nextTicket() {
  const data = await api("GET", "/api/v1/tickets?status=new&limit=100");
  const free = (data.items || []).filter((x) => !x.agent).sort((a, b) => a.created - b.created);
  if (!free.length) { toast(t("next.none")); return; }
  await openTicket(tid(free[0]));
}

function onKey(e) {
  const typing = /^(INPUT|TEXTAREA|SELECT)$/.test(e.target.tagName);
  if (e.key === "Escape") {
    for (const id of ["#help", "#results"]) $(id).hidden = true;
    if (typing) e.target.blur();
    return;
  }
  if (typing && e.key === "Enter" && (e.ctrlKey || e.metaKey) && e.target.id === "t-text") {
    e.preventDefault();
    $("#t-reply button[value=reply]").click();
    return;
  }
  if (typing || e.ctrlKey || e.metaKey || e.altKey || !state.me || $("#desk-view").hidden && e.key !== "?") return;
  const act = {
    "?": () => { $("#help").hidden = !$("#help").hidden; },
    j: () => moveInList(1), k: () => moveInList(-1),
    n: () => nextTicket().catch((x) => toast(x.message)),
    r: () => { if (state.ticket) { $("#t-text").focus(); state.composeKind = "reply"; } },
    i: () => { if (state.ticket) { $("#t-text").focus(); state.composeKind = "note"; } },
    e: () => { if (state.ticket) patchTicket({ status: "resolved" }); },
    "/": () => $("#search input").focus(),
  }[e.key];
  if (act) { e.preventDefault(); act(); }
}

// --- start -------------------------------------------------------------------------

async function login(ev) {
  ev.preventDefault();
  const f = new FormData(ev.target);
  $("#login-error").textContent = "";
  try {
    const data = await api("POST", "/api/v1/session", { email: f.get("email"), password: f.get("password") });
    ev.target.reset();
    await showDesk(data.agent);
  } catch (e) {
    $("#login-error").textContent = e.status === 401 ? t("login.wrong") : e.message;
  }
}

async function changeLang(ev) {
  await setLang(ev.target.value, state.me && state.me.id);
  if (!state.me) return;
  fillAgentPickers();
  await loadTickets(true).catch(() => {});
  if (state.ticket) await openTicket(tid(state.ticket)).catch(() => {});
  if (!$("#dash-view").hidden) dash.show(state);
}

function wire() {
  const on = (sel, evn, fn) => $(sel).addEventListener(evn, fn);
  on("#login", "submit", login);
  on("#logout", "click", async () => {
    await api("DELETE", "/api/v1/session").catch(() => {});
    showLogin();
  });
  on("#lang", "change", changeLang);
  on("#presence", "change", setPresence);
  on("#search", "submit", search);
  on("#results-close", "click", () => { $("#results").hidden = true; });
  on("#help-open", "click", () => { $("#help").hidden = !$("#help").hidden; });
  on("#help-close", "click", () => { $("#help").hidden = true; });
  on("#view-desk", "click", () => showView("desk"));
  on("#view-dash", "click", () => showView("dash"));
  on("#filters", "change", () => loadTickets(true));
  on("#more", "click", () => loadTickets(false));
  on("#c-more", "click", olderHistory);
  on("#c-merge", "submit", merge);
  on("#cp-close", "click", () => { $("#callpop").hidden = true; });
  on("#cp-open", "click", () => {
    $("#callpop").hidden = true;
    if (state.callpop) openTicket(state.callpop.ticket).catch(() => {});
  });
  on("#t-fields", "submit", saveFields);
  on("#t-reply", "submit", send);
  on("#t-text", "input", () => { onTyping(); viewing("replying"); });
  on("#t-transfer-go", "click", transfer);
  on("#t-chat-close", "click", closeChat);
  for (const b of document.querySelectorAll("#list-tabs button")) b.addEventListener("click", () => selectList(b.dataset.list));
  document.addEventListener("keydown", onKey);
  document.addEventListener("rx:signed-out", () => { if (state.me) showLogin(); });
}

document.addEventListener("DOMContentLoaded", async () => {
  wire();
  await setLang(guess());
  $("#lang").value = current();
  selectTab();
  try {
    const me = await api("GET", "/api/v1/session");
    await showDesk(me.agent || me);
  } catch (e) { showLogin(); }
});

function selectTab() {
  for (const b of document.querySelectorAll("#list-tabs button"))
    b.setAttribute("aria-selected", String(b.dataset.list === state.list));
}

export { translate };
