/* Live progress for checks and scans: polls the same-origin status endpoint named by data-poll.
   Without JavaScript the pages refresh themselves (<noscript> meta refresh). */
(function () {
  "use strict";
  var INTERVAL = 1500;

  function setField(root, name, text) {
    var el = root.querySelector('[data-field="' + name + '"]');
    if (el) { el.textContent = text; }
  }

  function poll(el) {
    var url = el.getAttribute("data-poll");
    var doneUrl = el.getAttribute("data-done-url");
    function tick() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) { setTimeout(tick, INTERVAL * 2); return; }
          setField(el, "status", data.status);
          if (typeof data.total === "number") {
            setField(el, "counts", data.done + " done, " + data.skipped + " skipped, " + data.errors + " failed of " + data.total);
            setField(el, "changes", String(data.changes));
            var bar = el.querySelector("progress");
            if (bar) { bar.max = Math.max(data.total, 1); bar.value = data.done + data.skipped + data.errors; }
          }
          if (data.finished) {
            window.location.assign(doneUrl || window.location.href);
            return;
          }
          setTimeout(tick, INTERVAL);
        })
        .catch(function () { setTimeout(tick, INTERVAL * 2); });
    }
    setTimeout(tick, INTERVAL);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var els = document.querySelectorAll("[data-poll]");
    for (var i = 0; i < els.length; i++) { poll(els[i]); }
  });
})();
