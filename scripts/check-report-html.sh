#!/usr/bin/env bash
# Render the HTML incident report of the sample case in headless Chromium (Debian's `chromium` package) and save a
# screenshot to look at, after checking the file is self-contained (no scripts, no external URLs).
# Usage: scripts/check-report-html.sh [OUT_DIR]      (default: ./bench-out/report-html; needs `npm run build`)
# Prints the HTML and PNG paths. Exit 1 when Chromium is missing, the HTML references anything external, or the
# screenshot was not produced.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-./bench-out/report-html}"
CHROMIUM="${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}"
if [ -z "$CHROMIUM" ]; then
  echo "chromium not found: apt-get install -y chromium (or set CHROMIUM=/path/to/chromium)" >&2
  exit 1
fi
rm -rf "$OUT"
mkdir -p "$OUT"
CASE="$OUT/case"
mkdir -p "$CASE"
cp fixtures/sample-case/context.yaml "$CASE/context.yaml"
irctl() { node bin/irctl --case "$CASE" "$@"; }
irctl import fixtures/sample-case/logs >/dev/null || true
# A threat report when detection works; the whole case otherwise.
if irctl detect >/dev/null 2>&1 && irctl threats --json 2>/dev/null | grep -q '"id"'; then
  ID=$(irctl threats --json | head -1 | sed -E 's/.*"id":"([^"]+)".*/\1/')
  irctl report "$ID" --format html --out "$OUT/report.html"
else
  echo "note: detection unavailable or found nothing; rendering the whole-case report" >&2
  irctl report --all --format html --out "$OUT/report.html"
fi
HTML="$(cd "$OUT" && pwd)/report.html"

# Self-contained: no script, no external stylesheet/image/font, no URL other than the SVG namespace.
if grep -Eqi '<script|<link|<iframe|<img|@import|url\(' "$HTML"; then
  echo "FAIL: $HTML loads or runs external content" >&2
  exit 1
fi
if grep -Eo 'https?://[^"'"'"' <)]+' "$HTML" | grep -v '^http://www.w3.org/2000/svg$' | grep -q .; then
  echo "FAIL: $HTML references an external URL:" >&2
  grep -Eo 'https?://[^"'"'"' <)]+' "$HTML" | grep -v '^http://www.w3.org/2000/svg$' >&2
  exit 1
fi

PNG="$(cd "$OUT" && pwd)/report.png"
"$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
  --no-first-run --hide-scrollbars --window-size=1280,2600 --screenshot="$PNG" "file://$HTML" >/dev/null 2>&1 || true
if [ ! -s "$PNG" ]; then
  echo "FAIL: Chromium did not write a screenshot" >&2
  exit 1
fi
echo "html        $HTML"
echo "screenshot  $PNG ($(stat -c %s "$PNG") bytes)"
