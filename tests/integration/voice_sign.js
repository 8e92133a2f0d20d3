// voice_sign.js: Twilio's own helper library signs and checks webhook
// requests for test_voice.py. Reads one JSON array of cases on stdin:
//   [{"token": "...", "url": "https://...", "params": {"k": "v", ...}}, ...]
// and writes one JSON array: [{"signature": "...", "valid": true}, ...],
// "valid" being twilio.validateRequest on that signature (a self-check).
"use strict";
const path = require("path");
const twilio = require(path.join(__dirname, "..", "node_modules", "twilio"));

let input = "";
process.stdin.on("data", (d) => (input += d));
process.stdin.on("end", () => {
  const out = JSON.parse(input).map((c) => {
    const signature = twilio.getExpectedTwilioSignature(c.token, c.url, c.params);
    return { signature, valid: twilio.validateRequest(c.token, signature, c.url, c.params) };
  });
  process.stdout.write(JSON.stringify(out));
});
