// The supervisor dashboard: queues and agents live (GET /api/v1/queues and
// /api/v1/team, refreshed when an event says something changed, never on a
// timer), and the day's charts from GET /api/v1/stats drawn by uPlot
// (web/vendor/uplot, fetched by scripts/bootstrap: docs/console.md).
import { t, date, span, num, day, current } from "./i18n.js";
import { el, api, $ } from "./dom.js";

const D = { on: false, charts: [], timer: null, statsAt: 0 };
const HOUR = 3600000, DAY = 86400000;
const COLORS = ["#0b5cad", "#137333", "#b3261e", "#8a5a00", "#6a1b9a", "#00838f"];

export function show(state) {
  D.on = true;
  D.state = state;
  refresh(true);
}

// Events that change what the dashboard shows bring a refresh within
// 150 ms (several at once make one).
export function onEvent(ev) {
  if (!D.on || $("#dash-view").hidden) { D.on = false; return; }
  if (!/^(ticket|agent|queue|sla|chat|call)\./.test(ev.type || "")) return;
  clearTimeout(D.timer);
  D.timer = setTimeout(() => refresh(false), 150);
}

async function refresh(all) {
  try {
    const [q, team] = await Promise.all([api("GET", "/api/v1/queues"), api("GET", "/api/v1/team")]);
    drawQueues(q.queues || []);
    drawAgents(q.agents || [], team.items || []);
    // The charts change by the hour: drawn on opening, then at most
    // once a minute.
    if (all || Date.now() - D.statsAt > 60000) await drawCharts();
  } catch (e) {
    $("#dash-note").textContent = e.message;
  }
}

function drawQueues(queues) {
  $("#dash-queues tbody").replaceChildren(...queues.map((q) => el("tr", { "data-queue": q.queue },
    el("td", { text: q.queue }),
    el("td", { class: "waiting num", text: num(q.waiting || 0) }),
    el("td", { class: "num", text: q.oldest_wait_ms ? span(q.oldest_wait_ms) : "—" }),
    el("td", { class: "num" + (q.sla_at_risk ? " risk" : ""), text: num(q.sla_at_risk || 0) }),
    el("td", { class: "num" + (q.sla_breached ? " breached" : ""), text: num(q.sla_breached || 0) }),
    el("td", { text: q.paused ? t("yes") : "" }))));
}

function drawAgents(live, team) {
  const byId = new Map(live.map((a) => [String(a.agent), a]));
  const counts = {};
  const rows = team.map((a) => {
    const r = byId.get(String(a.id)) || {};
    const st = r.state || a.state || "offline";
    const load = r.load || a.load || {};
    counts[st] = (counts[st] || 0) + 1;
    return el("tr", { "data-agent": String(a.id), class: "state-" + st },
      el("td", { text: a.name }),
      el("td", { text: t("state." + st) + (r.since ? " · " + date(r.since, { timeStyle: "short" }) : "") }),
      el("td", { class: "num", text: [load.voice, load.chat, load.mail].map((n) => num(n || 0)).join(" / ") }));
  });
  $("#dash-agents tbody").replaceChildren(...rows);
  $("#dash-states").textContent = Object.entries(counts).map(([s, n]) => t("state." + s) + ": " + num(n)).join(" · ");
}

function midnight() {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

// One chart: X are indices 0..n-1 (hours or days), LABEL(i) names one.
function chart(id, series, label, data, opts) {
  const box = $("#" + id);
  box.replaceChildren();
  if (typeof uPlot !== "function") {
    box.textContent = t("chart.missing");
    return null;
  }
  const n = data[0].length, step = n > 16 ? 3 : n > 8 ? 2 : 1;
  const o = Object.assign({
    width: Math.max(300, box.clientWidth || 520), height: 200,
    scales: { x: { time: false } },
    series: [{ value: (u, v) => (v == null ? "" : label(v)) }, ...series],
    axes: [{ splits: () => data[0].filter((i) => i % step === 0), values: (u, vals) => vals.map(label) }, {}],
    legend: { show: true },
  }, opts || {});
  return new uPlot(o, data, box); // eslint-disable-line no-undef
}

async function drawCharts() {
  const from = midnight();
  const s = await api("GET", "/api/v1/stats?from=" + from + "&days=14");
  D.statsAt = Date.now();
  for (const c of D.charts) if (c) c.destroy();
  const hours = [...Array(s.hours).keys()];
  const hx = (i) => date(from + i * HOUR, { hour: "2-digit", minute: "2-digit" });
  const channels = Object.keys(s.channels).sort();
  const bars = typeof uPlot === "function" ? uPlot.paths.bars({ size: [0.6] }) : undefined; // eslint-disable-line no-undef
  const days = [...Array(s.days).keys()];
  D.charts = [
    chart("chart-channels", channels.map((c, i) => ({ label: t("channel." + c), stroke: COLORS[i % COLORS.length], width: 2 })),
      hx, [hours, ...channels.map((c) => s.channels[c])]),
    chart("chart-frt", [{ label: t("chart.frt.mean"), stroke: COLORS[0], width: 2, spanGaps: true }], hx,
      [hours, s.frt_n.map((n, i) => (n ? Math.round(s.frt_sum_s[i] / n / 6) / 10 : null))]),
    chart("chart-sla", [{ label: t("chart.sla.pct"), stroke: COLORS[1], width: 2, spanGaps: true }], hx,
      [hours, s.sla_met.map((m, i) => (m + s.sla_breached[i] ? Math.round(100 * m / (m + s.sla_breached[i])) : null))],
      { scales: { x: { time: false }, y: { range: [0, 100] } } }),
    chart("chart-flags", [{ label: t("flag.short.ae"), stroke: COLORS[2], fill: "rgba(179,38,30,.3)", paths: bars },
      { label: t("flag.short.complaint"), stroke: COLORS[3], fill: "rgba(138,90,0,.3)", paths: bars }],
      (i) => day(s.since + i * DAY), [days, s.ae, s.complaint]),
  ];
  $("#dash-note").textContent = t("chart.note", { n: num(s.scanned), at: date(s.now) }) +
    (s.truncated ? " " + t("chart.truncated") : "") + " (" + current() + ")";
}
