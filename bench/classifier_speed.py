#!/usr/bin/python3
"""Milliseconds per face crop for the shipped classifier in OpenCV DNN, one thread, as the tool
runs it (Debian's python3-opencv is the same OpenCV 4.6 the C++ tool links).

usage: /usr/bin/python3 bench/classifier_speed.py [--model models/mask_mobilenetv2.onnx]
           [--runs 300] [--batch 8] [--update-card]
--update-card writes the measured medians into the model card's "speed" field."""
import argparse
import json
import os
import platform
import statistics
import time

import cv2
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

ap = argparse.ArgumentParser()
ap.add_argument("--model", default=os.path.join(ROOT, "models", "mask_mobilenetv2.onnx"))
ap.add_argument("--runs", type=int, default=300)
ap.add_argument("--batch", type=int, default=8)
ap.add_argument("--update-card", action="store_true")
a = ap.parse_args()

card_path = os.path.splitext(a.model)[0] + ".json"
with open(card_path) as f:
    card = json.load(f)
w, h = card["input"]["width"], card["input"]["height"]
cv2.setNumThreads(1)
net = cv2.dnn.readNetFromONNX(a.model)
rng = np.random.default_rng(0)


def time_batch(n):
    blob = rng.standard_normal((n, 3, h, w)).astype(np.float32)
    for _ in range(20):
        net.setInput(blob)
        net.forward()
    ts = []
    for _ in range(a.runs):
        t0 = time.perf_counter()
        net.setInput(blob)
        net.forward()
        ts.append((time.perf_counter() - t0) * 1000 / n)
    ts.sort()
    return statistics.median(ts), ts[int(0.9 * len(ts))]


one, one_p90 = time_batch(1)
many, many_p90 = time_batch(a.batch)
print(f"{os.path.basename(a.model)} {w}x{h}, OpenCV {cv2.__version__}, 1 thread, {a.runs} runs")
print(f"  batch 1: median {one:.2f} ms/face (p90 {one_p90:.2f})")
print(f"  batch {a.batch}: median {many:.2f} ms/face (p90 {many_p90:.2f})")
if a.update_card:
    card["speed"] = {"ms_per_face_median_1thread": round(one, 2),
                     f"ms_per_face_median_1thread_batch{a.batch}": round(many, 2),
                     "machine": f"{platform.machine()}, {os.cpu_count()} cores, OpenCV {cv2.__version__}",
                     "command": "/usr/bin/python3 bench/classifier_speed.py --update-card"}
    with open(card_path, "w") as f:
        json.dump(card, f, indent=1)
        f.write("\n")
    print(f"  recorded in {card_path}")
