// A large model's inventory and hygiene checklist: rows made from their JSON data (register.rs
// documents it), a page at a time, with a filter. A table is drawn when its section comes near the
// view, or when a link points at one of its rows, so the page holds no row the reader has not
// come to. Writes only textContent, attributes and elements it creates.
(function () {
  "use strict";
  var PAGE = 100;
  var parsed = {};

  function data(id) {
    if (!Object.prototype.hasOwnProperty.call(parsed, id)) {
      var e = document.getElementById(id);
      parsed[id] = e ? JSON.parse(e.textContent) : null;
    }
    return parsed[id];
  }
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
  function text(parent, t) {
    parent.appendChild(document.createTextNode(t));
  }
  function none(parent, t) {
    add(parent, el("span", "none", t || "none"));
  }
  // Text with `code` runs, as the page's other sections show it.
  function rich(parent, t) {
    var parts = t.split("`");
    if (parts.length % 2 === 0) {
      text(parent, t);
      return;
    }
    parts.forEach(function (part, i) {
      if (part) {
        if (i % 2 === 1) {
          add(parent, el("code", "", part));
        } else {
          text(parent, part);
        }
      }
    });
  }
  function link(parent, prefix, id) {
    var a = add(parent, el("a", "", id));
    a.setAttribute("href", "#" + prefix + "-" + id);
  }
  // Links to `[prefix, id]` pairs, or "none".
  function links(parent, list) {
    if (!list.length) {
      none(parent);
    }
    list.forEach(function (l, i) {
      if (i) {
        text(parent, ", ");
      }
      link(parent, l[0], l[1]);
    });
  }
  function str(d, i) {
    return i < 0 ? "" : d.strings[i];
  }
  // A reference is a row's index in its table, or the id itself.
  function ref(table, r) {
    return typeof r === "number" ? table[r][0] : r;
  }
  function refs(prefix, table, list) {
    return list.map(function (r) { return [prefix, ref(table, r)]; });
  }
  function codes(parent, d, list) {
    if (!list.length) {
      none(parent);
    }
    list.forEach(function (c, i) {
      if (i) {
        text(parent, ", ");
      }
      add(parent, el("code", "", d.titles[c][0]));
    });
  }
  function named(td, row) {
    if (row[1] !== null) {
      add(td, el("span", "name", row[1]));
      add(td, el("br"));
    }
    add(td, el("code", "", row[0]));
    if (row[2] !== null) {
      add(td, el("p", "desc", row[2]));
    }
  }
  function outOfScope(td, t) {
    if (t !== null) {
      var p = add(td, el("p", "desc"));
      add(p, el("strong", "", "Out of scope:"));
      text(p, " " + t);
    }
  }
  function counts(tr, threats, open) {
    var td = add(tr, el("td", "nowrap"));
    if (threats) {
      td.textContent = open + " open / " + threats;
    } else {
      none(td, "0");
    }
  }
  function boundary(d, r) {
    return r === -1 ? null : ref(d.boundaries, r);
  }
  function flowId(d, f) {
    return f[0] !== null ? f[0] : ref(d.components, f[1]) + "->" + ref(d.components, f[2]);
  }

  // Each table: where its rows come from, its row's id, what its filter reads, how a row looks.
  var kinds = {
    components: {
      source: "inventory-json", prefix: "c", noun: ["component", "components"],
      id: function (d, c) { return c[0]; },
      words: function (d, c) {
        return [c[0], c[1], str(d, c[3]), c[4] < 0 ? "" : d.titles[c[4]].join(" "), str(d, c[5]),
          boundary(d, c[6]), str(d, c[7]), str(d, c[11])];
      },
      row: function (d, c) {
        var tr = el("tr");
        tr.id = "c-" + c[0];
        if (c[12] !== null) {
          tr.className = "out";
        }
        var first = add(tr, el("td"));
        named(first, c);
        outOfScope(first, c[12]);
        var kind = add(tr, el("td", "", str(d, c[3])));
        if (c[4] >= 0) {
          var t = d.titles[c[4]];
          add(kind, el("br"));
          if (t[1] !== null) {
            text(kind, t[1] + " ");
          }
          add(kind, el("code", "", t[0]));
        }
        add(tr, el("td", "", str(d, c[5])));
        var b = add(tr, el("td"));
        if (boundary(d, c[6]) !== null) {
          link(b, "b", boundary(d, c[6]));
        }
        add(tr, el("td", "", str(d, c[7])));
        var uses = add(tr, el("td"));
        if (c[8].length) {
          add(uses, el("span", "sub", "processes"));
          text(uses, " ");
          links(uses, refs("d", d.data, c[8]));
        }
        if (c[8].length && c[9].length) {
          add(uses, el("br"));
        }
        if (c[9].length) {
          add(uses, el("span", "sub", "stores"));
          text(uses, " ");
          links(uses, refs("d", d.data, c[9]));
        }
        codes(add(tr, el("td")), d, c[10]);
        add(tr, el("td", "", str(d, c[11])));
        counts(tr, c[13], c[14]);
        return tr;
      }
    },
    data: {
      source: "inventory-json", prefix: "d", noun: ["data asset", "data assets"],
      id: function (d, x) { return x[0]; },
      words: function (d, x) {
        return [x[0], x[1], str(d, x[3]), str(d, x[8])].concat(x[6].map(function (c) { return str(d, c); }));
      },
      row: function (d, x) {
        var tr = el("tr");
        tr.id = "d-" + x[0];
        named(add(tr, el("td")), x);
        var c = str(d, x[3]);
        add(add(tr, el("td")), el("span", "class class-" + c, c));
        add(tr, el("td", "", str(d, x[4])));
        add(tr, el("td", "", str(d, x[5])));
        add(tr, el("td", "", x[6].map(function (i) { return str(d, i); }).join(", ")));
        add(tr, el("td", "", str(d, x[7])));
        links(add(tr, el("td")), refs("c", d.components, x[9]));
        add(tr, el("td", "", str(d, x[8])));
        counts(tr, x[10], x[11]);
        return tr;
      }
    },
    flows: {
      source: "inventory-json", prefix: "f", noun: ["flow", "flows"],
      id: flowId,
      words: function (d, f) {
        return [flowId(d, f), ref(d.components, f[1]), ref(d.components, f[2]), f[3],
          f[5] < 0 ? "" : d.titles[f[5]][0], str(d, f[7]), str(d, f[8])];
      },
      row: function (d, f) {
        var tr = el("tr");
        tr.id = "f-" + flowId(d, f);
        if (f[14] !== null) {
          tr.className = "out";
        }
        var first = add(tr, el("td"));
        link(first, "c", ref(d.components, f[1]));
        text(first, " \u2192 ");
        link(first, "c", ref(d.components, f[2]));
        if (f[3] !== null) {
          add(first, el("br"));
          add(first, el("span", "name", f[3]));
        }
        if (str(d, f[12]) === "devops") {
          text(first, " ");
          add(first, el("span", "tag", "devops"));
        }
        if (f[13]) {
          text(first, " ");
          add(first, el("span", "tag", "read-only"));
        }
        if (f[4] !== null) {
          add(first, el("p", "desc", f[4]));
        }
        outOfScope(first, f[14]);
        var protocol = add(tr, el("td"));
        if (f[5] >= 0) {
          add(protocol, el("code", "", d.titles[f[5]][0]));
        } else {
          none(protocol, "unknown");
        }
        var encrypted = add(tr, el("td"));
        if (f[6]) {
          encrypted.textContent = "yes";
        } else {
          add(encrypted, el("strong", "warn", "no"));
        }
        add(tr, el("td", "", str(d, f[7]) + " / " + str(d, f[8])));
        links(add(tr, el("td")), refs("d", d.data, f[9]));
        links(add(tr, el("td")), refs("d", d.data, f[10]));
        codes(add(tr, el("td")), d, f[11]);
        counts(tr, f[15], f[16]);
        return tr;
      }
    },
    boundaries: {
      source: "inventory-json", prefix: "b", noun: ["trust boundary", "trust boundaries"],
      id: function (d, b) { return b[0]; },
      words: function (d, b) { return [b[0], b[1], str(d, b[3]), str(d, b[4]), boundary(d, b[5])]; },
      row: function (d, b) {
        var tr = el("tr");
        tr.id = "b-" + b[0];
        named(add(tr, el("td")), b);
        add(tr, el("td", "", str(d, b[3])));
        var trust = str(d, b[4]);
        add(add(tr, el("td")), el("span", "trust trust-" + trust, trust));
        var parent = add(tr, el("td"));
        if (boundary(d, b[5]) !== null) {
          link(parent, "b", boundary(d, b[5]));
        }
        links(add(tr, el("td")), b[6].map(function (m) {
          return typeof m === "number" && m < 0 ? ["b", d.boundaries[-1 - m][0]] : ["c", ref(d.components, m)];
        }));
        counts(tr, b[7], b[8]);
        return tr;
      }
    },
    runtimes: {
      source: "inventory-json", prefix: "r", noun: ["shared runtime", "shared runtimes"],
      id: function (d, r) { return r[0]; },
      words: function (d, r) { return [r[0], r[1], str(d, r[3])]; },
      row: function (d, r) {
        var tr = el("tr");
        tr.id = "r-" + r[0];
        named(add(tr, el("td")), r);
        add(tr, el("td", "", str(d, r[3])));
        links(add(tr, el("td")), refs("c", d.components, r[4]));
        counts(tr, r[5], r[6]);
        return tr;
      }
    },
    hygiene: {
      source: "hygiene-json", prefix: "t", noun: ["item", "items"], rows: "items",
      id: function (d, h) { return h[4] !== null ? h[4] : str(d, h[0]) + ":" + str(d, h[2]); },
      words: function (d, h) {
        return [kinds.hygiene.id(d, h), str(d, h[1]), str(d, h[3]), d.status[h[5]][1], h[7]];
      },
      row: function (d, h) {
        var tr = el("tr");
        tr.id = "t-" + kinds.hygiene.id(d, h);
        var first = add(tr, el("td"));
        var status = d.status[h[5]];
        add(first, el("span", "status status-" + status[0], status[1]));
        if (h[6] !== null) {
          add(first, el("br"));
          rich(add(first, el("small")), h[6]);
        }
        var practice = add(tr, el("td", "", str(d, h[1])));
        add(practice, el("br"));
        add(practice, el("code", "id", kinds.hygiene.id(d, h)));
        rich(add(tr, el("td")), h[7]);
        var missing = add(tr, el("td"));
        if (!h[8].length) {
          none(missing);
        }
        h[8].forEach(function (alts, i) {
          if (i) {
            text(missing, ", ");
          }
          alts.forEach(function (c, j) {
            if (j) {
              text(missing, " or ");
            }
            add(missing, el("code", "", str(d, c)));
          });
        });
        add(tr, el("td", "", typeof h[9] === "number"
          ? "On " + str(d, h[3]) + " " + str(d, h[2]) + ", " + str(d, h[9])
          : h[9]));
        return tr;
      }
    }
  };

  var tables = [];
  var byPrefix = {};

  function setUp(name) {
    var kind = kinds[name];
    var table = document.getElementById(name + "-table");
    if (!table || !document.getElementById(kind.source)) {
      return;
    }
    var bar = el("div", "filters");
    bar.setAttribute("role", "search");
    var label = add(bar, el("label", "", "Filter " + kind.noun[1]));
    var input = add(label, el("input"));
    input.type = "search";
    input.id = name + "-filter";
    input.setAttribute("aria-controls", name + "-table");
    var count = el("p", "count");
    count.id = name + "-count";
    count.setAttribute("role", "status");
    count.setAttribute("aria-live", "polite");
    table.parentNode.insertBefore(bar, table);
    table.parentNode.insertBefore(count, table);
    var pager = el("div", "pager");
    pager.id = name + "-pager";
    var prev = add(pager, el("button", "", "Previous"));
    prev.type = "button";
    prev.id = name + "-prev";
    text(pager, " ");
    var where = add(pager, el("span"));
    where.id = name + "-page";
    text(pager, " ");
    var next = add(pager, el("button", "", "Next"));
    next.type = "button";
    next.id = name + "-next";
    table.parentNode.insertBefore(pager, table.nextSibling);

    var t = {
      kind: kind, body: table.tBodies[0], input: input, section: table.closest("section"),
      shown: null, page: 0, drawn: false, texts: null, ids: null
    };
    function doc() {
      return data(kind.source);
    }
    function rows() {
      return doc()[kind.rows || name];
    }
    t.draw = function () {
      var d = doc();
      var all = rows();
      var shown = t.shown || all.map(function (r, i) { return i; });
      var pages = Math.max(1, Math.ceil(shown.length / PAGE));
      t.page = Math.min(Math.max(t.page, 0), pages - 1);
      var from = t.page * PAGE;
      var to = Math.min(shown.length, from + PAGE);
      var fragment = document.createDocumentFragment();
      for (var i = from; i < to; i += 1) {
        fragment.appendChild(kind.row(d, all[shown[i]]));
      }
      while (t.body.firstChild) {
        t.body.removeChild(t.body.firstChild);
      }
      t.body.appendChild(fragment);
      var noun = kind.noun[all.length === 1 ? 0 : 1];
      count.textContent = t.shown === null
        ? all.length + " " + noun
        : shown.length + " of " + all.length + " " + noun + " (matching \u201c" + input.value.trim() + "\u201d)";
      where.textContent = shown.length === 0
        ? "Nothing matches"
        : (from + 1) + "\u2013" + to + " of " + shown.length + ", page " + (t.page + 1) + " of " + pages;
      prev.disabled = t.page === 0;
      next.disabled = t.page >= pages - 1;
      t.drawn = true;
    };
    t.filter = function () {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      if (!words.length) {
        t.shown = null;
      } else {
        var d = doc();
        if (!t.texts) {
          t.texts = rows().map(function (r) {
            return kind.words(d, r).filter(function (w) { return w !== null && w !== undefined; })
              .join("\n").toLowerCase();
          });
        }
        t.shown = [];
        t.texts.forEach(function (s, i) {
          if (words.every(function (w) { return s.indexOf(w) !== -1; })) {
            t.shown.push(i);
          }
        });
      }
      t.page = 0;
      t.draw();
    };
    // Shows the row whose id is `id`, clearing a filter that hides it; false if there is none.
    t.reveal = function (id) {
      var d = doc();
      if (!t.ids) {
        t.ids = {};
        rows().forEach(function (r, i) {
          t.ids["#" + kind.id(d, r)] = i;
        });
      }
      var index = t.ids["#" + id];
      if (index === undefined) {
        return false;
      }
      var at = t.shown === null ? index : t.shown.indexOf(index);
      if (at === -1) {
        input.value = "";
        t.shown = null;
        at = index;
      }
      t.page = Math.floor(at / PAGE);
      t.draw();
      return true;
    };
    input.addEventListener("input", t.filter);
    prev.addEventListener("click", function () {
      t.page -= 1;
      t.draw();
    });
    next.addEventListener("click", function () {
      t.page += 1;
      t.draw();
    });
    tables.push(t);
    (byPrefix[kind.prefix] = byPrefix[kind.prefix] || []).push(t);
  }

  Object.keys(kinds).forEach(setUp);
  if (!tables.length) {
    return;
  }

  // A link to a row not drawn (`#c-api` from the register, a flow's ends) draws the page that has
  // it, before the browser follows the link.
  function reveal(target) {
    if (!target || document.getElementById(target)) {
      return;
    }
    var dash = target.indexOf("-");
    var candidates = dash > 0 ? byPrefix[target.slice(0, dash)] || [] : [];
    candidates.some(function (t) {
      return t.reveal(target.slice(dash + 1));
    });
  }
  function fragment(href) {
    try {
      return decodeURIComponent(href.slice(1));
    } catch (e) {
      return href.slice(1);
    }
  }
  document.addEventListener("click", function (event) {
    var a = event.target && event.target.closest ? event.target.closest("a[href^='#']") : null;
    if (a) {
      reveal(fragment(a.getAttribute("href")));
    }
  });
  window.addEventListener("hashchange", function () {
    var target = fragment(location.hash);
    if (target && !document.getElementById(target)) {
      reveal(target);
      var e = document.getElementById(target);
      if (e) {
        e.scrollIntoView();
      }
    }
  });
  if (location.hash.length > 1) {
    var initial = fragment(location.hash);
    if (!document.getElementById(initial)) {
      reveal(initial);
      var e = document.getElementById(initial);
      if (e) {
        e.scrollIntoView();
      }
    }
  }

  // The first page of each table, when its section comes near the view.
  function drawIn(section) {
    tables.forEach(function (t) {
      if (t.section === section && !t.drawn) {
        t.draw();
      }
    });
  }
  if (typeof IntersectionObserver === "function") {
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting) {
          drawIn(entry.target);
          observer.unobserve(entry.target);
        }
      });
    }, { rootMargin: "1000px 0px" });
    tables.forEach(function (t) {
      if (t.section) {
        observer.observe(t.section);
      }
    });
  } else {
    tables.forEach(function (t) {
      t.draw();
    });
  }
})();
