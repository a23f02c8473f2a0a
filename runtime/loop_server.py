"""The server's side of the platform's Python loop (tests and tools only, never shipped): it starts the loop stand-in
(runtime/docker_loop.py) in a process of its own with pipes, pings it, sends each execution's context with the
script the server would send, and answers every call the integration makes until the execution is completed.

The script is what the platform sends for an integration: CommonServerPython's code (this project's stand-in, with
the lines demisto-sdk's unifier removes from every script), CommonServerUserPython's (empty), and the integration's
script as demisto-sdk unified it into the laid-out pack's yml (`unified_yml()`; `make unified` builds it).

The server applies the shipped mappers (xsoar_server.map_object), keeps the instance's integration context with its
version (a stale version is refused with the server's error marker, as the platform refuses it), and keeps every log
line and entry. Each execution is a fresh exec in the same process, as on the platform.
"""
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
UNIFIED = ROOT / "build" / "unified" / "AWSILM.yml"   # `make unified`; AWS_ILM_UNIFIED names another
UNIFIER_REMOVES = ("import demistomock as demisto", "from CommonServerPython import *",
                   "from CommonServerUserPython import *", "from __future__ import print_function")
SERVER_ERROR_MARKER = "[SERVER-ERROR]"
BRAND = "AWS-ILM"
INSTANCE = "AWS-ILM_instance_1"


def unified_yml() -> Path:
    """The laid-out pack's unified yml: AWS_ILM_UNIFIED, else build/unified/AWSILM.yml, built again (`make
    unified`) when AWS_ILM.py or AWS_ILM.yml is newer."""
    named = os.environ.get("AWS_ILM_UNIFIED")
    if named:
        return Path(named)
    sources = [ROOT / "AWS_ILM.py", ROOT / "AWS_ILM.yml"]
    if not UNIFIED.exists() or any(source.stat().st_mtime > UNIFIED.stat().st_mtime for source in sources):
        subprocess.run(["make", "-s", "unified"], cwd=ROOT, check=True)
    return UNIFIED


def unifier_stripped(code: str) -> str:
    return "\n".join(line for line in code.splitlines() if line.strip() not in UNIFIER_REMOVES
                     and not line.startswith(UNIFIER_REMOVES)) + "\n"


def platform_script(yml: Path) -> str:
    """CommonServerPython's code, CommonServerUserPython's and the integration's unified script, as one text."""
    common = unifier_stripped((ROOT / "runtime" / "CommonServerPython.py").read_text())
    integration = yaml.safe_load(yml.read_text())["script"]["script"]
    return common + "\n" + "" + "\n" + integration


@dataclass
class Execution:
    """What the server saw of one execution."""
    results: list = field(default_factory=list)       # the entries, in order
    logs: list = field(default_factory=list)          # (level, message)
    exception: str = ""                              # the loop's exception line, joined
    completed: bool = False
    hung: bool = False
    garbled: list = field(default_factory=list)
    crossed: list = field(default_factory=list)
    calls: int = 0
    seconds: float = 0.0
    next_run: float | None = None                    # the wait before the run its entry scheduled

    def entries(self) -> list:
        return list(self.results)


class IntegrationContext:
    """The instance's integration context and its version, as the server keeps it."""

    def __init__(self):
        self.context: dict = {}
        self.version = 0

    def read(self) -> dict:
        return {"context": json.loads(json.dumps(self.context)), "version": self.version}

    def write(self, value: dict, version) -> str:
        """'' when written, else the server's refusal."""
        asked = version.get("version", -1) if isinstance(version, dict) else version
        if asked not in (-1, None, self.version):
            return f"DB version mismatch: {asked} is not the current {self.version}"
        self.context, self.version = json.loads(json.dumps(value)), self.version + 1
        return ""


