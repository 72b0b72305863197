// Shared by the browser tests: arguments, a temporary folder, Debian's Chromium through
// puppeteer-core (never a downloaded browser), and failing loudly.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const puppeteer = require("puppeteer-core");

const SKIP = 4; // CTest's SKIP_RETURN_CODE for these tests: ../shared is absent

function args() {
  const out = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) out[argv[i].replace(/^--/, "")] = argv[i + 1];
  for (const k of ["binary", "shared", "artefacts"]) if (!out[k]) fail("missing --" + k);
  if (!fs.existsSync(path.join(out.shared, "fixtures"))) {
    console.log("SKIPPED: no fixtures under " + out.shared);
    process.exit(SKIP);
  }
  fs.mkdirSync(out.artefacts, { recursive: true });
  return out;
}

function tempDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "maskdetect-browser-"));
  process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function fail(message) {
  console.error("FAILED: " + message);
  process.exit(1);
}

function check(condition, message) {
  if (!condition) fail(message);
  console.log("ok - " + message);
}

async function launch(extraArgs = []) {
  return puppeteer.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", ...extraArgs],
    defaultViewport: { width: 1280, height: 900 },
  });
}

// Errors the page's own scripts throw or log fail the test (not the browser's note of an HTTP
// error status, which tests of refused uploads cause on purpose).
function watchConsole(page, errors) {
  page.on("pageerror", (e) => errors.push("page error: " + e.message));
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) errors.push("console: " + m.text());
  });
}

// A new tab on `url`, once the page's script has marked it ready; `errors` collects its script
// errors (watchConsole).
async function openPage(browser, url) {
  const page = await browser.newPage();
  const errors = [];
  watchConsole(page, errors);
  await page.goto(url, { waitUntil: "load" });
  await page.waitForSelector("body[data-ready]", { timeout: 10000 });
  return { page, errors };
}

module.exports = { args, tempDir, fail, check, launch, watchConsole, openPage };
