// The `maskdetect serve` page: photos and videos are uploaded to the server's API and drawn with
// the faces it returns; the camera sends one frame at a time and the newest frame goes next, so
// frames the server cannot take are skipped, never queued.
"use strict";

let info = { roles: {}, labels: [] };

async function postFile(url, file) {
  const res = await fetch(url + "?name=" + encodeURIComponent(file.name || "upload"), {
    method: "POST", body: file, headers: { "Content-Type": file.type || "application/octet-stream" },
  });
  let body;
  try { body = await res.json(); } catch (e) { body = { error: "the server answered " + res.status }; }
  return { ok: res.ok, status: res.status, body };
}

function countLabels(faces) {
  const counts = {};
  for (const f of faces) counts[f.label] = (counts[f.label] || 0) + 1;
  return counts;
}

function badges(counts) {
  const box = el("div", { class: "badges" });
  for (const [l, n] of Object.entries(counts)) box.append(badge(l, n, info.roles));
  if (!Object.keys(counts).length) box.append(el("span", { class: "muted" }, "no face found"));
  return box;
}

function jsonDetails(body) {
  return el("details", {}, el("summary", {}, "JSON"), el("pre", {}, JSON.stringify(body, null, 2)));
}

async function analysePhoto(file) {
  const card = el("article", { class: "result", "data-name": file.name }, el("h3", {}, file.name),
                  el("p", { class: "muted" }, "analysing…"));
  document.getElementById("photo-results").prepend(card);
  const { ok, status, body } = await postFile("/api/detect", file);
  card.replaceChildren(el("h3", {}, file.name));
  if (!ok) {
    card.append(el("p", { class: "error", role: "alert" }, status + ": " + body.error));
    card.dataset.error = String(status);
    return;
  }
  const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  const k = Math.min(1, 800 / Math.max(bitmap.width, bitmap.height));
  const canvas = el("canvas", { width: Math.round(bitmap.width * k), height: Math.round(bitmap.height * k),
                                role: "img", "aria-label": file.name + ": " +
                                Object.entries(countLabels(body.faces)).map(([l, n]) => n + " " + l).join(", ") });
  const ctx = canvas.getContext("2d");
  ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  // Boxes are in the pixels the server saw (EXIF-oriented, full size).
  drawFaces(ctx, body.faces, canvas.width / body.width, info.roles);
  card.append(canvas, badges(countLabels(body.faces)), jsonDetails(body));
  card.dataset.faces = String(body.faces.length);
}

async function analyseVideo(file) {
  const status = document.getElementById("video-status");
  const out = document.getElementById("video-result");
  out.replaceChildren();
  status.textContent = "Uploading and analysing " + file.name + "…";
  const t0 = performance.now();
  const { ok, status: code, body } = await postFile("/api/video", file);
  if (!ok) {
    status.textContent = "";
    out.append(el("p", { class: "error", role: "alert" }, code + ": " + body.error));
    return;
  }
  status.textContent = file.name + ": " + plural(body.file.frames, "frame") + " in " +
    formatSeconds((performance.now() - t0) / 1000);
  const people = body.file.people_by_label || {};
  out.append(el("h3", {}, "People in the video"), badges(Object.fromEntries(Object.entries(people).filter(([, n]) => n > 0))));
  if (body.file.video) out.append(el("video", { src: body.file.video, controls: true, "aria-label": "Annotated " + file.name }));
  out.append(jsonDetails(body));
}

const camera = { stream: null, running: false, frames: 0, skipped: 0, t0: 0, last: 0 };

async function startCamera() {
  const status = document.getElementById("camera-status");
  try {
    camera.stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 } }, audio: false });
  } catch (e) {
    status.textContent = "No camera: " + e.message;
    return;
  }
  const video = document.getElementById("camera-video");
  video.srcObject = camera.stream;
  await video.play();
  Object.assign(camera, { running: true, frames: 0, skipped: 0, t0: performance.now() });
  document.getElementById("camera-start").disabled = true;
  document.getElementById("camera-stop").disabled = false;
  requestAnimationFrame(countSkipped);
  cameraLoop();
}

