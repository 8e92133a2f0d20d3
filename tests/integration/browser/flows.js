// Whole flows through the console (issue 17) in Debian's Chromium with
// playwright-core, one per run:
//   chat   a customer on the widget's demo page (web/chat-demo.html) and an
//          agent in the desk's chat tabs talk both ways, then the agent ends it
//   voice  a Twilio webhook, signed by Twilio's own helper library (npm
//          "twilio"), rings the agent: the screen pop with the caller's card
//   safety a safety officer opens a case from a flagged ticket and exports
//          its E2B (R3) XML from the case editor
//   collide two agents in two browser contexts, on two nodes, open the same
//          ticket: each sees that the other is viewing, then replying
// One JSON line per check ({"ok":..,"name":..}); a screenshot per flow in SHOTS.
// usage: node flows.js MODE BASE_URL SHOTS [MODE's arguments]
"use strict";
const fs = require("fs");
const path = require("path");
const { chromium } = require("playwright-core");

const [mode, base, shots, ...rest] = process.argv.slice(2);
const check = (ok, name, diag) => console.log(JSON.stringify({ ok: !!ok, name, diag }));
const shot = (page, name) => page.screenshot({ path: shots + "/" + name + ".png", fullPage: true });

function watch(page, errors) {
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error" && !/status of (401|404|409|422)/.test(m.text())) errors.push(m.text()); });
  page.on("dialog", (d) => { errors.push("dialog: " + d.message()); d.dismiss(); });
}

async function signIn(page, at, email, password) {
  await page.goto(at + "/");
  await page.waitForSelector("#login-view:not([hidden])", { timeout: 10000 });
  await page.fill("#login input[name=email]", email);
  await page.fill("#login input[name=password]", password);
  await page.click("#login button[type=submit]");
  await page.waitForSelector("#desk-view:not([hidden])", { timeout: 10000 });
  await page.waitForFunction(() => document.querySelector("#live").textContent === "live", null, { timeout: 10000 });
}

async function available(page) {
  await page.selectOption("#presence", "available");
  await page.waitForFunction(() => document.querySelector("#presence").value === "available", null, { timeout: 10000 });
}

const logText = (page) => page.evaluate(() => document.querySelector("#rxdesk-chat [role=log]").textContent);

