// report.html: everything is drawn from the JSON in #report-data, written by maskdetect at the
// end of the run. The gallery is built in pages as it scrolls into view and its thumbnails load
// lazily, so a run of 10,000 photos opens as fast as one of 10.
"use strict";

const PAGE = 120;
const data = JSON.parse(document.getElementById("report-data").textContent);
const roles = data.roles || {};
const labels = data.labels || [];
const state = { filter: "all", sort: "name", shown: [], rendered: 0 };

function fileLabels(f) {
  // A video counts a label when a person (or, for a video too short for people, any face) had it.
  const counts = {};
  if (f.kind === "video") {
    const src = f.people_by_label && Object.values(f.people_by_label).some((n) => n > 0)
      ? f.people_by_label : (f.faces_by_label || {});
    for (const [l, n] of Object.entries(src)) if (n > 0) counts[l] = n;
  } else {
    for (const face of f.faces || []) counts[face.label] = (counts[face.label] || 0) + 1;
  }
  return counts;
}

function isProblem(f) { return f.status !== "ok"; }

// A failed file has an error, a skipped one a reason.
function reasonOf(f) { return f.error || f.reason || (f.warnings || []).join("; "); }

function matches(f) {
  if (state.filter === "all") return true;
  if (state.filter === "problems") return isProblem(f);
  return (fileLabels(f)[state.filter] || 0) > 0;
}

function renderInfo() {
  const parts = ["maskdetect " + data.tool_version, "started " + data.started_at];
  if (data.model && data.model.sha256) parts.push("model sha256 " + data.model.sha256.slice(0, 12));
  if (data.params && data.params.detector) parts.push("detector " + data.params.detector);
  if (data.summary.interrupted) parts.push("interrupted: covers what was processed");
  document.getElementById("run-info").textContent = parts.join(" · ");
}

function tile(n, key, id) {
  return el("div", { class: "tile", id: id }, el("span", { class: "n" }, n), el("span", { class: "k" }, key));
}

function renderTiles() {
  const s = data.summary;
  const tiles = document.getElementById("tiles");
  tiles.append(tile(s.files, "files", "tile-files"), tile(s.faces, "faces in photos", "tile-faces"),
               tile(s.people, "people in videos", "tile-people"));
  for (const l of labels) tiles.append(tile((s.by_label || {})[l] || 0, l, "tile-label-" + l));
  tiles.append(tile(s.failed, "failed", "tile-failed"));
  if (s.skipped !== undefined) tiles.append(tile(s.skipped, "skipped", "tile-skipped"));
  tiles.append(tile(formatSeconds(s.seconds || 0), "time", "tile-time"));
}

function renderChart() {
  const by = data.summary.by_label || {};
  const max = Math.max(1, ...labels.map((l) => by[l] || 0));
  const row = 28, left = 130, width = 560;
  const chart = svg("svg", { viewBox: `0 0 ${left + width + 60} ${labels.length * row + 8}`,
                             role: "img", "aria-labelledby": "chart-title", width: "100%" });
  chart.append(svg("title", { id: "chart-title" },
                   "Faces in photos and people in videos by label: " +
                   labels.map((l) => l + " " + (by[l] || 0)).join(", ")));
  labels.forEach((l, i) => {
    const n = by[l] || 0, y = 4 + i * row;
    chart.append(svg("text", { x: left - 8, y: y + 17, "text-anchor": "end", "font-size": 13 }, l),
                 svg("rect", { x: left, y: y, width: Math.max(1, (n / max) * width), height: row - 8,
                               fill: labelColour(l, roles), rx: 3 }),
                 svg("text", { x: left + (n / max) * width + 6, y: y + 17, "font-size": 13 }, String(n)));
  });
  document.getElementById("chart").append(chart);
}

function filterButton(value, text) {
  return el("button", { type: "button", "data-filter": value, "aria-pressed": String(state.filter === value),
                        onclick: () => setFilter(value) }, text);
}

function renderFilters() {
  const box = document.getElementById("filters");
  box.append(filterButton("all", "All"));
  const order = [roles.unmasked, roles.incorrect, roles.masked, ...labels].filter((l, i, a) => l && labels.includes(l) && a.indexOf(l) === i);
  for (const l of order) box.append(filterButton(l, l + " only"));
  box.append(filterButton("problems", "Errors and skipped"));
  document.getElementById("sort").addEventListener("change", (e) => { state.sort = e.target.value; refresh(); });
}

function setFilter(value) {
  state.filter = value;
  for (const b of document.querySelectorAll("#filters button"))
    b.setAttribute("aria-pressed", String(b.dataset.filter === value));
  refresh();
}

