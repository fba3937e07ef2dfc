// Sorting and filtering of the risk register. Reads only data-* attributes and text the page
// already shows; writes only `hidden`, attributes and textContent. No model text is ever parsed
// as HTML or code.
(function () {
  "use strict";
  var table = document.getElementById("register-table");
  var bar = document.getElementById("register-filters");
  var count = document.getElementById("register-count");
  if (!table || !bar || !count) {
    return;
  }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var total = rows.length;
  var selects = Array.prototype.slice.call(bar.querySelectorAll("select[data-filter]"));
  var reset = document.getElementById("register-reset");

  rows.forEach(function (row, i) {
    row.setAttribute("data-order", String(i));
  });

  function matches(row, select) {
    if (!select.value) {
      return true;
    }
    var have = (row.getAttribute("data-" + select.getAttribute("data-filter")) || "").split(" ");
    return have.indexOf(select.value) !== -1;
  }

  function describe() {
    var parts = [];
    selects.forEach(function (select) {
      if (select.value) {
        var option = select.options[select.selectedIndex];
        parts.push(select.getAttribute("data-filter") + ": " + option.value);
      }
    });
    return parts;
  }

  function apply() {
    var shown = 0;
    rows.forEach(function (row) {
      var visible = selects.every(function (select) {
        return matches(row, select);
      });
      row.hidden = !visible;
      if (visible) {
        shown += 1;
      }
    });
    var active = describe();
    var noun = total === 1 ? " threat" : " threats";
    count.textContent = active.length === 0
      ? total + noun
      : shown + " of " + total + noun + " (" + active.join(", ") + ")";
    if (reset) {
      reset.disabled = active.length === 0;
    }
  }

  selects.forEach(function (select) {
    select.addEventListener("change", apply);
  });
  if (reset) {
    reset.addEventListener("click", function () {
      selects.forEach(function (select) {
        select.value = "";
      });
      apply();
    });
  }

  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);

  function key(row, column, numeric) {
    var cell = row.cells[column];
    var value = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent;
    return numeric ? Number(value) : value.trim().toLowerCase();
  }

  function sortBy(column) {
    var header = headers[column];
    var numeric = header.getAttribute("data-type") === "number";
    var current = header.getAttribute("aria-sort");
    // Scores sort most severe first on the first click; text sorts A to Z.
    var descending = current === "none" ? numeric : current === "ascending";
    headers.forEach(function (h) {
      h.setAttribute("aria-sort", "none");
    });
    header.setAttribute("aria-sort", descending ? "descending" : "ascending");
    var sorted = rows.slice().sort(function (a, b) {
      var x = key(a, column, numeric);
      var y = key(b, column, numeric);
      var order = x < y ? -1 : x > y ? 1 : 0;
      if (descending) {
        order = -order;
      }
      return order || Number(a.getAttribute("data-order")) - Number(b.getAttribute("data-order"));
    });
    sorted.forEach(function (row) {
      body.appendChild(row);
    });
  }

  headers.forEach(function (header, column) {
    var button = header.querySelector("button");
    if (button) {
      button.addEventListener("click", function () {
        sortBy(column);
      });
    }
  });

  bar.hidden = false;
  apply();
})();

// Switches the diagram between fitted to the page and actual size (scrolling in its frame).
(function () {
  "use strict";
  var figure = document.getElementById("diagram-figure");
  var zoom = document.getElementById("diagram-zoom");
  if (!figure || !zoom || !figure.querySelector("svg")) {
    return;
  }
  zoom.hidden = false;
  zoom.addEventListener("click", function () {
    var actual = figure.classList.toggle("actual");
    zoom.setAttribute("aria-pressed", actual ? "true" : "false");
    zoom.textContent = actual ? "Fit to width" : "Actual size";
  });
})();
