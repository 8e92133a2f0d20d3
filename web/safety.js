// rxdesk console: the safety desk (docs/safety.md). Safety officers,
// supervisors and admins get a "Cases" view: their cases with validity
// (what is missing), Day 0 and due dates, and a case editor. Anyone who
// has a flagged ticket open may open its case with one click. Loaded after
// console.js; it builds its own elements and reads the page's state only
// through the DOM. Customer and case text is only ever set as text nodes.
"use strict";

(() => {
  const $ = (sel) => document.querySelector(sel);
  const S = { roles: [], cases: [], open: null };
  const SAFETY = ["safety", "supervisor", "admin"];
  const DAY = 86400000;

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
    const data = await r.json().catch(() => null);
    if (!r.ok) {
      const msg = (data && data.error && data.error.message) || r.statusText;
      throw Object.assign(new Error(msg), { status: r.status, data });
    }
    return data;
  }

  const date = (ms) => (ms ? new Date(Number(ms)).toLocaleDateString() : "—");
  const isSafety = () => S.roles.some((r) => SAFETY.includes(r));

  function say(text) {
    const t = $("#toast");
    if (!t) return;
    t.textContent = text;
    t.hidden = false;
    setTimeout(() => { t.hidden = true; }, 4000);
  }

  // How close a deadline is: "overdue", "soon" (two days), or "".
  function urgency(c) {
    if (!c.due || c.status === "forwarded" || c.status === "closed") return "";
    const left = c.due - Date.now();
    return left < 0 ? "overdue" : left < 2 * DAY ? "soon" : "";
  }

  // --- the Cases view ---------------------------------------------------

  function buildView() {
    if ($("#cases-view")) return;
    const bar = $("header.bar");
    const toggle = el("button", { id: "cases-toggle", type: "button", text: "Cases",
      onclick: () => show(!$("#cases-view").hidden ? false : true) });
    bar.insertBefore(toggle, $("#logout"));
    const filters = el("form", { id: "cases-filters", class: "filters" },
      el("select", { name: "status", "aria-label": "case status" },
        el("option", { value: "", text: "any status" }),
        ...["draft", "valid", "forwarded", "closed"].map((s) => el("option", { text: s }))),
      el("select", { name: "due", "aria-label": "due" },
        el("option", { value: "", text: "any deadline" }),
        el("option", { value: "overdue", text: "overdue" }),
        el("option", { value: "soon", text: "nearly due" })));
    filters.addEventListener("change", () => loadCases());
    const table = el("table", { id: "cases", class: "cases" },
      el("thead", {}, el("tr", {}, ...["Case", "Status", "Missing", "Day 0", "Due", "Rule",
        "Product", "Reaction"].map((h) => el("th", { text: h })))),
      el("tbody"));
    const editor = el("section", { id: "case", class: "card", hidden: "" });
    const view = el("main", { id: "cases-view", class: "card", hidden: "" },
      el("h1", { text: "Adverse event cases" }), filters, table, editor);
    $("#desk-view").after(view);
  }

  function show(on) {
    $("#cases-view").hidden = !on;
    $("#desk-view").hidden = on;
    if (on) loadCases();
  }

  async function loadCases() {
    const f = new FormData($("#cases-filters"));
    const q = new URLSearchParams();
    for (const k of ["status", "due"]) if (f.get(k)) q.set(k, f.get(k));
    try {
      const r = await api("GET", "/api/v1/cases?" + q);
      S.cases = r.items;
      renderCases();
    } catch (e) {
      say("Cases: " + e.message);
    }
  }

  function renderCases() {
    const body = $("#cases tbody");
    body.replaceChildren(...S.cases.map((c) => {
      const u = urgency(c);
      const row = el("tr", { "data-id": String(c.id), class: u, onclick: () => openCase(c.id) },
        el("td", { text: c.number }),
        el("td", { class: "status", text: c.status }),
        el("td", { class: "missing", text: c.validity.missing.join(", ") || "complete" }),
        el("td", { class: "day0", text: date(c.day0) }),
        el("td", { class: "due", text: date(c.due) + (u === "overdue" ? " (overdue)" :
          u === "soon" ? " (nearly due)" : "") }),
        el("td", { text: c.due_rule || "" }),
        el("td", { text: c.products.map((p) => p.name).join(", ") }),
        el("td", { text: c.reactions.map((r) => r.verbatim).join(", ") }));
      if (u === "overdue") row.style.color = "#b00020";
      return row;
    }));
  }

  // --- the case editor ----------------------------------------------------

  function field(label, name, value, attrs) {
    return el("label", {}, label + " ",
      el("input", Object.assign({ name, value: value == null ? "" : String(value) }, attrs || {})));
  }

  function select(label, name, value, options) {
    const s = el("select", { name }, ...options.map(([v, t]) => el("option", { value: v, text: t })));
    s.value = value == null ? "" : String(value);
    return el("label", {}, label + " ", s);
  }

  function renderCase(c) {
    S.open = c;
    const p = c.patient, prod = c.products[0] || {}, reac = c.reactions[0] || {};
    const box = $("#case");
    const serious = Object.keys(c.seriousness).map((k) =>
      el("label", { class: "inline" }, el("input", Object.assign({ type: "checkbox", name: "s_" + k },
        c.seriousness[k] ? { checked: "" } : {})), " " + k.replace(/_/g, " ")));
    const form = el("form", { id: "case-form", class: "fields" },
      el("fieldset", {}, el("legend", { text: "Patient" }),
        field("Initials", "initials", p.initials),
        field("Age", "age", p.age ? p.age.value : "", { size: "4" }),
        select("Unit", "age_unit", p.age ? p.age.unit : "a",
          [["a", "years"], ["mo", "months"], ["wk", "weeks"], ["d", "days"], ["h", "hours"]]),
        select("Sex", "sex", p.sex, [["", "—"], ["F", "female"], ["M", "male"], ["U", "unknown"]]),
        field("Birth date", "birth_date", p.birth_date, { placeholder: "YYYY-MM-DD", size: "10" }),
        field("Weight kg", "weight_kg", p.weight_kg, { size: "5" })),
      el("fieldset", {}, el("legend", { text: "Suspect product and reaction" }),
        field("Product", "product", prod.name),
        field("Lot", "lot", prod.lot, { size: "10" }),
        field("Reaction", "reaction", reac.verbatim),
        field("Onset", "onset", reac.onset, { placeholder: "YYYY-MM-DD", size: "10" }),
        select("Outcome", "outcome", reac.outcome == null ? 0 : reac.outcome,
          [["0", "unknown"], ["1", "recovered"], ["2", "recovering"], ["3", "not recovered"],
            ["4", "recovered with sequelae"], ["5", "fatal"]])),
      el("fieldset", {}, el("legend", { text: "Seriousness" }), ...serious),
      el("label", { class: "block" }, "Narrative ",
        el("textarea", { name: "narrative", rows: "4" })),
      select("Status", "status", c.status, [["draft", "draft"], ["valid", "valid"],
        ["forwarded", "forwarded"], ["closed", "closed"]]),
      field("Reason", "reason", "", { size: "30" }),
      el("button", { type: "submit", text: "Save case" }),
      el("span", { id: "case-error", class: "error", role: "alert" }));
    form.querySelector("textarea").value = c.narrative || "";
    form.addEventListener("submit", (ev) => { ev.preventDefault(); saveCase(form); });
    const missing = c.validity.missing;
    box.replaceChildren(
      el("h2", {}, el("span", { id: "case-number", text: c.number }), " ",
        el("span", { id: "case-status", text: c.status })),
      // the case as an E2B(R3) batch of one (GET /api/v1/cases/{id}/e2b)
      el("p", {}, el("a", { id: "case-e2b", href: "/api/v1/cases/" + encodeURIComponent(c.number) + "/e2b",
        download: c.number + "-e2b.xml", text: "Export E2B (R3) XML" })),
      el("p", { id: "case-validity", text: missing.length ? "Missing for a valid report: " +
        missing.join(", ") : "Valid: the four minimum criteria are met." }),
      el("dl", { class: "case-clock" },
        el("dt", { text: "Day 0" }), el("dd", { id: "case-day0", text: date(c.day0) }),
        el("dt", { text: "Due" }), el("dd", { id: "case-due", text: date(c.due) +
          (c.due_rule ? " (" + c.due_rule + ")" : "") }),
        el("dt", { text: "Tickets" }), el("dd", { text: c.tickets.map((n) => "RX-" + n).join(", ") }),
        el("dt", { text: "Reporter" }), el("dd", { text: (c.reporters[0] || {}).name || "—" })),
      form);
    box.hidden = false;
  }

  async function openCase(id) {
    try {
      renderCase(await api("GET", "/api/v1/cases/" + id));
      await offerDuplicates(id);
    } catch (e) {
      say("Case: " + e.message);
    }
  }

  // Possible duplicates, each with a button that links this case to it as
  // its master (and closes this one, with the reason said).
  async function offerDuplicates(id) {
    const d = await api("GET", "/api/v1/cases/" + id + "/duplicates");
    if (!d.duplicates.length || S.open.duplicate_of) return;
    const link = (m) => el("button", { type: "button", class: "link-dup", "data-master": String(m),
      text: "Link to CASE-" + m + " as a duplicate",
      onclick: async () => {
        try {
          renderCase(await api("PATCH", "/api/v1/cases/" + id, { duplicate_of: m, master: m,
            status: "closed", reason: "duplicate of CASE-" + m }));
          say("Linked to CASE-" + m);
        } catch (e) {
          say("Case: " + e.message);
        }
      } });
    $("#case-validity").after(el("p", { id: "case-duplicates" }, "Possible duplicates: ",
      ...d.duplicates.map(link)));
  }

  function patchOf(form, c) {
    const f = new FormData(form), num = (v) => (v === "" || v == null ? null : Number(v));
    const patch = {
      patient: { initials: f.get("initials") || null, sex: f.get("sex") || null,
        birth_date: f.get("birth_date") || null, weight_kg: num(f.get("weight_kg")),
        age: f.get("age") ? { value: Number(f.get("age")), unit: f.get("age_unit") } : null },
      seriousness: {}, narrative: f.get("narrative") || "",
    };
    for (const k of Object.keys(c.seriousness)) patch.seriousness[k] = f.get("s_" + k) !== null;
    if (f.get("product")) {
      const p = Object.assign({}, c.products[0] || { role: "suspect" });
      p.name = f.get("product");
      p.lot = f.get("lot") || "";
      patch.products = [p].concat(c.products.slice(1));
    }
    if (f.get("reaction")) {
      const r = Object.assign({}, c.reactions[0] || {});
      r.verbatim = f.get("reaction");
      r.onset = f.get("onset") || null;
      r.outcome = Number(f.get("outcome"));
      patch.reactions = [r].concat(c.reactions.slice(1));
    }
    const status = f.get("status");
    if (status !== c.status && !(status === "valid" && c.status === "draft")) patch.status = status;
    if (f.get("reason")) patch.reason = f.get("reason");
    return patch;
  }

  async function saveCase(form) {
    const err = $("#case-error");
    err.textContent = "";
    try {
      const c = await api("PATCH", "/api/v1/cases/" + S.open.id, patchOf(form, S.open));
      renderCase(c);
      say(c.number + " saved");
      if (!$("#cases-view").hidden) loadCases();
    } catch (e) {
      err.textContent = e.message;
    }
  }

  // --- one click from a flagged ticket -------------------------------------

  function flaggedTicket() {
    const ticket = $("#ticket");
    if (!ticket || ticket.hidden) return null;
    const flags = ($("#t-flags") || {}).textContent || "";
    const n = (($("#t-number") || {}).textContent || "").replace(/^RX-/, "");
    return /adverse|ae\b|complaint/i.test(flags) && n ? n : null;
  }

  async function openFromTicket(n) {
    try {
      const c = await api("POST", "/api/v1/tickets/" + n + "/case", {});
      say(c.number + " opened");
      if (isSafety()) {
        show(true);
        renderCase(await api("GET", "/api/v1/cases/" + c.id));
      }
    } catch (e) {
      say("Case: " + e.message);
    }
  }

  function offerCase() {
    const n = flaggedTicket(), head = $("#ticket .ticket-head");
    let b = $("#t-open-case");
    if (!n || !head) {
      if (b) b.remove();
      return;
    }
    if (!b) {
      b = el("button", { id: "t-open-case", type: "button", text: "Open case",
        onclick: () => openFromTicket(flaggedTicket()) });
      head.append(b);
    }
  }

  // --- start -----------------------------------------------------------------

  async function onDesk() {
    if ($("#desk-view").hidden && !$("#cases-view")) return;
    try {
      const s = await api("GET", "/api/v1/session");
      S.roles = [].concat(s.agent.roles || []);
    } catch (e) {
      return;
    }
    if (isSafety()) buildView();
  }

  document.addEventListener("DOMContentLoaded", () => {
    const desk = $("#desk-view");
    if (!desk) return;
    new MutationObserver(() => { if (!desk.hidden && !S.roles.length) onDesk(); })
      .observe(desk, { attributes: true, attributeFilter: ["hidden"] });
    new MutationObserver(offerCase).observe(document.body,
      { subtree: true, childList: true, attributes: true, attributeFilter: ["hidden"] });
    $("#logout").addEventListener("click", () => {
      S.roles = [];
      const v = $("#cases-view");
      if (v) { v.remove(); $("#cases-toggle").remove(); }
    });
  });
})();
