#!/usr/bin/env node
// How report.html of a large run opens in headless Chromium: time until the page is drawn and
// usable, JS heap, DOM size, and how long a filter click takes. Medians of --runs page loads.
//
//   build/maskdetect --input ../shared/datasets/scenes-ilc2021/images --out /tmp/scenes -q
//   node bench/html_report.js --out /tmp/scenes [--runs 5]
"use strict";
const path = require("path");
const fs = require("fs");
const { launch } = require("../tests/browser/lib");

function median(v) {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function once(browser, url) {
  const page = await browser.newPage();
  const t0 = Date.now();
  await page.goto(url, { waitUntil: "load" });
  await page.waitForSelector("body[data-ready]");
  const ready = Date.now() - t0;
  const m = await page.metrics();
  const cards = await page.$$eval("#gallery article", (a) => a.length);
  const files = await page.evaluate(() => data.files.length);
  const t1 = Date.now();
  await page.click('button[data-filter="no_mask"]');
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
  const filter = Date.now() - t1;
  await page.close();
  return { ready, heap: m.JSHeapUsedSize / 1048576, nodes: m.Nodes, cards, files, filter };
}

async function main() {
  const argv = process.argv.slice(2);
  const arg = (k, d) => (argv.includes(k) ? argv[argv.indexOf(k) + 1] : d);
  const out = arg("--out");
  const runs = Number(arg("--runs", 5));
  if (!out) throw new Error("usage: node bench/html_report.js --out RESULTS_DIR [--runs N]");
  const html = path.resolve(out, "report.html");
  const sizeMiB = fs.statSync(html).size / 1048576;
  let thumbs = 0, thumbBytes = 0;
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p); else { thumbs++; thumbBytes += fs.statSync(p).size; }
    }
  };
  walk(path.resolve(out, "report_files"));
  const browser = await launch();
  const results = [];
  try {
    for (let i = 0; i < runs; ++i) results.push(await once(browser, "file://" + html));
  } finally {
    await browser.close();
  }
  const r = results[0];
  console.log(`report.html ${sizeMiB.toFixed(2)} MiB, ${r.files} files, ${thumbs} thumbnails ` +
              `(${(thumbBytes / 1048576).toFixed(1)} MiB, ${(thumbBytes / thumbs / 1024).toFixed(1)} KiB each)`);
  console.log(`median of ${runs}: usable in ${median(results.map((x) => x.ready))} ms, ` +
              `JS heap ${median(results.map((x) => x.heap)).toFixed(1)} MiB, ` +
              `${median(results.map((x) => x.nodes))} DOM nodes, ${r.cards} cards drawn, ` +
              `no_mask filter ${median(results.map((x) => x.filter))} ms`);
}

main().catch((e) => { console.error(e); process.exit(1); });