// Frames the camera shows while a request is out are not sent: counted as skipped.
function countSkipped() {
  if (!camera.running) return;
  if (camera.busy) camera.skipped++;
  requestAnimationFrame(countSkipped);
}

async function cameraLoop() {
  const video = document.getElementById("camera-video");
  const overlay = document.getElementById("camera-overlay");
  const grab = document.createElement("canvas");
  while (camera.running) {
    if (!video.videoWidth) { await new Promise((r) => setTimeout(r, 50)); continue; }
    const k = Math.min(1, 640 / Math.max(video.videoWidth, video.videoHeight));
    grab.width = Math.round(video.videoWidth * k);
    grab.height = Math.round(video.videoHeight * k);
    grab.getContext("2d").drawImage(video, 0, 0, grab.width, grab.height);
    const blob = await new Promise((r) => grab.toBlob(r, "image/jpeg", 0.85));
    camera.busy = true;
    const t = performance.now();
    const { ok, status, body } = await postFile("/api/detect", new File([blob], "camera.jpg", { type: "image/jpeg" }));
    camera.busy = false;
    if (!camera.running) break;
    if (!ok) {
      document.getElementById("camera-status").textContent = status + ": " + body.error;
      await new Promise((r) => setTimeout(r, 500));
      continue;
    }
    overlay.width = grab.width;
    overlay.height = grab.height;
    const ctx = overlay.getContext("2d");
    ctx.clearRect(0, 0, overlay.width, overlay.height);
    drawFaces(ctx, body.faces, overlay.width / body.width, info.roles);
    camera.frames++;
    overlay.dataset.frames = String(camera.frames);
    overlay.dataset.faces = String(body.faces.length);
    const fps = camera.frames / ((performance.now() - camera.t0) / 1000);
    const counts = Object.entries(countLabels(body.faces)).map(([l, n]) => n + " " + l).join(", ") || "no face";
    overlay.setAttribute("aria-label", "Faces in the camera picture: " + counts);
    document.getElementById("camera-status").textContent = counts + " · " + fps.toFixed(1) +
      " frames/s analysed · " + Math.round(performance.now() - t) + " ms per frame · " +
      camera.skipped + " skipped";
  }
}

function stopCamera() {
  camera.running = false;
  if (camera.stream) for (const t of camera.stream.getTracks()) t.stop();
  camera.stream = null;
  document.getElementById("camera-start").disabled = false;
  document.getElementById("camera-stop").disabled = true;
}

function selectTab(tab) {
  for (const t of document.querySelectorAll('[role="tab"]')) {
    const on = t === tab;
    t.setAttribute("aria-selected", String(on));
    t.tabIndex = on ? 0 : -1;
    document.getElementById(t.getAttribute("aria-controls")).hidden = !on;
  }
  tab.focus();
  if (tab.id !== "tab-camera" && camera.running) stopCamera();
}

function setUp() {
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  tabs.forEach((t, i) => {
    t.addEventListener("click", () => selectTab(t));
    t.addEventListener("keydown", (e) => {
      const d = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
      if (d) selectTab(tabs[(i + d + tabs.length) % tabs.length]);
    });
  });
  const photos = document.getElementById("photo-input");
  photos.addEventListener("change", () => { for (const f of photos.files) analysePhoto(f); photos.value = ""; });
  const drop = document.getElementById("photo-drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    for (const f of e.dataTransfer.files) analysePhoto(f);
  });
  const video = document.getElementById("video-input");
  video.addEventListener("change", () => { if (video.files[0]) analyseVideo(video.files[0]); video.value = ""; });
  document.getElementById("camera-start").addEventListener("click", startCamera);
  document.getElementById("camera-stop").addEventListener("click", stopCamera);
}

fetch("/api/info").then((r) => r.json()).then((i) => {
  info = i;
  document.getElementById("server-info").textContent = "maskdetect " + i.tool_version + " · detector " +
    i.detector + " · photos up to " + Math.round(i.max_upload_bytes / 1048576) + " MiB · nothing leaves this server";
}).finally(() => { setUp(); document.body.dataset.ready = "true"; });
