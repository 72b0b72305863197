#!/usr/bin/env bash
# Builds maskdetect with sanitizers and runs the tests under them; fails on any sanitizer report.
#   asan  AddressSanitizer + UndefinedBehaviorSanitizer build in build-asan, the WHOLE CTest suite
#   tsan  ThreadSanitizer build in build-tsan, the threaded tests: Catch tags [pipeline] and [eval]
#   all   both (the default)
# Works from a fresh clone (configures and builds what it needs). Reads ../shared like
# scripts/test.sh (MASKDETECT_SHARED_DIR overrides). Every report from any process (the test
# binary or a maskdetect it runs) is written under <build>/sanitizer-logs/ and fails the script,
# even where a test does not look at the exit status. Suppressions, each with the reason it is
# not our bug, live in tests/sanitizers/. Prints the time of each step at the end.
# Environment: JOBS (default: nproc), CCACHE (0 to not use ccache when installed).
set -uo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
mode="${1:-all}"
case "$mode" in
  asan | tsan | all) ;;
  -h | --help)
    sed -n '2,12p' "$0"
    exit 0
    ;;
  *)
    echo "usage: scripts/sanitize.sh [asan|tsan|all]" >&2
    exit 2
    ;;
esac

shared="${MASKDETECT_SHARED_DIR:-$root/../shared}"
jobs="${JOBS:-$(nproc)}"
supp="$root/tests/sanitizers"
launcher=()
if [ "${CCACHE:-1}" != 0 ] && command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
# A distinct exit status for sanitizer deaths, so that a test expecting maskdetect's own exit 1
# cannot mistake one for an ordinary failure.
san_exit=66

timings=()
failed=0
step() { # step NAME COMMAND...: runs it, records its time, remembers a failure
  local name="$1" t0 rc
  shift
  echo "==== sanitize.sh: $name"
  t0=$(date +%s)
  "$@"
  rc=$?
  timings+=("$(printf '%-28s %5ss  exit %s' "$name" "$(($(date +%s) - t0))" "$rc")")
  if [ "$rc" != 0 ]; then
    echo "==== sanitize.sh: $name FAILED (exit $rc)" >&2
    failed=1
  fi
  return "$rc"
}

build() { # build DIR SANITIZERS
  cmake -S . -B "$1" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
    -DMASKDETECT_SANITIZE="$2" -DMASKDETECT_SHARED_DIR="$shared" "${launcher[@]}" >/dev/null &&
    cmake --build "$1" -j "$jobs" --target maskdetect maskdetect_tests
}

# Fails (and prints them) when any process wrote a sanitizer report under DIR.
no_reports() {
  local reports
  reports=$(find "$1" -type f -size +0 2>/dev/null | sort)
  if [ -n "$reports" ]; then
    echo "==== sanitizer reports in $1:" >&2
    for f in $reports; do
      echo "---- $f (first 60 lines)" >&2
      head -n 60 "$f" >&2
    done
    return 1
  fi
  echo "no sanitizer reports"
}

run_asan() {
  local logs="$root/build-asan/sanitizer-logs"
  step "asan: configure+build" build build-asan address,undefined || return
  rm -rf "$logs" && mkdir -p "$logs"
  # detect_leaks=1 with suppressions by library (tests/sanitizers/lsan.supp): leaks in our code
  # fail the run. hard_rss_limit_mb: a runaway decode (the hostile inputs) ends that process
  # instead of the machine; sanitizer builds have no address-space cap (see hostile_test.cc).
  local common="halt_on_error=1:exitcode=$san_exit:log_path=$logs/report"
  export ASAN_OPTIONS="$common:detect_leaks=1:hard_rss_limit_mb=3000:malloc_context_size=20:suppressions=$supp/asan.supp"
  export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
  export UBSAN_OPTIONS="$common:print_stacktrace=1:suppressions=$supp/ubsan.supp"
  step "asan: ctest (whole suite)" ctest --test-dir build-asan --output-on-failure -j "$jobs"
  step "asan: no reports" no_reports "$logs"
  unset ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS
}

run_tsan() {
  local logs="$root/build-tsan/sanitizer-logs"
  step "tsan: configure+build" build build-tsan thread || return
  rm -rf "$logs" && mkdir -p "$logs"
  export TSAN_OPTIONS="halt_on_error=1:exitcode=$san_exit:second_deadlock_stack=1:history_size=4:log_path=$logs/report:suppressions=$supp/tsan.supp"
  # The test binary's own exit 4 means "tests skipped (../shared absent), none failed".
  tsan_tests() {
    build-tsan/tests/maskdetect_tests --warn NoTests '[pipeline],[eval]'
    local rc=$?
    if [ "$rc" = 4 ]; then
      echo "some tests skipped (see above)"
      return 0
    fi
    return "$rc"
  }
  step "tsan: [pipeline] and [eval]" tsan_tests
  step "tsan: no reports" no_reports "$logs"
  unset TSAN_OPTIONS
}

if [ "$mode" = asan ] || [ "$mode" = all ]; then run_asan; fi
if [ "$mode" = tsan ] || [ "$mode" = all ]; then run_tsan; fi

echo "==== sanitize.sh $mode: times"
printf '  %s\n' "${timings[@]}"
if [ "$failed" != 0 ]; then
  echo "==== sanitize.sh $mode: FAILED" >&2
  exit 1
fi
echo "==== sanitize.sh $mode: passed"
