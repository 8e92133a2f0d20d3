/*
 * rxdesk chat widget (docs/chat.md). One tag on any page:
 *   <script src="https://desk.example.com/static/widget.js" defer></script>
 * (data-rxdesk="https://desk.example.com" when the script is hosted elsewhere).
 * No dependencies, no network access except to rxdesk. Every text shown is
 * set with textContent: nothing a customer or an agent writes is HTML here.
 * Styles go through the CSSOM (el.style), which a strict CSP allows.
 */
(function () {
  "use strict";
  if (window.rxdeskChat) return;
  var script = document.currentScript;
  var base = (script && script.getAttribute("data-rxdesk")) ||
    (script && script.src ? new URL(script.src).origin : location.origin);
  var wsURL = base.replace(/^http/, "ws") + "/chat/ws";
  var KEY = "rxdesk.chat.";

  var T = {
    en: {
      open: "Chat with us", title: "Chat with rxdesk", close: "Close chat", hide: "Hide",
      name: "Your name", email: "Email", topic: "What is it about?",
      consent: "I accept the privacy notice", start: "Start chat",
      placeholder: "Type a message", send: "Send", you: "You",
      waiting: "You are number {p} in line, about {m} min.",
      joined: "{n} joined the chat.", typing: "The agent is typing…",
      agent_left: "Your agent left; you are back at the head of the line.",
      transfer: "Your chat is being transferred.", ended: "The chat has ended.",
      offer_closed: "We are closed now. Leave us a message and we answer by email.",
      offer_no_agent: "Nobody is free yet. You can leave a message instead.",
      leave: "Leave a message", leave_send: "Send message", left: "Thank you: ticket {t}.",
      transcript: "Email me the transcript", reconnecting: "Reconnecting…",
      error: "Something went wrong: {e}", sending: "sending…", need: "Please accept the privacy notice."
    },
    uk: {
      open: "Напишіть нам", title: "Чат rxdesk", close: "Завершити чат", hide: "Згорнути",
      name: "Ваше ім'я", email: "Електронна пошта", topic: "Про що ваше питання?",
      consent: "Я приймаю повідомлення про конфіденційність", start: "Почати чат",
      placeholder: "Напишіть повідомлення", send: "Надіслати", you: "Ви",
      waiting: "Ви {p}-й у черзі, приблизно {m} хв.",
      joined: "{n} приєднується до чату.", typing: "Оператор друкує…",
      agent_left: "Оператор вийшов; ви знову першим у черзі.",
      transfer: "Ваш чат передають іншому оператору.", ended: "Чат завершено.",
      offer_closed: "Зараз ми не працюємо. Залиште повідомлення, і ми відповімо поштою.",
      offer_no_agent: "Усі оператори зайняті. Можна залишити повідомлення.",
      leave: "Залишити повідомлення", leave_send: "Надіслати повідомлення",
      left: "Дякуємо: звернення {t}.", transcript: "Надіслати мені розмову поштою",
      reconnecting: "Відновлюємо з'єднання…", error: "Помилка: {e}", sending: "надсилається…",
      need: "Будь ласка, прийміть повідомлення про конфіденційність."
    }
  };
  var lang = (document.documentElement.lang || navigator.language || "en").slice(0, 2).toLowerCase();
  var L = T[lang] || T.en;
  function t(k, v) {
    return L[k].replace(/\{(\w)\}/g, function (_, x) { return v && v[x] !== undefined ? String(v[x]) : ""; });
  }

  function el(tag, attrs, style, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    for (var s in style || {}) e.style[s] = style[s];
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function store(k, v) {
    try { if (v === null) localStorage.removeItem(KEY + k); else localStorage.setItem(KEY + k, v); } catch (e) { /* private mode */ }
  }
  function load(k) { try { return localStorage.getItem(KEY + k); } catch (e) { return null; } }

  // --- the DOM ---------------------------------------------------------
  var button = el("button", { type: "button", "aria-haspopup": "dialog", "aria-expanded": "false", id: "rxdesk-chat-button" },
    { position: "fixed", right: "20px", bottom: "20px", zIndex: "2147483000", padding: "12px 18px",
      borderRadius: "24px", border: "none", background: "#0b5cad", color: "#fff", font: "600 15px sans-serif",
      cursor: "pointer" }, L.open);
  var panel = el("div", { role: "dialog", "aria-modal": "false", "aria-labelledby": "rxdesk-chat-title", id: "rxdesk-chat" },
    { position: "fixed", right: "20px", bottom: "76px", width: "340px", maxWidth: "calc(100vw - 40px)",
      height: "480px", maxHeight: "calc(100vh - 100px)", display: "none", flexDirection: "column",
      background: "#fff", color: "#111", border: "1px solid #888", borderRadius: "8px",
      font: "14px sans-serif", zIndex: "2147483000", boxShadow: "0 4px 16px rgba(0,0,0,.25)" });
  var head = el("div", {}, { display: "flex", alignItems: "center", padding: "8px 10px", background: "#0b5cad", color: "#fff", borderRadius: "8px 8px 0 0" });
  var title = el("h2", { id: "rxdesk-chat-title" }, { flex: "1", margin: "0", fontSize: "15px" }, L.title);
  var hideBtn = el("button", { type: "button", "aria-label": L.hide }, { background: "none", border: "none", color: "#fff", fontSize: "18px", cursor: "pointer" }, "×");
  head.appendChild(title); head.appendChild(hideBtn);
  var log = el("div", { role: "log", "aria-live": "polite", "aria-relevant": "additions", tabindex: "0", "aria-label": L.title },
    { flex: "1", overflowY: "auto", padding: "8px" });
  var status = el("div", { role: "status", "aria-live": "polite" }, { padding: "4px 8px", fontSize: "12px", color: "#444", minHeight: "16px" });
  var body = el("div", {}, { padding: "8px", borderTop: "1px solid #ddd" });
  panel.appendChild(head); panel.appendChild(log); panel.appendChild(status); panel.appendChild(body);

  function field(label, type, name, required) {
    var id = "rxdesk-" + name;
    var wrap = el("div", {}, { marginBottom: "6px" });
    var input = el(type === "textarea" ? "textarea" : "input", { id: id, name: name }, { width: "100%", boxSizing: "border-box", font: "inherit" });
    if (type !== "textarea") input.type = type;
    if (required) input.required = true;
    if (type === "checkbox") {
      input.style.width = "auto";
      wrap.appendChild(input);
      wrap.appendChild(el("label", { for: id }, { marginLeft: "6px" }, label));
    } else {
      wrap.appendChild(el("label", { for: id }, { display: "block" }, label));
      wrap.appendChild(input);
    }
    return { wrap: wrap, input: input };
  }
  function submitBtn(text) {
    return el("button", { type: "submit" }, { padding: "6px 12px", background: "#0b5cad", color: "#fff", border: "none", borderRadius: "4px", cursor: "pointer" }, text);
  }

  var pre = el("form", { "aria-label": L.start });
  var fName = field(L.name, "text", "name"), fEmail = field(L.email, "email", "email"),
    fTopic = field(L.topic, "text", "topic"), fConsent = field(L.consent, "checkbox", "consent", true);
  [fName, fEmail, fTopic, fConsent].forEach(function (f) { pre.appendChild(f.wrap); });
  pre.appendChild(submitBtn(L.start));

  var composer = el("form", { "aria-label": L.send }, { display: "flex", gap: "6px" });
  var input = el("textarea", { "aria-label": L.placeholder, placeholder: L.placeholder, rows: "2" }, { flex: "1", font: "inherit", resize: "none" });
  composer.appendChild(input); composer.appendChild(submitBtn(L.send));
  var endRow = el("div", {}, { marginTop: "6px", display: "flex", gap: "6px", alignItems: "center" });
  var wantTranscript = field(L.transcript, "checkbox", "transcript");
  var closeBtn = el("button", { type: "button" }, { marginLeft: "auto" }, L.close);
  endRow.appendChild(wantTranscript.wrap); endRow.appendChild(closeBtn);

  var leave = el("form", { "aria-label": L.leave });
  var lEmail = field(L.email, "email", "leave-email", true), lText = field(L.leave, "textarea", "leave-text", true);
  leave.appendChild(lEmail.wrap); leave.appendChild(lText.wrap); leave.appendChild(submitBtn(L.leave_send));

  function show(node) {
    while (body.firstChild) body.removeChild(body.firstChild);
    if (node === composer) { body.appendChild(composer); body.appendChild(endRow); } else if (node) body.appendChild(node);
  }

  // --- the transcript --------------------------------------------------
  var shown = {};          // message ids (and cids) already on screen
  function line(who, text, id, mine) {
    if (id && shown[id]) return shown[id];
    var p = el("p", {}, { margin: "4px 0", textAlign: mine ? "right" : "left" });
    var w = el("strong", {}, {}, who + ": ");
    var s = el("span", {}, { whiteSpace: "pre-wrap" }, text);   // textContent: never HTML
    p.appendChild(w); p.appendChild(s);
    log.appendChild(p);
    log.scrollTop = log.scrollHeight;
    if (id) shown[id] = p;
    return p;
  }
  function note(text) {
    var p = el("p", {}, { margin: "4px 0", fontStyle: "italic", color: "#444" }, text);
    log.appendChild(p);
    log.scrollTop = log.scrollHeight;
  }

  // --- the socket -------------------------------------------------------
  var ws = null, delay = 500, started = false, ended = false;
  var unacked = JSON.parse(load("unacked") || "[]");     // [{cid, text}]
  // LAST: the newest message id on screen; a fresh page shows nothing yet,
  // so its resume asks for the whole transcript.
  var token = load("token"), last = "";
  var seq = 0;

  function send(o) { if (ws && ws.readyState === 1) ws.send(JSON.stringify(o)); }
  function saveUnacked() { store("unacked", JSON.stringify(unacked)); }

  function connect(first) {
    ws = new WebSocket(wsURL);
    ws.onopen = function () {
      delay = 500;
      status.textContent = "";
      if (token) send({ type: "resume", token: token, after: last });
      else if (first) send(first);
    };
    ws.onmessage = function (ev) {
      var m;
      try { m = JSON.parse(ev.data); } catch (e) { return; }
      on[m.type] && on[m.type](m);
    };
    ws.onclose = function (ev) {
      ws = null;
      if (ended || ev.code === 1000 || ev.code === 4000) return;
      status.textContent = L.reconnecting;
      setTimeout(function () { connect(); }, delay);
      delay = Math.min(delay * 2, 15000);
    };
  }

  var on = {
    welcome: function (m) {
      token = m.token; store("token", token);
      var moveFocus = panel.contains(document.activeElement) || document.activeElement === document.body;
      started = true; show(composer);
      if (moveFocus && panel.style.display !== "none") input.focus();
      if (m.state === "closed") note(L.ended);
      unacked.forEach(function (u) { send({ type: "message", cid: u.cid, text: u.text }); });
    },
    ack: function (m) {
      unacked = unacked.filter(function (u) { return u.cid !== m.cid; }); saveUnacked();
      var p = shown[m.cid];
      if (p) { p.lastChild.removeAttribute("aria-busy"); shown[m.id] = p; }
      if (m.id) last = m.id;
    },
    message: function (m) {
      if (m.from === "customer") line(L.you, m.text, m.cid || m.id, true);
      else { line(m.name || "rxdesk", m.text, m.id, false); status.textContent = ""; }
      if (m.cid) shown[m.id] = shown[m.cid];
      last = m.id;
      send({ type: "read", id: m.id });
    },
    typing: function () { status.textContent = L.typing; setTimeout(function () { if (status.textContent === L.typing) status.textContent = ""; }, 4000); },
    agent_joined: function (m) { note(t("joined", { n: m.name })); status.textContent = ""; },
    queue: function (m) { status.textContent = t("waiting", { p: m.position, m: Math.max(1, Math.round(m.estimate_s / 60)) }); },
    transfer: function (m) { note(m.reason === "agent_left" ? L.agent_left : L.transfer); },
    offer_message: function (m) {
      note(m.reason === "closed" ? L.offer_closed : L.offer_no_agent);
      lEmail.input.value = fEmail.input.value;
      if (m.reason === "closed") show(leave); else body.appendChild(leave);
    },
    left: function (m) { note(t("left", { t: m.ticket })); end(); },
    close: function () { note(L.ended); end(); },
    error: function (m) {
      if (m.code === "unknown_token") { token = null; store("token", null); show(pre); return; }
      if (m.code === "unavailable" || m.code === "rate_limited") {
        setTimeout(function () { unacked.forEach(function (u) { if (u.cid === m.cid) send({ type: "message", cid: u.cid, text: u.text }); }); }, 2000);
        return;
      }
      status.textContent = t("error", { e: m.message || m.code });
    }
  };

  function end() {
    ended = true;
    store("token", null); store("unacked", null);
    token = null; show(null);
  }

  // --- the controls -----------------------------------------------------
  function toggle(open) {
    panel.style.display = open ? "flex" : "none";
    button.setAttribute("aria-expanded", String(open));
    if (!open) { button.focus(); return; }
    if (!ws && !ended && token) connect();
    (started ? input : body.querySelector("input,textarea,button") || log).focus();
  }
  button.addEventListener("click", function () { toggle(panel.style.display === "none"); });
  hideBtn.addEventListener("click", function () { toggle(false); });
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") toggle(false); });
  pre.addEventListener("submit", function (e) {
    e.preventDefault();
    if (!fConsent.input.checked) { status.textContent = L.need; fConsent.input.focus(); return; }
    var h = { type: "hello", consent: true, language: lang };
    if (fName.input.value) h.name = fName.input.value;
    if (fEmail.input.value) h.email = fEmail.input.value;
    if (fTopic.input.value) h.topic = fTopic.input.value;
    ended = false;
    if (ws && ws.readyState === 1) send(h); else connect(h);
  });
  composer.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    var cid = Date.now().toString(36) + "-" + (++seq);
    unacked.push({ cid: cid, text: text }); saveUnacked();
    line(L.you, text, cid, true).lastChild.setAttribute("aria-busy", "true");
    send({ type: "message", cid: cid, text: text });
    input.value = "";
    input.focus();
  });
  var lastTyping = 0;
  input.addEventListener("input", function () {
    if (Date.now() - lastTyping > 1500) { lastTyping = Date.now(); send({ type: "typing" }); }
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); composer.requestSubmit(); }
  });
  leave.addEventListener("submit", function (e) {
    e.preventDefault();
    var m = { type: "leave", email: lEmail.input.value, text: lText.input.value, cid: "leave-" + Date.now().toString(36) };
    if (fName.input.value) m.name = fName.input.value;
    if (ws && ws.readyState === 1) send(m); else connect(m);
  });
  closeBtn.addEventListener("click", function () {
    send({ type: "close", transcript: wantTranscript.input.checked });
  });

  function mount() {
    document.body.appendChild(button);
    document.body.appendChild(panel);
    show(token ? null : pre);
    if (token) connect();
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
  window.rxdeskChat = { open: function () { toggle(true); } };
})();
