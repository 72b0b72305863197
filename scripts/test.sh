#!/usr/bin/env bash
# Builds maskdetect and runs the whole test suite (unit and end-to-end) with CTest.
# The end-to-end tests read ../shared/fixtures; set MASKDETECT_SHARED_DIR to point elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${BUILD_DIR:-build}"
shared="${MASKDETECT_SHARED_DIR:-$PWD/../shared}"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DMASKDETECT_SHARED_DIR="$shared"
cmake --build "$build" -j "$(nproc)"
scripts/browser_deps.sh
ctest --test-dir "$build" --output-on-failure -j "$(nproc)"
