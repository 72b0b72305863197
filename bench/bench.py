#!/usr/bin/python3
"""Speed of maskdetect against the reference Python pipeline (../shared/bench/reference_pipeline.py),
on the same inputs, with the same model, cascade and detector parameters, both writing annotated
images and a JSON report. Runs alternate (maskdetect, reference, maskdetect, ...) so that a noisy,
shared machine hurts both sides alike; medians are printed.

Needs Debian's /usr/bin/python3 with python3-opencv (the reference imports cv2).

usage: bench/bench.py [--workload scenes|highres|scenes-x10|video|video720|DIR] [--runs 3] [--limit N]
                      [--settings reference|default] [--binary build/maskdetect]
                      [--only maskdetect|reference] [-- extra maskdetect options]

--settings reference (the default) gives maskdetect the reference's detector: the full frontal
cascade, scale 1.1, 5 neighbours, 30 px, at full resolution. --settings default runs maskdetect
with its own defaults (and the reference with its own, which are the same as above).

video720 is the fixture video enlarged to 1280x720 (H.264, its sound copied) with ffmpeg, made
once into bench/work/. For video workloads the speed is also given as a multiple of real time
(frames per second over the video's frame rate; 1.0x keeps up with the camera).

Reported per side: photos (or frames) per second, CPU utilisation (user+sys over wall), peak
resident memory, for maskdetect the median per-stage milliseconds from its report.json, and for
annotated workloads (scenes, highres, scenes-x10) the quality of the last run's report, scored by
`maskdetect eval --from-report` against the annotations: face recall at IoU 0.3 and the F1 of
"no_mask face found".
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("MASKDETECT_SHARED_DIR", os.path.join(ROOT, "..", "shared"))
REFERENCE = os.path.join(SHARED, "bench", "reference_pipeline.py")
WORKLOADS = {
    "scenes": os.path.join(SHARED, "datasets", "scenes-ilc2021", "images"),
    "highres": os.path.join(SHARED, "datasets", "highres-ilc2021", "images"),
    "video": os.path.join(SHARED, "fixtures", "video"),
}
# The reference pipeline's detector, as maskdetect options: the cascade alone, with no second
# opinion from YuNet-n on its boxes.
REFERENCE_DETECTOR = ["--cascade-stages", "0", "--scale-factor", "1.1", "--min-neighbors", "5",
                      "--min-face", "30", "--detect-size", "0", "--haar-confirm", "0"]


def run_measured(cmd, log_path):
    """Runs cmd; returns wall seconds, CPU seconds and peak RSS (MiB) of that process tree."""
    with open(log_path, "w") as log:
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        sys.exit(f"bench: {' '.join(cmd)} failed with {proc.returncode}; see {log_path}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0


def make_video720():
    """The fixture video at 1280x720, as a phone records it; made once, kept in bench/work/."""
    folder = os.path.join(ROOT, "bench", "work", "video720")
    clip = os.path.join(folder, "clip720.mp4")
    if not os.path.exists(clip):
        os.makedirs(folder, exist_ok=True)
        src = os.path.join(WORKLOADS["video"], "short_hamilton_clip.mp4")
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", src, "-vf", "scale=1280:720",
                        "-c:v", "libx264", "-crf", "20", "-preset", "medium", "-c:a", "copy",
                        clip + ".tmp.mp4"], check=True)
        os.rename(clip + ".tmp.mp4", clip)
    return folder


def make_input(workload, limit, tmp):
    """The input folder for a workload; --limit and scenes-x10 use a folder of symlinks."""
    if workload == "video720":
        return make_video720()
    if workload in WORKLOADS:
        src, repeat = WORKLOADS[workload], 1
    elif workload == "scenes-x10":
        src, repeat = WORKLOADS["scenes"], 10
    else:
        src, repeat = workload, 1
    if repeat == 1 and not limit:
        return src
    names = sorted(n for n in os.listdir(src) if os.path.isfile(os.path.join(src, n)))
    if limit:
        names = names[:limit]
    folder = os.path.join(tmp, "input")
    for r in range(repeat):
        sub = os.path.join(folder, f"r{r:02d}")
        os.makedirs(sub)
        for n in names:
            os.symlink(os.path.abspath(os.path.join(src, n)), os.path.join(sub, n))
    return folder


def count_items(report_path, side):
    with open(report_path) as f:
        rep = json.load(f)
    if side == "maskdetect":
        s = rep["summary"]
        return s["frames"] if s.get("frames") else s["files"], rep
    return len(rep["files"]), rep


def video_fps(rep):
    """The frame rate of the (first) video of a maskdetect report; 0 for photo runs."""
    for f in rep.get("files", []):
        if f.get("kind") == "video" and f.get("fps"):
            return f["fps"]
    return 0


def annotations_of(workload):
    """The VOC folder whose annotations score a workload's reports, if it has one."""
    src = WORKLOADS["scenes"] if workload == "scenes-x10" else WORKLOADS.get(workload, workload)
    root = os.path.dirname(os.path.normpath(src))
    return root if os.path.isdir(os.path.join(root, "annotations")) else None


