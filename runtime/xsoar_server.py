"""What the XSOAR server does around one run of an integration, for the project's own end-to-end tests, flows,
runner, benchmarks and docs tooling (never shipped, and not used by AWS_ILM_test.py, which patches
`demistomock` itself as content's unit tests do).

`execute(main, command, params, args)` runs `main()` as the server does: the instance's params, the command
and its arguments, the calling context (brand, instance name), the named mappers applied from the shipped
mapper files (`Classifiers/`), the instance's integration context kept between runs with its version
(`CONTEXTS`), and every entry and log line collected. The platform's functions of `demistomock` are patched only
for the run and restored after it.
"""
import copy
import json
import os
import re
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import CommonServerPython
import demistomock as demisto

MAPPERS_DIR = Path(os.environ.get("AWS_ILM_MAPPERS_DIR", Path(__file__).resolve().parent.parent / "Classifiers"))
BRAND = "AWS-ILM"
DEFAULT_INSTANCE = "AWS-ILM_instance_1"


class Run:
    """One execution: what the integration emitted and logged."""

    def __init__(self):
        self.entries: list = []
        self.logs: list = []


_last = Run()
_settings = {"instance": DEFAULT_INSTANCE}
SERVER_VERSION = {"version": "8.9.0", "buildNumber": "1234567"}
FILES = Path(tempfile.mkdtemp(prefix="aws-ilm-warroom-"))   # where the War Room's files land (fileResult)


def war_room_file(entry: dict) -> bytes:
    """The content of a file entry the integration returned."""
    return (FILES / f"1_{entry['FileID']}").read_bytes()


class IntegrationContexts:
    """The server's integration context of each instance, kept between runs, with its version: a write that gives
    a version other than the current one is refused with ValueError (another execution wrote meanwhile), as the
    platform refuses a stale version. `others` are writes of other executions, each made just before one of the
    next writes of the run (to replay a conflict)."""

    def __init__(self):
        self.held: dict = {}
        self.lock = threading.Lock()
        self.others: list = []

    def get(self, instance: str) -> dict:
        with self.lock:
            held = self.held.get(instance) or {"context": {}, "version": 0}
            return copy.deepcopy(held)

    def set(self, instance: str, context: dict, version: int = -1) -> None:
        with self.lock:
            held = self.held.setdefault(instance, {"context": {}, "version": 0})
            if self.others:   # another execution's write lands first
                held["context"] = self.others.pop(0)(copy.deepcopy(held["context"]))
                held["version"] += 1
            if version not in (-1, held["version"]):
                raise ValueError(f"DB version mismatch: {version} is not the current {held['version']}")
            held["context"], held["version"] = copy.deepcopy(context), held["version"] + 1

    def clear(self) -> None:
        with self.lock:
            self.held.clear()
            self.others.clear()


CONTEXTS = IntegrationContexts()


def set_instance_name(name: str) -> None:
    """The instance name the calling context gives the following runs."""
    _settings["instance"] = name


