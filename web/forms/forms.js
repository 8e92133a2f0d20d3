// The public forms work without this file: the browser checks required
// fields and the server answers a plain post with a 303 to /thanks.html.
// With it, the server's field errors (docs/forms.md, 422 invalid_form) are
// shown beside each field, tied to it by aria-describedby and aria-invalid,
// and read out (role=alert); text is only ever set with textContent.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-form]");
  if (!form) return;
  const summary = document.getElementById("form-error");
  const clear = () => {
    summary.textContent = "";
    for (const e of form.querySelectorAll(".err")) e.textContent = "";
    for (const e of form.querySelectorAll("[aria-invalid]")) e.removeAttribute("aria-invalid");
  };
  form.addEventListener("submit", async (ev) => {
    if (!form.checkValidity()) return; // the browser shows its own messages
    ev.preventDefault();
    clear();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const r = await fetch(form.action, { method: "POST", body: new FormData(form),
        headers: { Accept: "application/json" }, credentials: "omit" });
      const data = await r.json().catch(() => null);
      if (r.ok && data && data.ticket) {
        location.assign("/thanks.html?ticket=" + encodeURIComponent(data.ticket));
        return;
      }
      const err = (data && data.error) || {};
      for (const f of err.fields || []) {
        const input = form.querySelector("[name='" + CSS.escape(f.field) + "']");
        const out = document.getElementById("f-" + f.field + "-err");
        if (input) input.setAttribute("aria-invalid", "true");
        if (out) out.textContent = f.message;
      }
      summary.textContent = err.message || ("The form could not be sent (" + r.status + ").");
      const first = form.querySelector("[aria-invalid=true]");
      (first || summary).focus();
    } catch (e) {
      summary.textContent = "The form could not be sent: " + e.message;
      summary.focus();
    } finally {
      button.disabled = false;
    }
  });
});
