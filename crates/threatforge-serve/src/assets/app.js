// threatforge serve: live reload, the register's filters and sorting, the diagram's pan, zoom
// and links, and the triage forms. No model text is ever inserted as HTML: it is read from
// data-* attributes and written back with textContent only.
"use strict";

function meta(name) {
  const m = document.querySelector('meta[name="' + name + '"]');
  return m ? m.content : "";
}

// While an edit is on its way, the reload its own write causes waits for its answer, which
// reloads the page itself with the diff to show.
let editing = false;

// Live: the server says when the model was loaded again; the page is rendered again from it.
function live() {
  if (!window.EventSource) return;
  const generation = meta("tf-generation");
  const source = new EventSource("/events");
  const badge = document.getElementById("live");
  source.addEventListener("reload", (e) => {
    if (e.data !== generation && !editing) location.reload();
  });
  source.onopen = () => { if (badge) badge.classList.remove("off"); };
  source.onerror = () => { if (badge) badge.classList.add("off"); };
}

// The register: filter by text and selects, sort by a column.
function register() {
  const table = document.getElementById("register");
  if (!table) return;
  const rows = Array.from(table.tBodies[0].rows);
  const text = document.getElementById("filter-text");
  const selects = ["severity", "status", "stride"].map((k) => [k, document.getElementById("filter-" + k)]);
  const shown = document.getElementById("shown");
  function filter() {
    const words = text.value.toLowerCase().split(/\s+/).filter(Boolean);
    let n = 0;
    for (const row of rows) {
      const d = row.dataset;
      const hay = [d.title, d.element, d.rule, d.owner, d.id].join(" ").toLowerCase();
      const ok = words.every((w) => hay.includes(w)) &&
        selects.every(([k, s]) => !s.value || d[k] === s.value);
      row.hidden = !ok;
      if (ok) n++;
    }
    shown.textContent = n + " of " + rows.length + " threats";
  }
  text.addEventListener("input", filter);
  for (const [, s] of selects) s.addEventListener("change", filter);
  document.getElementById("filters").addEventListener("submit", (e) => e.preventDefault());
  sortable(table);
}

function sortable(table) {
  const body = table.tBodies[0];
  for (const th of table.tHead.rows[0].cells) {
    const key = th.dataset.sort;
    if (!key) continue;
    const numeric = th.hasAttribute("data-numeric");
    th.tabIndex = 0;
    th.addEventListener("click", () => {
      const ascending = th.getAttribute("aria-sort") !== "ascending";
      for (const other of th.parentNode.cells) other.removeAttribute("aria-sort");
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      const rows = Array.from(body.rows);
      rows.sort((a, b) => {
        const x = a.dataset[key], y = b.dataset[key];
        const c = numeric ? Number(x) - Number(y) : x.localeCompare(y);
        return ascending ? c : -c;
      });
      for (const row of rows) body.appendChild(row);
    });
  }
}

// The diagram: drag to pan, wheel to zoom (the SVG's viewBox), click a component, boundary or
// flow label to open it.
function diagram() {
  const box = document.getElementById("diagram");
  const svg = box && box.querySelector("svg");
  if (!svg) return;
  const base = svg.viewBox.baseVal;
  let view = { x: base.x, y: base.y, w: base.width, h: base.height };
  let drag = null, moved = false;
  function apply() { svg.setAttribute("viewBox", [view.x, view.y, view.w, view.h].join(" ")); }
  svg.addEventListener("wheel", (e) => {
    e.preventDefault();
    const f = e.deltaY > 0 ? 1.15 : 1 / 1.15;
    const r = svg.getBoundingClientRect();
    const px = view.x + (e.clientX - r.left) / r.width * view.w;
    const py = view.y + (e.clientY - r.top) / r.height * view.h;
    view = { x: px - (px - view.x) * f, y: py - (py - view.y) * f, w: view.w * f, h: view.h * f };
    apply();
  }, { passive: false });
  svg.addEventListener("pointerdown", (e) => { drag = { x: e.clientX, y: e.clientY }; moved = false; });
  svg.addEventListener("pointermove", (e) => {
    if (!drag) return;
    const r = svg.getBoundingClientRect();
    const dx = (e.clientX - drag.x) / r.width * view.w, dy = (e.clientY - drag.y) / r.height * view.h;
    if (Math.abs(e.clientX - drag.x) + Math.abs(e.clientY - drag.y) > 3) moved = true;
    view.x -= dx; view.y -= dy; drag = { x: e.clientX, y: e.clientY };
    apply();
  });
  svg.addEventListener("pointerup", () => { drag = null; });
  svg.addEventListener("click", (e) => {
    if (moved) return;
    const el = e.target.closest("[data-component], [data-boundary], [data-flow]");
    if (!el) return;
    const id = el.dataset.component || el.dataset.boundary || el.dataset.flow;
    location.href = "/elements/" + encodeURIComponent(id);
  });
  for (const el of svg.querySelectorAll("[data-component], [data-boundary], [data-flow]")) {
    el.classList.add("link");
  }
}

// Triage: each form posts JSON with the CSRF token and the version of the model the page shows;
// the answer's diff is shown after the page reloads with the new analysis.
function say(text, error) {
  const m = document.getElementById("message");
  m.textContent = text;
  m.classList.toggle("error", !!error);
  m.hidden = false;
  m.scrollIntoView();
}

async function post(url, body) {
  body.version = meta("tf-version");
  editing = true;
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": meta("tf-csrf") },
      body: JSON.stringify(body),
    });
  } catch (e) {
    editing = false;
    say("The server cannot be reached: " + e.message, true);
    return;
  }
  let answer = {};
  try { answer = await response.json(); } catch (e) { answer = { error: response.statusText }; }
  if (!response.ok) {
    editing = false;
    say(answer.error || ("The server refused the change (" + response.status + ")"), true);
    return;
  }
  sessionStorage.setItem("tf-edited", JSON.stringify({ file: answer.file, diff: answer.diff }));
  location.reload();
}

function triage() {
  const decide = document.getElementById("decide");
  if (decide) decide.addEventListener("submit", (e) => {
    e.preventDefault();
    const f = new FormData(decide);
    post("/api/decision", {
      threat: decide.dataset.threat,
      status: f.get("status"),
      owner: f.get("owner") || "",
      justification: f.get("justification") || "",
      expires: f.get("expires") || "",
    });
  });
  const control = document.getElementById("add-control");
  if (control) control.addEventListener("submit", (e) => {
    e.preventDefault();
    post("/api/control", {
      component: control.dataset.component,
      control: new FormData(control).get("control"),
    });
  });
  const edited = sessionStorage.getItem("tf-edited");
  if (edited) {
    sessionStorage.removeItem("tf-edited");
    const { file, diff } = JSON.parse(edited);
    document.getElementById("diff-file").textContent = file;
    document.getElementById("diff-text").textContent = diff;
    document.getElementById("diff").hidden = false;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  live();
  register();
  diagram();
  triage();
});
