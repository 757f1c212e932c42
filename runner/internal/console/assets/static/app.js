// The console page: reads /ui/state every 2 s and draws the tasks. Everything the runner
// reports is put in the page as text (textContent), never as HTML.
"use strict";

const SVG = "http://www.w3.org/2000/svg";

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined) continue;
    if (k === "class") e.className = v; else e.setAttribute(k, v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : String(c));
  }
  return e;
}

function num(n) { return Number(n || 0).toLocaleString("en-US", { maximumFractionDigits: 1 }); }

function bytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0; n = Number(n || 0);
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return n.toFixed(i ? 1 : 0) + " " + units[i];
}

function position(p) {
  if (!p) return "-";
  const parts = [];
  if (p.file) parts.push(p.file + ":" + p.pos);
  if (p.gtid_set) parts.push(p.gtid_set.replace(/\n/g, ""));
  return parts.join(" / ") || "-";
}

// rowsPerSecond turns the samples into [time, rows/s] points, each the rate over the 10 s
// before it: rows arrive in committed chunks, so rates between single samples jump.
function rowsPerSecond(samples) {
  const out = [];
  let j = 0;
  for (let i = 1; i < samples.length; i++) {
    const ti = Date.parse(samples[i].t);
    while (j < i - 1 && ti - Date.parse(samples[j].t) > 10000) j++;
    const dt = (ti - Date.parse(samples[j].t)) / 1000;
    if (dt > 0) out.push([ti, Math.max(0, (samples[i].rows - samples[j].rows) / dt)]);
  }
  return out;
}

// chart draws points [[ms, value]] over the last window as a line with its latest value.
function chart(series, title, unit, points, now, windowSeconds) {
  const W = 360, H = 96, pad = 4, top = 16;
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", "chart");
  svg.setAttribute("data-series", series);
  svg.setAttribute("width", W); svg.setAttribute("height", H);
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  const label = document.createElementNS(SVG, "text");
  label.setAttribute("x", pad); label.setAttribute("y", 11);
  const last = points.length ? points[points.length - 1][1] : null;
  label.textContent = `${title} (last hour): ${last === null ? "-" : num(last) + " " + unit}`;
  svg.append(label);
  const from = Math.max(points.length ? points[0][0] : now, now - windowSeconds * 1000);
  const shown = points.filter(p => p[0] >= from);
  const maxV = Math.max(1e-9, ...shown.map(p => p[1]));
  const span = Math.max(1, now - from);
  const line = document.createElementNS(SVG, "polyline");
  line.setAttribute("points", shown.map(([t, v]) =>
    `${(pad + (t - from) / span * (W - 2 * pad)).toFixed(1)},${(H - pad - v / maxV * (H - top - pad)).toFixed(1)}`).join(" "));
  line.setAttribute("data-points", shown.length);
  svg.append(line);
  return svg;
}

function tablesView(task) {
  const tables = (task.state && task.state.tables) || [];
  if (!tables.length) return null;
  const body = el("tbody");
  for (const t of tables) {
    const name = t.database + "." + t.table;
    let frac = t.done ? 1 : (t.rows_total > 0 ? Math.min(t.rows_migrated / t.rows_total, 0.999) : 0);
    const fill = el("div", { class: "fill" + (t.done ? " done" : "") });
    fill.style.width = (frac * 100).toFixed(1) + "%"; // through the CSSOM: the CSP forbids style attributes
    body.append(el("tr", { class: "table-progress", "data-table": name, "data-percent": (frac * 100).toFixed(1) },
      el("td", {}, name),
      el("td", {}, el("div", { class: "bar", role: "progressbar", "aria-valuenow": (frac * 100).toFixed(1), "aria-valuemin": "0", "aria-valuemax": "100" }, fill)),
      el("td", {}, (frac * 100).toFixed(1) + "%"),
      el("td", {}, num(t.rows_migrated) + " / " + num(t.rows_total) + (t.done ? " (done)" : ""))));
  }
  return el("table", { class: "tables" },
    el("thead", {}, el("tr", {}, el("th", {}, "Table"), el("th", {}, "Progress"), el("th", {}, "%"), el("th", {}, "Rows / estimate"))), body);
}

