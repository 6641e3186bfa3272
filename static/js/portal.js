/* The portal's small behaviours, declared in the templates by data attributes instead of inline
   scripts and on… attributes (the Content-Security-Policy allows scripts from our own files only):

     <select data-autosubmit>                 submits its form when changed
     <form data-confirm="…">                  asks before submitting
     <button data-confirm="…">                asks before its click goes on
     <button data-print>                      prints the page
     <button data-copy-target="id" data-copied-text="…">   copies the value of #id
     <form data-disable-on-submit>            disables its submit buttons once sent (no double post)
     <div data-progress-url="…" data-working="1">          polls a background job, see below

   and ``portal.escapeHtml(text)`` for the few places a library takes HTML (chart tooltips, map labels). */
(function () {
  "use strict";

  function escapeHtml(value) {
    return String(value === null || value === undefined ? "" : value)
      .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  }
  window.portal = { escapeHtml: escapeHtml };

  document.addEventListener("change", function (event) {
    var field = event.target.closest("[data-autosubmit]");
    if (field && field.form) { field.form.requestSubmit ? field.form.requestSubmit() : field.form.submit(); }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); return; }
    if (form.hasAttribute("data-disable-on-submit")) {
      if (form.getAttribute("data-sent") === "1") { event.preventDefault(); return; }
      form.setAttribute("data-sent", "1");
      window.setTimeout(function () { // after the browser has taken the submitter's name and value
        form.querySelectorAll("button[type=submit], input[type=submit]").forEach(function (b) { b.disabled = true; });
      }, 0);
    }
  });

  window.addEventListener("pageshow", function (event) { // back to a page kept in the browser's cache
    if (!event.persisted) { return; }
    document.querySelectorAll("form[data-sent]").forEach(function (form) {
      form.removeAttribute("data-sent");
      form.querySelectorAll("button[type=submit], input[type=submit]").forEach(function (b) { b.disabled = false; });
    });
  });

  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-confirm]:not(form), [data-print], [data-copy-target]");
    if (!target) { return; }
    if (target.hasAttribute("data-confirm") && target.tagName !== "FORM") {
      if (!window.confirm(target.getAttribute("data-confirm"))) { event.preventDefault(); }
      return;
    }
    if (target.hasAttribute("data-print")) { window.print(); return; }
    var source = document.getElementById(target.getAttribute("data-copy-target"));
    if (source && navigator.clipboard) {
      navigator.clipboard.writeText(source.value !== undefined ? source.value : source.textContent).then(function () {
        if (target.getAttribute("data-copied-text")) { target.textContent = target.getAttribute("data-copied-text"); }
      });
    }
  });

  /* A background job's page (an import, a report): asks data-progress-url for
     {progress, status_display, finished, waiting_for_queue} until it is finished, then reloads.
     Inside the box: [data-progress] the progress bar's wrapper, [data-progress-label] the status,
     [data-progress-waiting] a notice shown while the task queue does not answer. */
  document.querySelectorAll("[data-progress-url][data-working='1']").forEach(function (box) {
    var wrap = box.querySelector("[data-progress]");
    var bar = wrap && wrap.querySelector(".progress-bar");
    var label = box.querySelector("[data-progress-label]");
    var waiting = box.querySelector("[data-progress-waiting]");
    function poll() {
      fetch(box.getAttribute("data-progress-url"), { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          if (bar) {
            bar.style.width = data.progress + "%";
            bar.textContent = data.progress + "%";
            wrap.setAttribute("aria-valuenow", data.progress);
          }
          if (label) { label.textContent = data.status_display; }
          if (waiting) { waiting.hidden = !data.waiting_for_queue; }
          if (data.finished) { window.location.reload(); } else { window.setTimeout(poll, 1500); }
        })
        .catch(function () { window.setTimeout(poll, 5000); });
    }
    window.setTimeout(poll, 1000);
  });
})();

// The to-do count in the navigation bar (待办), read after the page is shown: no query slows the page.
(function () {
  var badge = document.getElementById("todo-count");
  if (!badge || !window.fetch) return;
  fetch(badge.getAttribute("data-src"), {credentials: "same-origin", headers: {"Accept": "application/json"}})
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (data) { if (data && data.count) badge.textContent = String(data.count); })
    .catch(function () {});
})();
