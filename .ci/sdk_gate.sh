#!/usr/bin/env bash
# demisto-sdk checks, offline, on the content tree this flat repo lays out (build/content/Packs/AWS-ILM, under
# the published names: .ci/lay_out.py), inside a throw-away content repository.
#   .ci/sdk_gate.sh gate   AWSILM_test.py in content's unit-test harness (and its planted-mistake check),
#                          content's ruff rules on the laid-out pack,
#                          validate (-i, and -g against the published 1.0.35), the planted-policy check,
#                          xsoar-lint, secrets, prepare-content, generate-docs, README and format drift
#   .ci/sdk_gate.sh pack   lay out build/content/Packs/AWS-ILM and build build/AWS-ILM.zip with zip-packs
#   .ci/sdk_gate.sh docs   regenerate the integration's README (AWS_ILM_README.md)
#   .ci/sdk_gate.sh unify  build/unified/AWSILM.yml: the integration as demisto-sdk unifies it from the laid-out pack,
#                          the script the platform runs (the loop tests run it); UNIFY_SOURCE names another AWS_ILM.py
#                          to unify instead (an earlier commit's), UNIFY_OUT another output file
# Needs .venv-sdk (make sdk-venv) and, for docs and gate, .venv (make test does it).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SDK_BIN=${SDK_BIN:-$ROOT/.venv-sdk/bin}
PACK=AWS-ILM
INT=AWSILM   # the published integration folder and file names
WORK=$(mktemp -d)
CONTENT=$WORK/content
PACK_DIR=$CONTENT/Packs/$PACK
INT_DIR=$PACK_DIR/Integrations/$INT
BUILD=$ROOT/build
TREE=$BUILD/content/Packs/$PACK   # what a maintainer copies over content's Packs/AWS-ILM
export DEMISTO_SDK_IGNORE_CONTENT_WARNING=1 CI=true DEMISTO_SDK_LOG_FILE_PATH=$WORK/logs DEMISTO_SDK_LOG_NO_COLORS=true
unset DEMISTO_SDK_OFFLINE_ENV   # when set, validate and format refuse to run
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$BUILD"

examples() {   # the README's command examples, captured against the embedded server
  "$ROOT/.venv/bin/python" "$ROOT/tools/docs_examples.py" "$ROOT/command_examples.txt" "$BUILD/examples.json"
}

content_tree() {   # build/content/Packs/AWS-ILM: the pack as content would merge it
  "$ROOT/.venv/bin/python" "$ROOT/.ci/lay_out.py" "$TREE" && echo "laid out ${TREE#"$ROOT"/}"
}

scaffold() {   # copies, not symlinks: xsoar-lint skips symlinked files silently
  # A content repository as demisto-sdk knows it (an origin whose path names "content", Config/ with the
  # approved lists and the Preference Center policies), so the category and policy checks (IN104, PA103, BA112,
  # BA129) really run. master holds the published 1.0.35 as content does (lay_out.py --previous: its version and
  # its commands, arguments and outputs), pushed to a local bare origin; the checks run on a branch holding
  # build/content's pack, so the SDK sees the update of the published pack that the pull request would be.
  mkdir -p "$CONTENT/Config"
  cp "$ROOT/.ci/compliant_policies.json" "$CONTENT/Config/compliant_policies.json"
  printf '{"approved_list": ["Identity and Access Management", "Authentication & Identity Management"]}\n' \
    > "$CONTENT/Config/approved_categories.json"
  printf '{"approved_list": []}\n' > "$CONTENT/Config/approved_usecases.json"
  printf '{"approved_list": {"common": [], "xsoar": [], "marketplacev2": [], "xpanse": []}}\n' > "$CONTENT/Config/approved_tags.json"
  "$ROOT/.venv/bin/python" "$ROOT/.ci/lay_out.py" "$PACK_DIR" --previous || return 1
  cd "$CONTENT" || exit 1
  printf 'CommonServerUserPython.py\n' > .gitignore
  git init -q -b master && git add -A && git -c user.email=ci@invalid -c user.name=ci commit -qm "AWS-ILM 1.0.35 as published"
  git init -q --bare "$WORK/content-origin.git" && git remote add origin "$WORK/content-origin.git" && git push -q origin master
  git checkout -q -b ci
  rm -rf "$PACK_DIR" && cp -r "$TREE" "$PACK_DIR"
  git checkout -q master -- "Packs/$PACK/Integrations/$INT/${INT}_image.png"   # content's image: left alone
  git add -A && git -c user.email=ci@invalid -c user.name=ci commit -qm "AWS-ILM pack, this change"
}

failures=0
step() {
  echo "::: $*"
  if ! "$@"; then echo "FAILED: $*"; failures=$((failures + 1)); fi
}

readme_is_generated() {   # the committed integration README must equal a fresh generation
  "$SDK_BIN/python" "$ROOT/.ci/gen_readme.py" "$ROOT/AWS_ILM.yml" "$ROOT/command_examples.txt" "$BUILD/examples.json" \
    "$ROOT/pack/integration_notes.md" "$WORK/README.md" >/dev/null 2>&1 && diff -u "$ROOT/AWS_ILM_README.md" "$WORK/README.md" \
    || { echo "AWS_ILM_README.md differs from what 'make docs' generates: run make docs"; return 1; }
}