function precheckView(task) {
  const items = (task.state && task.state.precheck) || [];
  if (!items.length) return null;
  const body = el("tbody");
  for (const it of items) {
    body.append(el("tr", { class: "precheck-item item-" + it.status },
      el("td", {}, it.name), el("td", {}, it.status), el("td", {}, it.message), el("td", {}, it.remedy || "")));
  }
  const blocking = items.filter(i => i.status !== "passed").length;
  return el("details", { open: blocking ? "" : null, class: "precheck" },
    el("summary", {}, `Precheck: ${items.length} items, ${blocking} not passed`),
    el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "Item"), el("th", {}, "Status"), el("th", {}, "Message"), el("th", {}, "Remedy"))), body));
}

function verificationView(task) {
  const v = task.state && task.state.verification;
  if (!v) return null;
  const list = el("ul");
  for (const m of (v.mismatched || []).slice(0, 20)) list.append(el("li", {}, `${m.table} ${m.key}: ${m.kind}`));
  return el("div", { class: "verification" },
    el("div", { class: "facts" },
      el("span", {}, "Verification ", el("b", {}, v.status || "-")),
      el("span", {}, "rows checked ", el("b", {}, num(v.rows_checked))),
      el("span", {}, "mismatches ", el("b", {}, num(v.mismatches))),
      el("span", {}, "repaired ", el("b", {}, num(v.repaired))),
      el("span", {}, "sweeps ", el("b", {}, num(v.sweeps)))),
    list.children.length ? list : null);
}

function eventsView(task) {
  const evs = task.events || [];
  if (!evs.length) return null;
  const list = el("ul", { class: "events" });
  for (const e of evs.slice().reverse()) {
    list.append(el("li", {}, el("span", { class: "muted" }, new Date(e.time).toLocaleTimeString() + " " + e.type + " "), e.message));
  }
  return el("details", { class: "recent-events" }, el("summary", {}, `Recent events (${evs.length})`), list);
}

function taskView(task, now, windowSeconds) {
  const s = task.state || {};
  const rps = rowsPerSecond(task.samples || []);
  const lag = (task.samples || []).map(x => [Date.parse(x.t), x.lag]);
  return el("section", { class: "task", "data-task-id": task.id },
    el("h2", {}, task.name || task.id, el("span", { class: "status " + s.status }, s.status), el("span", { class: "muted" }, s.phase ? "phase " + s.phase : ""), el("span", { class: "muted" }, task.id)),
    el("div", { class: "facts" },
      el("span", {}, "progress ", el("b", {}, num(s.progress_percent) + "%")),
      el("span", {}, "rows ", el("b", {}, num(s.rows_migrated))),
      el("span", {}, "bytes ", el("b", {}, bytes(s.bytes_migrated))),
      el("span", {}, "rows/s ", el("b", { class: "rows-per-second" }, rps.length ? num(rps[rps.length - 1][1]) : "-")),
      el("span", {}, "lag ", el("b", { class: "lag" }, num(s.latency_seconds) + " s")),
      el("span", {}, "retries ", el("b", {}, num(s.retries))),
      el("span", {}, "position ", el("b", {}, position(s.position))),
      el("span", {}, "types ", el("b", {}, (task.migration_types || []).join(", ")))),
    s.error_message ? el("p", { class: "error" }, s.error_message) : null,
    tablesView(task),
    el("div", { class: "charts" }, chart("lag", "Lag", "s", lag, now, windowSeconds), chart("rows_per_second", "Rows/s", "rows/s", rps, now, windowSeconds)),
    precheckView(task),
    verificationView(task),
    eventsView(task));
}

async function refresh() {
  let resp;
  try {
    resp = await fetch("/ui/state", { credentials: "same-origin", cache: "no-store" });
  } catch (e) {
    document.getElementById("updated").textContent = "runner unreachable: " + e.message;
    return;
  }
  if (resp.status === 401) { location.reload(); return; }
  if (!resp.ok) { document.getElementById("updated").textContent = "error " + resp.status; return; }
  const st = await resp.json();
  const now = Date.parse(st.time);
  const main = document.getElementById("tasks");
  const open = new Set([...main.querySelectorAll("details[open]")].map(d => d.closest(".task").dataset.taskId + "/" + d.className));
  main.replaceChildren(...(st.tasks.length ? st.tasks.map(t => taskView(t, now, st.window_seconds)) : [el("p", { class: "muted" }, "No tasks yet.")]));
  for (const d of main.querySelectorAll("details")) {
    if (open.has(d.closest(".task").dataset.taskId + "/" + d.className)) d.open = true;
  }
  main.dataset.state = "loaded";
  document.getElementById("updated").textContent = "updated " + new Date(now).toLocaleTimeString();
}

refresh();
setInterval(refresh, 2000);
