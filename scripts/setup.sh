#!/usr/bin/env bash
# Installs every Debian 12 package maskdetect needs to build, test and run; with --with-training
# also what training/ needs. Safe to run again. Needs root (or sudo).
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: scripts/setup.sh [--with-training] [--no-update]
  --with-training  also install PyTorch, torchvision and ONNX for training/ (about 1 GB)
  --no-update      skip 'apt-get update'
USAGE
}

with_training=0
update=1
for arg in "$@"; do
  case "$arg" in
    --with-training) with_training=1 ;;
    --no-update) update=0 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "setup.sh: unknown option $arg" >&2; usage >&2; exit 2 ;;
  esac
done

packages=(
  build-essential cmake pkg-config git
  libopencv-dev opencv-data        # dnn, objdetect, imgcodecs, videoio; the Haar cascades
  libcli11-dev nlohmann-json3-dev libssl-dev
  libtbb-dev                       # oneTBB: the ordered parallel pipeline
  libpugixml-dev                   # PASCAL VOC annotations for maskdetect eval
  libavformat-dev libavcodec-dev libavutil-dev  # a video's real frame size before decoding
  libswscale-dev                   # annotated videos: BGR frames to the encoder's YUV
  libxcb1-dev                      # --show: is there a display to open, before any work starts
  catch2                           # v2, catch2/catch.hpp
  python3 python3-jsonschema       # the end-to-end tests validate report.json against its schema
  ffmpeg                           # ffprobe, used by tests to inspect written videos
  xvfb                             # a display for the --show test
  libcpp-httplib-dev               # maskdetect serve: the HTTP server
  chromium fonts-dejavu-core       # the browser tests of report.html and maskdetect serve
  time                             # /usr/bin/time -f %M: peak memory in the hostile-input tests
  clang libfuzzer-14-dev libclang-rt-14-dev  # the fuzz targets and their CI smoke run
  help2man                         # maskdetect(1), written from --help at build time
  dpkg-dev                         # dpkg-shlibdeps: the .deb's Depends (scripts/package.sh)
  lintian man-db bash-completion   # scripts/package_test.sh: checks the .deb, man -w, completion
  jq parallel python3-yaml         # examples/ and the tests that run them (jq cookbook, shards)
)
# Node.js runs puppeteer-core (tests/browser), which drives that Chromium. A machine that already
# has node and npm (NodeSource's nodejs bundles npm) keeps them: Debian's npm would conflict.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then packages+=(nodejs npm); fi
if [ "$with_training" = 1 ]; then
  packages+=(python3-torch python3-torchvision python3-onnx python3-opencv python3-numpy)
fi

sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup.sh: all ${#packages[@]} packages already installed"
else
  echo "setup.sh: installing ${missing[*]}"
  if [ "$update" = 1 ]; then $sudo apt-get update -q; fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

"$(dirname "$0")/browser_deps.sh"
