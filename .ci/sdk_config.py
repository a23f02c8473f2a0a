"""Write the validate configuration for an offline run, derived from the installed SDK's own list.

    python .ci/sdk_config.py OUT.toml [git]

Every path-based and git-based check of demisto-sdk's bundled configuration is selected, except
those that cannot run offline: the content-graph checks (GR*, and the few others that open the
graph) and the checks that query Docker Hub or GitHub. PA114 (the version bump) needs the previous
version from git, so it is selected only for `validate -g` (the `git` argument). The checks the SDK
reports only as warnings (BA131 on mappers, for one) are errors here: a warning nobody has to read is
a warning nobody reads.
"""
import importlib.util
import sys
import tomllib
from pathlib import Path

NEEDS_GRAPH = {"AG116", "IF117", "LO100", "PA124", "PA133", "PB131", "PB133", "RN106", "RN107", "SC109", "SC110"}
NEEDS_INTERNET = {"DO103", "DO105", "DO106"}
NEEDS_GIT = {"PA114"}
OFFLINE_UNUSABLE = NEEDS_GRAPH | NEEDS_INTERNET


def usable(code: str, git: bool = False) -> bool:
    return not code.startswith("GR") and code not in OFFLINE_UNUSABLE and (git or code not in NEEDS_GIT)


def toml_list(codes) -> str:
    return "[" + ", ".join(f'"{code}"' for code in codes) + "]"


def main(target: str, git: bool) -> None:
    package = Path(importlib.util.find_spec("demisto_sdk").origin).parent
    bundled = tomllib.loads((package / "commands/validate/sdk_validation_config.toml").read_text())
    path_based, use_git = bundled["path_based_validations"], bundled["use_git"]
    selected = sorted(code for code in set(path_based["select"]) | set(use_git["select"]) if usable(code, git))
    lines = [f"ignorable_errors = {toml_list(bundled['ignorable_errors'])}", ""]
    for section, codes, warnings in (("path_based_validations", selected, path_based.get("warning", [])),
                                     ("use_git", sorted(c for c in use_git["select"] if usable(c, git)),
                                      use_git.get("warning", []))):
        lines += [f"[{section}]", f"select = {toml_list(codes)}", "warning = []", ""]
        demoted = sorted(c for c in warnings if usable(c, git))
        print(f"{section}: the SDK's warning-only checks {', '.join(demoted)} fail the gate here")
    for level, rules in bundled.get("support_level", {}).items():
        lines += [f"[support_level.{level}]", f"ignore = {toml_list(rules['ignore'])}", ""]
    Path(target).write_text("\n".join(lines))
    print(f"{len(selected)} validate checks selected, {len(OFFLINE_UNUSABLE)} offline-unusable ones left out")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:] == ["git"])
