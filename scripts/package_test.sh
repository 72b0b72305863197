#!/usr/bin/env bash
# Builds the .deb (scripts/package.sh), checks it with lintian (no errors; warnings are printed),
# installs it with apt-get, then checks the installed tool as a user meets it: /usr/bin/maskdetect
# runs on ../shared/fixtures with no model or cascade flags, `man -w maskdetect` finds its page
# and bash completion completes its options and --detector's values. Last it purges the package
# and checks that none of the files it installed remain.
# Needs root (apt-get), on Debian 12 like CI. The package is purged on every exit, passed or
# failed, so the machine is left as it was; it refuses to start when a maskdetect package is
# already installed. Environment: BUILD_DIR as scripts/package.sh, MASKDETECT_SHARED_DIR as
# scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
shared="${MASKDETECT_SHARED_DIR:-$root/../shared}"
say() { echo "package_test.sh: $*"; }
fail() {
  echo "package_test.sh: FAIL: $*" >&2
  exit 1
}
apt_opts=(-y -q -o DPkg::Lock::Timeout=600)

[ "$(id -u)" = 0 ] || fail "needs root: it installs and purges the package with apt-get"
status() { dpkg-query -W -f='${db:Status-Status}' maskdetect 2>/dev/null || echo not-installed; }
[ "$(status)" = not-installed ] ||
  fail "a maskdetect package is already on this machine ($(status)); not touching it"
for tool in lintian man dpkg-shlibdeps; do
  command -v "$tool" >/dev/null || fail "$tool is missing: run scripts/setup.sh"
done
[ -d "$shared/fixtures/faces" ] || fail "no fixtures at $shared/fixtures (MASKDETECT_SHARED_DIR)"

tmp=$(mktemp -d)
cleanup() {
  if [ "$(status)" != not-installed ]; then
    say "purging maskdetect"
    DEBIAN_FRONTEND=noninteractive apt-get purge "${apt_opts[@]}" maskdetect >/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

deb=$(scripts/package.sh | tail -n 1)
say "built $deb"
depends=$(dpkg-deb -f "$deb" Depends)
say "Depends: $depends"
for dep in opencv-data libopencv-dnn406 libc6; do
  [[ ", $depends," == *", $dep"[\ ,]* ]] || fail "Depends lacks $dep"
done

# lintian warns against running as root; it gets its own copy as nobody where it can.
cp "$deb" "$tmp/" && chmod 755 "$tmp" && chmod 644 "$tmp/${deb##*/}"
lint=(lintian --fail-on error --display-info --color never "$tmp/${deb##*/}")
if command -v runuser >/dev/null && id nobody >/dev/null 2>&1; then
  lint=(runuser -u nobody -- env HOME="$tmp" TMPDIR="$tmp" "${lint[@]}")
fi
say "${lint[*]}"
lint_rc=0
"${lint[@]}" >"$tmp/lintian.txt" 2>&1 || lint_rc=$?
cat "$tmp/lintian.txt"
say "lintian: $(grep -c '^E:' "$tmp/lintian.txt") errors, $(grep -c '^W:' "$tmp/lintian.txt") warnings, $(grep -c '^I:' "$tmp/lintian.txt") info"
[ "$lint_rc" = 0 ] || fail "lintian found errors (exit $lint_rc)"

# Minimal Debian images tell dpkg to leave man pages out; then maskdetect's own is let in, so
# that what is tested is the package, and the test says so.
dpkg_opts=()
if grep -hs '^path-exclude' /etc/dpkg/dpkg.cfg.d/* | grep -q '/usr/share/man'; then
  say "NOTE: dpkg here excludes /usr/share/man (/etc/dpkg/dpkg.cfg.d); installing maskdetect(1)" \
    "anyway with --path-include, as users of this image would not get it"
  dpkg_opts=(-o "DPkg::Options::=--path-include=/usr/share/man/man1/maskdetect.1.gz")
fi
DEBIAN_FRONTEND=noninteractive apt-get install "${apt_opts[@]}" --no-install-recommends \
  "${dpkg_opts[@]}" "$deb"
[ "$(status)" = installed ] || fail "apt-get did not install maskdetect"
dpkg -L maskdetect >"$tmp/files"

version=$(sed -n 's/^project(maskdetect VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
/usr/bin/maskdetect --version | grep -q "^maskdetect $version\\b" ||
  fail "--version says '$(/usr/bin/maskdetect --version)', not maskdetect $version"

# From /, with no flags or environment naming a model or cascade, both detectors.
for detector in haar yunet; do
  out="$tmp/out-$detector"
  (cd / && env -u MASKDETECT_MODEL -u MASKDETECT_YUNET_MODEL -u MASKDETECT_CASCADE \
    /usr/bin/maskdetect --no-progress --input "$shared/fixtures/faces" --out "$out" \
    --detector "$detector") || fail "installed maskdetect --detector $detector failed"
  /usr/bin/python3 - "$out/report.json" "$detector" <<'PY' || fail "report of --detector $detector"
import json, sys
report = json.load(open(sys.argv[1]))
models = "/usr/share/maskdetect/models/"
assert report["model"]["path"] == models + "mask_mobilenetv2.onnx", report["model"]["path"]
params = report["params"]
if sys.argv[2] == "yunet":
    assert params["detector_model"] == models + "yunet_n_640_640.onnx", params["detector_model"]
else:
    assert params["cascade"].startswith("/usr/share/opencv4/haarcascades/"), params["cascade"]
summary = report["summary"]
assert summary["failed"] == 0 and summary["faces"] > 0, summary
print(f"package_test.sh: --detector {sys.argv[2]}: {summary['files']} files, "
      f"{summary['faces']} faces, models from {models}")
PY
done

page=$(man -w maskdetect) || fail "man -w maskdetect finds no page"
[ "$page" = /usr/share/man/man1/maskdetect.1.gz ] || fail "man -w maskdetect gives $page"
MANPAGER=cat MANWIDTH=100 man maskdetect 2>/dev/null | grep -q "EVAL COMMAND" ||
  fail "man maskdetect does not show the eval command"
say "man -w maskdetect: $page"

# Only the system folder: not a copy in root's ~/.local/share or another prefix.
completions=$(printf '%s\n' 'maskdetect --det' 'maskdetect --detector ' |
  BASH_COMPLETION_USER_DIR=/nonexistent XDG_DATA_DIRS=/usr/share \
    tests/completion_query.sh --installed) || fail "bash-completion did not load maskdetect's"
expected=$(printf 'maskdetect --det\t--detect-size --detector --detector-model --detector-score --detector-score-masked\n')
expected+=$'\n'$(printf 'maskdetect --detector \thaar yunet')
[ "$completions" = "$expected" ] || fail "completion gave:
$completions
expected:
$expected"
say "bash completion: ok"

DEBIAN_FRONTEND=noninteractive apt-get purge "${apt_opts[@]}" maskdetect
[ "$(status)" = not-installed ] || fail "maskdetect is still $(status) after purge"
left=()
while IFS= read -r path; do
  if [ -e "$path" ] && { [ ! -d "$path" ] || [[ $path == *maskdetect* ]]; }; then left+=("$path"); fi
done <"$tmp/files"
[ ${#left[@]} = 0 ] || fail "left after purge: ${left[*]}"
say "purged; none of its $(wc -l <"$tmp/files") paths remain. PASS"
