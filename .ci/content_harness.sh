#!/usr/bin/env bash
# Runs the shipped unit tests the way content's CI runs an integration's: the pack as .ci/lay_out.py lays it out
# (Packs/AWS-ILM/Integrations/AWSILM, AWSILM_test.py importing AWSILM) in a content-shaped tree, the stand-ins at
# content's paths
# (Packs/Base/Scripts/CommonServerPython, Tests/demistomock), an empty CommonServerUserPython.py at the root,
# content's conftest checks (.ci/content_conftest.py), PYTHONPATH as content sets it, and the docker image's Python
# and pins (.venv-harness, requirements-harness.txt). No file of the project's own test set-up is there.
#   .ci/content_harness.sh            run it; exit status as pytest's
#   .ci/content_harness.sh plant KIND  the same with a planted mistake (print | conftest-import)
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${HARNESS_PY:-$ROOT/.venv-harness/bin/python}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
CONTENT=$WORK/content
INT_DIR=$CONTENT/Packs/AWS-ILM/Integrations/AWSILM
mkdir -p "$CONTENT/Packs/Base/Scripts/CommonServerPython" "$CONTENT/Tests/demistomock"
"$ROOT/.venv/bin/python" "$ROOT/.ci/lay_out.py" "$CONTENT/Packs/AWS-ILM" || exit 1
cp "$ROOT/runtime/CommonServerPython.py" "$CONTENT/Packs/Base/Scripts/CommonServerPython/"
cp "$ROOT/runtime/demistomock.py" "$CONTENT/Tests/demistomock/"
: > "$CONTENT/CommonServerUserPython.py"
cp "$ROOT/.ci/content_conftest.py" "$INT_DIR/conftest.py"
case "${1:-}:${2:-}" in
  plant:print) printf '\n\ndef test_planted_print():\n    print("planted")\n' >> "$INT_DIR/AWSILM_test.py" ;;
  plant:conftest-import) sed -i '0,/^import AWSILM as AWS_ILM$/s//import AWSILM as AWS_ILM\nfrom conftest import PARAMS  # planted/' \
                           "$INT_DIR/AWSILM_test.py" ;;
  :) ;;
  *) echo "usage: $0 [plant print|conftest-import]" >&2; exit 2 ;;
esac
cd "$INT_DIR" || exit 1
PYTHONPATH="$CONTENT:$CONTENT/Packs/Base/Scripts/CommonServerPython:$CONTENT/Tests/demistomock" \
  "$PY" -m pytest -q -p no:cacheprovider --rootdir="$CONTENT" AWSILM_test.py
