// Drive web/widget.js on the demo page in Debian's Chromium (playwright-core)
// with an agent on /agent/ws (the npm "ws" package): keyboard-only start,
// ARIA roles, a message with HTML shown as text both ways, a reload that
// resumes without duplicates, the Ukrainian page. One JSON line per check:
//   {"ok":true,"name":"..."}; the Python test asserts on them.
// usage: node widget.js BASE_URL AGENT_TOKEN
"use strict";
const path = require("path");
const { chromium } = require("playwright-core");
const WebSocket = require(path.join(__dirname, "..", "..", "node_modules", "ws"));

const [base, token] = process.argv.slice(2);
const check = (ok, name, diag) => console.log(JSON.stringify({ ok: !!ok, name, diag }));

function agent() {
  const ws = new WebSocket(base.replace(/^http/, "ws") + "/agent/ws?token=" + token);
  const waiters = [], backlog = [];
  ws.on("message", (d) => {
    const m = JSON.parse(String(d));
    if (process.env.WIDGET_DEBUG) console.error("agent <", JSON.stringify(m));
    for (let i = 0; i < waiters.length; i++)
      if (waiters[i].pred(m)) { waiters.splice(i, 1)[0].resolve(m); return; }
    backlog.push(m);
  });
  ws.waitFor = (pred, ms = 10000) => new Promise((resolve, reject) => {
    const i = backlog.findIndex(pred);
    if (i >= 0) return resolve(backlog.splice(i, 1)[0]);
    waiters.push({ pred, resolve });
    setTimeout(() => reject(new Error("agent: timed out")), ms);
  });
  return new Promise((res) => ws.on("open", () => res(ws)));
}

(async () => {
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium", headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const errors = [];
  const ag = await agent();
  try {
    const page = await browser.newPage();
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    page.on("dialog", (d) => { errors.push("a dialog opened: " + d.message()); d.dismiss(); });
    await page.goto(base + "/static/chat-demo.html");
    await page.waitForSelector("#rxdesk-chat-button");
    check((await page.textContent("#rxdesk-chat-button")) === "Chat with us", "English button");
    // keyboard only: Tab to the button, Enter opens, focus moves into the dialog
    for (let i = 0; i < 5; i++) {
      await page.keyboard.press("Tab");
      if (await page.evaluate(() => document.activeElement.id === "rxdesk-chat-button")) break;
    }
    await page.keyboard.press("Enter");
    check(await page.evaluate(() => document.getElementById("rxdesk-chat").style.display !== "none" &&
      document.getElementById("rxdesk-chat").contains(document.activeElement)),
      "Enter on the button opens the dialog and focuses inside it");
    check(await page.evaluate(() => !!document.querySelector('#rxdesk-chat[role=dialog] [role=log][aria-live=polite]') &&
      !!document.querySelector('#rxdesk-chat [role=status]')), "ARIA: dialog, log (live), status");
    await page.keyboard.type("Taras");
    await page.keyboard.press("Tab");
    await page.keyboard.type("taras@example.org");
    await page.keyboard.press("Tab");
    await page.keyboard.type("Dosage");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Space");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await page.waitForSelector("#rxdesk-chat textarea", { timeout: 10000 });
    const assigned = await ag.waitFor((m) => (m.type === "ticket.new" || m.type === "ticket.assigned") && m.channel === "chat");
    const n = assigned.ticket;
    check(n > 0, "the chat reached the agent", assigned);
    const evil = '<img src=x onerror="alert(1)"><script>alert(2)</script>';
    await page.keyboard.type(evil);
    await page.keyboard.press("Enter");
    const got = await ag.waitFor((m) => m.type === "ticket.message" && m.ticket === n && m.direction === "in" && m.text === evil);
    check(got, "the agent gets the customer's text as written");
    await page.waitForFunction(() => !document.querySelector("#rxdesk-chat [aria-busy=true]"), null, { timeout: 10000 });
    check(true, "the widget shows the message as acknowledged");
    ag.send(JSON.stringify({ type: "chat.reply", ticket: n, text: "<b>bold?</b> take it with food", id: "r" }));
    await page.waitForFunction(() => document.querySelector("#rxdesk-chat [role=log]").textContent.includes("take it with food"));
    const html = await page.evaluate(() => document.querySelector("#rxdesk-chat [role=log]").innerHTML);
    check(!/<b>|<img|<script/i.test(html) && html.includes("&lt;img") && html.includes("&lt;b&gt;"),
      "HTML and script shown as text, both ways", html.slice(0, 300));
    await page.reload();
    await page.waitForSelector("#rxdesk-chat-button");
    await page.click("#rxdesk-chat-button");
    await page.waitForFunction(() => document.querySelector("#rxdesk-chat [role=log]").textContent.includes("take it with food"), null, { timeout: 10000 });
    const count = await page.evaluate(() => (document.querySelector("#rxdesk-chat [role=log]").textContent.match(/take it with food/g) || []).length);
    check(count === 1, "after a reload the chat resumes, each message once", count);
    await page.keyboard.press("Escape");
    check(await page.evaluate(() => document.activeElement.id === "rxdesk-chat-button"),
      "Escape closes the dialog and returns focus to the button");
    const uk = await browser.newPage();
    await uk.goto(base + "/static/chat-demo-uk.html");
    await uk.waitForSelector("#rxdesk-chat-button");
    check((await uk.textContent("#rxdesk-chat-button")) === "Напишіть нам", "Ukrainian page: Ukrainian widget");
    check(errors.length === 0, "no page errors and no dialog", errors);
  } catch (e) {
    check(false, "widget run", String(e && e.stack || e));
  } finally {
    ag.close();
    await browser.close();
  }
})();
