"""Write the validate configuration for an offline run, derived from the installed SDK's own list.

    python .ci/sdk_config.py OUT.toml

Every path-based and git-based check of demisto-sdk's bundled configuration is selected, except
those that cannot run offline: the content-graph checks (GR*, and the few others that open the
graph), the checks that query Docker Hub or GitHub, the category checks (their approved list is
empty outside the content repository), and PA114 (it needs the previous version from git).
"""
import importlib.util
import sys
import tomllib
from pathlib import Path

NEEDS_GRAPH = {"AG116", "IF117", "LO100", "PA124", "PA133", "PB131", "PB133", "RN106", "RN107", "SC109", "SC110"}
NEEDS_INTERNET = {"DO103", "DO105", "DO106"}
NEEDS_CONTENT_REPO = {"IN104", "PA103", "PA114"}
OFFLINE_UNUSABLE = NEEDS_GRAPH | NEEDS_INTERNET | NEEDS_CONTENT_REPO


def usable(code: str) -> bool:
    return not code.startswith("GR") and code not in OFFLINE_UNUSABLE


def toml_list(codes) -> str:
    return "[" + ", ".join(f'"{code}"' for code in codes) + "]"


def main(target: str) -> None:
    package = Path(importlib.util.find_spec("demisto_sdk").origin).parent
    bundled = tomllib.loads((package / "commands/validate/sdk_validation_config.toml").read_text())
    path_based, use_git = bundled["path_based_validations"], bundled["use_git"]
    selected = sorted(code for code in set(path_based["select"]) | set(use_git["select"]) if usable(code))
    lines = [f"ignorable_errors = {toml_list(bundled['ignorable_errors'])}", ""]
    for section, codes, warnings in (("path_based_validations", selected, path_based.get("warning", [])),
                                     ("use_git", [c for c in use_git["select"] if usable(c)], use_git.get("warning", []))):
        lines += [f"[{section}]", f"select = {toml_list(codes)}", f"warning = {toml_list(c for c in warnings if usable(c))}", ""]
    for level, rules in bundled.get("support_level", {}).items():
        lines += [f"[support_level.{level}]", f"ignore = {toml_list(rules['ignore'])}", ""]
    Path(target).write_text("\n".join(lines))
    print(f"{len(selected)} validate checks selected, {len(OFFLINE_UNUSABLE)} offline-unusable ones left out")


if __name__ == "__main__":
    main(sys.argv[1])
