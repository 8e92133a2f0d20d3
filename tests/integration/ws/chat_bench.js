// chat_bench.js: the chat benchmark's clients and its ceiling (bench/case_chat.py).
//   node chat_bench.js idle URL N      open N idle WebSockets to URL, print
//                                      {"opened":n,"failed":m}, hold them until stdin closes
//   node chat_bench.js server PORT     a plain node "ws" server that holds
//                                      connections (the ceiling), prints {"listening":PORT}
"use strict";
const path = require("path");
const WebSocket = require(path.join(__dirname, "..", "..", "node_modules", "ws"));
const [mode, a, b] = process.argv.slice(2);

if (mode === "server") {
  const wss = new WebSocket.Server({ host: "127.0.0.1", port: Number(a), perMessageDeflate: false });
  wss.on("connection", (ws) => ws.on("message", (m) => ws.send(m)));
  wss.on("listening", () => console.log(JSON.stringify({ listening: Number(a) })));
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
