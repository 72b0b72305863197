#!/usr/bin/python3
"""One run against N shards side by side on this machine, then merged (README, "Past one
machine"): wall time, CPU time (user+sys) and peak memory, each from /usr/bin/time -v, and a
projection for 1,000,000 photos on M machines from the measured CPU cost per photo.

usage: bench/shards.py [--binary build/maskdetect] [--photos 200] [--shards 4] [--runs 3]
                       [-- extra maskdetect options]

The photos are the first --photos of ../shared/datasets/scenes-ilc2021/images by name; the
options are --detector yunet --no-annotate --no-html, with the run using every core (--threads
0) and each shard its share (cores / N, at least 1). Runs alternate (one run, the shards, one run,
...) so that a noisy, shared machine hurts both sides alike; medians are printed. For the shards,
wall time runs from the first start to the last exit plus the merge; CPU time and peak memory
are summed over the shard processes (they run at once, so the sum bounds the machine's peak).
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def timed(cmd, log):
    """Starts `cmd` under /usr/bin/time -v; returns the Popen, whose report goes to `log`."""
    return subprocess.Popen(["/usr/bin/time", "-v", "-o", log] + cmd,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def usage(log):
    text = open(log).read()
    field = lambda name: re.search(name + r": ([0-9.]+)", text).group(1)
    return {"cpu": float(field("User time \\(seconds\\)")) + float(field("System time \\(seconds\\)")),
            "rss_mb": int(field("Maximum resident set size \\(kbytes\\)")) / 1024}


def run_once(binary, options, work):
    out = os.path.join(work, "one")
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.monotonic()
    p = timed([binary] + options + ["--threads", "0", "--out", out], work + "/one.time")
    if p.wait() != 0:
        raise SystemExit("the single run failed")
    u = usage(work + "/one.time")
    return {"wall": time.monotonic() - t0, "cpu": u["cpu"], "rss_mb": u["rss_mb"]}


def run_shards(binary, options, work, n):
    threads = str(max(1, os.cpu_count() // n))
    dirs = [os.path.join(work, f"shard-{k}") for k in range(n)]
    merged = os.path.join(work, "merged")
    for d in dirs + [merged]:
        shutil.rmtree(d, ignore_errors=True)
    t0 = time.monotonic()
    procs = [timed([binary] + options + ["--threads", threads, "--shard", f"{k}/{n}", "--out", d],
                   f"{work}/shard-{k}.time") for k, d in enumerate(dirs)]
    if any(p.wait() != 0 for p in procs):
        raise SystemExit("a shard failed")
    shards_wall = time.monotonic() - t0
    m = timed([binary, "merge", "-q", merged] + dirs, work + "/merge.time")
    if m.wait() != 0:
        raise SystemExit("the merge failed")
    used = [usage(f"{work}/shard-{k}.time") for k in range(n)]
    merge = usage(work + "/merge.time")
    return {"wall": time.monotonic() - t0, "shards_wall": shards_wall,
            "cpu": sum(u["cpu"] for u in used) + merge["cpu"],
            "rss_mb": sum(u["rss_mb"] for u in used), "rss_one_mb": max(u["rss_mb"] for u in used),
            "merge_cpu": merge["cpu"]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(ROOT, "build/maskdetect"))
    ap.add_argument("--photos", type=int, default=200)
    ap.add_argument("--shards", type=int, default=4)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("extra", nargs="*")
    a = ap.parse_args()
    images = os.path.join(ROOT, "../shared/datasets/scenes-ilc2021/images")
    photos = sorted(os.listdir(images))[:a.photos]
    with tempfile.TemporaryDirectory() as work:
        with open(work + "/list.txt", "w") as f:
            f.writelines(os.path.join(images, p) + "\n" for p in photos)
        options = ["--no-progress", "--input-list", work + "/list.txt", "--detector", "yunet",
                   "--no-annotate", "--no-html"] + a.extra
        ones, shards = [], []
        for _ in range(a.runs):
            ones.append(run_once(a.binary, options, work))
            shards.append(run_shards(a.binary, options, work, a.shards))
    med = lambda runs, key: statistics.median(r[key] for r in runs)
    print(f"{len(photos)} photos, {os.cpu_count()} cores, median of {a.runs} runs each")
    print(f"one run:   wall {med(ones, 'wall'):.1f} s, CPU {med(ones, 'cpu'):.1f} s, "
          f"peak {med(ones, 'rss_mb'):.0f} MiB")
    print(f"{a.shards} shards: wall {med(shards, 'wall'):.1f} s (shards {med(shards, 'shards_wall'):.1f} s"
          f" + merge), CPU {med(shards, 'cpu'):.1f} s (merge {med(shards, 'merge_cpu'):.2f} s), "
          f"peak {med(shards, 'rss_mb'):.0f} MiB together ({med(shards, 'rss_one_mb'):.0f} MiB the largest)")
    cpu_per_photo = med(ones, "cpu") / len(photos)
    wall_per_photo = med(ones, "wall") / len(photos)
    print(f"per photo: {1000 * cpu_per_photo:.1f} ms CPU, {1000 * wall_per_photo:.1f} ms wall on "
          f"{os.cpu_count()} cores")
    for machines in (1, 10, 100):
        hours = 1_000_000 * wall_per_photo / machines / 3600
        print(f"1,000,000 photos on {machines} machine(s) like this one: {hours:.1f} h")


if __name__ == "__main__":
    main()