class LoopServer:
    """One loop process, reused execution after execution, as the platform reuses its docker container."""

    def __init__(self, yml: Path | None = None, deadline_seconds: float = 300.0):
        self.script = platform_script(yml or unified_yml())
        self.deadline_seconds = deadline_seconds
        self.context = IntegrationContext()
        self.process = None
        self.lines: queue.Queue = queue.Queue()
        self.errors: queue.Queue = queue.Queue()

    def __enter__(self):
        self.files = tempfile.mkdtemp(prefix="aws-ilm-loop-")   # the container's folder, where War Room files land
        self.process = subprocess.Popen([sys.executable, str(ROOT / "runtime" / "docker_loop.py")],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True, cwd=self.files)
        threading.Thread(target=self._read, args=(self.process.stdout, self.lines), daemon=True).start()
        threading.Thread(target=self._read, args=(self.process.stderr, self.errors), daemon=True).start()
        self._write("ping")
        pong = self.lines.get(timeout=30)
        if json.loads(pong) != {"type": "pong"}:
            raise RuntimeError(f"the loop answered the ping with {pong!r}")
        return self

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    @staticmethod
    def _read(stream, into: queue.Queue) -> None:
        for line in iter(stream.readline, ""):
            into.put(line)
        into.put(None)

    def _write(self, line: str) -> None:
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def war_room_file(self, entry: dict) -> bytes:
        """The content of a file entry the integration returned."""
        return (Path(self.files) / f"1_{entry['FileID']}").read_bytes()

    def execute(self, command: str, args: dict | None = None, params: dict | None = None, debug: bool = False,
                run_duration: float | None = None, instance: str = INSTANCE) -> Execution:
        """Run one command in the loop and serve its calls until it is completed (or the deadline passes)."""
        calling = {"IntegrationBrand": BRAND, "IntegrationInstance": instance, "IsDebug": debug,
                   "Inv": {"id": "1"}}
        if run_duration is not None:
            calling["runDuration"] = run_duration
        args = dict(args or {}, **({"debug-mode": "true"} if debug else {}))
        context = {"script": self.script, "integration": True, "native": False, "command": command, "args": args,
                   "params": params or {}, "context": calling}
        execution, started = Execution(), time.monotonic()
        self._write(json.dumps(context))
        deadline = started + self.deadline_seconds
        while True:
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                execution.hung = True
                self.process.kill()
                break
            if line is None:
                break
            try:
                call = json.loads(line)
            except ValueError:
                execution.garbled.append(line[:200])
                continue
            execution.calls += 1
            if call.get("type") == "completed":
                execution.completed = True
                break
            self._serve(call, execution)
        execution.seconds = time.monotonic() - started
        self._collect_crossed(execution)
        return execution

    def execute_polling(self, command: str, args: dict, params: dict, run_duration: float | None = None,
                        max_runs: int = 50) -> list:
        """Run a command as the platform runs a scheduled command: a new execution (fresh globals, the same
        process and instance) with the PollingArgs of each run's entry that carries PollingCommand, its NextRun
        recorded, not slept; the executions, in order."""
        executions: list = []
        while len(executions) < max_runs:
            execution = self.execute(command, args, params, run_duration=run_duration)
            executions.append(execution)
            follow = next((entry for entry in execution.results if entry.get("PollingCommand")), None)
            if not follow:
                break
            execution.next_run = float(follow["NextRun"])
            command, args = follow["PollingCommand"], dict(follow.get("PollingArgs") or {})
        return executions

    def _collect_crossed(self, execution: Execution) -> None:
        time.sleep(0.05)
        while True:
            try:
                line = self.errors.get_nowait()
            except queue.Empty:
                return
            if line and line.startswith('{"crossed"'):
                execution.crossed.append(json.loads(line)["crossed"])

    def _serve(self, call: dict, execution: Execution) -> None:
        """Keep what the call tells, and answer it when it asks."""
        kind, command, args = call.get("type"), call.get("command"), call.get("args") or {}
        if kind == "result":
            execution.results.extend(call.get("results") or [])
        elif kind == "entryLog":
            execution.logs.append(("log", args.get("message", "")))
        elif kind == "exception":
            execution.exception = "".join(args.get("exception") or [])
        elif kind == "log":
            execution.logs.append((command, " ".join(str(part) for part in args.get("args") or [])))
            self._write(json.dumps({"logged": True}))
        elif kind == "demistoVersion":
            import xsoar_server
            self._write(json.dumps(dict(xsoar_server.SERVER_VERSION)))
        elif command == "mapObject":
            import xsoar_server
            self._write(json.dumps(xsoar_server.map_object(args["source"], args["mapper"], args["mapperType"])))
        elif command == "getIntegrationContext":
            self._write(json.dumps(self.context.read()))
        elif command == "setIntegrationContext":
            refused = self.context.write(args.get("value") or {}, args.get("version"))
            self._write(f"{SERVER_ERROR_MARKER}{refused}" if refused else json.dumps(None))
        else:
            self._write(f"{SERVER_ERROR_MARKER}the stand-in server does not answer {kind} {command}")
