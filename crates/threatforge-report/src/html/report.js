// Sorting and filtering of the risk register. Reads only data-* attributes, text the page
// already shows and, for a large model, the register's JSON data; writes only `hidden`,
// attributes, textContent and elements it creates. No model text is ever parsed as HTML or code.
(function () {
  "use strict";
  var table = document.getElementById("register-table");
  var bar = document.getElementById("register-filters");
  var count = document.getElementById("register-count");
  if (!table || !bar || !count) {
    return;
  }
  var data = document.getElementById("register-data");
  if (data) {
    scripted(table, bar, count, JSON.parse(data.textContent));
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
    var sort = markSorted(headers, column);
    var numeric = sort.numeric;
    var descending = sort.descending;
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

// Marks `column` of a table's `headers` as the one sorted, and says how: scores sort most severe
// first on the first click, text A to Z; a second click reverses.
function markSorted(headers, column) {
  var header = headers[column];
  var numeric = header.getAttribute("data-type") === "number";
  var current = header.getAttribute("aria-sort");
  var descending = current === "none" ? numeric : current === "ascending";
  headers.forEach(function (h) {
    h.setAttribute("aria-sort", "none");
  });
  header.setAttribute("aria-sort", descending ? "descending" : "ascending");
  return { numeric: numeric, descending: descending };
}

// A large model's register: rows made from the JSON data (register.rs documents it), a page at
// a time, and a threat's section made when its id is clicked.
function scripted(table, bar, count, d) {
  "use strict";
  var PAGE = 100;
  var body = table.tBodies[0];
  var selects = Array.prototype.slice.call(bar.querySelectorAll("select[data-filter]"));
  var reset = document.getElementById("register-reset");
  var pager = document.getElementById("register-pager");
  var prev = document.getElementById("register-prev");
  var next = document.getElementById("register-next");
  var where = document.getElementById("register-page");
  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var threats = d.threats;
  var total = threats.length;
  var order = threats.map(function (t, i) { return i; });
  var shown = order;
  var page = 0;
  var open = {};

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) {
      e.className = cls;
    }
    if (text !== undefined && text !== null) {
      e.textContent = String(text);
    }
    return e;
  }
  function add(parent, child) {
    parent.appendChild(child);
    return child;
  }
  function str(i) {
    return i < 0 ? "" : d.strings[i];
  }
  function elem(t) {
    return d.elements[t[2]];
  }
  function id(t) {
    return str(t[0]) + ":" + elem(t)[1];
  }
  function sev(s) {
    return d.severity[s[3]];
  }
  function level(n) {
    return d.levels[Math.min(Math.max(n, 0), 4)];
  }
  function sortKey(s) {
    return s[3] * 100 + s[2];
  }
  function controlId(c) {
    return d.controls[c][0];
  }
  function missingText(t) {
    return t[9].map(function (alts) { return alts.map(controlId).join(" or "); }).join(", ");
  }
  // Text with `code` runs, as the page's other sections show it.
  function rich(parent, text) {
    var parts = text.split("`");
    if (parts.length % 2 === 0) {
      parent.appendChild(document.createTextNode(text));
      return parent;
    }
    parts.forEach(function (part, i) {
      if (part) {
        parent.appendChild(i % 2 === 1 ? el("code", "", part) : document.createTextNode(part));
      }
    });
    return parent;
  }
  function badge(s) {
    var b = el("span", "sev sev-" + sev(s), sev(s) + " ");
    b.title = "likelihood " + s[0] + " (" + level(s[0]) + ") \u00d7 impact " + s[1] + " (" + level(s[1]) + ")";
    add(b, el("b", "", s[2]));
    return b;
  }
  function statusBadge(i) {
    return el("span", "status status-" + d.status[i][0], d.status[i][1]);
  }
  function control(parent, c) {
    var entry = d.controls[c];
    if (entry[1]) {
      parent.appendChild(document.createTextNode(entry[1] + " "));
    }
    add(parent, el("code", "", entry[0]));
  }
  function none(parent, text) {
    add(parent, el("span", "none", text || "none"));
  }
  function kv(dl, label, fill) {
    var div = add(dl, el("div"));
    add(div, el("dt", "", label));
    var dd = add(div, el("dd"));
    fill(dd);
    return dd;
  }

  function components(t) {
    return t[21].map(function (e) { return d.elements[e][1]; });
  }
  function matches(t) {
    return selects.every(function (select) {
      var v = select.value;
      if (!v) {
        return true;
      }
      switch (select.getAttribute("data-filter")) {
        case "severity": return sev(t[6]) === v;
        case "status": return d.status[t[4]][0] === v;
        case "stride": return d.stride[t[3]][0] === v;
        case "component": return components(t).indexOf(v) !== -1;
        default: return true;
      }
    });
  }

  function details(t) {
    var row = el("tr", "details");
    var cell = add(row, el("td"));
    cell.colSpan = headers.length;
    var a = add(cell, el("article", "threat sev-edge-" + sev(t[6])));
    var header = add(a, el("header"));
    add(header, el("h3", "", str(t[1])));
    var badges = add(header, el("p", "badges"));
    add(badges, badge(t[6]));
    badges.appendChild(document.createTextNode(" "));
    add(badges, statusBadge(t[4]));
    badges.appendChild(document.createTextNode(" "));
    add(badges, el("code", "id", id(t)));
    var meta = add(header, el("dl", "meta"));
    var e = elem(t);
    kv(meta, "Element", function (dd) {
      add(dd, el("span", "kind", e[0]));
      dd.appendChild(document.createTextNode(" "));
      if (e[4]) {
        var link = add(dd, el("a", "", e[2]));
        link.setAttribute("href", "#" + e[4]);
      } else {
        dd.appendChild(document.createTextNode(e[2]));
      }
      if (e[5]) {
        dd.appendChild(document.createTextNode(" "));
        add(dd, el("code", "", e[1]));
      }
    });
    kv(meta, "STRIDE", function (dd) { dd.textContent = d.stride[t[3]][1]; });
    if (t[19]) {
      kv(meta, "LINDDUN", function (dd) { dd.textContent = t[19]; });
    }
    kv(meta, "Rule", function (dd) { add(dd, el("code", "", str(t[0]))); });
    kv(meta, "Declared at", function (dd) { add(dd, el("code", "", str(t[20][0]) + ":" + t[20][1])); });

    var wrap = add(a, el("div", "body"));
    var main = add(wrap, el("div", "main"));
    add(main, el("h4", "", "Why it applies"));
    rich(add(main, el("p")), t[11]);
    if (t[12] >= 0) {
      add(main, el("h4", "", "What it is"));
      add(main, el("p", "", str(t[12])));
    }
    if (t[13] !== null) {
      add(main, el("h4", "", "Why it is " + d.status[t[4]][1].toLowerCase()));
      rich(add(main, el("p")), t[13]);
    }
    add(main, el("h4", "", "Mitigation"));
    var mit = add(main, el("dl", "kv"));
    var coverage = ["none", "partial", "full"][t[7]];
    kv(mit, "Coverage", function (dd) {
      dd.className = "coverage-" + coverage;
      dd.textContent = ["no mitigating control in place",
        "partial: some mitigating controls in place",
        "full: every mitigating control in place"][t[7]];
    });
    kv(mit, "In place", function (dd) {
      if (!t[8].length) {
        none(dd);
      }
      t[8].forEach(function (c, i) {
        if (i) {
          dd.appendChild(document.createTextNode("; "));
        }
        control(dd, c);
      });
    });
    kv(mit, "Missing", function (dd) {
      if (!t[9].length) {
        none(dd);
        return;
      }
      var ul = add(dd, el("ul", "plain"));
      t[9].forEach(function (alts) {
        var li = add(ul, el("li"));
        alts.forEach(function (c, i) {
          if (i) {
            li.appendChild(document.createTextNode(" "));
            add(li, el("em", "", "or"));
            li.appendChild(document.createTextNode(" "));
          }
          control(li, c);
        });
      });
    });
    if (t[24]) {
      var ev = t[24];
      add(main, el("h4", "", "Evidence"));
      if (ev[0]) {
        var p = add(main, el("p", "evidence-factor"));
        add(p, el("span", "effect up", "+" + ev[0][0]));
        p.appendChild(document.createTextNode(" likelihood: " + ev[0][1]));
      }
      if (ev[1].length) {
        var findings = add(main, el("ul", "findings"));
        ev[1].forEach(function (f) {
          var li = add(findings, el("li"));
          add(li, el("strong", "", f[0]));
          li.appendChild(document.createTextNode(" "));
          add(li, el("code", "", f[1]));
          var text = f[2].map(function (n) { return " CWE-" + n; }).join("");
          li.appendChild(document.createTextNode(text));
          if (f[3]) {
            li.appendChild(document.createTextNode(" at "));
            add(li, el("code", "", f[3]));
          }
          li.appendChild(document.createTextNode(": " + f[4]));
          if (f[5]) {
            add(li, el("small", "", " (read more: " + f[5] + ")"));
          }
        });
      }
      if (ev[2].length) {
        var checks = add(main, el("dl", "kv"));
        ev[2].forEach(function (c) {
          kv(checks, "", function (dd) {
            dd.className = "verification-" + c[1];
            dd.textContent = c[1] + (c[2] ? " (" + c[2] + ")" : "");
          }).previousSibling.appendChild(el("code", "", c[0]));
        });
      }
    }
    add(main, el("h4", "", "What to do"));
    add(main, el("p", "", typeof t[14] === "number" ? "On " + e[0] + " " + e[1] + ", " + str(t[14]) : t[14]));
    if (t[15].length) {
      var advice = add(main, el("ul"));
      t[15].forEach(function (i) {
        var li = add(advice, el("li"));
        add(li, el("strong", "", d.advice[i][1]));
        li.appendChild(document.createTextNode(" "));
        add(li, el("code", "", d.advice[i][0]));
        li.appendChild(document.createTextNode(": " + d.advice[i][2]));
      });
    }
    if (t[16] >= 0) {
      var more = add(main, el("p", "", "Read more: "));
      var href = str(t[16]);
      if (/^https?:\/\//.test(href)) {
        var ref = add(more, el("a", "", href));
        ref.setAttribute("href", href);
        ref.setAttribute("rel", "noopener noreferrer");
      } else {
        more.appendChild(document.createTextNode(href));
      }
    }
    if (t[22]) {
      var dec = t[22];
      add(main, el("h4", "", "Decision"));
      var ddl = add(main, el("dl", "kv decision"));
      kv(ddl, "Status", function (dd) {
        add(dd, statusBadge(dec[1]));
        if (dec[7]) {
          dd.appendChild(document.createTextNode(" "));
          add(dd, el("strong", "expired", "expired: the threat is open again"));
        }
      });
      kv(ddl, "Owner", function (dd) {
        if (dec[2]) {
          dd.textContent = dec[2];
        } else {
          none(dd, "nobody named");
        }
      });
      [["Justification", 3], ["Ticket", 4], ["Decided", 5], ["Expires", 6]].forEach(function (f) {
        if (dec[f[1]]) {
          kv(ddl, f[0], function (dd) { dd.textContent = dec[f[1]]; });
        }
      });
      kv(ddl, "Selector", function (dd) { add(dd, el("code", "", dec[0])); });
    }
    if (t[23]) {
      var o = t[23];
      add(main, el("h4", "", "Rating set by the decision"));
      var odl = add(main, el("dl", "kv"));
      kv(odl, "Severity", function (dd) { dd.textContent = o[0]; });
      if (o[1]) {
        kv(odl, "CVSS v4.0", function (dd) {
          add(dd, el("code", "", o[1]));
          if (o[2]) {
            dd.appendChild(document.createTextNode(" (" + o[2] + ")"));
          }
        });
      }
      kv(odl, "Justification", function (dd) { dd.textContent = o[3]; });
    }
    if (t[17].length || t[18].length) {
      add(main, el("h4", "", "References"));
      var refs = add(main, el("p", "refs"));
      [["CAPEC", "https://capec.mitre.org/data/definitions/", t[17]],
        ["CWE", "https://cwe.mitre.org/data/definitions/", t[18]]].forEach(function (kind) {
        kind[2].forEach(function (n) {
          var link = add(refs, el("a", "", kind[0] + "-" + n));
          link.setAttribute("href", kind[1] + Number(n) + ".html");
          link.setAttribute("rel", "noopener noreferrer");
          refs.appendChild(document.createTextNode(" "));
        });
      });
    }

    var side = add(wrap, el("div", "side"));
    add(side, el("h4", "", "Score"));
    var score = add(side, el("table", "score"));
    var head = add(add(score, el("thead")), el("tr"));
    ["", "Inherent", "Residual"].forEach(function (h) {
      add(head, el("th", "", h)).setAttribute("scope", "col");
    });
    var sb = add(score, el("tbody"));
    [["Likelihood", 0], ["Impact", 1]].forEach(function (r) {
      var tr = add(sb, el("tr"));
      add(tr, el("th", "", r[0])).setAttribute("scope", "row");
      [t[5], t[6]].forEach(function (s) {
        var td = add(tr, el("td", "", s[r[1]] + " "));
        add(td, el("small", "", level(s[r[1]])));
      });
    });
    var scoreRow = add(sb, el("tr"));
    add(scoreRow, el("th", "", "Score")).setAttribute("scope", "row");
    add(add(scoreRow, el("td")), badge(t[5]));
    add(add(scoreRow, el("td")), badge(t[6]));
    add(side, el("h4", "", "What set the inherent score"));
    var factors = add(side, el("ul", "factors"));
    t[10].forEach(function (i) {
      var f = d.factors[i];
      var li = add(factors, el("li"));
      var cls = f[2] === "+1" ? "up" : (f[2] === "start" ? "start" : "down");
      add(li, el("span", "effect " + cls, f[2]));
      var span = add(li, el("span"));
      add(span, el("span", "on", f[0]));
      span.appendChild(document.createTextNode(" "));
      add(span, el("span", "factor", f[1]));
      span.appendChild(document.createTextNode(": "));
      rich(span, f[3]);
    });
    return row;
  }

  function toggle(index, button) {
    var tr = button.parentNode.parentNode;
    if (open[index]) {
      delete open[index];
      if (tr.nextSibling && tr.nextSibling.className === "details") {
        body.removeChild(tr.nextSibling);
      }
      button.setAttribute("aria-expanded", "false");
      return;
    }
    open[index] = true;
    body.insertBefore(details(threats[index]), tr.nextSibling);
    button.setAttribute("aria-expanded", "true");
  }

  function rowOf(index) {
    var t = threats[index];
    var e = elem(t);
    var tr = el("tr");
    tr.setAttribute("data-severity", sev(t[6]));
    tr.setAttribute("data-status", d.status[t[4]][0]);
    tr.setAttribute("data-stride", d.stride[t[3]][0]);
    tr.setAttribute("data-component", components(t).join(" "));
    var first = add(tr, el("td", "id-cell"));
    var button = add(first, el("button"));
    button.type = "button";
    button.setAttribute("aria-expanded", open[index] ? "true" : "false");
    add(button, el("code", "id", id(t)));
    button.addEventListener("click", function () {
      toggle(index, button);
    });
    add(tr, el("td", "", str(t[1])));
    var on = add(tr, el("td"));
    add(on, el("span", "kind", e[0]));
    on.appendChild(document.createTextNode(" "));
    if (e[4]) {
      var link = add(on, el("a", "", e[3]));
      link.setAttribute("href", "#" + e[4]);
    } else {
      on.appendChild(document.createTextNode(e[2]));
    }
    add(tr, el("td", "", d.stride[t[3]][1]));
    add(add(tr, el("td")), badge(t[5]));
    add(add(tr, el("td")), badge(t[6]));
    add(add(tr, el("td")), statusBadge(t[4]));
    var missing = add(tr, el("td"));
    t[9].forEach(function (alts, i) {
      if (i) {
        missing.appendChild(document.createTextNode(", "));
      }
      alts.forEach(function (c, j) {
        if (j) {
          missing.appendChild(document.createTextNode(" or "));
        }
        add(missing, el("code", "", controlId(c)));
      });
    });
    return tr;
  }

  function draw() {
    var pages = Math.max(1, Math.ceil(shown.length / PAGE));
    page = Math.min(page, pages - 1);
    while (body.firstChild) {
      body.removeChild(body.firstChild);
    }
    var from = page * PAGE;
    var to = Math.min(shown.length, from + PAGE);
    for (var i = from; i < to; i += 1) {
      var index = shown[i];
      body.appendChild(rowOf(index));
      if (open[index]) {
        body.appendChild(details(threats[index]));
      }
    }
    where.textContent = shown.length === 0
      ? "No threats"
      : "Threats " + (from + 1) + "\u2013" + to + " of " + shown.length + ", page " + (page + 1) + " of " + pages;
    prev.disabled = page === 0;
    next.disabled = page >= pages - 1;
  }

  function apply() {
    shown = order.filter(function (i) { return matches(threats[i]); });
    page = 0;
    var active = [];
    selects.forEach(function (select) {
      if (select.value) {
        active.push(select.getAttribute("data-filter") + ": " + select.value);
      }
    });
    var noun = total === 1 ? " threat" : " threats";
    count.textContent = active.length === 0
      ? total + noun
      : shown.length + " of " + total + noun + " (" + active.join(", ") + ")";
    if (reset) {
      reset.disabled = active.length === 0;
    }
    draw();
  }

  // The same keys the rows of a small model's register sort by.
  var keys = [
    function (t) { return id(t).toLowerCase(); },
    function (t) { return str(t[1]).trim().toLowerCase(); },
    function (t) { return elem(t)[1].toLowerCase(); },
    function (t) { return d.stride[t[3]][1].toLowerCase(); },
    function (t) { return sortKey(t[5]); },
    function (t) { return sortKey(t[6]); },
    function (t) { return t[4]; },
    function (t) { return missingText(t).toLowerCase(); }
  ];

  function sortBy(column) {
    var descending = markSorted(headers, column).descending;
    var key = keys[column];
    var values = threats.map(key);
    order = threats.map(function (t, i) { return i; }).sort(function (a, b) {
      var x = values[a];
      var y = values[b];
      var o = x < y ? -1 : x > y ? 1 : 0;
      if (descending) {
        o = -o;
      }
      return o || a - b;
    });
    apply();
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
  headers.forEach(function (header, column) {
    var button = header.querySelector("button");
    if (button && keys[column]) {
      button.addEventListener("click", function () {
        sortBy(column);
      });
    }
  });
  prev.addEventListener("click", function () {
    page -= 1;
    draw();
  });
  next.addEventListener("click", function () {
    page += 1;
    draw();
  });
  bar.hidden = false;
  pager.hidden = false;
  apply();
}
