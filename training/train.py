#!/usr/bin/python3
"""Trains MobileNetV2 (torchvision, from scratch) on training/work/data.npz and saves the
weights with the best validation score to training/work/model.pt.

usage: /usr/bin/python3 training/train.py [--work training/work] [--epochs 24] [--seed 1]
"""
import argparse
import json
import os
import time

import cv2
import numpy as np
import torch
import torchvision

from common import (INCORRECT, INPUT_SIZE, LABELS, MARGIN, MEAN, NOT_FACE, STD, STORE, WIDE_MARGIN,
                    WIDTH_MULT)

HERE = os.path.dirname(os.path.abspath(__file__))
SCENES = 2


def make_model():
    return torchvision.models.mobilenet_v2(width_mult=WIDTH_MULT, num_classes=len(LABELS))


def eval_view(img, source):
    """What the tool shows the network: scene faces framed with MARGIN, crops as they are."""
    if source == SCENES:
        frac = (1 + 2 * MARGIN) / (1 + 2 * WIDE_MARGIN)
        side = STORE * frac
        o = (STORE - side) / 2
        img = img[int(round(o)):int(round(o + side)), int(round(o)):int(round(o + side))]
    return cv2.resize(img, (INPUT_SIZE, INPUT_SIZE), interpolation=cv2.INTER_AREA)


def train_view(img, source, rng):
    """Random framing plus what real photos do to faces: blur, low resolution, lighting,
    grey-scale, partial crops."""
    if source == SCENES:
        # Detector boxes are tighter or looser and off-centre compared with the annotations.
        m = rng.uniform(-0.05, 0.32)
        side = STORE * (1 + 2 * m) / (1 + 2 * WIDE_MARGIN)
        cx = STORE / 2 + rng.uniform(-0.1, 0.1) * side
        cy = STORE / 2 + rng.uniform(-0.1, 0.1) * side
    else:
        side = STORE * rng.uniform(0.72, 1.0)
        cx = rng.uniform(side / 2, STORE - side / 2)
        cy = rng.uniform(side / 2, STORE - side / 2)
    sx = side * rng.uniform(0.9, 1.1)
    x0, y0 = cx - sx / 2, cy - side / 2
    M = np.float32([[INPUT_SIZE / sx, 0, -x0 * INPUT_SIZE / sx],
                    [0, INPUT_SIZE / side, -y0 * INPUT_SIZE / side]])
    out = cv2.warpAffine(img, M, (INPUT_SIZE, INPUT_SIZE), flags=cv2.INTER_AREA,
                         borderMode=cv2.BORDER_REPLICATE)
    if rng.random() < 0.5:
        out = out[:, ::-1]
    if rng.random() < 0.35:  # low resolution: small faces far from the camera
        s = int(rng.uniform(14, 48))
        out = cv2.resize(cv2.resize(out, (s, s), interpolation=cv2.INTER_AREA),
                         (INPUT_SIZE, INPUT_SIZE), interpolation=cv2.INTER_LINEAR)
    if rng.random() < 0.25:
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.5, 2.0))
    out = out.astype(np.float32)
    if rng.random() < 0.2:
        g = out @ np.float32([0.299, 0.587, 0.114])
        out = np.repeat(g[..., None], 3, axis=2)
    out = out * rng.uniform(0.6, 1.4) + rng.uniform(-40, 40)  # contrast, brightness
    out = out * rng.uniform(0.85, 1.15, size=3)  # colour cast
    if rng.random() < 0.15:  # JPEG artefacts
        ok, enc = cv2.imencode(".jpg", np.clip(out, 0, 255).astype(np.uint8),
                               [cv2.IMWRITE_JPEG_QUALITY, int(rng.uniform(20, 60))])
        out = cv2.imdecode(enc, cv2.IMREAD_UNCHANGED).astype(np.float32)
    return np.clip(out, 0, 255)


def to_tensor(batch):
    x = torch.from_numpy(np.ascontiguousarray(np.stack(batch), dtype=np.float32)).permute(0, 3, 1, 2)
    x = x / 255.0
    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)
    return (x - mean) / std


@torch.no_grad()
def predict(model, images, sources, batch=256):
    model.eval()
    probs = []
    for i in range(0, len(images), batch):
        x = to_tensor([eval_view(im, s) for im, s in zip(images[i:i + batch], sources[i:i + batch])])
        probs.append(torch.softmax(model(x), 1).numpy())
    return np.concatenate(probs) if probs else np.zeros((0, len(LABELS)), np.float32)


