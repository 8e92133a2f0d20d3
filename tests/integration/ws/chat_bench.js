// chat_bench.js: the chat benchmark's clients and its ceiling (bench/case_chat.py).
//   node chat_bench.js idle URL N      open N idle WebSockets to URL, print
//                                      {"opened":n,"failed":m}, hold them until stdin closes
//   node chat_bench.js server PORT     a plain node "ws" server that holds
//                                      connections (the ceiling), prints {"listening":PORT}
//   node chat_bench.js relay CHAT_URL AGENTS_JSON CHATS RATE SECONDS WARMUP
//                                      CHATS customers say hello, then send RATE
//                                      messages/s in all for SECONDS, open loop; the
//                                      agents (a JSON list of /agent/ws URLs) echo each
//                                      one with chat.reply; prints the customer ->
//                                      agent -> customer and the ack latencies (ms) of
//                                      the messages sent after WARMUP seconds
//   node chat_bench.js relayserver PORT
//                                      the same relay as a bare node "ws" server (the
//                                      ceiling: nothing stored, acked at once)
"use strict";
const path = require("path");
const WebSocket = require(path.join(__dirname, "..", "..", "node_modules", "ws"));
const [mode, a, b] = process.argv.slice(2);

if (mode === "server") {
  const wss = new WebSocket.Server({ host: "127.0.0.1", port: Number(a), perMessageDeflate: false });
  wss.on("connection", (ws) => ws.on("message", (m) => ws.send(m)));
  wss.on("listening", () => console.log(JSON.stringify({ listening: Number(a) })));
} else if (mode === "relayserver") {
  relayServer(Number(a));
} else if (mode === "relay") {
  relay(a, JSON.parse(b), ...process.argv.slice(5).map(Number));
} else if (mode === "idle") {
  const n = Number(b);
  let opened = 0, failed = 0, started = 0;
  const socks = [];
  function one() {
    if (started >= n) return;
    started++;
    const ws = new WebSocket(a, { perMessageDeflate: false });
    ws.on("open", () => { opened++; done(); one(); });
    ws.on("error", () => { failed++; done(); one(); });
    socks.push(ws);
  }
  function done() {
    if (opened + failed === n) console.log(JSON.stringify({ opened, failed }));
  }
  for (let i = 0; i < 200; i++) one();     // 200 handshakes in flight at once
  process.stdin.on("end", () => process.exit(0));
  process.stdin.resume();
}

// The ceiling: the chat's frames relayed by a plain node server, in memory.
function relayServer(port) {
  const wss = new WebSocket.Server({ host: "127.0.0.1", port, perMessageDeflate: false });
  const agents = [], chats = new Map();
  let next = 0;
  wss.on("connection", (ws, req) => {
    if (req.url.startsWith("/agent")) {
      const id = String(agents.length + 1);
      agents.push({ ws, id });
      ws.send(JSON.stringify({ type: "hello", agent: { id } }));
      ws.on("message", (m) => {
        const f = JSON.parse(m);
        const c = chats.get(f.ticket);
        if (f.type !== "chat.reply" || !c) return;
        c.send(JSON.stringify({ type: "message", from: "agent", text: f.text }));
        ws.send(JSON.stringify({ type: "chat.replied", ticket: f.ticket, ref: f.id }));
      });
      return;
    }
    let ticket = 0, agent = null;
    ws.on("message", (m) => {
      const f = JSON.parse(m);
      if (f.type === "hello") {
        ticket = ++next;
        agent = agents[ticket % agents.length];
        chats.set(ticket, ws);
        ws.send(JSON.stringify({ type: "welcome", ticket: "RX-" + ticket }));
        ws.send(JSON.stringify({ type: "agent_joined", name: "a" + agent.id }));
      } else if (f.type === "message" && agent) {
        ws.send(JSON.stringify({ type: "ack", cid: f.cid, id: String(Date.now()) }));
        agent.ws.send(JSON.stringify({ type: "ticket.message", ticket, direction: "in",
                                       agent: agent.id, text: f.text }));
      }
    });
  });
  wss.on("listening", () => console.log(JSON.stringify({ listening: port })));
}

