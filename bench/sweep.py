#!/usr/bin/python3
"""Runs `maskdetect eval` over every combination of a grid of options and prints one line per
combination, best first: how the detector defaults and the model card's face thresholds were
chosen (README, "How the defaults were chosen"). Choices are made on the validation part; quote
the test part only for the combination you chose.

With --scale (default 1) every photo is also evaluated shrunk by each factor, a stand-in for
crowds of small faces (docs/eval.md); combinations are ranked by the mean no_mask F1 over the
scales. Each line gives the F1 at every scale and its mean, per-class face recall (IoU 0.3) at
the first scale given (1x in the examples), and the share of true faces the not_face gate keeps
at this run's face threshold and at every detector's threshold in the model card, the lowest
over the scales.

usage: /usr/bin/python3 bench/sweep.py [--split val] [--dataset DIR] [--binary build/maskdetect]
           [--scale 1,0.5,0.333] --grid OPTION=V1,V2,... [--grid ...] [-- fixed eval options]
OPTION is a maskdetect eval option without its leading dashes.

examples (the sweeps behind the shipped defaults):
  bench/sweep.py --scale 1,0.5,0.333 --grid cascade-stages=12,13,14 \\
                 --grid min-neighbors=2,3,4,5,6 --grid face-threshold=0.9,0.95,0.97,0.99
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
    ap.add_argument("--scale", default="1", metavar="S1,S2,...",
                    help="scales passed to maskdetect eval --scale; ranked by their mean no_mask F1")
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
            cmd = [a.binary, "eval", a.dataset, "--split", a.split, "--scale", a.scale, "--json", out,
                   *combo, *a.fixed]
            r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
            if r.returncode != 0:
                sys.exit(f"sweep: {' '.join(cmd)} failed ({r.returncode}):\n{r.stderr}")
            with open(out) as f:
                rows.append(summarise(json.load(f), " ".join(combo)))
            print(f"  {' '.join(combo)}: mean F1 {fmt(rows[-1]['mean'])}", file=sys.stderr, flush=True)
    print_table(a, rows)


def fmt(v, scale=1.0, digits=3):
    return "-" if v is None else f"{scale * v:.{digits}f}"


def summarise(result, combo):
    """One row of the table from one eval.json (its first dataset)."""
    entries = [d for d in result["datasets"] if d.get("kind") == "voc"]
    over = result["over_scales"][0]
    first = entries[0]
    det = first["detection"]["iou_0.3"]
    gate = over.get("gate_keep", {})
    return {"mean": over["no_mask_f1"]["mean"], "f1": over["no_mask_f1"]["by_scale"],
            "scales": over["scales"], "with_mask": det["recall"]["with_mask"],
            "without_mask": det["recall"]["without_mask"], "precision": det["precision"],
            "ms": first["time_ms"]["with_decode"]["mean"],
            "gate": {name: k["min"] for name, k in gate.items()}, "combo": combo}


def print_table(a, rows):
    scales = rows[0]["scales"] if rows else []
    gates = sorted({g for r in rows for g in r["gate"]}, key=lambda g: (g == "run", g))
    print(f"{a.dataset} --split {a.split} --scale {a.scale} {' '.join(a.fixed)}")
    print(f"no_mask F1 at each scale, their mean; face recall and precision (IoU 0.3) and ms per photo"
          f" at {fmt(scales[0]) if scales else '-'}; share of true faces the gate keeps (lowest over scales)")
    head = "".join(f"{'F1@' + fmt(s, digits=2):>8}" for s in scales)
    head += f"{'mean':>7} {'with_mask':>9} {'without':>8} {'precision':>9} {'ms/photo':>8}"
    head += "".join(f" {'keep ' + g:>10}" for g in gates)
    print(head + "  options")
    for r in sorted(rows, key=lambda r: (r["mean"] is None, -(r["mean"] or 0))):
        line = "".join(f"{fmt(f):>8}" for f in r["f1"])
        line += f"{fmt(r['mean']):>7} {fmt(r['with_mask'], 100, 1):>8}% {fmt(r['without_mask'], 100, 1):>7}%"
        line += f" {fmt(r['precision'], 100, 1):>8}% {fmt(r['ms'], digits=1):>8}"
        line += "".join(f" {fmt(r['gate'].get(g), 100, 1):>9}%" for g in gates)
        print(line + "  " + r["combo"])


if __name__ == "__main__":
    main()