def scores(probs, labels, sources):
    """Accuracy on faces (a face called not_face is wrong), and how many not_face boxes are
    rejected."""
    pred = probs.argmax(1)
    out = {}
    crops = sources != SCENES
    out["crops"] = float(np.mean(pred[crops] == labels[crops]))
    sc = (sources == SCENES) & (labels < NOT_FACE)
    out["scenes"] = float(np.mean(pred[sc] == labels[sc]))
    for k, name in ((0, "scenes_recall_mask"), (1, "scenes_recall_no_mask")):
        sel = sc & (labels == k)
        out[name] = float(np.mean(pred[sel] == k))
    neg = labels == NOT_FACE
    out["not_face_recall"] = float(np.mean(pred[neg] == NOT_FACE)) if neg.any() else 0.0
    faces = labels < NOT_FACE
    out["faces_called_not_face"] = float(np.mean(pred[faces] == NOT_FACE))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", default=os.path.join(HERE, "work"))
    ap.add_argument("--epochs", type=int, default=24)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scene-weight", type=float, default=3.0,
                    help="how much more often a scene face is drawn than a crop-set image")
    ap.add_argument("--label-smoothing", type=float, default=0.05)
    ap.add_argument("--not-face-share", type=float, default=0.3,
                    help="fraction of each batch drawn from the not_face boxes")
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(2)
    rng = np.random.default_rng(a.seed)

    d = np.load(os.path.join(a.work, "data.npz"))
    images, labels, sources, splits = d["images"], d["labels"], d["sources"], d["splits"]
    used = labels != INCORRECT  # with_incorrect_mask stays out of training and selection
    tr = np.flatnonzero((splits == "train") & used)
    va = np.flatnonzero((splits == "val") & used)
    # Balance: scene faces drawn more often, classes equally often within each source, and
    # not_face boxes a fixed share of every batch.
    face = labels[tr] < NOT_FACE
    w = np.where(sources[tr] == SCENES, a.scene_weight, 1.0)
    for s in range(3):
        for c in range(2):
            sel = (sources[tr] == s) & (labels[tr] == c)
            if sel.any():
                w[sel] /= sel.sum() / ((face & (sources[tr] == s)).sum() / 2)
    w[face] *= (1 - a.not_face_share) / w[face].sum()
    w[~face] = a.not_face_share / max(1, (~face).sum())
    w /= w.sum()
    steps = int(face.sum()) // a.batch  # an epoch is as long as it was with two classes

    model = make_model()
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=4e-5)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=a.lr, total_steps=a.epochs * steps,
                                                pct_start=0.15)
    loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=a.label_smoothing)
    best, history, t_start = -1.0, [], time.time()
    for epoch in range(a.epochs):
        model.train()
        t0, total = time.time(), 0.0
        for step in range(steps):
            idx = rng.choice(tr, size=a.batch, p=w)
            x = to_tensor([train_view(images[i], sources[i], rng) for i in idx])
            y = torch.from_numpy(labels[idx])
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item()
        v = scores(predict(model, images[va], sources[va]), labels[va], sources[va])
        # Choose on validation only, among the epochs of the annealed tail of the schedule
        # (earlier ones win on noise: the scene validation part has only ~170 unmasked faces).
        score = (v["scenes"] + min(v["scenes_recall_mask"], v["scenes_recall_no_mask"]) + v["crops"]
                 + v["not_face_recall"])
        if epoch + 1 < a.epochs * 0.75:
            score = -1.0
        history.append({"epoch": epoch + 1, "loss": total / steps, **v})
        print(f"epoch {epoch + 1:2d} loss {total / steps:.4f} val crops {v['crops']:.4f} scenes "
              f"{v['scenes']:.4f} recall mask {v['scenes_recall_mask']:.3f} no_mask "
              f"{v['scenes_recall_no_mask']:.3f} not_face {v['not_face_recall']:.3f} faces lost "
              f"{v['faces_called_not_face']:.3f}  {time.time() - t0:.0f} s", flush=True)
        if score >= best:
            best = score
            torch.save(model.state_dict(), os.path.join(a.work, "model.pt"))
    with open(os.path.join(a.work, "train_log.json"), "w") as f:
        json.dump({"history": history, "minutes": (time.time() - t_start) / 60, "args": vars(a)}, f,
                  indent=1)


if __name__ == "__main__":
    main()
