// Shared by report.html and the `maskdetect serve` page: colours of labels by their role in the
// model card, DOM building without innerHTML (file names and labels are never parsed as HTML),
// and drawing faces on a canvas.
"use strict";

const ROLE_COLOURS = { masked: "#1a7f37", unmasked: "#cf222e", incorrect: "#9a6700" };

function labelColour(label, roles) {
  for (const role of ["masked", "unmasked", "incorrect"]) {
    if (roles && roles[role] && roles[role] === label) return ROLE_COLOURS[role];
  }
  return "#57606a";
}

// el("a", {href: url, class: "x"}, "text", child): attributes are set, children appended as
// text nodes or elements.
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    node.append(typeof c === "string" || typeof c === "number" ? String(c) : c);
  }
  return node;
}

const SVG_NS = "http://www.w3.org/2000/svg";
function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  for (const c of children) node.append(c);
  return node;
}

function badge(label, n, roles) {
  return el("span", { class: "badge", style: "background:" + labelColour(label, roles) },
            n === undefined ? label : label + " " + n);
}

function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }

function formatSeconds(s) {
  if (s < 60) return (Math.round(s * 10) / 10) + " s";
  const m = Math.floor(s / 60), r = Math.round(s - m * 60);
  return m + " min " + String(r).padStart(2, "0") + " s";
}

// Boxes and labels as the tool draws them, on a canvas showing an image of `width` pixels
// (faces are in those pixels) at scale `k`.
function drawFaces(ctx, faces, k, roles) {
  const line = Math.max(2, Math.round(ctx.canvas.width / 300));
  ctx.lineWidth = line;
  ctx.font = Math.max(13, Math.round(ctx.canvas.width / 32)) + "px sans-serif";
  ctx.textBaseline = "bottom";
  for (const f of faces) {
    const c = labelColour(f.label, roles);
    const x = f.box.x * k, y = f.box.y * k, w = f.box.w * k, h = f.box.h * k;
    ctx.strokeStyle = c;
    ctx.strokeRect(x, y, w, h);
    const text = f.label + " " + Math.round(f.confidence * 100) + "%";
    const tw = ctx.measureText(text).width + 8;
    const th = parseInt(ctx.font, 10) + 4;
    const ty = y - th < 0 ? y + h + th : y;
    // A face at the right edge would have its label cut off: shift it left, as src/annotate.cc.
    const tx = Math.max(0, Math.min(x - line / 2, ctx.canvas.width - tw));
    ctx.fillStyle = c;
    ctx.fillRect(tx, ty - th, tw, th);
    ctx.fillStyle = "#ffffff";
    ctx.fillText(text, tx + 4, ty - 2);
  }
}
