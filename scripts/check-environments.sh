#!/usr/bin/env bash
# The kit at the minimum of every declared range (constraints/minimum.txt), on Python 3.10,
# without torch, pytest-benchmark, matplotlib or syrupy: a fresh virtual environment in
# .venv-min, then, from a directory outside the repository,
#   1. tests/test_guest.py: an unrelated project with its own conformance/ package and its own
#      Hypothesis tests runs as without the kit, and the kit's suite runs beside it;
#   2. the whole suite against the reference without its torch capabilities
#      (tests/adapters/without_torch.py): every test passes or skips, the reader level is reached.
# Not part of CI (it installs from the package index and takes several minutes); run it when a
# dependency range changes. PYTHON310 names the interpreter (default: python3.10 on PATH).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
PY=${PYTHON310:-}
if [ -z "$PY" ]; then  # the first interpreter that runs (a pyenv shim may exist and refuse)
  for c in python3.10 "$HOME"/.pyenv/versions/3.10*/bin/python3.10; do
    if "$c" -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then PY=$c; break; fi
  done
fi
[ -n "$PY" ] || { echo "no Python 3.10 found: set PYTHON310" >&2; exit 2; }
rm -rf .venv-min && "$PY" -m venv .venv-min
.venv-min/bin/python -m pip install --quiet -c constraints/minimum.txt -e .
echo "== installed at the minimums:"
.venv-min/bin/python -m pip list 2>/dev/null | grep -iE '^(numpy|scipy|pyyaml|pytest|hypothesis|jsonschema|torch) '
if .venv-min/bin/python -c 'import torch' 2>/dev/null; then echo "torch is installed: not the environment meant" >&2; exit 2; fi
work=$(mktemp -d) && trap 'rm -rf "$work"' EXIT
printf '[pytest]\n' > "$work/pytest.ini"
cd "$work"
run() { PYTHONPATH="$REPO" "$REPO/.venv-min/bin/python" -m pytest -c "$work/pytest.ini" --rootdir "$work" -p no:cacheprovider "$@"; }
echo "== 1. a guest project beside the kit (pytest $(run --version 2>&1 | awk '{print $2}'))"
run "$REPO/tests/test_guest.py" -q
echo "== 2. the suite against the reference without torch"
run --pyargs realdex_conformance --impl=tests.adapters.without_torch:ADAPTER -q \
    --conformance-report="$work/report.json" --require-level=reader
"$REPO/.venv-min/bin/python" -c "
import json; d = json.load(open('$work/report.json'))
print('summary:', {k: v for k, v in d['summary'].items() if v})
print('levels:', {l['name']: l['status'] for l in d['levels']})"
