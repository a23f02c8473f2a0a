"""Local stand-in for the `demistomock` module that the XSOAR server injects at run time.

Only for tests and local runs: it is never shipped with the integration. It mirrors the public
functions an integration calls (same names, signatures and result shapes). What a real server
would do (read the instance, show entries in the War Room) is kept in module state that tests and
the terminal runner set and read through the `invoke()` / `emitted()` helpers at the bottom.
"""
import json
import os
import re
from pathlib import Path
from typing import Any

MAPPERS_DIR = Path(os.environ.get("AWS_ILM_MAPPERS_DIR", Path(__file__).resolve().parent.parent / "Classifiers"))

callingContext: dict = {"context": {"IntegrationBrand": "AWS-ILM", "IntegrationInstance": "AWS-ILM_instance_1"}}

_state: dict = {"params": {}, "args": {}, "command": "", "results": [], "logs": [], "context": {}}


# ----- the public API -------------------------------------------------------------------------
def params() -> dict:
    return _state["params"]


def args() -> dict:
    return _state["args"]


def command() -> str:
    return _state["command"]


def results(entry: Any) -> None:
    _state["results"].append(entry)


def debug(msg: Any, *args: Any) -> None:
    _state["logs"].append(("debug", str(msg)))


def info(msg: Any, *args: Any) -> None:
    _state["logs"].append(("info", str(msg)))


def error(msg: Any, *args: Any) -> None:
    _state["logs"].append(("error", str(msg)))


def integrationInstance() -> str:
    return callingContext["context"]["IntegrationInstance"]


def getIntegrationContext() -> dict:
    return _state["context"]


def setIntegrationContext(ctx: dict) -> None:
    _state["context"] = ctx


def mapObject(obj: Any, mapper: str, mapper_type: str) -> dict:
    """Apply the shipped mapper JSON named `mapper` (type `mapper_type`) to `obj`.

    A target whose source is missing is left out. An unknown mapper name returns the object
    unchanged, as upstream's test double does.
    """
    mapping = _load_mappers().get(mapper)
    if mapping is None:
        return obj
    fields = mapping.get("mapping", {}).get(mapper_type, {}).get("internalMapping", {})
    mapped = {}
    for target, rule in fields.items():
        value = _apply_rule(obj, rule)
        if value is not None:
            mapped[target] = value
    return mapped


# ----- mapper engine (a small subset of the server's: simple paths, complex root/accessor) -----
_MAPPERS_CACHE: dict = {}


def _load_mappers() -> dict:
    """The mapper files by name, read again whenever one of them changes."""
    paths = sorted(MAPPERS_DIR.glob("*.json"))
    stamp = tuple((str(p), p.stat().st_mtime_ns) for p in paths)
    if _MAPPERS_CACHE.get("stamp") != stamp:
        found = {}
        for path in paths:
            data = json.loads(path.read_text(encoding="utf-8"))
            found[data.get("name")] = data
        _MAPPERS_CACHE.update(stamp=stamp, mappers=found)
    return _MAPPERS_CACHE["mappers"]


def _split_path(path: str) -> list:
    parts = re.split(r"(?<!\\)\.", path)
    return [p.replace("\\.", ".") for p in parts if p != ""]


def _get_path(obj: Any, path: str) -> Any:
    current = obj
    for part in _split_path(path):
        index = re.fullmatch(r"\[(\d+)\]", part)
        if index and isinstance(current, list):
            position = int(index.group(1))
            current = current[position] if position < len(current) else None
        elif isinstance(current, dict):
            current = current.get(part)
        else:
            return None
        if current is None:
            return None
    return current


def _apply_rule(obj: Any, rule: dict) -> Any:
    if rule.get("simple"):
        return _get_path(obj, rule["simple"])
    complex_rule = rule.get("complex") or {}
    if complex_rule.get("transformers") or complex_rule.get("filters"):
        raise NotImplementedError("the local mapObject stand-in applies no transformers or filters")
    root = _get_path(obj, complex_rule.get("root", ""))
    accessor = complex_rule.get("accessor")
    return _get_path(root, accessor) if accessor and root is not None else root


# ----- stand-in only: set up an invocation and read what it emitted -----------------------------
def invoke(command_name: str, params_: dict | None = None, args_: dict | None = None) -> None:
    """Prepare a fresh execution, as the server does before it runs `main()`."""
    _state.update(params=params_ or {}, args=args_ or {}, command=command_name, results=[], logs=[])


def execute(main, command_name: str, params_: dict | None = None, args_: dict | None = None) -> list:
    """Run one command as the server does: a fresh execution of `main()`; the entries it emitted.
    return_error() ends an execution with SystemExit, as upstream."""
    invoke(command_name, params_, args_)
    try:
        main()
    except SystemExit:
        pass
    return emitted()


def emitted() -> list:
    """The entries `results()` received since the last `invoke()`."""
    return _state["results"]


def logged() -> list:
    """The (level, message) pairs logged since the last `invoke()`."""
    return _state["logs"]
