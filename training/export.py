#!/usr/bin/python3
"""Exports training/work/model.pt to models/mask_mobilenetv2.onnx (opset 10, dynamic batch, no
Identity nodes), checks that OpenCV DNN and PyTorch agree on the whole validation split
(max |diff| of probabilities <= 1e-4, else it fails), measures the test split once, and writes
the model card models/mask_mobilenetv2.json that the C++ tool reads its preprocessing from.

usage: /usr/bin/python3 training/export.py [--work training/work] [--models models]
"""
import argparse
import datetime
import hashlib
import json
import os
import sys

import cv2
import numpy as np
import onnx
import torch

from common import (FACE_THRESHOLDS, INCORRECT, INCORRECT_MASKS_BUDGET, INPUT_SIZE, LABELS, MARGIN, MEAN,
                    MODEL_NAME as NAME, NOT_FACE, SOURCES, SPLIT_RULE, STD, STORE, WIDTH_MULT)
from train import SCENES, eval_view, make_model, predict, to_tensor

HERE = os.path.dirname(os.path.abspath(__file__))


def strip_identities(model):
    """OpenCV 4.6 cannot import Identity nodes that forward initializers: wire their users to
    the initializer directly."""
    g = model.graph
    inits = {i.name for i in g.initializer}
    rename, keep = {}, []
    for n in g.node:
        if n.op_type == "Identity" and n.input[0] in inits:
            rename[n.output[0]] = n.input[0]
        else:
            keep.append(n)
    for n in keep:
        for i, name in enumerate(n.input):
            if name in rename:
                n.input[i] = rename[name]
    del g.node[:]
    g.node.extend(keep)
    return len(rename)


def opencv_probs(onnx_path, images, sources, batch=64):
    net = cv2.dnn.readNetFromONNX(onnx_path)
    out = []
    for i in range(0, len(images), batch):
        x = to_tensor([eval_view(im, s) for im, s in zip(images[i:i + batch], sources[i:i + batch])])
        net.setInput(x.numpy())
        logits = net.forward().astype(np.float64)
        e = np.exp(logits - logits.max(1, keepdims=True))
        out.append(e / e.sum(1, keepdims=True))
    return np.concatenate(out)


def metrics(probs, labels):
    """Accuracy, per-class precision / recall and the confusion matrix (rows: truth, columns:
    prediction, over every label)."""
    pred = probs.argmax(1)
    n = len(LABELS)
    cm = [[int(np.sum((labels == t) & (pred == p))) for p in range(n)] for t in range(n)]
    per = {}
    for k, name in enumerate(LABELS):
        tp, support = cm[k][k], sum(cm[k])
        if support:
            per[name] = {"precision": tp / max(1, sum(cm[t][k] for t in range(n))),
                         "recall": tp / support, "support": support}
    return {"accuracy": float(np.mean(pred == labels)), "count": int(len(labels)),
            "per_class": per, "confusion_matrix": {"rows_truth": LABELS, "cols_predicted": LABELS,
                                                   "matrix": cm}}


def incorrect_given_face(probs):
    return probs[:, INCORRECT] / np.maximum(1e-9, 1 - probs[:, NOT_FACE])


def choose_incorrect_threshold(probs, labels, sources):
    """The lowest P(incorrect | face) threshold at which at most INCORRECT_MASKS_BUDGET of the
    validation part's correctly worn scene masks are called incorrect (as the tool decides:
    src/classifier.cc assign_label checks it first)."""
    worn = (sources == SCENES) & (labels == 0)
    p = incorrect_given_face(probs[worn])
    for t in np.arange(0.05, 0.99, 0.01):
        if np.mean(p >= t) <= INCORRECT_MASKS_BUDGET:
            return round(float(t), 2)
    return 0.99


def tool_labels(probs, incorrect_threshold, threshold=0.5):
    """assign_label of src/classifier.cc on face boxes (face threshold 0): the incorrect label at
    its threshold first, then mask when P(mask) / (P(mask) + P(no_mask)) reaches `threshold`,
    else no_mask."""
    pred = np.where(probs[:, 0] / np.maximum(1e-9, probs[:, 0] + probs[:, 1]) >= threshold, 0, 1)
    return np.where(incorrect_given_face(probs) >= incorrect_threshold, INCORRECT, pred)


