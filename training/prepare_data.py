#!/usr/bin/python3
"""Decodes the face crops of ../shared/datasets once into training/work/data.npz:
the two crop sets as they are, every annotated face of scenes-ilc2021 cut out with a wide
square margin (WIDE_MARGIN) so training can re-frame it like detector boxes are framed, and
the not_face boxes of the same photos (negatives.py), cut the same way.

usage: /usr/bin/python3 training/prepare_data.py [--data ../shared/datasets] [--work training/work]
"""
import argparse
import json
import os
import xml.etree.ElementTree as ET

import cv2
import numpy as np

from common import (INCORRECT, NOT_FACE, SOURCE_LABELS, SOURCES, STORE, WIDE_MARGIN, crop_region,
                    crop_square, resize_to, split_of)
from negatives import mine

HERE = os.path.dirname(os.path.abspath(__file__))


def crop_sets(data):
    for src in SOURCES[:2]:
        with open(os.path.join(data, src, "manifest.json")) as f:
            manifest = json.load(f)["images"]
        for item in manifest:
            img = cv2.imread(os.path.join(data, src, item["file"]), cv2.IMREAD_COLOR)
            if img is None:
                raise SystemExit(f"cannot read {item['file']} in {src}")
            yield src, item["file"], SOURCE_LABELS[item["label"]], item["source_sha256"], \
                resize_to(img, STORE)


def scene_photos(data):
    """(stem, image path, [(label, (x, y, w, h))]) for every annotated scene photo."""
    root = os.path.join(data, "scenes-ilc2021")
    for name in sorted(os.listdir(os.path.join(root, "annotations"))):
        tree = ET.parse(os.path.join(root, "annotations", name))
        stem = os.path.splitext(name)[0]
        fname = tree.findtext("filename") or stem + ".jpg"
        path = os.path.join(root, "images", fname)
        if not os.path.exists(path):
            path = os.path.join(root, "images", stem + ".jpg")
        faces = []
        for obj in tree.findall("object"):
            bb = obj.find("bndbox")
            x0, y0, x1, y1 = (int(float(bb.findtext(t))) for t in ("xmin", "ymin", "xmax", "ymax"))
            faces.append((SOURCE_LABELS.get(obj.findtext("name").strip()), (x0, y0, x1 - x0, y1 - y0)))
        yield stem, path, faces


def scene_crops(data, models):
    photos = list(scene_photos(data))
    found = mine([(path, [b for _, b in faces], i) for i, (_, path, faces) in enumerate(photos)],
                 models)
    for (stem, path, faces), negs in zip(photos, found):
        img = cv2.imread(path, cv2.IMREAD_COLOR)
        if img is None:
            raise SystemExit(f"cannot read {path}")
        boxes = [(f"{stem}#{k}", label, b, "") for k, (label, b) in enumerate(faces)]
        boxes += [(f"{stem}#not_face{k}", NOT_FACE, (x, y, w, h), who)
                  for k, (x, y, w, h, who) in enumerate(negs)]
        for name, label, (x, y, w, h), who in boxes:
            if label is None or w < 4 or h < 4:
                continue
            crop = crop_square(img, crop_region((x, y, w, h), WIDE_MARGIN))
            if crop is None:
                continue
            yield "scenes-ilc2021", name, label, stem, resize_to(crop, STORE), max(w, h), who


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(HERE, "..", "..", "shared", "datasets"))
    ap.add_argument("--models", default=os.path.join(HERE, "..", "..", "shared", "models"),
                    help="folder with YuNet's ONNX, used to keep unannotated faces out of not_face")
    ap.add_argument("--work", default=os.path.join(HERE, "work"))
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    images, labels, sources, splits, names, face_px, proposer = [], [], [], [], [], [], []
    for src, name, label, key, img, *px in list(crop_sets(a.data)) + list(scene_crops(a.data, a.models)):
        images.append(cv2.cvtColor(img, cv2.COLOR_BGR2RGB))
        labels.append(label)
        sources.append(SOURCES.index(src))
        splits.append(split_of(key))
        names.append(f"{src}/{name}")
        face_px.append(px[0] if px else 0)
        proposer.append(px[1] if px else "")
    out = os.path.join(a.work, "data.npz")
    np.savez(out, images=np.stack(images), labels=np.array(labels, np.int64),
             sources=np.array(sources, np.int64), splits=np.array(splits),
             names=np.array(names), face_px=np.array(face_px, np.int64), proposer=np.array(proposer))
    lab, src, spl = np.array(labels), np.array(sources), np.array(splits)
    for s in range(3):
        for part in ("train", "val", "test"):
            sel = (src == s) & (spl == part)
            print(f"{SOURCES[s]:22s} {part:5s} with_mask {np.sum(sel & (lab == 0)):5d}  "
                  f"without_mask {np.sum(sel & (lab == 1)):5d}  incorrect {np.sum(sel & (lab == INCORRECT)):4d}  "
                  f"not_face {np.sum(sel & (lab == NOT_FACE)):5d}")
    print(f"wrote {out}: {len(images)} crops")


if __name__ == "__main__":
    main()
