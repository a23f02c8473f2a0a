#!/usr/bin/env bash
# demisto-sdk checks, offline, on a throw-away content repository built from this flat repo.
#   .ci/sdk_gate.sh gate   validate, xsoar-lint, secrets, prepare-content, generate-docs, README and format drift
#   .ci/sdk_gate.sh pack   build build/AWS-ILM.zip with zip-packs
#   .ci/sdk_gate.sh docs   regenerate the command section of README.md
# Needs .venv-sdk (make sdk-venv) and, for docs and gate, .venv (make test does it).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SDK_BIN=${SDK_BIN:-$ROOT/.venv-sdk/bin}
PACK=AWS-ILM
INT=AWS_ILM
WORK=$(mktemp -d)
CONTENT=$WORK/content
PACK_DIR=$CONTENT/Packs/$PACK
INT_DIR=$PACK_DIR/Integrations/$INT
BUILD=$ROOT/build
export DEMISTO_SDK_IGNORE_CONTENT_WARNING=1 CI=true DEMISTO_SDK_LOG_FILE_PATH=$WORK/logs DEMISTO_SDK_LOG_NO_COLORS=true
unset DEMISTO_SDK_OFFLINE_ENV   # when set, validate and format refuse to run
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$BUILD"

examples() {   # the README's command examples, captured against the embedded server
  "$ROOT/.venv/bin/python" "$ROOT/docs_examples.py" "$ROOT/command_examples.txt" "$BUILD/examples.json"
}

scaffold() {   # copies, not symlinks: xsoar-lint skips symlinked files silently
  mkdir -p "$INT_DIR" "$PACK_DIR/Classifiers"
  cp "$ROOT"/pack/pack_metadata.json "$ROOT"/pack/README.md "$ROOT"/pack/.pack-ignore "$ROOT"/pack/.secrets-ignore "$PACK_DIR/"
  cp -r "$ROOT/pack/ReleaseNotes" "$PACK_DIR/"
  cp "$ROOT"/Classifiers/*.json "$PACK_DIR/Classifiers/"
  cp "$ROOT"/$INT.py "$ROOT"/$INT.yml "$ROOT"/${INT}_description.md "$ROOT"/${INT}_image.png "$ROOT"/${INT}_test.py \
     "$ROOT"/README.md "$ROOT"/command_examples.txt "$INT_DIR/"
  cp -r "$ROOT/test_data" "$INT_DIR/"
  cd "$CONTENT" || exit 1
  touch .private-repo-settings   # an "external" content repository: no GitHub remote needed
  printf 'CommonServerUserPython.py\n' > .gitignore
  # AWS-ILM already exists in content: master (pushed to a local bare origin) holds the pack, and the
  # checks run on a branch, so the SDK treats the integration as an update rather than a new item.
  git init -q -b master && git add -A && git -c user.email=ci@invalid -c user.name=ci commit -qm "AWS-ILM pack"
  git init -q --bare "$WORK/origin.git" && git remote add origin "$WORK/origin.git" && git push -q origin master
  git checkout -q -b ci
}

failures=0
step() {
  echo "::: $*"
  if ! "$@"; then echo "FAILED: $*"; failures=$((failures + 1)); fi
}

readme_is_generated() {   # the committed README must equal a fresh generation
  cp "$ROOT/README.md" "$WORK/README.md"
  "$SDK_BIN/python" "$ROOT/.ci/gen_readme.py" "$ROOT/$INT.yml" "$ROOT/command_examples.txt" "$BUILD/examples.json" \
    "$WORK/README.md" >/dev/null 2>&1 && diff -u "$ROOT/README.md" "$WORK/README.md" \
    || { echo "README.md differs from what 'make docs' generates: run make docs"; return 1; }
}

yml_is_formatted() {   # demisto-sdk format must have nothing to change
  "$SDK_BIN/demisto-sdk" format -i "$INT_DIR/$INT.yml" -nv -y >/dev/null 2>&1
  git -C "$CONTENT" diff --exit-code -- "Packs/$PACK/Integrations/$INT/$INT.yml"
}

gate() {
  examples && scaffold || exit 1
  "$SDK_BIN/python" "$ROOT/.ci/sdk_config.py" "$WORK/validate.toml"
  step "$SDK_BIN/demisto-sdk" validate -i "Packs/$PACK" --config-path "$WORK/validate.toml"
  step "$SDK_BIN/demisto-sdk" xsoar-lint "$INT_DIR"
  step "$SDK_BIN/demisto-sdk" secrets -i "$INT_DIR/$INT.py" --ignore-entropy
  step "$SDK_BIN/demisto-sdk" prepare-content -i "$INT_DIR" -o "$BUILD/integration-$INT.yml" -f
  mkdir -p "$WORK/docs"
  step "$SDK_BIN/demisto-sdk" generate-docs -f -i "$INT_DIR/$INT.yml" -o "$WORK/docs"
  step readme_is_generated
  step yml_is_formatted
  echo "demisto-sdk gate: $failures failing step(s)"
  [ "$failures" -eq 0 ]
}

pack() {
  examples && scaffold || exit 1
  step "$SDK_BIN/demisto-sdk" zip-packs -i "Packs/$PACK" -o "$WORK/zips"
  cp "$WORK/zips/uploadable_packs/$PACK.zip" "$BUILD/$PACK.zip" && echo "built build/$PACK.zip"
  [ "$failures" -eq 0 ]
}

docs() {
  examples || exit 1
  "$SDK_BIN/python" "$ROOT/.ci/gen_readme.py" "$ROOT/$INT.yml" "$ROOT/command_examples.txt" "$BUILD/examples.json" \
    "$ROOT/README.md"
}

case "${1:-gate}" in
  gate) gate ;;
  pack) pack ;;
  docs) docs ;;
  *) echo "usage: $0 gate|pack|docs" >&2; exit 2 ;;
esac
