// The ticket number from ?ticket=RX-17, shown as text when it looks like one.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const n = new URLSearchParams(location.search).get("ticket") || "";
  if (!/^RX-\d{1,12}$/.test(n)) return;
  document.getElementById("ticket").textContent = n;
  document.getElementById("ticket-line").hidden = false;
});
