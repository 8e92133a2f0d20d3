// The console an operator works in (issue 17), in Debian's Chromium through
// playwright-core: sign-in shows only the sign-in form; a supervisor's
// dashboard counts a new ticket in its queue within a second; the public
// form works without JavaScript (303 to the thanks page) and shows field
// errors accessibly with it; an agent sets presence, gets a form posted from
// a second browser context live, replies (the Python side checks that the
// reply leaves through mail-out); customer HTML and script show as text and
// run nothing; Ukrainian is complete and remembered per agent. Each step
// saves a screenshot under SHOTS. One JSON line per check.
// usage: node desk.js BASE_URL SHOTS
"use strict";
const { chromium } = require("playwright-core");

const [base, shots] = process.argv.slice(2);
const check = (ok, name, diag) => console.log(JSON.stringify({ ok: !!ok, name, diag }));
const shot = (page, name) => page.screenshot({ path: shots + "/" + name + ".png", fullPage: true });
const EVIL = "<img src=x onerror=\"window.__pwned=1\"><script>window.__pwned=2</script>";

async function signIn(page, email, password) {
  await page.goto(base + "/");
  await page.waitForSelector("#login-view:not([hidden])", { timeout: 10000 });
  await page.fill("#login input[name=email]", email);
  await page.fill("#login input[name=password]", password);
  await page.click("#login button[type=submit]");
  await page.waitForSelector("#desk-view:not([hidden])", { timeout: 10000 });
  await page.waitForFunction(() => document.querySelector("#live").textContent === "live", null, { timeout: 10000 });
}

function watch(page, errors) {
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error" && !/status of (401|422)/.test(m.text())) errors.push(m.text()); });
  page.on("dialog", (d) => { errors.push("dialog: " + d.message()); d.dismiss(); });
}