def quality(binary, model, dataset, report, limit, log_path):
    """Face recall (IoU 0.3) and no_mask F1 of a report, from maskdetect eval --from-report."""
    out = log_path + ".json"
    cmd = [binary, "eval", dataset, "--from-report", report, "--model", model, "--json", out]
    if limit:
        cmd += ["--limit", str(limit)]
    with open(log_path, "w") as log:
        if subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT).returncode != 0:
            sys.exit(f"bench: {' '.join(cmd)} failed; see {log_path}")
    with open(out) as f:
        d = json.load(f)["datasets"][0]
    rec = d["detection"]["iou_0.3"]["recall"]
    return {"images": d["images"], "recall": rec["all"], "recall_with_mask": rec.get("with_mask"),
            "recall_without_mask": rec.get("without_mask"),
            "precision": d["detection"]["iou_0.3"]["precision"], "no_mask_f1": d["no_mask_found"]["f1"]}


def stage_medians(rep):
    stages = {}
    for f in rep.get("files", []):
        for k, v in f.get("timing_ms", {}).items():
            n = f.get("frames") or 1
            stages.setdefault(k, []).append(v / n)
    return {k: statistics.median(v) for k, v in stages.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workload", default="scenes")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--limit", type=int, default=0, help="first N files only")
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "maskdetect"))
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "mask_mobilenetv2.onnx"))
    ap.add_argument("--only", choices=["maskdetect", "reference"])
    ap.add_argument("--settings", choices=["reference", "default"], default="reference",
                    help="maskdetect's detector: the reference's, or maskdetect's own defaults")
    ap.add_argument("--keep", action="store_true", help="keep the output folders")
    ap.add_argument("extra", nargs="*", help="extra maskdetect options (after --)")
    a = ap.parse_args()

    with open(os.path.splitext(a.model)[0] + ".json") as f:
        card = json.load(f)
    inp = card["input"]
    tmp = tempfile.mkdtemp(prefix="maskdetect-bench-")
    src = make_input(a.workload, a.limit, tmp)
    det = REFERENCE_DETECTOR if a.settings == "reference" else []
    sides = {
        "maskdetect": lambda out: [a.binary, "--input", src, "--out", out, "--model", a.model,
                                   "--no-progress", "--quiet", *det, *a.extra],
        "reference": lambda out: [sys.executable, REFERENCE, "--model", a.model, "--input", src,
                                  "--out", out, "--size", str(inp["width"]),
                                  "--mean", ",".join(map(str, inp["mean"])),
                                  "--std", ",".join(map(str, inp["std"])),
                                  *([] if inp.get("channel_order", "RGB") == "RGB" else ["--bgr"]),
                                  "--labels", ",".join(card["labels"])],
    }
    if a.only:
        sides = {a.only: sides[a.only]}
    results = {k: [] for k in sides}
    print(f"workload {a.workload}: {src}  runs {a.runs}  model {a.model}  settings {a.settings}",
          flush=True)
    for run in range(a.runs):
        for side, make_cmd in sides.items():
            out = os.path.join(tmp, f"{side}-{run}")
            wall, cpu, rss = run_measured(make_cmd(out), out + ".log")
            items, rep = count_items(os.path.join(out, "report.json"), side)
            fps = video_fps(rep)
            results[side].append({"wall": wall, "rate": items / wall, "cpu": 100 * cpu / wall,
                                  "rss": rss, "items": items, "stages": stage_medians(rep),
                                  "realtime": items / wall / fps if fps else 0})
            rt = f"  {items / wall / fps:5.2f}x real time" if fps else ""
            print(f"  run {run + 1} {side:10s} {items} items  {wall:7.2f} s  {items / wall:7.2f}/s"
                  f"{rt}  CPU {100 * cpu / wall:4.0f} %  peak RSS {rss:6.1f} MiB", flush=True)
            if not a.keep and run < a.runs - 1:
                shutil.rmtree(out, ignore_errors=True)

    print("\nmedians")
    med = {}
    for side, rs in results.items():
        m = {k: statistics.median(r[k] for r in rs)
             for k in ("wall", "rate", "cpu", "rss", "realtime")}
        med[side] = m
        rt = f"  {m['realtime']:5.2f}x real time" if m["realtime"] else ""
        line = (f"  {side:10s} {m['rate']:8.2f} items/s{rt}  {m['wall']:7.2f} s  CPU {m['cpu']:4.0f} %"
                f"  peak RSS {m['rss']:6.1f} MiB")
        stages = rs[0]["stages"]
        if stages and side == "maskdetect":
            line += "  stages (ms, median per item): " + ", ".join(
                f"{k} {statistics.median(r['stages'].get(k, 0) for r in rs):.1f}" for k in stages)
        print(line)
    if len(med) == 2:
        print(f"  ratio maskdetect / reference: {med['maskdetect']['rate'] / med['reference']['rate']:.2f}x")
    dataset = annotations_of(a.workload)
    if dataset:
        print(f"\nquality of the last run's report against {dataset} (maskdetect eval --from-report)")
        for side in results:
            out = os.path.join(tmp, f"{side}-{a.runs - 1}")
            q = quality(a.binary, a.model, dataset, os.path.join(out, "report.json"),
                        a.limit, out + ".eval.log")
            print(f"  {side:10s} {q['images']} photos  face recall {q['recall']:.3f} (with_mask "
                  f"{q['recall_with_mask']:.3f}, without_mask {q['recall_without_mask']:.3f})  "
                  f"precision {q['precision']:.3f}  no_mask F1 {q['no_mask_f1']:.3f}")
    print(f"\noutputs in {tmp}" if a.keep else "")
    if not a.keep:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
