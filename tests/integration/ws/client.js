// client.js: a real WebSocket client (the npm "ws" package) driven by the
// Python integration tests over pipes.
//
//   node client.js URL [JSON-OPTIONS]
// OPTIONS: {"headers": {...}, "origin": "...", "autoPong": true,
//           "maxPayload": n, "insecure": true (wss: any certificate)}
// Each line read from stdin is one JSON command:
//   {"op":"send","text":"..."}         a text message
//   {"op":"send_hex","hex":"..."}      a text frame with these raw bytes
//   {"op":"send_binary","hex":"..."}   a binary frame
//   {"op":"ping"}                      a ping (its pong is reported)
//   {"op":"close","code":1000}         start the closing handshake
//   {"op":"pause"} / {"op":"resume"}   stop / restart reading the socket
// Each line written to stdout is one JSON report, with "t" the milliseconds
// since the start: {"ev":"open"}, {"ev":"message","data":"..."},
// {"ev":"ping"}, {"ev":"pong"}, {"ev":"close","code":n,"reason":"..."},
// {"ev":"refused","status":n,"body":"..."}, {"ev":"error","message":"..."}.
// The process exits after "close" (or "refused").
"use strict";
const path = require("path");
const readline = require("readline");
const WebSocket = require(path.join(__dirname, "..", "..", "node_modules", "ws"));

const url = process.argv[2];
const opts = JSON.parse(process.argv[3] || "{}");
const t0 = Date.now();

function report(obj) {
  obj.t = Date.now() - t0;
  process.stdout.write(JSON.stringify(obj) + "\n");
}

const ws = new WebSocket(url, {
  headers: opts.headers || {},
  origin: opts.origin,
  autoPong: opts.autoPong !== false,
  maxPayload: opts.maxPayload || 0,
  handshakeTimeout: 15000,
  rejectUnauthorized: opts.insecure !== true,
});

ws.on("open", () => report({ ev: "open" }));
ws.on("message", (data, isBinary) =>
  report({ ev: "message", data: data.toString("utf8"), binary: isBinary }));
ws.on("ping", () => report({ ev: "ping" }));
ws.on("pong", () => report({ ev: "pong" }));
ws.on("unexpected-response", (req, res) => {
  let body = "";
  res.on("data", (d) => (body += d));
  res.on("end", () => {
    report({ ev: "refused", status: res.statusCode, body });
    process.exit(0);
  });
});
ws.on("error", (e) => report({ ev: "error", message: String(e.message || e) }));
ws.on("close", (code, reason) => {
  report({ ev: "close", code, reason: reason.toString("utf8") });
  process.exit(0);
});

const rl = readline.createInterface({ input: process.stdin });
rl.on("line", (line) => {
  if (!line.trim()) return;
  const c = JSON.parse(line);
  try {
    switch (c.op) {
      case "send": ws.send(c.text); break;
      case "send_hex": ws.send(Buffer.from(c.hex, "hex"), { binary: false }); break;
      case "send_binary": ws.send(Buffer.from(c.hex, "hex"), { binary: true }); break;
      case "ping": ws.ping(); break;
      case "close": ws.close(c.code || 1000, c.reason || ""); break;
      case "pause": ws.pause(); break;
      case "resume": ws.resume(); break;
      default: report({ ev: "error", message: "unknown op " + c.op });
    }
  } catch (e) {
    report({ ev: "error", message: String(e.message || e) });
  }
});
rl.on("close", () => {
  if (ws.readyState === WebSocket.OPEN) ws.close(1000, "stdin closed");
  else if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
});
