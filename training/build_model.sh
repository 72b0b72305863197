#!/usr/bin/env bash
# Rebuilds the shipped classifier from ../shared/datasets: data cache, training, ONNX export with
# the OpenCV-vs-PyTorch check, test metrics and model card, speed measurement.
# Needs the training packages: scripts/setup.sh --with-training. Uses Debian's /usr/bin/python3.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:-../shared/datasets}"
start=$(date +%s)
/usr/bin/python3 training/prepare_data.py --data "$data"
/usr/bin/python3 training/train.py
/usr/bin/python3 training/export.py
# The operating point of mask_incorrect is chosen with the tool itself (needs build/maskdetect).
incorrect=$(/usr/bin/python3 training/incorrect_threshold.py --data "$data")
minutes=$(( ($(date +%s) - start + 59) / 60 ))
/usr/bin/python3 training/export.py --incorrect-threshold "$incorrect" --minutes "$minutes"
/usr/bin/python3 bench/classifier_speed.py --update-card
echo "build_model.sh: done in $(( ($(date +%s) - start) / 60 )) min"
