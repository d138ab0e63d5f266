#!/usr/bin/env bash
# Renders report.html of the built-in scenario in headless Chromium and saves a screenshot.
#
#   scripts/screenshot.sh [OUT.png]      default: docs/report-example.png
#
# Chromium is Debian's `chromium` (also found as chromium-browser or google-chrome). When it is
# missing and we are root with apt-get, it is installed, unless SLICESIM_NO_INSTALL=1. Without
# it the script prints a notice and exits 77 (skipped). SLICESIM_BIN names the slicesim binary
# (default target/debug/slicesim, built when missing). tests/screenshot.rs runs this script and
# fails on a blank or broken page.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/report-example.png}
bin=${SLICESIM_BIN:-target/debug/slicesim}

find_chrome() {
  for c in chromium chromium-browser google-chrome; do
    if command -v "$c" >/dev/null 2>&1; then
      command -v "$c"
      return 0
    fi
  done
  return 1
}

chrome=$(find_chrome || true)
if [ -z "$chrome" ] && [ "${SLICESIM_NO_INSTALL:-0}" != 1 ] && [ "$(id -u)" = 0 ] &&
  command -v apt-get >/dev/null 2>&1; then
  echo "chromium not found: installing Debian's chromium" >&2
  apt-get install -y chromium >/dev/null 2>&1 || true
  chrome=$(find_chrome || true)
fi
if [ -z "$chrome" ]; then
  echo "skipped: chromium not found (apt-get install chromium), no screenshot taken" >&2
  exit 77
fi
if [ ! -x "$bin" ]; then
  cargo build --locked --quiet
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! "$bin" run --quiet --out "$tmp/r" >/dev/null 2>"$tmp/run.err"; then
  cat "$tmp/run.err" >&2
  exit 1
fi
# --no-sandbox: containers and root have no user namespaces for Chromium's sandbox.
"$chrome" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1280,2400 \
  --screenshot="$tmp/shot.png" "file://$tmp/r/report.html" >/dev/null 2>&1
if [ ! -s "$tmp/shot.png" ]; then
  echo "error: chromium wrote no screenshot of $tmp/r/report.html" >&2
  exit 1
fi
mkdir -p "$(dirname "$out")"
cp "$tmp/shot.png" "$out"
echo "wrote $out"
