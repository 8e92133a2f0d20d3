// Drive the safety desk in the console (Chromium, playwright-core): a
// safety officer sees the cases with validity, Day 0 and due dates, opens a
// case from a flagged ticket with one click, completes it in the editor and
// sees it become valid. Prints one JSON line per check, as console.js.
// usage: node safety.js BASE_URL EMAIL PASSWORD SCREENSHOT_DIR
"use strict";
const { chromium } = require("playwright-core");

const [base, email, password, shots] = process.argv.slice(2);
const check = (ok, name, diag) => console.log(JSON.stringify({ ok: !!ok, name, diag }));

(async () => {
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium", headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const errors = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("console", (m) => {
      if (m.type() === "error" && !/status of 40[19]/.test(m.text())) errors.push(m.text());
    });
    page.on("dialog", (d) => { errors.push("a dialog opened: " + d.message()); d.dismiss(); });
    await page.goto(base + "/");
    await page.waitForSelector("#login-view:not([hidden])", { timeout: 10000 });
    await page.fill("#login input[name=email]", email);
    await page.fill("#login input[name=password]", password);
    await page.click("#login button[type=submit]");
    await page.waitForSelector("#desk-view:not([hidden])", { timeout: 10000 });
    await page.waitForSelector("#cases-toggle", { timeout: 10000 });
    check(true, "a safety officer gets the Cases view");

    await page.click("#cases-toggle");
    await page.waitForSelector("#cases tbody tr", { timeout: 15000 });
    const rows = await page.$$eval("#cases tbody tr", (trs) => trs.map((tr) =>
      [...tr.children].map((td) => td.textContent)));
    check(rows.some((r) => /^CASE-\d+$/.test(r[0]) && r[1] === "valid" && r[2] === "complete" &&
      r[3] !== "—" && r[4] !== "—" && /default-other-90/.test(r[5])),
      "the ae-report's case is listed: valid, Day 0, due date and rule", rows);

    // back to the desk: open the flagged mail ticket, then its case
    await page.click("#cases-toggle");
    await page.waitForSelector("#tickets li", { timeout: 10000 });
    await page.click("#tickets li:has-text('Rash after Cardiolex')");
    await page.waitForSelector("#t-open-case", { timeout: 10000 });
    check(true, "a flagged ticket offers 'Open case'");
    await page.click("#t-open-case");
    await page.waitForSelector("#case:not([hidden]) #case-validity", { timeout: 10000 });
    const validity = await page.textContent("#case-validity");
    check(/Missing for a valid report: patient, product, reaction/.test(validity),
      "the new case says what is missing", validity);
    check((await page.textContent("#case-day0")) === "—", "no Day 0 before the case is valid");
    const narrative = await page.$eval("#case-form textarea[name=narrative]", (t) => t.value);
    check(narrative.includes("<img src=x onerror=alert(1)>") &&
      (await page.$("#case img")) === null, "customer text stays text in the editor", narrative);

    await page.fill("#case-form input[name=initials]", "TK");
    await page.fill("#case-form input[name=age]", "61");
    await page.selectOption("#case-form select[name=sex]", "M");
    await page.fill("#case-form input[name=product]", "Cardiolex");
    await page.fill("#case-form input[name=lot]", "A123");
    await page.fill("#case-form input[name=reaction]", "Dizziness");
    await page.check("#case-form input[name=s_hospitalisation]");
    await page.click("#case-form button[type=submit]");
    await page.waitForFunction(() => document.querySelector("#case-status") &&
      document.querySelector("#case-status").textContent === "valid", null, { timeout: 10000 });
    check(/Valid/.test(await page.textContent("#case-validity")), "completed in the editor: valid");
    check((await page.textContent("#case-day0")) !== "—" &&
      /serious-15/.test(await page.textContent("#case-due")),
      "Day 0 and the serious deadline show", await page.textContent("#case-due"));
    await page.selectOption("#case-form select[name=status]", "forwarded");
    await page.fill("#case-form input[name=reason]", "sent to the authority");
    await page.click("#case-form button[type=submit]");
    await page.waitForFunction(() => document.querySelector("#case-status").textContent === "forwarded",
      null, { timeout: 10000 });
    check(true, "the case is forwarded with a reason");
    // the ae-report's case and this one are the same patient, product and
    // reaction: the editor proposes the other as a possible duplicate
    await page.click("#cases-toggle");
    await page.click("#cases-toggle");
    await page.waitForSelector("#cases tbody tr", { timeout: 10000 });
    const newest = await page.$eval("#cases tbody tr", (tr) => tr.getAttribute("data-id"));
    await page.click("#cases tbody tr[data-id='" + newest + "']");
    const dup = await page.waitForSelector("#case-duplicates button.link-dup", { timeout: 10000 })
      .catch(() => null);
    check(dup !== null, "a possible duplicate is proposed in the editor");
    if (shots) await page.screenshot({ path: shots + "/safety.png", fullPage: true });
    check(errors.length === 0, "no script errors in the page", errors);
  } catch (e) {
    check(false, "the walk through the safety desk went through", String(e && e.stack || e));
  } finally {
    await browser.close();
  }
})();
