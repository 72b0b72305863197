// `maskdetect serve` in headless Chromium: a fixture photo uploaded through the page comes back
// boxed and labelled; a broken file gets its reason; a video comes back annotated; and with
// Chromium's fake camera fed from the fixture video (a .y4m made here by ffmpeg) the page draws
// boxes on live frames within seconds. Screenshots are kept as test artefacts.
"use strict";
const { spawn, spawnSync } = require("child_process");
const fs = require("fs");
const path = require("path");
const { args, tempDir, fail, check, launch, openPage } = require("./lib");

function startServer(binary) {
  return new Promise((resolve, reject) => {
    const server = spawn(binary, ["serve", "--port", "0"], { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    const timer = setTimeout(() => reject(new Error("serve did not start: " + err)), 30000);
    server.stderr.on("data", (d) => {
      err += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(err);
      if (m) { clearTimeout(timer); resolve({ server, url: m[1] }); }
    });
    server.on("exit", (code) => reject(new Error("serve exited " + code + ": " + err)));
    process.on("exit", () => server.kill("SIGKILL"));
  });
}

async function uploadPhoto(page, file) {
  const before = await page.$$eval(".result", (r) => r.length);
  const input = await page.$("#photo-input");
  await input.uploadFile(file);
  await page.waitForFunction((n) => {
    const r = document.querySelectorAll(".result");
    return r.length > n && (r[0].dataset.faces !== undefined || r[0].dataset.error !== undefined);
  }, { timeout: 90000 }, before);
  return page.$eval(".result", (r) => ({ faces: r.dataset.faces, error: r.dataset.error, text: r.textContent }));
}

async function photosAndVideo(url, a, fixtures) {
  const browser = await launch();
  try {
    const { page, errors } = await openPage(browser, url);
    const good = await uploadPhoto(page, path.join(fixtures, "faces", "obama.jpg"));
    check(Number(good.faces) >= 1 && good.text.includes("no_mask"), "an uploaded photo comes back with a labelled box (" + good.text.slice(0, 60) + ")");
    const drawn = await page.$eval(".result canvas", (c) => c.width > 0 && c.height > 0);
    check(drawn, "the photo is drawn on a canvas with its boxes");
    // A face at the right edge (the speaker in the fixture video does this on the camera tab):
    // its label must move left into the picture, not run off the canvas.
    const edge = await page.evaluate(() => {
      const c = document.createElement("canvas");
      c.width = 640; c.height = 360;
      const ctx = c.getContext("2d");
      drawFaces(ctx, [{ box: { x: 600, y: 100, w: 36, h: 40 }, label: "no_mask", confidence: 0.98 }],
                1, { unmasked: "no_mask" });
      // The column 40 px left of the box, over the label's rows: some of it the label's red.
      const px = ctx.getImageData(560, 70, 1, 30).data;
      let red = 0;
      for (let i = 0; i < px.length; i += 4) red += px[i] > 150 && px[i + 1] < 80 && px[i + 2] < 80;
      return red > 0;
    });
    check(edge, "a label at the canvas's right edge is moved left to stay in the picture");
    await page.screenshot({ path: path.join(a.artefacts, "serve_upload.png") });
    const bad = await uploadPhoto(page, path.join(fixtures, "bad", "not-an-image.jpg"));
    check(bad.error === "415" && bad.text.includes("not an image"), "a file that is not an image gets 415 and the reason on the page");

    await page.click("#tab-video");
    const video = await page.$("#video-input");
    await video.uploadFile(path.join(fixtures, "video", "short_hamilton_clip.mp4"));
    await page.waitForSelector("#video-result video", { timeout: 400000 });
    const people = await page.$eval("#video-result", (r) => r.textContent);
    check(people.includes("no_mask"), "an uploaded video comes back annotated, with its people by label");
    const playable = await page.$eval("#video-result video", (v) => new Promise((res) => {
      if (v.readyState >= 1) return res(v.duration);
      v.addEventListener("loadedmetadata", () => res(v.duration));
      v.addEventListener("error", () => res(-1));
    }));
    check(playable > 5, "the annotated video plays in the page (" + playable + " s)");
    check(errors.length === 0, "no script errors (" + errors.join("; ") + ")");
  } finally {
    await browser.close();
  }
}

async function camera(url, a, fixtures, work) {
  const y4m = path.join(work, "camera.y4m");
  const ff = spawnSync("ffmpeg", ["-v", "error", "-y", "-i", path.join(fixtures, "video", "short_hamilton_clip.mp4"),
                                  "-t", "5", "-vf", "scale=640:-2", "-pix_fmt", "yuv420p", y4m]);
  check(ff.status === 0, "ffmpeg makes the fake camera's .y4m from the fixture video " + ff.stderr);
  const browser = await launch(["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                                "--use-file-for-fake-video-capture=" + y4m]);
  try {
    const { page, errors } = await openPage(browser, url);
    await page.click("#tab-camera");
    const t0 = Date.now();
    await page.click("#camera-start");
    await page.waitForFunction(() => {
      const o = document.getElementById("camera-overlay");
      return Number(o.dataset.frames || 0) >= 3 && Number(o.dataset.faces || 0) >= 1;
    }, { timeout: 90000 }).catch(() => {});
    const state = await page.$eval("#camera-overlay", (o) => ({ frames: Number(o.dataset.frames || 0), faces: Number(o.dataset.faces || 0) }));
    const seconds = (Date.now() - t0) / 1000;
    check(state.frames >= 3 && state.faces >= 1,
          "boxes on live camera frames within " + seconds.toFixed(1) + " s (" + state.frames + " frames analysed, " + state.faces + " faces in the last)");
    const status = await page.$eval("#camera-status", (s) => s.textContent);
    check(/frames\/s analysed/.test(status), "the page shows the rate it keeps up with: " + status);
    await page.screenshot({ path: path.join(a.artefacts, "serve_camera.png") });
    await page.click("#camera-stop");
    check(errors.length === 0, "no script errors (" + errors.join("; ") + ")");
  } finally {
    await browser.close();
  }
}

async function main() {
  const a = args();
  const fixtures = path.join(a.shared, "fixtures");
  const work = tempDir();
  const { server, url } = await startServer(a.binary);
  await photosAndVideo(url, a, fixtures);
  await camera(url, a, fixtures, work);
  const exited = new Promise((r) => server.on("exit", (code) => r(code)));
  server.kill("SIGINT");
  check(await exited === 0, "serve stops with status 0 on Ctrl-C");
}

main().catch((e) => fail(e.stack || String(e)));
