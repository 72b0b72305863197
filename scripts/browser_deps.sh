#!/usr/bin/env bash
# The browser tests' one npm package, at the version tests/browser/package-lock.json pins;
# reinstalled only when the lock file changed. puppeteer-core never downloads a browser: the tests
# point it at Debian's /usr/bin/chromium. Run by setup.sh, and by test.sh for a clone that skipped
# setup.sh's last step.
set -euo pipefail
browser="$(cd "$(dirname "$0")/../tests/browser" && pwd)"
if ! cmp -s "$browser/package-lock.json" "$browser/node_modules/.installed-lock.json"; then
  if ! command -v npm >/dev/null; then
    echo "browser_deps.sh: npm is missing; run scripts/setup.sh first" >&2
    exit 1
  fi
  npm ci --prefix "$browser" --no-audit --no-fund --loglevel=error
  cp "$browser/package-lock.json" "$browser/node_modules/.installed-lock.json"
fi