async function chat(browser, errors) {
  const [email, password] = rest;
  const desk = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  watch(desk, errors);
  await signIn(desk, base, email, password);
  await available(desk);
  const cust = await (await browser.newContext({ viewport: { width: 420, height: 760 } })).newPage();
  watch(cust, errors);
  await cust.goto(base + "/static/chat-demo.html");
  await cust.click("#rxdesk-chat-button");
  await cust.keyboard.type("Halyna Chat");
  await cust.keyboard.press("Tab");
  await cust.keyboard.type("halyna.chat@example.org");
  await cust.keyboard.press("Tab");
  await cust.keyboard.type("Dosage");
  await cust.keyboard.press("Tab");
  await cust.keyboard.press("Space");
  await cust.keyboard.press("Tab");
  await cust.keyboard.press("Enter");
  await cust.waitForSelector("#rxdesk-chat textarea", { timeout: 10000 });
  await cust.keyboard.type("How much syrup for a 6-year-old?");
  await cust.keyboard.press("Enter");
  // the chat is routed to the only available agent: a tab on the desk
  const tab = await desk.waitForSelector("#chat-tabs button[role=tab]", { timeout: 15000 }).catch(() => null);
  check(tab !== null, "the chat arrives on the desk as a tab", tab ? null : {
    tickets: await desk.textContent("#tickets"), widget: await logText(cust) });
  if (!tab) return;
  // the tab bar is drawn again on every event: click through a locator,
  // which finds the tab anew, not the element first seen
  await desk.locator("#chat-tabs button[role=tab]").first().click();
  await desk.waitForFunction(() => document.querySelector("#ticket").textContent.includes("for a 6-year-old"),
    null, { timeout: 10000 });
  check(!(await desk.$("#t-chat[hidden]")), "the open chat shows its bar (transfer, end)");
  await cust.waitForTimeout(3200);	// the widget says "typing" at most every 3 s
  await cust.keyboard.type("He weighs 20 kg");
  const typing = await desk.waitForFunction(() => document.querySelector("#t-typing").textContent !== "",
    null, { timeout: 10000 }).then(() => true, () => false);
  check(typing, "the agent sees the customer typing");
  await cust.keyboard.press("Enter");
  await desk.waitForFunction(() => document.querySelector("#ticket").textContent.includes("He weighs 20 kg"),
    null, { timeout: 10000 });
  check(true, "the customer's next message appears in the open chat live");
  await desk.fill("#t-text", "5 ml twice a day, after meals.");
  await desk.click("#t-reply button[value=reply]");
  await cust.waitForFunction(() => document.querySelector("#rxdesk-chat [role=log]").textContent.includes("5 ml twice a day"),
    null, { timeout: 10000 });
  check(true, "the agent's reply from the desk reaches the widget");
  await cust.keyboard.type("Thank you!");
  await cust.keyboard.press("Enter");
  await desk.waitForFunction(() => document.querySelector("#ticket").textContent.includes("Thank you!"),
    null, { timeout: 10000 });
  await shot(desk, "chat-desk");
  await shot(cust, "chat-widget");
  const before = await logText(cust);
  await desk.click("#t-chat-close");
  await desk.waitForSelector("#t-chat[hidden]", { state: "attached", timeout: 10000 });
  check(true, "the agent ends the chat: the bar goes");
  const ended = await cust.waitForFunction((b) => document.querySelector("#rxdesk-chat [role=log]").textContent !== b ||
    !document.querySelector("#rxdesk-chat textarea") || document.querySelector("#rxdesk-chat textarea").disabled,
  before, { timeout: 10000 }).then(() => true, () => false);
  check(ended, "the widget shows that the agent ended the chat", await logText(cust));
  check(!(await desk.$("#chat-tabs button[role=tab]")), "and the desk drops its tab");
  await shot(cust, "chat-widget-ended");
}

async function voice(browser, errors) {
  const [email, password, token] = rest;
  const twilio = require(path.join(__dirname, "..", "..", "node_modules", "twilio"));
  const desk = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  watch(desk, errors);
  await signIn(desk, base, email, password);
  await available(desk);
  const url = base + "/api/v1/voice/twilio";
  const params = { AccountSid: "AC" + "0".repeat(32), ApiVersion: "2010-04-01", CallSid: "CA" + "b".repeat(32),
    CallStatus: "ringing", Called: "+3804400000", Caller: "+380441234567", Direction: "inbound",
    From: "+380441234567", To: "+3804400000", FromCountry: "UA" };
  const t0 = Date.now();
  const r = await fetch(url, { method: "POST", body: new URLSearchParams(params),
    headers: { "X-Twilio-Signature": twilio.getExpectedTwilioSignature(token, url, params) } });
  const twiml = await r.text();
  check(r.status === 200 && /<Dial/.test(twiml), "the signed webhook is answered with TwiML that dials", twiml);
  await desk.waitForSelector("#callpop:not([hidden])", { timeout: 5000 });
  const ms = Date.now() - t0;
  const who = await desk.textContent("#cp-who");
  const hist = await desk.textContent("#cp-history");
  check(/Olena Koval/.test(who) && (await desk.textContent("#cp-from")).includes("+380441234567"),
    "the screen pop shows the caller's number and card", who);
  check(/Please call me/.test(hist) || /form/.test(hist), "and their recent history", hist);
  check(ms < 3000, "at once", { ms });
  await shot(desk, "voice-pop");
  await desk.click("#cp-open");
  await desk.waitForSelector("#callpop[hidden]", { state: "attached", timeout: 5000 });
  await desk.waitForFunction(() => /voice|call|☎/i.test(document.querySelector("#ticket").textContent), null, { timeout: 10000 });
  check(true, "Open ticket shows the call's ticket");
}

