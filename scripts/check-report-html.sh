#!/usr/bin/env bash
# Render the HTML incident reports of the sample case in headless Chromium (Debian's `chromium` package), check their
# layout, and save screenshots to look at. The case is the sample case plus one record whose user agent and event id
# carry HTML/script payloads (fixtures/report-hostile).
# Usage: scripts/check-report-html.sh [OUT_DIR]      (default: ./bench-out/report-html; needs `npm run build`)
# Checks, for the top threat's report and the whole-case report (which spans several days):
#   - the file is self-contained: no script, no external stylesheet/image/font, no URL but the SVG namespace;
#   - in Chromium (scripts/lib/report-layout.mjs, on screen and printed): nothing runs or loads, every in-page link
#     resolves, no timestamp/ARN/IP/hash wraps mid-value, the chart's dots all have a <title> and lie inside the
#     viewBox (the first one included), lanes only for layers present, and dates on the axis when the span crosses
#     days; printed, nothing sticks out of the page.
# Prints the HTML and PNG paths. Exit 1 when Chromium is missing or a check fails.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-./bench-out/report-html}"
CHROMIUM="${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}"
if [ -z "$CHROMIUM" ]; then
  echo "chromium not found: apt-get install -y chromium (or set CHROMIUM=/path/to/chromium)" >&2
  exit 1
fi
export CHROMIUM
rm -rf "$OUT"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
CASE="$OUT/case"
mkdir -p "$CASE"
cp fixtures/sample-case/context.yaml "$CASE/context.yaml"
irctl() { node bin/irctl --case "$CASE" "$@"; }
irctl import fixtures/sample-case/logs fixtures/report-hostile/cloudtrail-hostile.json >/dev/null
irctl detect >/dev/null
ID=$(irctl --json threats list | head -1 | sed -E 's/.*"id":"([^"]+)".*/\1/')
if [ -z "$ID" ]; then
  echo "FAIL: detection found no threat in the sample case" >&2
  exit 1
fi
irctl investigate "$ID" --offline --no-bundle >/dev/null
irctl report "$ID" --format html --out "$OUT/report.html" >/dev/null
irctl report --all --format html --out "$OUT/report-all.html" >/dev/null

status=0
for HTML in "$OUT/report.html" "$OUT/report-all.html"; do
  # Self-contained: no script, no external stylesheet/image/font, no URL other than the SVG namespace.
  if grep -Eqi '<script|<link|<iframe|<img|@import|url\(' "$HTML"; then
    echo "FAIL: $HTML loads or runs external content" >&2
    status=1
  fi
  if grep -Eo 'https?://[^"'"'"' <)]+' "$HTML" | grep -v '^http://www.w3.org/2000/svg$' | grep -q .; then
    echo "FAIL: $HTML references an external URL:" >&2
    grep -Eo 'https?://[^"'"'"' <)]+' "$HTML" | grep -v '^http://www.w3.org/2000/svg$' >&2
    status=1
  fi
  base="${HTML%.html}"
  extra=()
  [ "$HTML" = "$OUT/report-all.html" ] && extra=(--expect-multi-day)
  echo "== $HTML"
  node scripts/lib/report-layout.mjs "$HTML" "${extra[@]}" --screenshot "$base.png" --chart "$base-chart.png" --pdf "$base.pdf" || status=1
  if [ ! -s "$base.png" ]; then
    echo "FAIL: Chromium did not write a screenshot of $HTML" >&2
    status=1
  fi
done
echo "html        $OUT/report.html $OUT/report-all.html"
echo "screenshots $OUT/report.png $OUT/report-chart.png $OUT/report-all.png $OUT/report-all-chart.png (and .pdf: printed)"
exit $status
