"""Boxes in the scene photos that are not faces, for the classifier's not_face class.

The tool's permissive detectors (several cascades, few neighbours) propose many boxes that are
shirts, hands and wallpaper; the network learns to reject them ("Haar proposes, the network
disposes"). Negatives are those proposals, plus random boxes, that stay clear of every
annotated face. Some scene faces are not annotated (blurred or small faces in the background):
boxes near anything YuNet calls a face (score >= 0.5) are left out rather than taught as "not a
face".

Run with Debian's /usr/bin/python3 (python3-opencv)."""
import os
import tempfile
import xml.etree.ElementTree as ET

import cv2
import numpy as np

HAAR = "/usr/share/opencv4/haarcascades/"
# (name, file, stages kept (0: all), scale factor, neighbours, mirrored too): what the tool's
# permissive detectors may run. A cascade cut short after its first stages is the cheap way to
# make Haar find masked faces: the late stages are the ones that insist on a mouth and a nose.
PROPOSERS = [("default", HAAR + "haarcascade_frontalface_default.xml", 0, 1.2, 1, False),
             ("default_14", HAAR + "haarcascade_frontalface_default.xml", 14, 1.1, 2, False),
             ("alt2_14", HAAR + "haarcascade_frontalface_alt2.xml", 14, 1.1, 2, False)]
YUNET_FILE = "face_detection_yunet_2022mar.onnx"
PER_IMAGE = 20  # proposal negatives kept per photo, at most
RANDOM_PER_IMAGE = 3

_state = {}


def truncated_cascade(path, stages):
    """A cascade that keeps only its first `stages` stages (0: all of them)."""
    if stages == 0:
        return cv2.CascadeClassifier(path)
    tree = ET.parse(path)
    cascade = tree.getroot().find("cascade")
    kept = cascade.find("stages")
    for stage in list(kept)[stages:]:
        kept.remove(stage)
    cascade.find("stageNum").text = str(stages)
    with tempfile.NamedTemporaryFile(suffix=".xml") as f:
        tree.write(f.name, xml_declaration=True, encoding="UTF-8")
        c = cv2.CascadeClassifier(f.name)
    assert not c.empty(), path
    return c


def _init(models_dir):
    cv2.setNumThreads(1)
    _state["cascades"] = [(n, truncated_cascade(p, k), sf, nb, m) for n, p, k, sf, nb, m in PROPOSERS]
    path = os.path.join(models_dir, YUNET_FILE)
    _state["yunet"] = cv2.FaceDetectorYN.create(path, "", (320, 320), 0.5, 0.3, 5000) \
        if os.path.exists(path) else None


def iou(a, b):
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    iw = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    ih = max(0, min(ay + ah, by + bh) - max(ay, by))
    inter = iw * ih
    return inter / float(aw * ah + bw * bh - inter) if inter else 0.0


def clear_of(box, others):
    """True when box and every other box share less than 10 % of either's area."""
    x, y, w, h = box
    for ox, oy, ow, oh in others:
        iw = max(0, min(x + w, ox + ow) - max(x, ox))
        ih = max(0, min(y + h, oy + oh) - max(y, oy))
        inter = iw * ih
        if inter > 0.1 * w * h or inter > 0.1 * ow * oh:
            return False
    return True


def proposals(img):
    """(box, proposer) from every permissive proposer, mirrored ones mapped back."""
    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    W = gray.shape[1]
    out = []
    for name, cascade, sf, neighbours, mirrored in _state["cascades"]:
        for flip in ((False, True) if mirrored else (False,)):
            g = gray[:, ::-1].copy() if flip else gray
            for x, y, w, h in cascade.detectMultiScale(g, sf, neighbours, 0, (20, 20)):
                out.append(((int(W - x - w) if flip else int(x), int(y), int(w), int(h)), name))
    return out


def yunet_boxes(img):
    net = _state["yunet"]
    if net is None:
        return []
    net.setInputSize((img.shape[1], img.shape[0]))
    _, found = net.detect(img)
    if found is None:
        return []
    return [((int(r[0]), int(r[1]), int(r[2]), int(r[3])), float(r[14])) for r in found]


def negatives(args):
    """Negative boxes (x, y, w, h, proposer) for one photo given its annotated face boxes."""
    path, faces, seed = args
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    H, W = img.shape[:2]
    rng = np.random.default_rng(seed)
    yunet = yunet_boxes(img)
    avoid = list(faces) + [b for b, _ in yunet]
    cands = proposals(img)
    rng.shuffle(cands)
    kept = []
    for box, name in cands:
        if clear_of(box, avoid) and all(iou(box, k[0]) < 0.5 for k in kept):
            kept.append((box, name))
    kept = kept[:PER_IMAGE]
    tries = 0
    while sum(k[1] == "random" for k in kept) < RANDOM_PER_IMAGE and tries < 50:
        tries += 1
        side = int(rng.uniform(16, max(17, min(W, H) * 0.5)))
        box = (int(rng.uniform(0, W - side)), int(rng.uniform(0, H - side)), side, side)
        if clear_of(box, avoid):
            kept.append((box, "random"))
    return [(b[0], b[1], b[2], b[3], name) for b, name in kept]


def mine(jobs, models_dir, processes=2):
    """negatives() for every (path, faces, seed) job, in job order."""
    from multiprocessing import Pool
    with Pool(processes, initializer=_init, initargs=(models_dir,)) as pool:
        return pool.map(negatives, jobs, chunksize=8)