@contextmanager
def platform(command: str = "", params: dict | None = None, args: dict | None = None, mappers: bool = True,
             run_duration: float | None = None):
    """The platform's side of a run: demistomock answers with these params, args and command, records what is
    emitted and logged, and (with `mappers`) applies the shipped mappers; restored afterwards."""
    global _last
    run = _last = Run()
    instance = _settings["instance"]
    CommonServerPython.get_demisto_version._version = None   # a run is a fresh execution: it asks again
    patched = {
        "params": lambda: {} if params is None else params,
        "args": lambda: {} if args is None else args,
        "command": lambda: command,
        "results": run.entries.append,
        "debug": lambda msg, *a: run.logs.append(("debug", str(msg))),
        "info": lambda msg, *a: run.logs.append(("info", str(msg))),
        "error": lambda msg, *a: run.logs.append(("error", str(msg))),
        "callingContext": {"context": {"IntegrationBrand": BRAND, "IntegrationInstance": _settings["instance"],
                                       **({"runDuration": run_duration} if run_duration else {})}},
        "demistoVersion": lambda: dict(SERVER_VERSION),
        "getIntegrationContextVersioned": lambda refresh=False: CONTEXTS.get(instance),
        "setIntegrationContextVersioned": lambda context, version=-1, sync=False: CONTEXTS.set(instance, context,
                                                                                               version),
        "getIntegrationContext": lambda: CONTEXTS.get(instance)["context"],
        "setIntegrationContext": lambda context: CONTEXTS.set(instance, context),
        "_Demisto__do": lambda cmd: None,   # the channel the platform's object has (support_multithreading locks it)
        "investigation": lambda: {"id": str(FILES / "1")},   # a War Room file lands in FILES, named by its id
        "is_debug": False,
    }
    if mappers:
        patched["mapObject"] = map_object
    saved = {name: getattr(demisto, name, None) for name in patched}
    for name, value in patched.items():
        setattr(demisto, name, value)
    try:
        yield run
    finally:
        for name, value in saved.items():
            if value is None:
                delattr(demisto, name)
            else:
                setattr(demisto, name, value)
        if hasattr(demisto, "lock"):   # a run's support_multithreading(): the next run starts without it
            del demisto.lock
        CommonServerPython.get_demisto_version._version = None   # nor with this server's version cached


def execute(main, command: str, params: dict | None = None, args: dict | None = None,
            run_duration: float | None = None) -> list:
    """Run one command as the server does: a fresh execution of `main()`; the entries it emitted.
    return_error() ends an execution with SystemExit, as upstream. `run_duration`: the execution's time limit in
    minutes, as the platform tells it."""
    with platform(command, params, args, run_duration=run_duration) as run:
        try:
            main()
        except SystemExit:
            pass
    return run.entries


@dataclass
class Polling:
    """A command the platform ran again and again as its entries scheduled it: each run's entries, the waits
    between the runs (NextRun, recorded, not slept), and each run's own time."""
    runs: list = field(default_factory=list)
    waits: list = field(default_factory=list)
    seconds: list = field(default_factory=list)

    def entries(self) -> list:
        return [entry for run in self.runs for entry in run]


def scheduled(entries: list) -> dict | None:
    """The entry of a run that schedules the next one (PollingCommand), if any."""
    return next((entry for entry in flat(entries) if entry.get("PollingCommand")), None)


def execute_polling(main, command: str, params: dict | None = None, args: dict | None = None,
                    run_duration: float | None = None, max_runs: int = 100) -> Polling:
    """Run a command as the platform runs a scheduled command: while a run's entry carries PollingCommand, a new
    execution of that command with PollingArgs (the declared arguments the entry gives), NextRun seconds later (the
    wait recorded, not slept); until no run schedules another, or Timeout seconds of waits have passed."""
    polling = Polling()
    while len(polling.runs) < max_runs:
        started = time.monotonic()
        entries = execute(main, command, params, args, run_duration)
        polling.seconds.append(time.monotonic() - started)
        polling.runs.append(entries)
        follow = scheduled(entries)
        if not follow:
            break
        polling.waits.append(float(follow["NextRun"]))
        if follow.get("Timeout") and sum(polling.waits) > float(follow["Timeout"]):
            break
        command, args = follow["PollingCommand"], dict(follow.get("PollingArgs") or {})
    return polling


def emitted() -> list:
    """The entries of the last run."""
    return _last.entries


def logged() -> list:
    """The (level, message) pairs logged in the last run."""
    return _last.logs


# ----- the mapper engine: a small subset of the server's (simple paths, complex root/accessor) -----------
_MAPPERS_CACHE: dict = {}


def map_object(obj: Any, mapper: str, mapper_type: str) -> dict:
    """Apply the shipped mapper named `mapper` (type `mapper_type`) to `obj`. A target whose source is missing
    is left out; an unknown mapper name returns the object unchanged."""
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


