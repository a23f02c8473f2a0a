"""The integration's side of the platform's request/reply channel, as a real XSOAR/XSIAM container runs a command
(tests only, never shipped): the `demisto` object the platform injects, whose calls to the server (logging,
mapObject, the integration context, results) each write one request line to stdout and read the next reply line from
stdin, whoever it was for.

    python runtime/platform_channel.py ROOT         (started by tests/platform_channel_test.py with pipes)

The first line read from stdin is the execution's context (command, args, params, calling context, debug mode; ROOT
is the checkout whose AWS_ILM.py runs). With `"channel": "in-process"` the calls are answered in the process instead
(ServerSide, the same answers the test gives over the pipes), to look at the log lines alone. Every request carries
a number; the reply the server sends back repeats the number of the request it answers, so that a caller that reads
a reply meant for another call notices: it writes `{"crossed": ...}` to stderr. The object goes into sys.modules as
`demistomock` before CommonServerPython and the integration are imported, as on the platform.
"""
import itertools
import json
import sys
import time
from pathlib import Path

ROUND_TRIP_SECONDS = 0.002   # what one call on the channel takes, answered in-process


class ServerSide:
    """What the server does with each request: the log lines and entries kept, the shipped mappers applied, the
    integration context kept with its version."""

    def __init__(self):
        self.logs: list = []
        self.results: list = []
        self.context = {"context": {}, "version": 0}

    def answer(self, request: dict):
        import xsoar_server   # here: the integration's process imports it only after the platform's object is in place
        command, args = request.get("command"), request.get("args") or {}
        if request.get("type") == "log":
            self.logs.append((command, args.get("message", "")))
        elif command == "results":
            self.results.append(args.get("results"))
        elif command == "mapObject":
            return xsoar_server.map_object(args["obj"], args["mapper"], args["mapperType"])
        elif command == "demistoVersion":
            return dict(xsoar_server.SERVER_VERSION)
        elif command == "getIntegrationContextVersioned":
            return self.context
        elif command == "setIntegrationContextVersioned":
            self.context = {"context": args["context"], "version": self.context["version"] + 1}
        return None


class Demisto:
    """The platform's `demisto` object, reduced to what the integration and CommonServerPython call."""

    def __init__(self, context: dict):
        self.context = context
        self.callingContext = context["callingContext"]
        self.is_debug = bool(context.get("debug"))
        self.numbers = itertools.count(1)

    def __do(self, cmd: dict):
        number = next(self.numbers)
        sys.stdout.write(json.dumps({**cmd, "number": number}) + "\n")
        sys.stdout.flush()
        reply = json.loads(sys.stdin.readline() or "{}")
        if reply.get("number") != number:
            sys.stderr.write(json.dumps({"crossed": {"asked": cmd.get("command"), "number": number,
                                                     "got": reply.get("number")}}) + "\n")
            sys.stderr.flush()
        return reply.get("result")

    # what the execution was started with
    def params(self) -> dict:
        return self.context["params"]

    def getParam(self, name: str):
        return self.params().get(name)

    def args(self) -> dict:
        return self.context["args"]

    def command(self) -> str:
        return self.context["command"]

    # what goes over the channel
    def results(self, results) -> None:
        self.__do({"type": "result", "command": "results", "args": {"results": results}})

    def log(self, message) -> None:
        self.__do({"type": "log", "command": "log", "args": {"message": str(message)}})

    def info(self, message, *args) -> None:
        self.__do({"type": "log", "command": "info", "args": {"message": str(message)}})

    def debug(self, message, *args) -> None:
        self.__do({"type": "log", "command": "debug", "args": {"message": str(message)}})

    def error(self, message, *args) -> None:
        self.__do({"type": "log", "command": "error", "args": {"message": str(message)}})

    def mapObject(self, obj, mapper: str, mapper_type: str):
        return self.__do({"type": "executeCommand", "command": "mapObject",
                          "args": {"obj": obj, "mapper": mapper, "mapperType": mapper_type}})

    def demistoVersion(self) -> dict:
        return self.__do({"type": "executeCommand", "command": "demistoVersion", "args": {}})

    def getIntegrationContext(self) -> dict:
        return self.__do({"type": "executeCommand", "command": "getIntegrationContext", "args": {}})

    def setIntegrationContext(self, context: dict) -> None:
        self.__do({"type": "executeCommand", "command": "setIntegrationContext", "args": {"context": context}})

    def getIntegrationContextVersioned(self, refresh: bool = False) -> dict:
        return self.__do({"type": "executeCommand", "command": "getIntegrationContextVersioned", "args": {}})

    def setIntegrationContextVersioned(self, context: dict, version: int = -1, sync: bool = False) -> None:
        self.__do({"type": "executeCommand", "command": "setIntegrationContextVersioned",
                   "args": {"context": context, "version": version}})


class InProcessDemisto(Demisto):
    """The same object answered in this process, call by call (no channel to cross): to look at the log lines
    alone. The server's side is printed to stdout as one JSON line when the execution ends."""

    def __init__(self, context: dict):
        super().__init__(context)
        self.server = ServerSide()

    def _Demisto__do(self, cmd: dict):
        time.sleep(ROUND_TRIP_SECONDS)   # a call waits for the server's answer, as over the channel
        if cmd.get("type") == "done":
            print(json.dumps({"logs": self.server.logs, "results": self.server.results}, default=str))  # noqa: T201
            return None
        return self.server.answer(cmd)


def run() -> None:
    root = Path(sys.argv[1]).resolve()
    context = json.loads(sys.stdin.readline())
    sys.path[:0] = [str(root / "runtime"), str(root)]
    demisto = InProcessDemisto(context) if context.get("channel") == "in-process" else Demisto(context)
    sys.modules["demistomock"] = demisto   # as the platform injects it
    import AWS_ILM   # noqa: E402  (imports CommonServerPython, which reads debug mode from the object)
    try:
        AWS_ILM.main()
    except SystemExit:   # return_error ends an execution
        pass
    demisto._Demisto__do({"type": "done", "command": "done", "args": {}})


if __name__ == "__main__":
    run()
