#!/usr/bin/python3
"""What tracking costs and gains on a video: runs maskdetect with the detector on every frame
(--vid-stride 1) and with each stride asked for, then compares their per-frame records.

For each stride:
  - frames per second and the multiple of real time (median of --runs runs, --no-annotate
    unless --annotate is given);
  - match: the share of the faces found with the detector on every frame that the strided run
    also has in the same frame (IoU >= 0.5): what skipping the detector loses;
  - flicker: along each track, how often the label changes from frame to frame, with the track's
    label (what maskdetect writes) against each frame's own label (the model card's rule on that
    frame's scores, as a tool without tracking would label it);
  - people: the run's people_by_label.

usage: bench/video_tracking.py [--video FILE|masked-pan|crowd-pan] [--strides 1,2,3,5] [--runs 3]
                               [--annotate] [-- extra maskdetect options, e.g. --detector yunet]

--video masked-pan is made once into bench/work/ with ffmpeg: the 10 photos of
fixtures/masked, 2 s each at 1280x720 and 25 fps, the view panning slowly across each, with
fresh sensor-like noise on every frame: masked faces that move, and whose frame-by-frame labels
can waver as they do in real video (the fixture video's faces are all unmasked). crowd-pan is
made the same way from the 10 scenes-ilc2021 photos with the most faces (11 to 24 each, small).

Any Python 3 runs it (it only starts the binary and reads its JSON).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("MASKDETECT_SHARED_DIR", os.path.join(ROOT, "..", "shared"))


# The 10 photos of scenes-ilc2021 (among its first 400) with the most annotated faces (11-24).
CROWDS = ["0fbef0427c74b5cbc7b9ffb04dad7959", "2e9fdfca4f990d7c09eb4afe237a7df2",
          "17f8632bafa2f11d8543cb18e4497701", "2e271160206a2830b39cb7935dc3a650",
          "15d171ade60f60d168590d554b0f6d5a", "2ecdb0759916301cd3bbe31556d37e5f",
          "2d63fa217b4fbcdd62f5d6ffde0416f5", "13305be57caa751799fad5e92148678b",
          "0b7a7b19ff5220e3172ce92ccb1c9382", "3b1e98c28443b862b67cf2ec89c8e3f0"]


def pan_photos(name):
    if name == "masked-pan":
        folder = os.path.join(SHARED, "fixtures", "masked")
        return sorted(os.path.join(folder, n) for n in os.listdir(folder) if n.endswith(".jpg"))
    folder = os.path.join(SHARED, "datasets", "scenes-ilc2021", "images")
    names = {os.path.splitext(n)[0]: n for n in os.listdir(folder)}
    return [os.path.join(folder, names[c]) for c in CROWDS]


def make_pan(name):
    clip = os.path.join(ROOT, "bench", "work", name, name + ".mp4")
    if os.path.exists(clip):
        return clip
    os.makedirs(os.path.dirname(clip), exist_ok=True)
    photos = pan_photos(name)
    cmd = ["ffmpeg", "-v", "error", "-y"]
    for p in photos:
        cmd += ["-loop", "1", "-framerate", "25", "-t", "2", "-i", p]
    parts = []
    for i in range(len(photos)):
        # Fit 1408x792, then a 1280x720 window moves across it over the 2 s.
        parts.append(f"[{i}:v]scale=1408:792:force_original_aspect_ratio=decrease,"
                     f"pad=1408:792:(ow-iw)/2:(oh-ih)/2,crop=1280:720:x='64*t':y='36*t',"
                     f"setsar=1,noise=alls=8:allf=t[v{i}]")
    graph = ";".join(parts) + ";" + "".join(f"[v{i}]" for i in range(len(photos))) + \
        f"concat=n={len(photos)}:v=1:a=0[out]"
    cmd += ["-filter_complex", graph, "-map", "[out]", "-c:v", "libx264", "-crf", "20",
            "-pix_fmt", "yuv420p", clip + ".tmp.mp4"]
    subprocess.run(cmd, check=True)
    os.rename(clip + ".tmp.mp4", clip)
    return clip


def iou(a, b):
    ax, ay, aw, ah = a["x"], a["y"], a["w"], a["h"]
    bx, by, bw, bh = b["x"], b["y"], b["w"], b["h"]
    w = min(ax + aw, bx + bw) - max(ax, bx)
    h = min(ay + ah, by + bh) - max(ay, by)
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / (aw * ah + bw * bh - inter)


def matched(ref, got, threshold=0.5):
    """How many of `ref`'s boxes have a partner in `got` (greedy by IoU, one to one)."""
    pairs = sorted(((iou(r["box"], g["box"]), i, j) for i, r in enumerate(ref)
                    for j, g in enumerate(got)), reverse=True)
    used_r, used_g, n = set(), set(), 0
    for v, i, j in pairs:
        if v < threshold:
            break
        if i in used_r or j in used_g:
            continue
        used_r.add(i)
        used_g.add(j)
        n += 1
    return n


