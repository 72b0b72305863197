#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ with clang (ASan + UBSan) into build-fuzz and runs each
# for a short fixed time: the CI smoke step. Fails on any crash, leak, timeout, out-of-memory or
# sanitizer report. New corpus entries go to a scratch folder, never into the repository.
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: scripts/fuzz.sh [options] [TARGET...]
  TARGET           sniff voc model_card report path_list (default: all)
  --time N         seconds per target (default 45)
  --scratch DIR    where new corpus entries, crash files and logs go
                   (default: ${TMPDIR:-/tmp}/maskdetect-fuzz; kept between runs)
  --no-build       use the targets already in build-fuzz
  -- ARGS          extra libFuzzer flags for every target (e.g. -- -jobs=2)
USAGE
}

cd "$(dirname "$0")/.."
repo=$PWD
all_targets=(sniff voc model_card report path_list)
seconds=45
scratch="${TMPDIR:-/tmp}/maskdetect-fuzz"
build=1
targets=()
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --time) seconds="$2"; shift 2 ;;
    --time=*) seconds="${1#*=}"; shift ;;
    --scratch) scratch="$2"; shift 2 ;;
    --scratch=*) scratch="${1#*=}"; shift ;;
    --no-build) build=0; shift ;;
    -h|--help) usage; exit 0 ;;
    --) shift; extra=("$@"); break ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    *)
      if [[ " ${all_targets[*]} " != *" $1 "* ]]; then
        echo "fuzz.sh: unknown target $1 (known: ${all_targets[*]})" >&2; exit 2
      fi
      targets+=("$1"); shift ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
case "$seconds" in ''|*[!0-9]*) echo "fuzz.sh: --time needs whole seconds" >&2; exit 2 ;; esac

build_dir="${FUZZ_BUILD_DIR:-build-fuzz}"
if [ "$build" = 1 ]; then
  launcher=()
  if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
  CC=clang CXX=clang++ cmake -S . -B "$build_dir" -DMASKDETECT_FUZZ=ON -DMASKDETECT_BUILD_TESTS=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" >/dev/null
  cmake --build "$build_dir" -j "$(nproc)" --target "${targets[@]/%/_fuzz}"
fi

mkdir -p "$scratch"
scratch=$(cd "$scratch" && pwd)
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:detect_stack_use_after_return=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
shared="${MASKDETECT_SHARED_DIR:-$repo/../shared}"

failed=()
for t in "${targets[@]}"; do
  bin="$repo/$build_dir/fuzz/${t}_fuzz"
  work="$scratch/$t"
  mkdir -p "$work/corpus" "$work/artifacts"
  log="$work/run-$(date -u +%Y%m%dT%H%M%SZ).log"
  # The first folder receives new entries; the repository's seeds and regressions are read only.
  seeds=("$repo/fuzz/corpus/$t")
  if [ -d "$repo/fuzz/regressions/$t" ]; then seeds+=("$repo/fuzz/regressions/$t"); fi
  if [ "$t" = sniff ] && [ -d "$shared/fixtures/bad" ]; then seeds+=("$shared/fixtures/bad"); fi
  flags=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -detect_leaks=1
         -print_final_stats=1 -artifact_prefix="$work/artifacts/")
  if [ -f "$repo/fuzz/dict/$t.dict" ]; then flags+=(-dict="$repo/fuzz/dict/$t.dict"); fi
  echo "fuzz.sh: $t for ${seconds}s (log $log)"
  status=0
  "$bin" "${flags[@]}" "${extra[@]}" "$work/corpus" "${seeds[@]}" >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  # A sanitizer report that did not stop the run is still a failure.
  if [ "$status" != 0 ] || grep -qE 'runtime error:|ERROR: (Address|Leak|UndefinedBehavior)Sanitizer|ERROR: libFuzzer|SUMMARY: ' "$log"; then
    echo "fuzz.sh: $t FAILED (exit $status, ${runs:-?} runs); the end of its log:" >&2
    grep -E 'runtime error:|ERROR:|SUMMARY:|Test unit written|^(sniff|voc|model_card|report|path_list): ' "$log" | head -20 >&2 || true
    tail -n 30 "$log" >&2
    failed+=("$t")
  else
    echo "fuzz.sh: $t ok (${runs:-?} runs, no findings)"
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: findings in: ${failed[*]} (crash inputs under $scratch/<target>/artifacts;" \
       "reproduce with $build_dir/fuzz/<target>_fuzz FILE)" >&2
  exit 1
fi
echo "fuzz.sh: all ${#targets[@]} targets ran ${seconds}s each without findings"
