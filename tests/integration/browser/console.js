// Drive the agent console in Debian's Chromium (playwright-core): sign in,
// see the ticket list, open a ticket with the customer's history, watch a
// new form arrive live, add a note. Prints one JSON line per check:
//   {"ok":true,"name":"..."}  and exits 0; the Python test asserts on them.
// usage: node console.js BASE_URL EMAIL PASSWORD SCREENSHOT_DIR
"use strict";
const { chromium } = require("playwright-core");
const http = require("http");

const [base, email, password, shots] = process.argv.slice(2);
const check = (ok, name, diag) => console.log(JSON.stringify({ ok: !!ok, name, diag }));

function postForm(fields) {
  const body = new URLSearchParams(fields).toString();
  return new Promise((resolve, reject) => {
    const req = http.request(base + "/api/v1/forms/contact", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
    }, (res) => {
      let data = "";
      res.on("data", (c) => (data += c));
      res.on("end", () => resolve(JSON.parse(data)));
    });
    req.on("error", reject);
    req.end(body);
  });
}

(async () => {
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium", headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const errors = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on("pageerror", (e) => errors.push(String(e)));
    // A refused login or probe logs "Failed to load resource" (401): those
    // are answers, not faults. Anything else on the console is.
    page.on("console", (m) => {
      if (m.type() === "error" && !/status of 401/.test(m.text())) errors.push(m.text());
    });
    await page.goto(base + "/");
    await page.waitForSelector("#login-view:not([hidden])", { timeout: 10000 });
    check(true, "the console asks for a sign-in");

    await page.fill("#login input[name=email]", email);
    await page.fill("#login input[name=password]", "wrong password");
    await page.click("#login button[type=submit]");
    await page.waitForFunction(() => document.querySelector("#login-error").textContent.length > 0);
    check(/wrong email or password/i.test(await page.textContent("#login-error")),
      "a wrong password is refused with a clear message");

    await page.fill("#login input[name=password]", password);
    await page.click("#login button[type=submit]");
    await page.waitForSelector("#desk-view:not([hidden])", { timeout: 10000 });
    check((await page.textContent("#who")).length > 0, "signed in: the agent's name shows");
    await page.waitForSelector("#tickets li", { timeout: 10000 });
    const items = await page.$$eval("#tickets li", (lis) => lis.map((li) => li.textContent));
    check(items.some((t) => t.includes("Дозування")), "the ticket list shows the customer's subject", items);
    check(items.some((t) => t.includes("<b>")), "customer HTML is shown as text", items);
    check(await page.$("#tickets b") === null, "customer HTML is never rendered");

    await page.click("#tickets li:has-text('Дозування')");
    await page.waitForSelector("#ticket:not([hidden])");
    await page.waitForFunction(() => document.querySelectorAll("#t-log li").length > 0);
    check((await page.textContent("#t-log")).includes("нирковою"), "the ticket shows the message text");
    await page.waitForFunction(() => document.querySelectorAll("#c-history li").length >= 2, null, { timeout: 10000 });
    check(true, "the customer's earlier contacts show in the history");
    check((await page.textContent("#c-card")).includes("olena"), "the customer card shows the identities");

    await page.waitForFunction(() => document.querySelector("#live").textContent === "live", null, { timeout: 10000 });
    check(true, "the live channel is connected");
    const fresh = await postForm({ name: "Live Caller", email: "live.caller@example.org",
      subject: "Live arrival 新的", message: "Does it show up without a reload?" });
    await page.waitForFunction((n) => document.querySelector("#tickets").textContent.includes(n),
      fresh.ticket, { timeout: 10000 });
    check(true, "a new form appears in the list without a reload");

    await page.fill("#t-reply textarea", "Called the doctor back; waiting for lot number.");
    await page.click("#t-reply button[value=note]");
    await page.waitForFunction(() => document.querySelector("#t-log").textContent.includes("waiting for lot"),
      null, { timeout: 10000 });
    check(true, "an internal note is added and shown");

    await page.selectOption("#t-fields select[name=status]", "pending");
    await page.click("#t-fields button[type=submit]");
    await page.waitForFunction(() => document.querySelector("#tickets").textContent.includes("pending"),
      null, { timeout: 10000 });
    check(true, "the status change is saved and listed");
    await page.waitForFunction(() => document.querySelector("#t-log").textContent.includes("status: open → pending")
      || document.querySelector("#t-log").textContent.includes("status: new → pending"), null, { timeout: 10000 });
    check(true, "the change shows on the ticket's log");
    const hist = await page.$$eval("#c-history li", (lis) => lis.map((li) => li.textContent));
    check(new Set(hist).size === hist.length && hist.length === 2,
      "the history lists each contact once, newest first", hist);
    // Screening explains itself: the words that fired are marked in the
    // text, with the cue and rule, and a person confirms or rejects the flag.
    await page.click("#tickets li:has-text('Rash report')");
    await page.waitForSelector("#t-log mark.hit.ae", { timeout: 10000 });
    const marks = await page.$$eval("#t-log li.in mark.hit.ae", (ms) => ms.map((m) => ({
      text: m.textContent, title: m.title, onlyText: [...m.childNodes].every((n) => n.nodeType === 3) })));
    check(marks.some((m) => /rash/i.test(m.text)), "the word that fired is marked in the message", marks);
    check(marks.every((m) => /cue \w+/.test(m.title) && /rule \S+/.test(m.title)),
      "each mark's tooltip says the cue and the rule", marks);
    check(marks.every((m) => m.onlyText), "marks hold text nodes only, never markup", marks);
    check(await page.$eval("#t-log li.in", (li) => li.textContent.includes("After the second dose my patient developed a severe rash.")),
      "the marked message still reads as the customer wrote it");
    const legend = await page.textContent("#t-log details.screening");
    check(/symptom/.test(legend) && /rash/i.test(legend), "a legend under the message lists the hits", legend);
    const level = await page.textContent("#t-flags .screen-flag[data-flag=ae] .level");
    check(level === "probable" || level === "possible", "the AE level shows beside the flag badge", level);

    await page.click("#t-flags .screen-flag[data-flag=ae] button.reject");
    await page.waitForFunction(() => /reason/i.test(document.querySelector("#t-error").textContent), null, { timeout: 5000 });
    check(true, "rejecting without a reason is refused with a clear message");
    await page.fill("#t-flags .screen-flag[data-flag=ae] input[name=reason]", "asks about known side effects");
    await page.click("#t-flags .screen-flag[data-flag=ae] button.reject");
    await page.waitForSelector("#t-flags .screen-flag[data-flag=ae] .decision.rejected", { timeout: 10000 });
    const rej = await page.textContent("#t-flags .screen-flag[data-flag=ae]");
    check(/ADVERSE EVENT/.test(rej) && /asks about known side effects/.test(rej),
      "a rejected flag stays shown, with the decision and its reason", rej);
    await page.waitForFunction(() => document.querySelector("#t-log").textContent.includes("ae_decision"),
      null, { timeout: 10000 });
    check(true, "the decision shows on the ticket's log");
    await page.click("#t-flags .screen-flag[data-flag=ae] button.confirm");
    await page.waitForSelector("#t-flags .screen-flag[data-flag=ae] .decision.confirmed", { timeout: 10000 });
    check(true, "the flag is confirmed with the Confirm button");
    check(await page.$("#t-flags button.raise[data-flag=complaint]") !== null,
      "a flag the screener did not raise can be reported");
    if (shots) await page.screenshot({ path: shots + "/console.png", fullPage: true });
    check(errors.length === 0, "no script errors in the page", errors);
  } catch (e) {
    check(false, "the walk through the console went through", String(e && e.stack || e));
  } finally {
    await browser.close();
  }
})();