function pct(a, p) {
  if (!a.length) return null;
  a.sort((x, y) => x - y);
  return a[Math.min(a.length - 1, Math.floor(a.length * p))];
}

function relay(chatUrl, agentUrls, nchats, rate, seconds, warmup) {
  const now = () => Number(process.hrtime.bigint()) / 1e6;
  const sent = new Map(), lat = [], ackLat = [], codes = {};
  let seq = 0, measured = 0, replies = 0, acks = 0, errors = 0, stopAt = 0, joined = 0, t0 = 0;
  const fail = (why) => { console.log(JSON.stringify({ error: why })); process.exit(1); };
  setTimeout(() => fail("setup took over 60 s: " + joined + " of " + nchats + " chats joined"),
             60000).unref();
  let ready = 0;
  for (const url of agentUrls) {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    let me = null;
    ws.on("error", (e) => fail("agent: " + e.message));
    ws.on("message", (m) => {
      const f = JSON.parse(m);
      if (f.type === "hello") {
        me = String(f.agent.id);
        if (++ready === agentUrls.length) customers();
      } else if (f.type === "ticket.message" && f.direction === "in" && f.text &&
                 String(f.agent) === me) {
        ws.send(JSON.stringify({ type: "chat.reply", ticket: f.ticket, text: f.text,
                                 id: f.text }));
      }
    });
  }
  function customers() {
    const socks = [];
    for (let i = 0; i < nchats; i++) {
      const ws = new WebSocket(chatUrl, { perMessageDeflate: false });
      socks.push(ws);
      ws.on("error", (e) => fail("customer: " + e.message));
      ws.on("open", () => ws.send(JSON.stringify({ type: "hello", consent: true,
                                                   name: "bench " + i, topic: "bench" })));
      ws.on("message", (m) => {
        const f = JSON.parse(m), t = now();
        if (f.type === "agent_joined") {
          if (++joined === nchats) start(socks);
        } else if (f.type === "ack") {
          acks++;
          const s = sent.get(f.cid);
          if (s && s.measured) ackLat.push(t - s.t);
        } else if (f.type === "message" && f.from === "agent") {
          const s = sent.get(f.text);
          if (!s) return;
          replies++;
          sent.delete(f.text);
          if (s.measured) lat.push(t - s.t);
        } else if (f.type === "error") {
          errors++;
          codes[f.code] = (codes[f.code] || 0) + 1;
        }
      });
    }
  }
  // Open loop: every chat sends on its own clock, so a slow answer does
  // not slow the offered rate (no coordinated omission).
  function start(socks) {
    const period = (nchats * 1000) / rate;
    t0 = now();
    stopAt = t0 + seconds * 1000;
    socks.forEach((ws, i) => {
      let due = t0 + (period * i) / nchats;
      const tick = () => {
        const t = now();
        while (due <= t && due < stopAt) {
          const id = "m" + ++seq, m = t >= t0 + warmup * 1000;
          sent.set(id, { t: due, measured: m });
          measured += m ? 1 : 0;
          ws.send(JSON.stringify({ type: "message", cid: id, text: id }));
          due += period;
        }
        if (due < stopAt) setTimeout(tick, Math.max(0, due - now()));
        else setTimeout(finish, 5000);
      };
      setTimeout(tick, Math.max(0, due - now()));
    });
  }
  let done = false;
  function finish() {
    if (done) return;
    done = true;
    const secs = (stopAt - t0) / 1000;
    console.log(JSON.stringify({
      sent: seq, measured, replies, acks, errors, codes, lost: lat.length < measured ? measured - lat.length : 0,
      rate: seq / secs, p50_ms: pct(lat, 0.5), p99_ms: pct(lat, 0.99),
      ack_p50_ms: pct(ackLat, 0.5), ack_p99_ms: pct(ackLat, 0.99) }));
    process.exit(0);
  }
}
