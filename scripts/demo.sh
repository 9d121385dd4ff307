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

step "export a signed evidence bundle (in-toto statement, DSSE, Ed25519) and verify it offline (docs/export.md)"
irctl export --all --out "$CASE/exports/sample-case.bundle.tar.gz"
irctl verify "$CASE/exports/sample-case.bundle.tar.gz"
