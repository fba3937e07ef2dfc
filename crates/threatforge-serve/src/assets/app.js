// threatforge serve: live reload, the register's filters, the diagram's pan, zoom
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

// The register is filtered, sorted and paged by the server (its form and links are plain
// GET requests); a choice in a list applies at once.
function register() {
  const form = document.getElementById("filters");
  if (!form) return;
  for (const s of form.querySelectorAll("select")) {
    s.addEventListener("change", () => form.requestSubmit());
  }
  // Empty fields stay out of the address, which then names only what filters.
  form.addEventListener("formdata", (e) => {
    for (const [k, v] of Array.from(e.formData.entries())) if (!v) e.formData.delete(k);
  });
}

// The diagram: drag to pan, wheel to zoom (the SVG's viewBox), click a component, boundary,
// flow label or flow line to open it (Tab reaches each, Enter opens it; an edge that draws several
// flows offers the choice below the diagram); double-click a boundary to collapse it into a box,
// or a box to open it, in place (the server draws it again; the address keeps the choice).
function diagram() {
  const box = document.getElementById("diagram");
  if (!box || !box.querySelector("svg")) return;
  const ids = (s) => (s || "").split(",").filter(Boolean);
  const params = new URLSearchParams(location.search);
  const sets = { collapse: new Set(ids(params.get("collapse"))), expand: new Set(ids(params.get("expand"))) };
  let svg, view, drag = null, moved = false, pending = null;
  const LINKS = "[data-component], [data-boundary], [data-flow], [data-flows]";
  const SVG_NS = "http://www.w3.org/2000/svg";
  const menu = document.getElementById("flow-menu");
  function bind() {
    svg = box.querySelector("svg");
    const base = svg.viewBox.baseVal;
    view = { x: base.x, y: base.y, w: base.width, h: base.height };
    for (const el of svg.querySelectorAll(LINKS)) {
      el.classList.add("link");
      if (el.tagName === "path") {
        // A line is too thin to hit: a wider, invisible copy under it takes the clicks. The
        // label is the flow's one stop for the keyboard.
        const hit = document.createElementNS(SVG_NS, "path");
        hit.setAttribute("d", el.getAttribute("d"));
        hit.setAttribute("stroke", "#000000");
        hit.setAttribute("stroke-opacity", "0");
        hit.setAttribute("stroke-width", "12");
        hit.setAttribute("fill", "none");
        hit.classList.add("link", "hit");
        for (const k of ["flow", "flows"]) if (el.dataset[k] !== undefined) hit.dataset[k] = el.dataset[k];
        el.before(hit);
      } else {
        el.setAttribute("tabindex", "0");
        el.setAttribute("role", "link");
      }
    }
  }
  // An edge that draws several flows: a link to each, below the diagram.
  function choose(ids) {
    if (!menu) return;
    const list = menu.querySelector("ul");
    list.replaceChildren();
    for (const id of ids) {
      const a = document.createElement("a");
      a.href = "/elements/" + encodeURIComponent(id);
      a.textContent = id;
      const li = document.createElement("li");
      li.append(a);
      list.append(li);
    }
    menu.hidden = false;
    const first = list.querySelector("a");
    if (first) first.focus();
  }
  function activate(el, e) {
    if (el.dataset.flows !== undefined) { choose(el.dataset.flows.split(" ").filter(Boolean)); return; }
    const id = el.dataset.component || el.dataset.boundary || el.dataset.flow;
    const open = () => { location.href = "/elements/" + encodeURIComponent(id); };
    if (el.dataset.boundary === undefined || !e) { open(); return; }
    // A boundary's page opens unless a second click makes this a double click.
    clearTimeout(pending);
    if (e.detail < 2) pending = setTimeout(open, 300);
  }
  function apply() { svg.setAttribute("viewBox", [view.x, view.y, view.w, view.h].join(" ")); }
  box.addEventListener("wheel", (e) => {
    e.preventDefault();
    const f = e.deltaY > 0 ? 1.15 : 1 / 1.15;
    const r = svg.getBoundingClientRect();
    const px = view.x + (e.clientX - r.left) / r.width * view.w;
    const py = view.y + (e.clientY - r.top) / r.height * view.h;
    view = { x: px - (px - view.x) * f, y: py - (py - view.y) * f, w: view.w * f, h: view.h * f };
    apply();
  }, { passive: false });
  box.addEventListener("pointerdown", (e) => { drag = { x: e.clientX, y: e.clientY }; moved = false; });
  box.addEventListener("pointermove", (e) => {
    if (!drag) return;
    const r = svg.getBoundingClientRect();
    const dx = (e.clientX - drag.x) / r.width * view.w, dy = (e.clientY - drag.y) / r.height * view.h;
    if (Math.abs(e.clientX - drag.x) + Math.abs(e.clientY - drag.y) > 3) moved = true;
    view.x -= dx; view.y -= dy; drag = { x: e.clientX, y: e.clientY };
    apply();
  });
  box.addEventListener("pointerup", () => { drag = null; });
  box.addEventListener("click", (e) => {
    if (moved) return;
    const el = e.target.closest(LINKS);
    if (el) activate(el, e);
  });
  box.addEventListener("keydown", (e) => {
    if (e.key !== "Enter" && e.key !== " ") return;
    const el = e.target.closest(LINKS);
    if (!el) return;
    e.preventDefault();
    activate(el, null);
  });
  box.addEventListener("dblclick", (e) => {
    const el = e.target.closest("[data-boundary]");
    if (!el) return;
    clearTimeout(pending);
    e.preventDefault();
    toggle(el.dataset.boundary, el.dataset.collapsed === "true");
  });
  async function toggle(id, isBox) {
    if (isBox) { sets.collapse.delete(id); sets.expand.add(id); }
    else { sets.expand.delete(id); sets.collapse.add(id); }
    const q = new URLSearchParams(location.search);
    for (const k of ["collapse", "expand"]) {
      if (sets[k].size) q.set(k, Array.from(sets[k]).join(",")); else q.delete(k);
    }
    const query = q.toString() ? "?" + q.toString() : "";
    const response = await fetch("/diagram.svg" + query);
    if (!response.ok) { say(await response.text(), true); return; }
    const doc = new DOMParser().parseFromString(await response.text(), "image/svg+xml");
    svg.replaceWith(document.importNode(doc.documentElement, true));
    history.replaceState(null, "", "/diagram" + query);
    bind();
  }
  bind();
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
  const record = document.getElementById("record-threat");
  if (record) record.addEventListener("submit", (e) => {
    e.preventDefault();
    const f = new FormData(record);
    post("/api/threat", {
      element: record.dataset.element,
      title: f.get("title") || "",
      id: f.get("id") || "",
      stride: f.get("stride"),
      likelihood: f.get("likelihood"),
      impact: f.get("impact"),
      description: f.get("description") || "",
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