def own_label(face, card):
    """The label the card's rule gives this frame's scores alone (threshold 0.5)."""
    roles = card["roles"]
    scores = face["scores"]
    faces = {k: v for k, v in scores.items() if k not in card.get("reject_labels", [])}
    total = sum(faces.values()) or 1.0
    if faces.get(roles["masked"], 0) / total >= 0.5:
        return roles["masked"]
    return max((k for k in faces if k != roles["masked"]), key=lambda k: faces[k])


def flicker(frames, card):
    """Label changes along tracks: (with the track's label, with each frame's own label)."""
    last_track, last_own = {}, {}
    track_changes = own_changes = 0
    for fr in frames:
        for f in fr["faces"]:
            t = f.get("track")
            if t is None:
                continue
            own = own_label(f, card)
            if t in last_track and last_track[t] != f["label"]:
                track_changes += 1
            if t in last_own and last_own[t] != own:
                own_changes += 1
            last_track[t], last_own[t] = f["label"], own
    return track_changes, own_changes


def run(binary, video, out, stride, extra, annotate):
    cmd = [binary, "--input", video, "--out", out, "--no-progress", "--quiet",
           "--vid-stride", str(stride), *([] if annotate else ["--no-annotate"]), *extra]
    t0 = time.monotonic()
    subprocess.run(cmd, check=True)
    wall = time.monotonic() - t0
    with open(os.path.join(out, "report.json")) as f:
        rep = json.load(f)
    entry = rep["files"][0]
    with open(entry["frames_file"]) as f:
        frames = [json.loads(line) for line in f if line.strip()]
    return wall, entry, frames


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--video", default=os.path.join(SHARED, "fixtures", "video",
                                                    "short_hamilton_clip.mp4"))
    ap.add_argument("--strides", default="1,2,3,5")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--annotate", action="store_true", help="also write the annotated video")
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "maskdetect"))
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "mask_mobilenetv2.json"))
    ap.add_argument("extra", nargs="*")
    a = ap.parse_args()
    with open(a.model) as f:
        card = json.load(f)
    if a.video in ("masked-pan", "crowd-pan"):
        a.video = make_pan(a.video)
    strides = [int(s) for s in a.strides.split(",")]
    if 1 not in strides:
        strides = [1] + strides
    tmp = tempfile.mkdtemp(prefix="maskdetect-tracking-")
    results = {}
    for s in strides:
        walls = []
        for r in range(a.runs):
            wall, entry, frames = run(a.binary, a.video, os.path.join(tmp, f"s{s}-{r}"), s,
                                      a.extra, a.annotate)
            walls.append(wall)
        results[s] = (statistics.median(walls), entry, frames)
    _, ref_entry, ref_frames = results[1]
    ref_by_index = {fr["frame"]: fr["faces"] for fr in ref_frames}
    ref_faces = sum(len(v) for v in ref_by_index.values())
    print(f"video {a.video}: {ref_entry['frames']} frames at {ref_entry['fps']} fps; "
          f"options {' '.join(a.extra) or '(defaults)'}; median of {a.runs} runs"
          f"{'' if a.annotate else ', --no-annotate'}")
    print("stride  frames/s  x real time  faces matched (IoU>=0.5)  label changes: track / "
          "own per frame  people")
    for s, (wall, entry, frames) in results.items():
        fps = entry["frames"] / wall
        got = {fr["frame"]: fr["faces"] for fr in frames}
        m = sum(matched(ref_by_index[i], got.get(i, [])) for i in ref_by_index)
        tc, oc = flicker(frames, card)
        print(f"{s:6d}  {fps:8.1f}  {fps / entry['fps']:10.2f}x  {m:6d}/{ref_faces} = "
              f"{100 * m / max(1, ref_faces):5.1f} %  {tc:5d} / {oc:5d}   "
              f"{json.dumps(entry['people_by_label'])}")
    print(f"outputs in {tmp}")


if __name__ == "__main__":
    sys.exit(main())