function card(f) {
  const counts = fileLabels(f);
  const summary = Object.entries(counts).map(([l, n]) => n + " " + l).join(", ") ||
    (isProblem(f) ? f.status : "no face");
  const alt = f.path + ": " + summary;
  const pic = f.thumb
    ? el("img", { src: f.thumb, alt: alt, loading: "lazy", width: 200, height: 150 })
    : el("div", { class: "noimg", role: "img", "aria-label": alt }, isProblem(f) ? f.status : "no preview");
  const badges = el("div", {});
  for (const [l, n] of Object.entries(counts)) badges.append(badge(l, n, roles));
  if (isProblem(f)) badges.append(el("span", { class: "badge " + f.status }, f.status));
  else if (!Object.keys(counts).length) badges.append(el("span", { class: "muted" }, "no face"));
  const links = el("div", { class: "links" });
  if (f.annotated) links.append(el("a", { href: f.annotated }, "annotated"));
  if (f.source) links.append(el("a", { href: f.source }, "source"));
  return el("article", { class: "card", "data-path": f.path },
            f.annotated ? el("a", { href: f.annotated, tabindex: -1 }, pic) : pic,
            el("div", { class: "path" }, f.path), badges,
            isProblem(f) && reasonOf(f) ? el("div", { class: "muted" }, reasonOf(f)) : null, links);
}

function renderMore() {
  const gallery = document.getElementById("gallery");
  const end = Math.min(state.shown.length, state.rendered + PAGE);
  const frag = document.createDocumentFragment();
  for (let i = state.rendered; i < end; ++i) frag.append(card(state.shown[i]));
  gallery.append(frag);
  state.rendered = end;
  document.getElementById("more").textContent =
    end < state.shown.length ? "Scroll for more (" + (state.shown.length - end) + " left)" : "";
}

function refresh() {
  const files = data.files.filter(matches);
  if (state.sort === "newest") files.sort((a, b) => (b.mtime || 0) - (a.mtime || 0) || a.path.localeCompare(b.path));
  else files.sort((a, b) => a.path.localeCompare(b.path));
  state.shown = files;
  state.rendered = 0;
  document.getElementById("gallery").replaceChildren();
  document.getElementById("shown").textContent = "showing " + files.length + " of " + plural(data.files.length, "file");
  renderMore();
}

function timeline(f) {
  const tracks = (f.tracks || []).filter((t) => t.person);
  const shown = tracks.length ? tracks : (f.tracks || []);
  const duration = Math.max(f.duration_s || 0, ...shown.map((t) => t.last_s), 0.1);
  const row = 18, left = 70, width = 800, top = 22;
  const box = svg("svg", { class: "timeline", viewBox: `0 0 ${left + width + 10} ${top + Math.max(1, shown.length) * row + 4}`,
                           width: "100%", role: "img", "aria-label": "Timeline of " + plural(shown.length, "person") + " in " + f.path });
  for (let i = 0; i <= 4; ++i) {
    const x = left + (i / 4) * width;
    box.append(svg("text", { x: x, y: 12, "text-anchor": i === 0 ? "start" : i === 4 ? "end" : "middle" }, formatSeconds(duration * i / 4)),
               svg("line", { x1: x, x2: x, y1: 16, y2: top + shown.length * row, stroke: "#d0d7de" }));
  }
  shown.forEach((t, i) => {
    const y = top + i * row;
    const x0 = left + (t.first_s / duration) * width;
    const w = Math.max(3, ((t.last_s - t.first_s) / duration) * width);
    const bar = svg("rect", { x: x0, y: y + 2, width: w, height: row - 5, rx: 3, fill: labelColour(t.label, roles) });
    bar.append(svg("title", {}, `person ${t.id}: ${t.label} (${Math.round(t.confidence * 100)}%), ${formatSeconds(t.first_s)} to ${formatSeconds(t.last_s)}`));
    box.append(svg("text", { x: 0, y: y + row - 5 }, "#" + t.id + " " + t.label), bar);
  });
  if (!shown.length) box.append(svg("text", { x: left, y: top + 12 }, "no faces tracked"));
  return box;
}

function renderVideos() {
  const videos = data.files.filter((f) => f.kind === "video" && f.status === "ok");
  if (!videos.length) return;
  document.getElementById("videos-section").hidden = false;
  const box = document.getElementById("videos");
  for (const f of videos) {
    const counts = el("div", {});
    for (const [l, n] of Object.entries(f.people_by_label || {})) if (n > 0) counts.append(badge(l, n, roles));
    box.append(el("div", { class: "panel video", "data-path": f.path },
                  el("h3", {}, f.path),
                  el("div", { class: "muted" }, formatSeconds(f.duration_s || 0) + ", " + plural(f.frames || 0, "frame") + " · people: "), counts,
                  timeline(f)));
  }
}

function renderProblems() {
  const rows = data.files.filter(isProblem);
  if (!rows.length) return;
  document.getElementById("problems-section").hidden = false;
  const body = document.getElementById("problems");
  for (const f of rows)
    body.append(el("tr", {}, el("td", {}, f.source ? el("a", { href: f.source }, f.path) : f.path),
                   el("td", {}, f.status), el("td", {}, reasonOf(f))));
}

renderInfo();
renderTiles();
renderChart();
renderFilters();
renderVideos();
renderProblems();
const initial = new URLSearchParams(location.hash.slice(1)).get("filter");
if (initial) setFilter(initial); else refresh();
// Observing again after each page makes the observer report the sentinel anew, so a screen tall
// enough to show it after one page still gets the next.
const sentinel = document.getElementById("more");
const observer = new IntersectionObserver((entries) => {
  if (!entries.some((e) => e.isIntersecting) || state.rendered >= state.shown.length) return;
  renderMore();
  observer.unobserve(sentinel);
  observer.observe(sentinel);
}, { rootMargin: "800px" });
observer.observe(sentinel);
document.body.dataset.ready = "true";