(async () => {
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium", headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const errors = [];
  try {
    // 1. The sign-in page shows the form and nothing of the desk.
    const agentCtx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await agentCtx.newPage();
    watch(page, errors);
    await page.goto(base + "/");
    await page.waitForSelector("#login-view:not([hidden])", { timeout: 10000 });
    const seen = await page.evaluate(() => ["#desk-view", "#tickets", "#ticket", "#customer", "#dash-view", "#logout", "#presence"]
      .filter((s) => { const e = document.querySelector(s); return e && e.getClientRects().length > 0; }));
    check(seen.length === 0, "the sign-in page shows only the sign-in form", seen);
    await shot(page, "signin");

    // 2. The supervisor's dashboard counts a new ticket within a second.
    const supCtx = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const sup = await supCtx.newPage();
    watch(sup, errors);
    await signIn(sup, "maria@example.com", "supervisor pass 1");
    await sup.click("#view-dash");
    await sup.waitForSelector("#chart-channels canvas", { timeout: 10000 });
    check(true, "the dashboard draws its charts with uPlot (canvas)");
    const waiting = () => { const c = document.querySelector("#dash-queues tr[data-queue=general] .waiting"); return c ? Number(c.textContent) : 0; };
    const before = await sup.evaluate(waiting);
    const pub = await (await browser.newContext()).newPage();
    watch(pub, errors);
    await pub.goto(base + "/static/forms/contact.html");
    await pub.fill("#f-name", "Taras Live");
    await pub.fill("#f-email", "taras.live@example.org");
    await pub.fill("#f-subject", "Dosage for a child " + EVIL);
    await pub.fill("#f-message", "How much for a 6-year-old? " + EVIL);
    const t0 = Date.now();
    await pub.click("button[type=submit]");
    await sup.waitForFunction((b) => {
      const c = document.querySelector("#dash-queues tr[data-queue=general] .waiting");
      return c && Number(c.textContent) > b;
    }, before, { timeout: 5000 });
    const took = Date.now() - t0;
    check(took < 1000, "the dashboard shows the new ticket in its queue figures within a second", { ms: took });
    await shot(sup, "dashboard");
    await pub.waitForURL(/\/thanks\.html\?ticket=RX-\d+/, { timeout: 10000 });
    const num = await pub.textContent("#ticket");
    check(/^RX-\d+$/.test(num), "the form (with JavaScript) lands on the thanks page with the number", num);
    await shot(pub, "form-thanks");

    // 3. The form without JavaScript: browser checks, then a 303.
    const nojs = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
    await nojs.goto(base + "/static/forms/ae-report.html");
    const labelled = await nojs.evaluate(() => [...document.querySelectorAll("input:not([type=hidden]):not([name=website]), textarea, select")]
      .filter((e) => !(e.labels && e.labels.length)).map((e) => e.name));
    check(labelled.length === 0, "every field of the public form has a label", labelled);
    await nojs.fill("#f-name", "Dr No Script");
    await nojs.fill("#f-email", "noscript@example.org");
    await nojs.fill("#f-product", "Cardiolex");
    await nojs.fill("#f-reaction", "Dizziness after the first tablet");
    await nojs.click("button[type=submit]");
    await nojs.waitForURL(/\/thanks\.html\?ticket=RX-\d+/, { timeout: 10000 });
    check(true, "the form works without JavaScript (303 to the thanks page)");
    await shot(nojs, "form-nojs");
    const bad = await (await browser.newContext()).newPage();
    await bad.goto(base + "/static/forms/contact.html");
    await bad.fill("#f-name", "No Contact");
    await bad.fill("#f-message", "I left out how to reach me");
    await bad.click("button[type=submit]");
    await bad.waitForSelector("#f-email[aria-invalid=true]", { timeout: 10000 });
    const err = await bad.evaluate(() => ({ text: document.getElementById("f-email-err").textContent,
      tied: document.getElementById("f-email").getAttribute("aria-describedby").includes("f-email-err") }));
    check(err.text.length > 0 && err.tied, "a field error shows beside its field, tied to it for screen readers", err);
    await shot(bad, "form-error");

    // 4. The agent: presence, the live form, customer text as text, reply.
    await signIn(page, "olena@example.com", "agent pass 1");
    await page.selectOption("#presence", "available");
    await page.waitForFunction(() => document.querySelector("#presence").value === "available", null, { timeout: 10000 });
    check(true, "the agent sets presence in the header");
    const second = await (await browser.newContext()).newPage();
    await second.goto(base + "/static/forms/medinfo.html");
    await second.fill("#f-name", "Ivanna Live");
    await second.fill("#f-email", "ivanna.live@example.org");
    await second.fill("#f-subject", "Live from a second browser");
    await second.fill("#f-message", "Is it safe with grapefruit juice?");
    await second.click("button[type=submit]");
    await second.waitForURL(/thanks/, { timeout: 10000 });
    const n = (await second.textContent("#ticket")).replace("RX-", "");
    await page.waitForSelector("#tickets li[data-id='" + n + "']", { timeout: 10000 });
    check(true, "a form posted from a second browser context appears live");
    await page.click("#tickets li[data-id='" + n + "']");
    await page.waitForFunction(() => document.querySelector("#t-log").textContent.includes("grapefruit"), null, { timeout: 10000 });
    const via = await page.textContent("#t-via");
    check(/web form/.test(via), "the reply box says which channel the reply goes through", via);
    await page.fill("#t-text", "It is not: avoid grapefruit juice with it.");
    await page.click("#t-reply button[value=reply]");
    await page.waitForFunction(() => document.querySelector("#t-log li.out") !== null, null, { timeout: 10000 });
    const who = await page.textContent("#t-log li.out .who");
    check(who.includes("Olena") && !/a:\d/.test(who), "the reply shows its author by name", who);
    console.log(JSON.stringify({ reply_ticket: Number(n) }));
    await shot(page, "desk-reply");

    const evilLi = await page.$("#tickets li:has-text('Dosage for a child')");
    await evilLi.click();
    await page.waitForFunction(() => document.querySelector("#t-log").textContent.includes("6-year-old"), null, { timeout: 10000 });
    const xss = await page.evaluate(() => ({ pwned: window.__pwned || 0, imgs: document.querySelectorAll("#t-log img:not(.inline-img), #tickets img").length,
      scripts: document.querySelectorAll("#t-log script, #tickets script").length,
      shown: document.querySelector("#t-log").textContent.includes("<script>") }));
    check(xss.pwned === 0 && xss.imgs === 0 && xss.scripts === 0 && xss.shown,
      "<img onerror> and <script> in customer text show as text and run nothing", xss);
    await shot(page, "desk-xss");

    // 5. Shortcuts: ? opens the help.
    await page.click("body");
    await page.keyboard.press("?");
    check(await page.isVisible("#help"), "? shows the keyboard shortcuts");
    await page.keyboard.press("Escape");

    // 6. Ukrainian, remembered per agent across a reload.
    await page.selectOption("#lang", "uk");
    await page.waitForFunction(() => document.documentElement.lang === "uk", null, { timeout: 5000 });
    const uk = await page.evaluate(() => [document.querySelector("#t-reply button[value=reply]").textContent,
      document.querySelector("#list-tabs button[data-list=mine]").textContent]);
    check(uk[0] === "Надіслати відповідь" && uk[1] === "Мої", "the console switches to Ukrainian", uk);
    await page.reload();
    await page.waitForSelector("#desk-view:not([hidden])", { timeout: 10000 });
    await page.waitForFunction(() => document.documentElement.lang === "uk", null, { timeout: 5000 });
    check(await page.textContent("#logout") === "Вийти", "the language is remembered for the agent");
    await shot(page, "desk-uk");
    check(errors.length === 0, "no script errors in the pages", errors);
  } catch (e) {
    check(false, "the walk through the console went through", String(e && e.stack || e));
  } finally {
    await browser.close();
  }
})();