def incorrect_metrics(probs, labels, sources, incorrect_threshold=None):
    """How the incorrectly worn masks of the scene photos fare (their recall, precision, where the
    missed ones go) and how many correctly worn masks are called incorrect: the two numbers a
    compliance user cares about. On annotated face boxes; argmax over the labels, or the tool's
    rule at the card's incorrect_threshold."""
    sc = sources == SCENES
    pred = probs.argmax(1) if incorrect_threshold is None else tool_labels(probs, incorrect_threshold)
    inc, worn = sc & (labels == INCORRECT), sc & (labels == 0)
    called = sc & (labels != NOT_FACE) & (pred == INCORRECT)
    out = {"count": int(inc.sum()), "recall": float(np.mean(pred[inc] == INCORRECT)) if inc.any() else None,
           "precision": float(np.mean(labels[called] == INCORRECT)) if called.any() else None,
           "correct_masks_called_incorrect": float(np.mean(pred[worn] == INCORRECT)) if worn.any() else None}
    for k, name in enumerate(LABELS):
        if k != INCORRECT and inc.any():
            out["labelled_" + name] = float(np.mean(pred[inc] == k))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", default=os.path.join(HERE, "work"))
    ap.add_argument("--models", default=os.path.join(HERE, "..", "models"))
    ap.add_argument("--minutes", type=float, default=None, help="rebuild time to record")
    ap.add_argument("--incorrect-threshold", type=float, default=None,
                    help="the card's incorrect_threshold, as training/incorrect_threshold.py "
                         "chose it with the tool [default: chosen here on the validation crops]")
    a = ap.parse_args()
    torch.set_num_threads(2)
    os.makedirs(a.models, exist_ok=True)
    onnx_path = os.path.join(a.models, NAME + ".onnx")

    model = make_model()
    model.load_state_dict(torch.load(os.path.join(a.work, "model.pt")))
    model = model.to(memory_format=torch.contiguous_format).eval()  # trained channels_last
    x = torch.zeros(2, 3, INPUT_SIZE, INPUT_SIZE)
    torch.onnx.export(model, x, onnx_path, opset_version=10, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}},
                      do_constant_folding=True)
    m = onnx.load(onnx_path)
    stripped = strip_identities(m)
    onnx.checker.check_model(m)
    assert not any(n.op_type == "Identity" for n in m.graph.node)
    assert m.opset_import[0].version <= 10
    onnx.save(m, onnx_path)

    d = np.load(os.path.join(a.work, "data.npz"))
    images, labels, sources, splits = d["images"], d["labels"], d["sources"], d["splits"]

    # OpenCV DNN must reproduce PyTorch on the whole validation split, in batches.
    va = np.flatnonzero(splits == "val")
    p_torch = predict(model, images[va], sources[va])
    p_cv = opencv_probs(onnx_path, images[va], sources[va])
    diff = float(np.abs(p_torch - p_cv).max())
    print(f"OpenCV vs PyTorch on {len(va)} validation crops: max |diff| {diff:.2e}")
    if diff > 1e-4:
        sys.exit(f"export check failed: max |diff| {diff} > 1e-4")
    single = opencv_probs(onnx_path, images[va[:8]], sources[va[:8]], batch=1)
    assert np.abs(single - p_cv[:8]).max() <= 1e-4, "batch size changes OpenCV's results"

    # The test split, used once, for the numbers reported.
    te = np.flatnonzero(splits == "test")
    p_test = opencv_probs(onnx_path, images[te], sources[te])
    lt, st = labels[te], sources[te]
    faces = lt != NOT_FACE
    result = {"test": {}, "validation": {}}
    crops = faces & (st != SCENES)
    result["test"]["crops (both crop sets)"] = metrics(p_test[crops], lt[crops])
    for s, name in enumerate(SOURCES):
        sel = faces & (st == s)
        result["test"][name] = metrics(p_test[sel], lt[sel])
    neg = lt == NOT_FACE
    result["test"]["scenes-ilc2021 faces and not_face boxes"] = metrics(p_test[st == SCENES], lt[st == SCENES])
    result["test"]["scenes-ilc2021 not_face boxes"] = {
        "count": int(neg.sum()), "rejected": float(np.mean(p_test[neg].argmax(1) == NOT_FACE))}
    lv, sv = labels[va], sources[va]
    inc_threshold = a.incorrect_threshold
    if inc_threshold is None:
        inc_threshold = choose_incorrect_threshold(p_torch, lv, sv)
    print(f"incorrect_threshold {inc_threshold}")
    result["test"]["scenes-ilc2021 " + LABELS[INCORRECT]] = incorrect_metrics(p_test, lt, st)
    result["test"]["scenes-ilc2021 " + LABELS[INCORRECT] + " at incorrect_threshold"] = \
        incorrect_metrics(p_test, lt, st, inc_threshold)
    for name, sel in (("crops (both crop sets)", (lv != NOT_FACE) & (sv != SCENES)),
                      ("scenes-ilc2021", (lv != NOT_FACE) & (sv == SCENES)),
                      ("scenes-ilc2021 faces and not_face boxes", sv == SCENES)):
        result["validation"][name] = metrics(p_torch[sel], lv[sel])
    result["validation"]["scenes-ilc2021 " + LABELS[INCORRECT]] = incorrect_metrics(p_torch, lv, sv)
    result["validation"]["scenes-ilc2021 " + LABELS[INCORRECT] + " at incorrect_threshold"] = \
        incorrect_metrics(p_torch, lv, sv, inc_threshold)
    result["opencv_vs_pytorch_max_abs_diff_validation"] = diff

    sha = hashlib.sha256(open(onnx_path, "rb").read()).hexdigest()
    with open(os.path.join(a.work, "train_log.json")) as f:
        log = json.load(f)
    counts = {}
    for s, name in enumerate(SOURCES):
        kinds = [("with_mask", 0), ("without_mask", 1), ("with_incorrect_mask", INCORRECT),
                 ("not_face", NOT_FACE)]
        counts[name] = {part: {lab: int(np.sum((sources == s) & (splits == part) & (labels == k)))
                               for lab, k in kinds}
                        for part in ("train", "val", "test")}
    card_path = os.path.join(a.models, NAME + ".json")
    old = {}
    if os.path.exists(card_path):
        with open(card_path) as f:
            old = json.load(f)
    card = {
        "name": NAME,
        "file": NAME + ".onnx",
        "sha256": sha,
        "size_bytes": os.path.getsize(onnx_path),
        "labels": LABELS,
        "reject_labels": [LABELS[NOT_FACE]],
        # What the labels mean: the C++ code reads these instead of spelling label names.
        "roles": {"masked": LABELS[0], "unmasked": LABELS[1], "incorrect": LABELS[INCORRECT],
                  "ground_truth": {"with_mask": LABELS[0], "without_mask": LABELS[1],
                                   "with_incorrect_mask": LABELS[INCORRECT],
                                   "mask_weared_incorrect": LABELS[INCORRECT]}},
        "face_threshold": FACE_THRESHOLDS,
        "incorrect_threshold": inc_threshold,
        "input": {"name": "input", "width": INPUT_SIZE, "height": INPUT_SIZE, "channel_order": "RGB",
                  "layout": "NCHW", "scale": 1 / 255.0, "mean": MEAN, "std": STD,
                  "formula": "(pixel * scale - mean) / std, per channel, after BGR->RGB"},
        "crop_sets": {"stored_side": STORE,
                      "note": "training and its metrics see face-crop datasets squashed to this "
                              "square side, then resized to the input; maskdetect eval does the "
                              "same so its crop-set numbers match the card's"},
        "output": {"name": "logits", "kind": "logits",
                   "note": "raw scores; apply softmax for probabilities"},
        "crop": {"shape": "square", "margin": MARGIN, "border": "replicate",
                 "rule": "square centred on the detector box, side max(w, h) * (1 + 2 * margin), "
                         "outside parts replicate the image border, resized to the input size "
                         "(INTER_AREA when shrinking, INTER_LINEAR when enlarging)"},
        "architecture": {"family": "torchvision mobilenet_v2", "width_mult": WIDTH_MULT,
                         "pretrained": False, "parameters": int(sum(p.numel() for p in model.parameters())),
                         "onnx_opset": 10, "identity_nodes_removed": stripped},
        "training": {
            "date": datetime.date.today().isoformat(),
            "command": "training/build_model.sh",
            "data": {"root": "../shared/datasets", "sources": SOURCES,
                     "scenes": "every with_mask / without_mask / with_incorrect_mask face box, cut "
                               "with the crop rule (incorrectly worn masks are mask_incorrect)",
                     "not_face": "boxes of the scene photos clear of every annotated face and of "
                                 "every YuNet detection: proposals of permissive cascades "
                                 "(training/negatives.py) and random boxes; about "
                                 f"{log['args'].get('not_face_share', 0) * 100:.0f} % of each batch",
                     "counts": counts},
            "split": SPLIT_RULE,
            "epochs": log["args"]["epochs"], "batch": log["args"]["batch"],
            "seed": log["args"]["seed"], "train_minutes": round(log["minutes"], 1),
            "rebuild_minutes": a.minutes if a.minutes is not None else old.get("training", {}).get("rebuild_minutes"),
            "history": log["history"],
        },
        "metrics": result,
    }
    if "speed" in old:
        card["speed"] = old["speed"]
    with open(card_path, "w") as f:
        json.dump(card, f, indent=1)
        f.write("\n")
    print(json.dumps({k: {n: v.get("accuracy", v) for n, v in r.items()} if isinstance(r, dict) else r
                      for k, r in result.items()}, indent=1))
    print(f"wrote {onnx_path} ({os.path.getsize(onnx_path)} bytes, sha256 {sha[:12]}…) and {card_path}")


if __name__ == "__main__":
    main()
