// judgekit report: sorting, filtering and opening rows of the item table. No data lives here:
// everything is read from the page, and texts are only ever handled as text.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var table = document.getElementById("item-table");
  if (!table) {
    return;
  }
  var bodies = Array.prototype.slice.call(table.tBodies);
  var haystacks = null; // lower-cased text of each item, built on the first search
  var search = document.getElementById("item-search");
  var selects = Array.prototype.slice.call(document.querySelectorAll("select[data-filter]"));
  var counter = document.getElementById("item-count");

  // What a search looks in: the row's own cells and the texts it opens to (question, answers, judge
  // answers), not the page's labels around them ("verdict tie" in a call's heading is not a tie).
  function searchText(body) {
    var parts = [];
    Array.prototype.forEach.call(body.querySelectorAll("tr.summary-row td, pre"), function (element) {
      parts.push(element.textContent);
    });
    return parts.join("\n").toLowerCase();
  }

  // Stripes follow the rows shown, so filtering or sorting never puts two shaded rows together.
  function restripe() {
    var shown = 0;
    Array.prototype.forEach.call(table.tBodies, function (body) {
      if (!body.hidden) {
        shown += 1;
      }
      body.classList.toggle("alt", !body.hidden && shown % 2 === 0);
    });
  }

  function applyFilters() {
    var needle = search.value.trim().toLowerCase();
    if (needle && haystacks === null) {
      haystacks = new Map();
      bodies.forEach(function (body) { haystacks.set(body, searchText(body)); });
    }
    var shown = 0;
    bodies.forEach(function (body) {
      var visible = !needle || haystacks.get(body).indexOf(needle) !== -1;
      selects.forEach(function (select) {
        if (select.value && body.getAttribute("data-" + select.getAttribute("data-filter")) !== select.value) {
          visible = false;
        }
      });
      body.hidden = !visible;
      if (visible) {
        shown += 1;
      }
    });
    restripe();
    counter.textContent = shown === bodies.length ? bodies.length + " items" : shown + " of " + bodies.length + " items";
  }

  var pending = null;
  search.addEventListener("input", function () {
    window.clearTimeout(pending);
    pending = window.setTimeout(applyFilters, 120);
  });
  selects.forEach(function (select) { select.addEventListener("change", applyFilters); });

  function setOpen(body, open) {
    body.classList.toggle("open", open);
    body.querySelector("button.expand").setAttribute("aria-expanded", String(open));
  }

  table.addEventListener("click", function (event) {
    var button = event.target.closest("button.expand");
    if (button) {
      var body = button.closest("tbody");
      setOpen(body, !body.classList.contains("open"));
    }
  });
  document.getElementById("expand-all").addEventListener("click", function () {
    bodies.forEach(function (body) { if (!body.hidden) { setOpen(body, true); } });
  });
  document.getElementById("collapse-all").addEventListener("click", function () {
    bodies.forEach(function (body) { setOpen(body, false); });
  });

  function sortKey(body, column, numeric) {
    var raw = body.rows[0].cells[column].getAttribute("data-sort");
    if (raw === null || raw === "") {
      return null; // empty values sort last either way
    }
    return numeric ? Number(raw) : raw.toLowerCase();
  }

  Array.prototype.forEach.call(table.tHead.querySelectorAll("button.sort"), function (button) {
    button.addEventListener("click", function () {
      var header = button.closest("th");
      var ascending = header.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(table.tHead.querySelectorAll("th"), function (th) { th.removeAttribute("aria-sort"); });
      header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var column = Number(button.getAttribute("data-column"));
      var numeric = button.getAttribute("data-type") === "number";
      var keyed = bodies.map(function (body, index) { return [sortKey(body, column, numeric), index, body]; });
      keyed.sort(function (left, right) {
        var a = left[0], b = right[0];
        if (a === null || b === null) {
          return a === b ? left[1] - right[1] : (a === null ? 1 : -1);
        }
        var order = numeric ? (a < b ? -1 : a > b ? 1 : 0) : a.localeCompare(b, undefined, { numeric: true });
        return (ascending ? order : -order) || left[1] - right[1];
      });
      keyed.forEach(function (entry) { table.appendChild(entry[2]); });
      restripe();
    });
  });
})();
