// report.html of the fixtures run, in headless Chromium: the counts on the page are
// report.json's, the no_mask filter shows exactly the files with a no_mask face (or person), the
// filters work from the keyboard, nothing is fetched from the network, and a screenshot is kept.
"use strict";
const { spawnSync } = require("child_process");
const fs = require("fs");
const path = require("path");
const { args, tempDir, fail, check, launch, watchConsole } = require("./lib");

function hasLabel(f, label) {
  if (f.kind === "video") {
    const people = f.people_by_label || {};
    const src = Object.values(people).some((n) => n > 0) ? people : f.faces_by_label || {};
    return (src[label] || 0) > 0;
  }
  return (f.faces || []).some((face) => face.label === label);
}

async function cardPaths(page) {
  return page.$$eval("#gallery article.card", (cards) => cards.map((c) => c.dataset.path).sort());
}

async function main() {
  const a = args();
  const out = path.join(tempDir(), "results");
  const run = spawnSync(a.binary, ["--input", path.join(a.shared, "fixtures"), "--out", out, "--quiet"],
                        { encoding: "utf8" });
  check(run.status === 1, "the fixtures run ends with status 1 (broken files), got " + run.status + " " + run.stderr);
  const report = JSON.parse(fs.readFileSync(path.join(out, "report.json"), "utf8"));
  const html = path.join(out, "report.html");
  check(fs.existsSync(html), "report.html is written beside report.json");

  const browser = await launch();
  try {
    const page = await browser.newPage();
    const errors = [], remote = [];
    watchConsole(page, errors);
    page.on("request", (r) => { if (!r.url().startsWith("file:") && !r.url().startsWith("data:")) remote.push(r.url()); });
    await page.goto("file://" + html, { waitUntil: "load" });
    await page.waitForSelector("body[data-ready]", { timeout: 10000 });

    const tile = (id) => page.$eval("#" + id + " .n", (n) => n.textContent);
    const s = report.summary;
    check(await tile("tile-files") === String(s.files), "files tile = report.json summary.files (" + s.files + ")");
    check(await tile("tile-faces") === String(s.faces), "faces tile = summary.faces (" + s.faces + ")");
    check(await tile("tile-people") === String(s.people), "people tile = summary.people (" + s.people + ")");
    check(await tile("tile-failed") === String(s.failed), "failed tile = summary.failed (" + s.failed + ")");
    check(await tile("tile-skipped") === String(s.skipped), "skipped tile = summary.skipped (" + s.skipped + ")");
    for (const [label, n] of Object.entries(s.by_label))
      check(await tile("tile-label-" + label) === String(n), label + " tile = summary.by_label (" + n + ")");

    const all = await cardPaths(page);
    check(all.length === report.files.length, "the gallery shows every file (" + report.files.length + ")");

    await page.click('button[data-filter="no_mask"]');
    const shown = await cardPaths(page);
    const expected = report.files.filter((f) => hasLabel(f, "no_mask")).map((f) => f.path).sort();
    check(expected.length > 0 && expected.length < report.files.length, "the fixtures have files with and without no_mask faces");
    check(JSON.stringify(shown) === JSON.stringify(expected),
          "the no_mask filter shows exactly the " + expected.length + " files with a no_mask face");

    // Keyboard: Tab reaches the filter buttons, Enter presses one.
    await page.focus('button[data-filter="all"]');
    let focused = "";
    for (let i = 0; i < 6 && focused !== "problems"; ++i) {
      await page.keyboard.press("Tab");
      focused = await page.evaluate(() => document.activeElement.dataset.filter || "");
    }
    check(focused === "problems", "Tab reaches the errors filter");
    await page.keyboard.press("Enter");
    const problems = report.files.filter((f) => f.status !== "ok").map((f) => f.path).sort();
    check(JSON.stringify(await cardPaths(page)) === JSON.stringify(problems),
          "Enter on the errors filter shows the " + problems.length + " failed and skipped files");
    const rows = await page.$$eval("#problems tr", (r) => r.map((tr) => [...tr.cells].map((c) => c.textContent)));
    const reasons = report.files.filter((f) => f.status !== "ok").map((f) => [f.status, f.error || f.reason]);
    check(rows.length === problems.length && reasons.every(([st, why]) => why && rows.some((r) => r[1] === st && r[2] === why)),
          "the table lists each of the " + problems.length + " failed and skipped files with its status and reason");

    const alts = await page.$$eval("#gallery img", (imgs) => imgs.filter((i) => !i.alt).length);
    check(alts === 0, "every thumbnail has alt text");
    const videos = report.files.filter((f) => f.kind === "video" && f.status === "ok");
    const bars = await page.$$eval("#videos svg.timeline rect", (r) => r.length);
    const people = videos.reduce((n, f) => n + f.tracks.filter((t) => t.person).length, 0);
    check(bars === people, "the video timeline draws a bar per person (" + people + ")");

    await page.click('button[data-filter="all"]');
    const linked = await page.$$eval("#gallery article.card", (cards) =>
      cards.filter((c) => [...c.querySelectorAll("a")].some((a) => a.textContent === "annotated")).map((c) => c.dataset.path).sort());
    const outputs = report.files.filter((f) => f.output).map((f) => f.path).sort();
    check(JSON.stringify(linked) === JSON.stringify(outputs),
          "each of the " + outputs.length + " files with an annotated output (the video too) links to it");
    // A viewport as tall as the page, so that every lazy thumbnail loads.
    const height = await page.evaluate(() => document.body.scrollHeight);
    await page.setViewport({ width: 1280, height: height });
    const thumbs = report.files.filter((f) => f.status === "ok").length;
    const loadedCount = () => [...document.querySelectorAll("#gallery img")].filter((i) => i.naturalWidth > 0).length;
    await page.waitForFunction((n, count) => eval(count)() >= n, { timeout: 10000 }, thumbs, "(" + loadedCount.toString() + ")").catch(() => {});
    const loaded = await page.evaluate(loadedCount);
    check(loaded === thumbs, "a thumbnail from report_files/ loads for each of the " + thumbs + " processed files (" + loaded + ")");
    const shot = path.join(a.artefacts, "report_html.png");
    await page.screenshot({ path: shot, fullPage: true });
    check(fs.statSync(shot).size > 10000, "screenshot saved to " + shot);
    check(remote.length === 0, "nothing is fetched from the network (" + remote.join(", ") + ")");
    check(errors.length === 0, "no script errors (" + errors.join("; ") + ")");
  } finally {
    await browser.close();
  }
}

main().catch((e) => fail(e.stack || String(e)));
