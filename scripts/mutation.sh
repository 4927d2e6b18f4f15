#!/usr/bin/env bash
# Mutation testing of realdex_ref, scored by the conformance suite through the reference adapter.
#   bash scripts/mutation.sh                      # every module the suite speaks for, every mutant
#   bash scripts/mutation.sh batching loader      # these modules
#   bash scripts/mutation.sh --sample 60 --seed 0 --budget 600   # a seeded sample, 10 min a module at most
# Writes mutation-out/ (or --out DIR / $REALDEX_MUTATION_OUT): report.md, report.json, MODULE.json, and
# the scratch copies mutmut works in (work/MODULE). Needs the "mutation" extra:
#   .venv/bin/pip install -e '.[mutation]'
# Runs at the lowest priority with one worker (the machine is shared). Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
if ! "$PY" -c "import mutmut" 2>/dev/null; then
    echo "mutation.sh: mutmut is not installed in $PY's environment; run: $PY -m pip install -e '.[mutation]'" >&2
    exit 2
fi
exec nice -n 19 "$PY" scripts/mutation.py "$@"
