#!/usr/bin/env bash
# The main job, on a fresh machine: set up, generate RealDex-like data, show what the reference
# makes of a root laid out like the failing user's, then run the conformance suite against the
# reference and end with a readable summary (levels, coverage, one line per chapter).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# the output folder: $REALDEX_OUT, or conformance-out; emptied only when this script made it (scripts/outdir.sh)
OUT=${REALDEX_OUT:-conformance-out}
. scripts/outdir.sh
prepare_out "$OUT"
R=.venv/bin/realdex

echo "== 1. generated data: one root per layout, and the user's root (8 converted beside 14,380 per-frame samples)"
$R synth "$OUT/data/segment" --layout realdex-segment --seed 0
$R synth "$OUT/data/user-root" --layout user-root --seed 0

echo; echo "== 2. what the reference reports for the user's root"
$R inspect "$OUT/data/user-root" || true
echo; echo "== 3. the user's 8-versus-32 plan, as the reference plans it"
$R plan --samples 8 --batch-size 32 --passes 250 --ckpt-every 500 --drop-last || true
$R plan --samples 14380 --batch-size 32 --passes 250 --ckpt-every 500 --drop-last --step-time 0.128

echo; echo "== 4. the conformance suite against the reference"
set +e
.venv/bin/python -m pytest conformance --impl=realdex_ref -q -p no:cacheprovider \
    --conformance-report="$OUT/report.json" --conformance-summary="$OUT/summary.md"
status=$?
set -e
echo; echo "== summary ($OUT/summary.md)"
cat "$OUT/summary.md"
exit $status