async function safety(browser, errors) {
  const [email, password] = rest;
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
  const page = await ctx.newPage();
  watch(page, errors);
  await signIn(page, base, email, password);
  await page.click("#tickets li:has-text('Rash after Cardiolex')");
  await page.waitForSelector("#t-open-case", { timeout: 10000 });
  await page.click("#t-open-case");
  await page.waitForSelector("#case:not([hidden]) #case-validity", { timeout: 10000 });
  check(true, "the safety officer opens a case from the flagged ticket");
  await page.fill("#case-form input[name=initials]", "MK");
  await page.fill("#case-form input[name=age]", "54");
  await page.selectOption("#case-form select[name=sex]", "F");
  await page.fill("#case-form input[name=product]", "Cardiolex");
  await page.fill("#case-form input[name=reaction]", "Rash");
  await page.click("#case-form button[type=submit]");
  await page.waitForFunction(() => document.querySelector("#case-status").textContent === "valid", null, { timeout: 10000 });
  check(true, "completed in the editor: valid");
  const [dl] = await Promise.all([page.waitForEvent("download", { timeout: 10000 }), page.click("#case-e2b")]);
  const file = path.join(shots, "case-e2b.xml");
  await dl.saveAs(file);
  const xml = fs.readFileSync(file, "utf8");
  check(/^<\?xml/.test(xml) && /MCCI_IN200100UV01|PORR_IN049016UV/.test(xml) && xml.includes("Cardiolex"),
    "the E2B (R3) export downloads from the case editor", { name: dl.suggestedFilename(), head: xml.slice(0, 200) });
  check(/\.xml$/.test(dl.suggestedFilename()), "as an .xml file", dl.suggestedFilename());
  await shot(page, "safety-e2b");
}

async function collide(browser, errors) {
  const [base2, ticket, e1, p1, e2, p2] = rest;
  const a = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  const b = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  watch(a, errors);
  watch(b, errors);
  await signIn(a, base, e1, p1);
  await signIn(b, base2, e2, p2);
  const open = async (p) => {
    await p.click("#tickets li[data-id='" + ticket + "']");
    await p.waitForFunction((n) => document.querySelector("#ticket").textContent.includes("RX-" + n), ticket, { timeout: 10000 });
  };
  await open(a);
  await open(b);
  const sees = (p, re) => p.waitForFunction((s) => { const c = document.querySelector("#collision");
    return c && !c.hidden && new RegExp(s).test(c.textContent); }, re, { timeout: 10000 }).then(() => true, () => false);
  check(await sees(b, "Anna Node-A is viewing"), "the agent on node B sees that the one on node A has it open",
    await b.textContent("#collision"));
  check(await sees(a, "Bohdan Node-B is viewing"), "and the one on node A sees the one who came later");
  await a.fill("#t-text", "Drafting an answer");
  await a.dispatchEvent("#t-text", "input");
  check(await sees(b, "Anna Node-A is replying"), "typing a reply on node A shows as replying on node B",
    await b.textContent("#collision"));
  await shot(b, "collision");
  await a.close();
  const gone = await b.waitForFunction(() => document.querySelector("#collision").hidden, null, { timeout: 10000 })
    .then(() => true, () => false);
  check(gone, "the notice goes when the other closes the page");
}

(async () => {
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium", headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const errors = [];
  try {
    await { chat, voice, safety, collide }[mode](browser, errors);
    check(errors.length === 0, mode + ": no script errors in the pages", errors);
  } catch (e) {
    check(false, mode + ": the walk went through", String(e && e.stack || e));
  } finally {
    await browser.close();
  }
})();
