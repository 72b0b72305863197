"""Facts shared by the training scripts: the split rule, the crop rule, the labels.

Run with Debian's /usr/bin/python3 (python3-torch, python3-torchvision, python3-onnx,
python3-opencv); the python3 first on some PATHs lacks them."""
import hashlib
import math

import cv2

LABELS = ["mask", "no_mask", "not_face", "mask_incorrect"]  # output order of the network
NOT_FACE = 2
INCORRECT = 3  # with_incorrect_mask (mask below the nose or on the chin), from scenes-ilc2021 only
SOURCE_LABELS = {"with_mask": 0, "without_mask": 1, "with_incorrect_mask": INCORRECT,
                 "mask_weared_incorrect": INCORRECT}
SOURCES = ["crops-chandrikadeb7", "crops-facemask12k", "scenes-ilc2021"]
# A box is a face when P(face) = 1 - P(not_face) reaches this, per detector: chosen with maskdetect
# eval on the validation part of scenes-ilc2021 (training/README.md), written into the model card.
# YuNet's boxes are faces far more often than the cut Haar cascade's, so they need less proof;
# Haar's boxes confirmed by YuNet-n (maskdetect --haar-confirm, the default) need as little:
# "haar_unconfirmed" is for --haar-confirm 0.
FACE_THRESHOLDS = {"haar": 0.1, "haar_unconfirmed": 0.96, "yunet": 0.1}
MODEL_NAME = "mask_mobilenetv2"  # models/MODEL_NAME.onnx and its card MODEL_NAME.json
# Correctly worn masks called incorrect, at most, on the validation part: the operating point of
# the incorrect label (issue 11 bounds it at 3 % on the test part).
INCORRECT_MASKS_BUDGET = 0.03
INPUT_SIZE = 96
WIDTH_MULT = 0.5
MARGIN = 0.15  # crop margin the tool applies around detector boxes (see crop_region)
WIDE_MARGIN = 0.4  # scene crops are cached this wide so training can jitter the framing
STORE = 128  # side of cached crops, pixels
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]

SPLIT_RULE = ("int(sha1(key).hexdigest(), 16) % 10: 0 -> test, 1 -> val, else train; key = the "
              "image file stem for scenes-ilc2021, the manifest's source_sha256 for crop sets")


def split_of(key: str) -> str:
    h = int(hashlib.sha1(key.encode()).hexdigest(), 16) % 10
    return "test" if h == 0 else "val" if h == 1 else "train"


def lround(v: float) -> int:
    """C's lround (half away from zero), as the C++ tool rounds."""
    return int(math.floor(v + 0.5)) if v >= 0 else -int(math.floor(-v + 0.5))


def crop_region(box, margin):
    """The square around box (x, y, w, h) with side max(w, h) * (1 + 2 * margin): as
    src/face_crop.cc."""
    x, y, w, h = box
    side = max(w, h) * (1.0 + 2.0 * margin)
    cx, cy = x + w / 2.0, y + h / 2.0
    s = max(1, lround(side))
    return lround(cx - s / 2.0), lround(cy - s / 2.0), s, s


def crop_square(img, region):
    """The region, with parts outside the image replicating its border."""
    x, y, w, h = region
    H, W = img.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(W, x + w), min(H, y + h)
    if x0 >= x1 or y0 >= y1:
        return None
    part = img[y0:y1, x0:x1]
    return cv2.copyMakeBorder(part, y0 - y, (y + h) - y1, x0 - x, (x + w) - x1, cv2.BORDER_REPLICATE)


def resize_to(img, size):
    interp = cv2.INTER_AREA if img.shape[0] > size or img.shape[1] > size else cv2.INTER_LINEAR
    return cv2.resize(img, (size, size), interpolation=interp)
