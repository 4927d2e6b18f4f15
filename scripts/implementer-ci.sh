#!/usr/bin/env bash
# The conformance job of an implementer's CI (README, "Conformance in your CI"): copy this file
# into your repository beside examples/ci/github-actions.yml, which calls it.
#
#   bash implementer-ci.sh --impl PKG [--out DIR] [--base BASE.json] [--snapshots DIR] [--update-snapshots]
#                          [--benchmarks] [--threshold 10%] [-- PYTEST ARGS]
#
# Runs the installed kit's suite (pytest --pyargs realdex_conformance) against the adapter PKG,
# from DIR (default conformance-out), so that only installed packages are imported: install your
# package first (pip install .). It writes
#   DIR/report.json   the report (spec chapter 12)       DIR/summary.md   its Markdown summary
#   DIR/suite-status  pytest's exit status               DIR/suite.log    the run's output
# and, with --base (the base branch's report.json), DIR/diff.md and DIR/diff.json: the changes,
# for a pull-request comment. --snapshots compares your snapshots in DIR (--update-snapshots
# rewrites them); --benchmarks runs the benchmarks of chapter 15 (needs the kit's bench extra).
#
# Exit status, for the job to gate on:
#   with --base: 0 no regression, 1 a regression (see the diff) or snapshots that differ, 2 no comparison
#   without:     the suite's own (pytest's: 0 every test passed, 1 a test failed, ...)
#   2 also when the suite wrote no report (a usage error, an adapter that cannot be loaded).
set -uo pipefail
PY=${PYTHON:-python}
impl="" out=conformance-out base="" snapshots="" update="" benchmarks="" threshold=10%
usage() { sed -n '5,7p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        --impl) impl=${2:?--impl needs a value}; shift 2 ;;
        --out) out=${2:?--out needs a value}; shift 2 ;;
        --base) base=${2:?--base needs a value}; shift 2 ;;
        --snapshots) snapshots=${2:?--snapshots needs a value}; shift 2 ;;
        --update-snapshots) update=1; shift ;;
        --benchmarks) benchmarks=1; shift ;;
        --threshold) threshold=${2:?--threshold needs a value}; shift 2 ;;
        --) shift; break ;;
        -h|--help) usage ;;
        *) echo "implementer-ci.sh: unknown argument $1" >&2; usage ;;
    esac
done
[ -n "$impl" ] || { echo "implementer-ci.sh: --impl PKG is required (your adapter, as for pytest --impl)" >&2; exit 2; }
if [ -n "$base" ] && [ ! -f "$base" ]; then
    echo "implementer-ci.sh: --base $base: no such file (the base branch's DIR/report.json)" >&2; exit 2
fi
abs() { case "$1" in /*) printf '%s\n' "$1" ;; *) printf '%s/%s\n' "$PWD" "$1" ;; esac; }
out=$(abs "$out"); [ -z "$base" ] || base=$(abs "$base"); [ -z "$snapshots" ] || snapshots=$(abs "$snapshots")
mkdir -p "$out"
rm -f "$out/report.json" "$out/summary.md" "$out/diff.md" "$out/diff.json"
printf '[pytest]\n' > "$out/pytest.ini"  # the run's own configuration: not that of the repository around it

args=(-m pytest --pyargs realdex_conformance --impl="$impl" -c "$out/pytest.ini" --rootdir "$out" -p no:cacheprovider
      --conformance-report="$out/report.json" --conformance-summary="$out/summary.md")
[ -z "$snapshots" ] || args+=(--conformance-snapshots="$snapshots")
[ -z "$update" ] || args+=(--conformance-snapshots-update)
[ -z "$benchmarks" ] || args+=(--conformance-benchmarks)
(cd "$out" && "$PY" "${args[@]}" "$@") > "$out/suite.log" 2>&1
suite=$?
echo "$suite" > "$out/suite-status"
tail -n 40 "$out/suite.log"
if [ ! -f "$out/report.json" ]; then
    echo "implementer-ci.sh: the suite wrote no report (exit status $suite); see $out/suite.log" >&2; exit 2
fi
[ -n "$base" ] || exit "$suite"

"$PY" -m realdex_conformance.report diff "$base" "$out/report.json" --threshold "$threshold" > "$out/diff.md"
status=$?
[ "$status" -ne 2 ] || exit 2
"$PY" -m realdex_conformance.report diff "$base" "$out/report.json" --threshold "$threshold" --format json > "$out/diff.json"
differ=$("$PY" -c 'import json, sys; s = json.load(open(sys.argv[1])).get("snapshots") or {}; print(len(s.get("changed", [])) + len(s.get("missing", [])) if s.get("mode") == "compare" else 0)' "$out/report.json")
if [ "$differ" -gt 0 ]; then
    printf '\n**%s snapshots differ** from those in %s: see the job log; rerun with --update-snapshots and commit them if intended.\n' \
        "$differ" "$(basename "$snapshots")" >> "$out/diff.md"
    status=1
fi
cat "$out/diff.md"
exit "$status"
