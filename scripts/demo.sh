#!/usr/bin/env bash
# irctl's main job, end to end, on the bundled sample cases: no cloud account, no API key, no network.
# The first (fixtures/sample-case) is an AWS control-plane intrusion; the second (fixtures/ai-chain-case) crosses every
# layer: an IdP push-fatigue sign-in, a prompt injection in a Bedrock invocation, a shell on the agent's instance
# (Falco), a database snapshot shared out with the instance role's credentials, the egress in VPC flow logs.
# Usage: npm run demo [-- CASE_DIR]   (default: ./demo-case and ./demo-case-ai-chain, recreated on every run)
set -euo pipefail
cd "$(dirname "$0")/.."
CASE="${1:-./demo-case}"
CASE2="${CASE%/}-ai-chain"
irctl() { node bin/irctl --case "$CASE" "$@"; }
irctl2() { node bin/irctl --case "$CASE2" "$@"; }
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

# --- The second sample case: one intrusion across identity, control plane, AI, workload and network. ---
rm -rf "$CASE2"
mkdir -p "$CASE2"
cp fixtures/ai-chain-case/context.yaml "$CASE2/context.yaml"

step "second case (fixtures/ai-chain-case): import Okta, CloudTrail, Bedrock invocation logs, Falco alerts and VPC flow logs"
irctl2 import fixtures/ai-chain-case/logs

step "detect: the layers joined into one threat; the agent's routine work on the same instance stays apart"
irctl2 detect
irctl2 threats list
TOP2=$(irctl2 --json threats | head -n 1 | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s).id))')

step "the layers of $TOP2 side by side (irctl timeline $TOP2 --format lanes)"
irctl2 timeline "$TOP2" --format lanes

step "investigate $TOP2 offline: the rationale walks the chain layer by layer"
irctl2 investigate "$TOP2" --offline --no-bundle

mkdir -p "$CASE2/exports"
REPORT2_HTML="$CASE2/exports/$TOP2-report.html"
irctl2 report "$TOP2" --format html --out "$REPORT2_HTML"

# The last lines: every verdict, and where the bundle and the reports are.
step "result"
for T in $(irctl --json threats list | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(s.trim().split("\n").map(l=>JSON.parse(l).id).join(" ")))'); do
  irctl --json investigate "$T" --show | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s);console.log(`verdict   ${r.threat_id}: ${r.verdict} (confidence ${r.confidence})`)})'
done
irctl2 --json investigate "$TOP2" --show | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s);console.log(`verdict   ${r.threat_id}: ${r.verdict} (confidence ${r.confidence}) [second case: the AI chain]`)})'
printf 'bundle    %s (signed; verified above)\n' "$BUNDLE"
printf 'report    %s (open in a browser)\n' "$REPORT_HTML"
printf '          %s\n' "$REPORT_MD"
printf '          %s (second case)\n' "$REPORT2_HTML"
printf 'case      %s (evidence.sqlite, exports/, keys/)\n' "$CASE"
printf '          %s (second case)\n' "$CASE2"
