// exhunt report.html: sorting and filtering of the findings table. No data of the scan is in this
// script: it reads the table's cells and data- attributes only. It records any error and any
// Content-Security-Policy violation on the html element (data-errors), and marks the body element
// (data-js="ok") once it has set the page up, so that a test in a headless browser can tell that
// it ran cleanly.
(function () {
  "use strict";
  var root = document.documentElement;
  function note(what) {
    var prev = root.getAttribute("data-errors") || "";
    root.setAttribute("data-errors", (prev ? prev + " | " : "") + String(what).slice(0, 300));
  }
  window.addEventListener("error", function (e) {
    note("error: " + (e.message || (e.target && e.target.tagName) || "unknown"));
  }, true);
  window.addEventListener("unhandledrejection", function (e) { note("rejection: " + e.reason); });
  document.addEventListener("securitypolicyviolation", function (e) {
    note("csp: " + e.violatedDirective + " " + (e.blockedURI || ""));
  });

  function key(row, col, numeric) {
    var cell = row.cells[col];
    if (!cell) { return numeric ? -Infinity : ""; }
    var k = cell.getAttribute("data-k");
    if (numeric) { var n = parseFloat(k === null ? cell.textContent : k); return isNaN(n) ? -Infinity : n; }
    return (k === null ? cell.textContent : k).toLowerCase();
  }

  function setUp() {
    var table = document.getElementById("findings-table");
    if (!table) { document.body.setAttribute("data-js", "ok"); return; }
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, col) {
      if (!th.hasAttribute("data-sort")) { return; }
      th.tabIndex = 0;
      var sort = function () {
        var numeric = th.getAttribute("data-sort") === "num";
        var asc = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var sorted = rows.slice().sort(function (a, b) {
          var x = key(a, col, numeric), y = key(b, col, numeric);
          var c = x < y ? -1 : x > y ? 1 : 0;
          return asc ? c : -c;
        });
        sorted.forEach(function (r) { body.appendChild(r); });
      };
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); } });
    });
    var q = document.getElementById("f-text");
    var sev = document.getElementById("f-sev");
    var cls = document.getElementById("f-class");
    var shown = document.getElementById("f-shown");
    var text = rows.map(function (r) { return r.textContent.toLowerCase(); });
    var filter = function () {
      var needle = q.value.trim().toLowerCase();
      var min = parseInt(sev.value, 10) || 0;
      var c = cls.value;
      var n = 0;
      rows.forEach(function (r, i) {
        var ok = parseInt(r.getAttribute("data-sev"), 10) >= min &&
          (!c || r.getAttribute("data-class") === c) &&
          (!needle || text[i].indexOf(needle) >= 0);
        r.hidden = !ok;
        if (ok) { n += 1; }
      });
      shown.textContent = n + " of " + rows.length + " rows shown";
    };
    q.addEventListener("input", filter);
    sev.addEventListener("change", filter);
    cls.addEventListener("change", filter);
    filter();
    document.body.setAttribute("data-js", "ok");
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      try { setUp(); } catch (e) { note("setup: " + e); }
    });
  } else {
    try { setUp(); } catch (e) { note("setup: " + e); }
  }
}());