yml_is_formatted() {   # demisto-sdk format must have nothing to change in AWS_ILM.yml
  "$SDK_BIN/demisto-sdk" format -i "$INT_DIR/$INT.yml" -nv -y >/dev/null 2>&1
  diff -u "$ROOT/AWS_ILM.yml" "$INT_DIR/$INT.yml" || { echo "AWS_ILM.yml is not as demisto-sdk format writes it"; return 1; }
}

planted_policy_fails() {   # a new command with a user-profile argument and no policy must fail BA129, and an
                           # unknown policy name BA112: the Preference Center checks really run
  local planted="$WORK/planted" out
  git -C "$CONTENT" worktree add -q "$planted" ci 2>/dev/null || git -C "$CONTENT" worktree add -q -f "$planted" HEAD
  "$ROOT/.venv/bin/python" - "$planted/Packs/$PACK/Integrations/$INT/$INT.yml" <<'PY'
import sys, yaml
path = sys.argv[1]
data = yaml.safe_load(open(path))
commands = data["script"]["commands"]
commands.append({"name": "aws-ilm-planted-remove-user", "description": "Planted by the gate's self-check.",
                 "arguments": [{"name": "user-profile", "description": "A User Profile."}]})
next(c for c in commands if c["name"] == "iam-disable-user")["compliantpolicies"] = ["No Such Policy"]
yaml.safe_dump(data, open(path, "w"), sort_keys=False)
PY
  git -C "$planted" -c user.email=ci@invalid -c user.name=ci commit -qam planted
  out=$(cd "$planted" && "$SDK_BIN/demisto-sdk" validate -g --config-path "$WORK/validate-git.toml" 2>&1)
  git -C "$CONTENT" worktree remove -f "$planted"
  if grep -q "BA129" <<<"$out" && grep -q "BA112" <<<"$out"; then
    echo "planted: a command without compliantpolicies (rejected, BA129) and an unknown policy (rejected, BA112)"
    return 0
  fi
  echo "$out" | tail -20; echo "the planted policy mistakes were not both rejected (BA129, BA112)"; return 1
}

content_ruff() {   # content's own ruff rules (.ci/content_ruff.toml) on the pack as content would merge it
  "$ROOT/.venv/bin/ruff" check --no-cache --config "$ROOT/.ci/content_ruff.toml" "$TREE"
}

content_harness() {   # AWS_ILM_test.py as content's CI runs it (the folder alone, content's conftest checks, 3.12)
  bash "$ROOT/.ci/content_harness.sh"
}

content_harness_rejects_plants() {   # the harness really checks: a print() and an import from conftest must fail it
  local kind
  for kind in print conftest-import; do
    if bash "$ROOT/.ci/content_harness.sh" plant "$kind" >/dev/null 2>&1; then
      echo "the content harness passed a planted $kind"; return 1
    fi
  done
  echo "planted: a print() in a test and a 'from conftest import' each fail the content harness"
}

gate() {
  step content_harness
  step content_harness_rejects_plants
  examples && content_tree && scaffold || exit 1
  step content_ruff
  "$SDK_BIN/python" "$ROOT/.ci/sdk_config.py" "$WORK/validate.toml"
  "$SDK_BIN/python" "$ROOT/.ci/sdk_config.py" "$WORK/validate-git.toml" git
  step "$SDK_BIN/demisto-sdk" validate -i "Packs/$PACK" --config-path "$WORK/validate.toml"
  step "$SDK_BIN/demisto-sdk" validate -g --config-path "$WORK/validate-git.toml"
  step planted_policy_fails
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
  examples && content_tree && scaffold || exit 1
  step "$SDK_BIN/demisto-sdk" zip-packs -i "Packs/$PACK" -o "$WORK/zips"
  cp "$WORK/zips/uploadable_packs/$PACK.zip" "$BUILD/$PACK.zip" && echo "built build/$PACK.zip"
  [ "$failures" -eq 0 ]
}

docs() {
  examples || exit 1
  "$SDK_BIN/python" "$ROOT/.ci/gen_readme.py" "$ROOT/AWS_ILM.yml" "$ROOT/command_examples.txt" "$BUILD/examples.json" \
    "$ROOT/pack/integration_notes.md" "$ROOT/AWS_ILM_README.md"
}

unify() {   # the laid-out pack in a throw-away content repository, unified by demisto-sdk's prepare-content
  local out=${UNIFY_OUT:-$BUILD/unified/AWSILM.yml}
  content_tree >/dev/null || exit 1
  mkdir -p "$CONTENT/Packs" "$(dirname "$out")" && cp -r "$TREE" "$PACK_DIR"
  [ -z "${UNIFY_SOURCE:-}" ] || cp "$UNIFY_SOURCE" "$INT_DIR/$INT.py"
  (cd "$CONTENT" && git init -q && git add -A && git -c user.email=ci@invalid -c user.name=ci commit -qm unify) || exit 1
  (cd "$CONTENT" && "$SDK_BIN/demisto-sdk" prepare-content -i "Packs/$PACK/Integrations/$INT" -o "$out" -f) >/dev/null \
    || { echo "demisto-sdk prepare-content failed"; exit 1; }
  echo "unified ${out#"$ROOT"/}"
}

case "${1:-gate}" in
  gate) gate ;;
  pack) pack ;;
  docs) docs ;;
  unify) unify ;;
  *) echo "usage: $0 gate|pack|docs|unify" >&2; exit 2 ;;
esac
