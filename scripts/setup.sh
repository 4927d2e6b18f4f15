#!/usr/bin/env bash
# Create .venv and install the kit with everything its own tests need (idempotent), at the exact
# versions of constraints/ci.txt (the package declares ranges; pins live there).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
# torch first, as the CPU build, so that nothing asks for a CUDA build later
.venv/bin/python -m pip install --quiet torch==2.13.0
.venv/bin/python -m pip install --quiet -c constraints/ci.txt -e '.[test]'
