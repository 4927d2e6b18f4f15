#!/usr/bin/env bash
# Benchmarks of the reference against a stored baseline (CONTRIBUTING.md, "Benchmarks").
#
#   bash scripts/bench.sh save    [PATHS] [PYTEST ARGS]   measure, and store as this machine's baseline
#   bash scripts/bench.sh compare [PATHS] [PYTEST ARGS]   measure, show the change against the baseline,
#                                                         and fail when a median is slower than BENCH_FAIL allows
#
# PATHS default to BENCH_PATHS (default tests/benchmarks) when no argument names a file or folder
# (so `save -s` measures tests/benchmarks, never the whole test suite). BENCH_FAIL (default
# median:20%) is pytest-benchmark's --benchmark-compare-fail; BENCH_STORAGE (default
# tests/benchmarks/baseline) is where baselines live, one folder per machine id (system, Python
# implementation and version, word size). A save replaces the stored baseline only when its run
# passed and stored one: a failed or interrupted save leaves the old baseline as it was.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
STORAGE=${BENCH_STORAGE:-tests/benchmarks/baseline}
THRESHOLD=${BENCH_FAIL:-median:20%}
mode=${1:-}
[ "$mode" = save ] || [ "$mode" = compare ] || { echo "usage: bash scripts/bench.sh save|compare [PATHS] [PYTEST ARGS]" >&2; exit 2; }
shift
named_path=no
for arg in "$@"; do
    case $arg in -*) continue ;; esac
    [ -e "${arg%%::*}" ] && { named_path=yes; break; }
done
[ $named_path = yes ] || set -- "${BENCH_PATHS:-tests/benchmarks}" "$@"
machine=$("$PY" -c "from pytest_benchmark.utils import get_machine_id; print(get_machine_id())")
common=(-p no:cacheprovider --benchmark-enable --benchmark-only
        --benchmark-sort=name --benchmark-columns=min,median,mean,stddev,rounds)
if [ "$mode" = save ]; then
    # one baseline per machine, always 0001: measured into a fresh folder, then moved over the old one
    fresh=$(mktemp -d)
    trap 'rm -rf "$fresh"' EXIT
    status=0
    "$PY" -m pytest "$@" "${common[@]}" --benchmark-storage="file://$fresh" --benchmark-save=baseline || status=$?
    if [ $status -ne 0 ] || [ ! -f "$fresh/$machine/0001_baseline.json" ]; then
        echo "bench.sh save: the run failed (exit $status) or stored no benchmark; the baseline in $STORAGE/$machine is kept as it was" >&2
        exit $(( status ? status : 2 ))
    fi
    mkdir -p "$STORAGE/$machine"
    rm -f "$STORAGE/$machine"/*_baseline.json
    mv "$fresh/$machine/0001_baseline.json" "$STORAGE/$machine/0001_baseline.json"
    echo "bench.sh save: stored $STORAGE/$machine/0001_baseline.json"
    exit 0
fi
if ! ls "$STORAGE/$machine"/0001_baseline.json >/dev/null 2>&1; then
    echo "no baseline for machine $machine in $STORAGE: run 'bash scripts/bench.sh save' on the commit to compare against" >&2
    exit 2
fi
exec "$PY" -m pytest "$@" "${common[@]}" --benchmark-storage="file://$STORAGE" --benchmark-compare=0001_baseline --benchmark-compare-fail="$THRESHOLD"
