#!/usr/bin/env bash
# Builds the maskdetect .deb with CPack's DEB generator and prints its path (the last line).
# Everything CPack packs comes from the same install rules as `cmake --install`: the binary, its
# models with their cards and licence, maskdetect(1), bash completion and the docs. Depends is
# computed by dpkg-shlibdeps (dpkg-dev) from the libraries the binary links, plus opencv-data.
# Environment: BUILD_DIR (default build), JOBS (default nproc).
set -euo pipefail
cd "$(dirname "$0")/.."
build="${BUILD_DIR:-build}"
if [ "$#" -gt 0 ]; then
  echo "usage: [BUILD_DIR=build] scripts/package.sh" >&2
  exit 2
fi
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >&2
cmake --build "$build" -j "${JOBS:-$(nproc)}" >&2
rm -f "$build"/package/maskdetect_*.deb
(cd "$build" && cpack -G DEB) >&2
debs=("$(cd "$build" && pwd)"/package/maskdetect_*.deb)
[ -f "${debs[0]}" ] || { echo "package.sh: cpack made no .deb" >&2; exit 1; }
echo "${debs[0]}"
