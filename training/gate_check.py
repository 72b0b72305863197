#!/usr/bin/python3
"""How well P(face) = 1 - P(not_face) separates the true scene faces from the not_face boxes, for
weights in training/work: the share of true faces kept at a few thresholds (also cut from the
photo at 1/2 and 1/3 of its size, as `maskdetect eval --scale` cuts them), the threshold that
keeps 97 % of them (issue 11's gate), and how many not_face boxes of each proposer pass there.
Reads training/work/data.npz (prepare_data.py). Choices are made on the validation part; quote
the test part only for the model you ship.

usage: /usr/bin/python3 training/gate_check.py [--weights training/work/model.pt]
           [--data training/work/data.npz] [--part val]
Run with Debian's /usr/bin/python3 (python3-torch, python3-torchvision, python3-opencv)."""
import argparse
import os

import numpy as np
import torch

from common import NOT_FACE
from train import SCENES, make_model, predict

HERE = os.path.dirname(os.path.abspath(__file__))
THRESHOLDS = (0.5, 0.8, 0.9, 0.96)
KEEP = 0.97


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", default=os.path.join(HERE, "work", "model.pt"))
    ap.add_argument("--data", default=os.path.join(HERE, "work", "data.npz"))
    ap.add_argument("--part", default="val", choices=["train", "val", "test"])
    a = ap.parse_args()
    torch.set_num_threads(2)
    d = np.load(a.data)
    labels, sources, splits = d["labels"], d["sources"], d["splits"]
    proposer, face_px = d["proposer"], d["face_px"]
    model = make_model()
    model.load_state_dict(torch.load(a.weights))
    part = (splits == a.part) & (sources == SCENES)
    faces = np.flatnonzero(part & (labels != NOT_FACE))
    boxes = np.flatnonzero(part & (labels == NOT_FACE))
    images = d["images"]
    p_box = 1 - predict(model, images[boxes], sources[boxes])[:, NOT_FACE]
    point_1x = None
    for shrink, name in ((1.0, "1x"), (1 / 2, "1/2"), (1 / 3, "1/3")):
        p_face = 1 - predict(model, images[faces], sources[faces], shrink=shrink,
                             face_px=face_px[faces])[:, NOT_FACE]
        t = float(np.quantile(p_face, 1 - KEEP))
        if shrink == 1.0:
            point_1x = t
        kept = "  ".join(f"{v}: {np.mean(p_face >= v) * 100:.1f} %" for v in THRESHOLDS)
        print(f"{a.part} {name:3s} {len(faces)} true faces kept at {kept}; "
              f"{KEEP * 100:.0f} % kept at P(face) >= {t:.3f}")
    # The not_face boxes are cut at the scale they were proposed at (negatives.py); they are
    # scored against the 1x point and the listed thresholds.
    for who in np.unique(proposer[boxes]):
        sel = proposer[boxes] == who
        passing = "  ".join(f"{v:g}: {np.mean(p_box[sel] >= v) * 100:.1f} %"
                            for v in (round(point_1x, 3),) + THRESHOLDS)
        print(f"{a.part} not_face from {who}: {sel.sum()} boxes passing at {passing}")


if __name__ == "__main__":
    main()
