#!/usr/bin/env bash
# irctl's main job, end to end, on the bundled sample case: no cloud account, no API key, no network.
# Usage: npm run demo [-- CASE_DIR]   (default: ./demo-case, recreated on every run)
set -euo pipefail
cd "$(dirname "$0")/.."
CASE="${1:-./demo-case}"
irctl() { node bin/irctl --case "$CASE" "$@"; }
if [ -t 2 ] && [ -z "${NO_COLOR:-}" ]; then B=$'\033[1m'; N=$'\033[0m'; else B=''; N=''; fi
step() { printf '\n%s== %s%s\n' "$B" "$*" "$N" >&2; }

rm -rf "$CASE"
mkdir -p "$CASE"
cp fixtures/sample-case/context.yaml "$CASE/context.yaml"

step "import the exported CloudTrail logs (S3 files + a lookup-events export that overlaps them)"
irctl import fixtures/sample-case/logs

step "what is in the case"
irctl case info

step "what did the leaked key do? (irctl events --access-key AKIASVCBACKUPLEAKED1)"
irctl events --access-key AKIASVCBACKUPLEAKED1 --since 2026-11-21T02:00:00Z --limit 15

step "prove nothing was altered since collection"
irctl case verify

step "run the detection rules (built-in pack) and group detections into threats"
irctl detect
irctl threats list

# The highest-priority threat (the intrusion in the sample case).
TOP=$(irctl --json threats | head -n 1 | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s).id))')

step "the attack timeline of $TOP, across layers, with its blast radius"
irctl timeline "$TOP"

step "investigate $TOP offline (deterministic engine): questions, evidence, verdict; ends by writing the signed bundle"
BUNDLE="$CASE/exports/$TOP.bundle.tar.gz"
irctl investigate "$TOP" --offline --out "$BUNDLE"

step "investigate the other threats: the red-team exercise and the change window"
for T in $(irctl --json threats | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(s.trim().split("\n").slice(1).map(l=>JSON.parse(l).id).join(" ")))'); do
  irctl --json investigate "$T" --offline --no-bundle | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s);console.log(`${r.threat_id}: ${r.verdict} (confidence ${r.confidence}) - ${r.summary}`)})'
done

step "the incident report of $TOP (Markdown, and self-contained HTML for a browser)"
REPORT_MD="$CASE/exports/$TOP-report.md"
REPORT_HTML="$CASE/exports/$TOP-report.html"
irctl report "$TOP" --out "$REPORT_MD"
head -n 30 "$REPORT_MD"
irctl report "$TOP" --format html --out "$REPORT_HTML"

step "verify the signed bundle offline, as a recipient would"
irctl verify "$BUNDLE"

# The last lines: every verdict, and where the bundle and the reports are.
step "result"
for T in $(irctl --json threats list | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(s.trim().split("\n").map(l=>JSON.parse(l).id).join(" ")))'); do
  irctl --json investigate "$T" --show | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s);console.log(`verdict   ${r.threat_id}: ${r.verdict} (confidence ${r.confidence})`)})'
done
printf 'bundle    %s (signed; verified above)\n' "$BUNDLE"
printf 'report    %s (open in a browser)\n' "$REPORT_HTML"
printf '          %s\n' "$REPORT_MD"
printf 'case      %s (evidence.sqlite, exports/, keys/)\n' "$CASE"
