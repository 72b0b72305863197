#!/usr/bin/python3
"""Runs `maskdetect eval` over every combination of a grid of options and prints one line per
combination, best no_mask F1 first: how the detector defaults and the model card's face
thresholds were chosen (README, "How the defaults were chosen"). Choices are made on the
validation part; quote the test part only for the combination you chose.

usage: /usr/bin/python3 bench/sweep.py [--split val] [--dataset DIR] [--binary build/maskdetect]
           --grid OPTION=V1,V2,... [--grid ...] [-- fixed maskdetect eval options]
OPTION is a maskdetect eval option without its leading dashes.

examples (the sweeps behind the shipped defaults):
  bench/sweep.py --grid cascade-stages=12,13,14 --grid min-neighbors=2,3,4,5,6 \\
                 --grid face-threshold=0.9,0.95,0.97,0.99
  bench/sweep.py --grid detector-score=0.6,0.7,0.8,0.85 --grid face-threshold=0.6,0.75,0.9 \\
                 -- --detector yunet

Any Python 3 runs it (it only starts the binary and reads its JSON)."""
import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse_grid(spec):
    option, sep, values = spec.partition("=")
    if not sep or not option or option.startswith("-") or not values:
        sys.exit(f"sweep: --grid wants OPTION=V1,V2,... (e.g. face-threshold=0.9,0.97), not {spec!r}")
    return "--" + option, values.split(",")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", default="val", choices=["train", "val", "test", "all"])
    ap.add_argument("--dataset", default=os.path.join(ROOT, "..", "shared", "datasets", "scenes-ilc2021"))
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "maskdetect"))
    ap.add_argument("--grid", action="append", default=[], metavar="OPTION=V1,V2,...")
    ap.add_argument("fixed", nargs="*", help="options given to every run (after --)")
    a = ap.parse_args()
    if not a.grid:
        ap.error("give at least one --grid OPTION=V1,V2,...")
    if not os.access(a.binary, os.X_OK):
        sys.exit(f"sweep: {a.binary} is not an executable; build first (scripts/test.sh) or pass --binary")
    grid = [parse_grid(g) for g in a.grid]

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "eval.json")
        for values in itertools.product(*(v for _, v in grid)):
            combo = [x for (opt, _), v in zip(grid, values) for x in (opt, v)]
            cmd = [a.binary, "eval", a.dataset, "--split", a.split, "--json", out, *combo, *a.fixed]
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode != 0:
                sys.exit(f"sweep: {' '.join(cmd)} failed ({r.returncode}):\n{r.stderr}")
            with open(out) as f:
                ds = json.load(f)["datasets"][0]
            det = ds["detection"]["iou_0.3"]
            nm = ds["no_mask_found"]
            rows.append((nm["f1"], det["recall"]["with_mask"], det["recall"]["without_mask"],
                         det["precision"], ds["time_ms"]["with_decode"]["mean"], " ".join(combo)))
            print(f"  {' '.join(combo)}: F1 {nm['f1']:.3f}", file=sys.stderr, flush=True)

    print(f"{a.dataset} --split {a.split} {' '.join(a.fixed)}")
    print(f"{'no_mask F1':>10} {'with_mask':>9} {'without':>8} {'precision':>9} {'ms/photo':>8}  options")
    for f1, wm, wo, prec, ms, combo in sorted(rows, key=lambda r: -r[0]):
        print(f"{f1:10.3f} {100 * wm:8.1f}% {100 * wo:7.1f}% {100 * prec:8.1f}% {ms:8.1f}  {combo}")


if __name__ == "__main__":
    main()
