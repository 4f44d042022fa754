/* checker report: client-side filters. No network, no dependencies.
   Rows carry data-status/data-change, data-severity, data-host and data-text; every
   checkbox with data-filter="NAME" keeps the rows whose data-NAME value is ticked. */
(function () {
  "use strict";
  var SEVERITY = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

  function all(selector) {
    return Array.prototype.slice.call(document.querySelectorAll(selector));
  }

  function control(name) {
    var el = document.querySelector("[data-filter='" + name + "']:not([type=checkbox])");
    return el ? el.value : "";
  }

  function tickedSets() {
    var sets = {};
    all("input[type=checkbox][data-filter]").forEach(function (box) {
      var name = box.getAttribute("data-filter");
      sets[name] = sets[name] || {};
      if (box.checked) { sets[name][box.value] = true; }
    });
    return sets;
  }

  function keep(row, sets, host, minSeverity, query) {
    var names = Object.keys(sets);
    for (var i = 0; i < names.length; i++) {
      if (!sets[names[i]][row.getAttribute("data-" + names[i])]) { return false; }
    }
    if (host && row.getAttribute("data-host") !== host) { return false; }
    if ((SEVERITY[row.getAttribute("data-severity")] || 0) < minSeverity) { return false; }
    return !query || (row.getAttribute("data-text") || "").indexOf(query) >= 0;
  }

  function apply() {
    var sets = tickedSets();
    var host = control("host");
    var minSeverity = SEVERITY[control("severity")] || 0;
    var query = control("text").trim().toLowerCase();
    var rows = all("[data-row]");
    var shown = 0;
    rows.forEach(function (row) {
      row.hidden = !keep(row, sets, host, minSeverity, query);
      if (!row.hidden) { shown += 1; }
    });
    all("[data-group]").forEach(function (group) {
      group.hidden = !group.querySelector("[data-row]:not([hidden])");
    });
    all("[data-host-card]").forEach(function (card) {
      card.hidden = Boolean(host) && card.getAttribute("data-host-card") !== host;
    });
    var counter = document.getElementById("shown");
    if (counter) { counter.textContent = shown + " of " + rows.length + " shown"; }
    var empty = document.getElementById("empty");
    if (empty) { empty.hidden = shown > 0; }
  }

  function setOpen(open) {
    all("details[data-row]:not([hidden])").forEach(function (d) { d.open = open; });
  }

  function download() {
    var source = document.getElementById("checker-data");
    var blob = new Blob([source.textContent], { type: "application/json" });
    var link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = source.getAttribute("data-filename") || "checker-report.json";
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(link.href); }, 1000);
  }

  function reset() {
    all("input[type=checkbox][data-filter]").forEach(function (box) { box.checked = true; });
    all("select[data-filter], input[type=search][data-filter]").forEach(function (el) {
      el.value = "";
    });
    apply();
  }

  var actions = {
    expand: function () { setOpen(true); },
    collapse: function () { setOpen(false); },
    download: download,
    reset: reset
  };

  document.addEventListener("change", function (e) {
    if (e.target.hasAttribute("data-filter")) { apply(); }
  });
  document.addEventListener("input", function (e) {
    if (e.target.hasAttribute("data-filter")) { apply(); }
  });
  document.addEventListener("click", function (e) {
    var button = e.target.closest("[data-action]");
    if (button && actions[button.getAttribute("data-action")]) {
      actions[button.getAttribute("data-action")]();
    }
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", apply);
  } else {
    apply();
  }
}());