_CUSTOM_MAPPERS: dict = {}


@contextmanager
def custom_mapper(definition: dict):
    """A mapper an admin made (a mapper file's JSON), known by its name for the runs inside the block."""
    _CUSTOM_MAPPERS[definition["name"]] = definition
    try:
        yield definition["name"]
    finally:
        del _CUSTOM_MAPPERS[definition["name"]]


def _load_mappers() -> dict:
    """The mapper files by name (read again whenever one of them changes), and the custom ones."""
    return {**_shipped_mappers(), **_CUSTOM_MAPPERS}


def _shipped_mappers() -> dict:
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
        raise NotImplementedError("the local mapper engine applies no transformers or filters")
    root = _get_path(obj, complex_rule.get("root", ""))
    accessor = complex_rule.get("accessor")
    return _get_path(root, accessor) if accessor and root is not None else root


def flat(entries: list) -> list:
    """The entries one run emitted, a batch (a list given to one demisto.results call) opened up."""
    return [entry for batch in entries for entry in (batch if isinstance(batch, list) else [batch])
            if isinstance(entry, dict)]


# ----- the incident context: entries' EntryContext merged by their DT keys, as the server merges them -----------
_TERM = re.compile(r"\s*val\.([\w.]+)\s*(?:==\s*obj\.([\w.]+))?\s*")


class Context:
    """An incident's context. `add(entries)` merges each entry's EntryContext as the server does: a key
    `Path(val.a && val.a == obj.a && ...)` updates the object under Path for which every term holds (its fields
    overwritten by the new object's, the others kept) and appends the new object when none does; a key without a
    selector replaces the value. A path holding one object is that object, several are a list."""

    def __init__(self):
        self.data: dict = {}

    def add(self, entries: list) -> "Context":
        for entry in flat(entries):
            for key, value in (entry.get("EntryContext") or {}).items():
                self.merge(key, value)
        return self

    def merge(self, key: str, value: Any) -> None:
        path, _, selector = key.partition("(")
        terms = [_TERM.fullmatch(term) for term in selector.rstrip(")").split("&&")] if selector else []
        if any(term is None for term in terms):
            raise ValueError(f"a DT selector this stand-in does not read: {key}")
        parent, last = self._parent(path.split("."))
        if not terms:
            parent[last] = value
            return
        held = parent.get(last)
        objects = held if isinstance(held, list) else [] if held is None else [held]
        for new in value if isinstance(value, list) else [value]:
            match = next((old for old in objects if all(_holds(term, old, new) for term in terms)), None)
            if match is None:
                objects.append(copy.deepcopy(new))
            else:
                match.update(copy.deepcopy(new))
        parent[last] = objects[0] if len(objects) == 1 else objects

    def _parent(self, parts: list) -> tuple:
        node = self.data
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        return node, parts[-1]

    def get(self, path: str) -> Any:
        """A value by its dotted path, as a playbook reads it: through a list, each item's value."""
        node: Any = self.data
        for part in path.split("."):
            if isinstance(node, list):
                node = [item.get(part) for item in node if isinstance(item, dict)]
            elif isinstance(node, dict):
                node = node.get(part)
            else:
                return None
        return node

    def objects(self, path: str) -> list:
        """The objects under a path, as a list (empty when none)."""
        value = self.get(path)
        return value if isinstance(value, list) else [] if value is None else [value]


def _dig(obj: Any, path: str) -> Any:
    for part in path.split("."):
        obj = obj.get(part) if isinstance(obj, dict) else None
    return obj


def _holds(term: re.Match, old: Any, new: Any) -> bool:
    """`val.a` (the held object has a) or `val.a == obj.b` (and it equals the new object's b)."""
    held = _dig(old, term.group(1))
    return bool(held) and (term.group(2) is None or held == _dig(new, term.group(2)))
