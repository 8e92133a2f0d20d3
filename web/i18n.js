// UI strings per language (web/i18n/<lang>.json), dates and numbers in the
// user's locale. English is the fallback for a key another file lacks; a key
// no file has shows as itself, so a missing string is visible, never blank.
// The choice is remembered per agent (localStorage "rxdesk.lang.<agent id>").

export const LANGS = { en: "English", uk: "Українська" };
const strings = {};
let lang = "en";

async function load(l) {
  if (strings[l]) return;
  const r = await fetch("/static/i18n/" + l + ".json", { credentials: "same-origin" });
  strings[l] = r.ok ? await r.json() : {};
}

export const current = () => lang;

// The language before anyone signed in: the last one used here, else the
// browser's, else English.
export function guess() {
  const last = localStorage.getItem("rxdesk.lang");
  if (LANGS[last]) return last;
  const nav = (navigator.language || "en").slice(0, 2);
  return LANGS[nav] ? nav : "en";
}

export function remembered(agentId) {
  const l = localStorage.getItem("rxdesk.lang." + agentId);
  return LANGS[l] ? l : null;
}

export async function setLang(l, agentId) {
  if (!LANGS[l]) l = "en";
  await Promise.all([load("en"), load(l)]);
  lang = l;
  localStorage.setItem("rxdesk.lang", l);
  if (agentId) localStorage.setItem("rxdesk.lang." + agentId, l);
  document.documentElement.lang = l;
  translate(document);
}

// t("ticket.saved", {n: "RX-4"}) -> "RX-4 saved"
export function t(key, vars) {
  let s = (strings[lang] && strings[lang][key]) ?? (strings.en && strings.en[key]) ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] === undefined ? m : String(vars[k])));
  return s;
}

// Elements that carry data-i18n (text), data-i18n-placeholder, -title,
// -aria-label take their strings from the file.
export function translate(root) {
  for (const e of root.querySelectorAll("[data-i18n]")) e.textContent = t(e.dataset.i18n);
  for (const a of ["placeholder", "title", "aria-label"])
    for (const e of root.querySelectorAll("[data-i18n-" + a + "]"))
      e.setAttribute(a, t(e.getAttribute("data-i18n-" + a)));
}

const locale = () => (lang === "uk" ? "uk-UA" : "en-GB");

export function date(ms, opts) {
  if (!ms) return "";
  return new Intl.DateTimeFormat(locale(), opts || { dateStyle: "medium", timeStyle: "short" })
    .format(new Date(Number(ms)));
}

export const time = (ms) => date(ms, { timeStyle: "short" });
export const day = (ms) => date(ms, { day: "numeric", month: "short" });
export const num = (n, opts) => new Intl.NumberFormat(locale(), opts).format(n);

// A span of time in words: "3 h 12 min", "45 s".
export function span(ms) {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 60) return t("dur.s", { n: num(s) });
  const m = Math.floor(s / 60);
  if (m < 60) return t("dur.m", { n: num(m) });
  const h = Math.floor(m / 60);
  if (h < 48) return t("dur.hm", { h: num(h), m: num(m % 60) });
  return t("dur.d", { n: num(Math.floor(h / 24)) });
}
