#!/usr/bin/env bash
# Benchmarks of the reference against a stored baseline (CONTRIBUTING.md, "Benchmarks").
#
#   bash scripts/bench.sh save    [PATHS] [PYTEST ARGS]   measure, and store as this machine's baseline
#   bash scripts/bench.sh compare [PATHS] [PYTEST ARGS]   measure, show the change against the baseline,
#                                                         and fail when a median is slower than BENCH_FAIL allows
#
# PATHS default to tests/benchmarks. BENCH_FAIL (default median:20%) is pytest-benchmark's
# --benchmark-compare-fail; BENCH_STORAGE (default tests/benchmarks/baseline) is where baselines
# live, one folder per machine id (system, Python implementation and version, word size).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
STORAGE=${BENCH_STORAGE:-tests/benchmarks/baseline}
THRESHOLD=${BENCH_FAIL:-median:20%}
mode=${1:-}
[ "$mode" = save ] || [ "$mode" = compare ] || { echo "usage: bash scripts/bench.sh save|compare [PATHS] [PYTEST ARGS]" >&2; exit 2; }
shift
[ $# -gt 0 ] || set -- tests/benchmarks
machine=$("$PY" -c "from pytest_benchmark.utils import get_machine_id; print(get_machine_id())")
common=(-p no:cacheprovider --benchmark-enable --benchmark-only --benchmark-storage="file://$STORAGE"
        --benchmark-sort=name --benchmark-columns=min,median,mean,stddev,rounds)
if [ "$mode" = save ]; then
    # one baseline per machine, always 0001: a new save replaces it
    rm -f "$STORAGE/$machine"/*_baseline.json
    exec "$PY" -m pytest "$@" "${common[@]}" --benchmark-save=baseline
fi
if ! ls "$STORAGE/$machine"/0001_baseline.json >/dev/null 2>&1; then
    echo "no baseline for machine $machine in $STORAGE: run 'bash scripts/bench.sh save' on the commit to compare against" >&2
    exit 2
fi
exec "$PY" -m pytest "$@" "${common[@]}" --benchmark-compare=0001_baseline --benchmark-compare-fail="$THRESHOLD"
