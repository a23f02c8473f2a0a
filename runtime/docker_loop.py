"""A stand-in of the Python loop that runs integrations in XSOAR's and XSIAM's docker images (tests only, never
shipped), written from the public facts of the platform's loop: how the code reaches the interpreter, and the lines
it exchanges with the server over stdin and stdout.

    python runtime/docker_loop.py       (started by runtime/loop_server.py with pipes)

What it does, as the platform's loop does:
- answers each `ping` line with a `pong` line, until a line that is not a ping: the execution's context (JSON: the
  script's text under `script`, and `command`, `args`, `params`, `context` with the calling context);
- pastes the script's text (CommonServerPython's code, CommonServerUserPython's, then the integration as demisto-sdk
  unified it) at the end of the integration template, whose first line is `from __future__ import print_function`
  and which defines the `Demisto` class over the pipes, sets `demisto = Demisto(context)` and replaces `print`;
- compiles the whole text with `compile(text, '<string>', 'exec')` and `exec`s it with globals that hold only the
  loop's line reader, `context`, `win`, `exit` and `quit`: no `__name__` (it resolves to the builtins module's name,
  'builtins') and no `__file__`;
- reports an exception as one `{"type": "exception"}` line and the end of every execution as one
  `{"type": "completed"}` line (a SystemExit, as return_error ends a command, is no exception); then clears the
  globals (those named with one leading underscore first, so that their finalisers still find the rest) and
  waits for the next execution in the same process.

Every call of `demisto` that asks the server something writes one JSON line and reads the next line as its answer;
`results` and `log` write a line and read nothing. A reply holding the server's error marker raises ValueError (the
platform refuses a stale integration context version that way). The stand-in also tells, on stderr, when a call
read a reply of another kind than it asked for (a crossed reply: the server's answer to a log line is `{"logged":
true}`, which no other call gets).
"""
import json
import sys
import traceback

TEMPLATE = '''from __future__ import print_function
import json
import sys

SERVER_ERROR_MARKER = '[SERVER-ERROR]'


class Demisto:
    """The platform's object, as the integration template defines it: every call to the server over the pipes."""

    def __init__(self, context):
        self.callingContext = context
        self.is_debug = bool(context.get('context', {}).get('IsDebug', False))
        self._args = dict(context.get('args') or {})
        if self.is_debug:
            self._args.pop('debug-mode', '')

    # what the execution was started with
    def params(self):
        return self.callingContext.get('params', {})

    def args(self):
        return self._args

    def command(self):
        return self.callingContext.get('command', '')

    def getParam(self, name):
        return self.params().get(name)

    def integrationInstance(self):
        return self.callingContext['context']['IntegrationInstance']

    def investigation(self):
        return self.callingContext['context']['Inv']

    def uniqueFile(self):
        import uuid
        return str(uuid.uuid4())

    # what goes over the pipes
    def __write(self, cmd):
        json.dump(cmd, sys.stdout)
        sys.stdout.write('\\n')
        sys.stdout.flush()

    def __do_no_res(self, cmd):
        self.__write(cmd)

    def __do(self, cmd):
        self.__write(cmd)
        data = globals()['__read_line']()
        marker = data.find(SERVER_ERROR_MARKER)
        if marker > -1:
            raise ValueError(data[marker + len(SERVER_ERROR_MARKER):].strip())
        reply = json.loads(data)
        if (reply == {'logged': True}) != (cmd.get('type') == 'log'):
            sys.stderr.write(json.dumps({'crossed': {'asked': cmd.get('command') or cmd.get('type'),
                                                     'got': str(data)[:100]}}) + '\\n')
            sys.stderr.flush()
        return reply

    def results(self, results):
        entries = results if isinstance(results, list) else [results]
        self.__do_no_res({'type': 'result', 'results': [self.__entry(entry) for entry in entries]})

    def __entry(self, result):
        if isinstance(result, dict) and 'Contents' in result and 'ContentsFormat' in result:
            return result
        if isinstance(result, dict):
            return {'Type': 1, 'Contents': json.dumps(result), 'ContentsFormat': 'json'}
        return {'Type': 1, 'Contents': str(result), 'ContentsFormat': 'text'}

    def log(self, message):
        self.__do_no_res({'type': 'entryLog', 'args': {'message': 'Integration log: ' + str(message)}})

    def debug(self, *args):
        self.__do({'type': 'log', 'command': 'debug', 'args': {'args': list(args)}})

    def info(self, *args):
        self.__do({'type': 'log', 'command': 'info', 'args': {'args': list(args)}})

    def error(self, *args):
        self.__do({'type': 'log', 'command': 'error', 'args': {'args': list(args)}})

    def mapObject(self, sourceObject, mapper, mapperType=''):
        return self.__do({'type': 'executeCommand', 'command': 'mapObject',
                          'args': {'source': sourceObject, 'mapper': mapper, 'mapperType': mapperType}})

    def demistoVersion(self):
        return self.__do({'type': 'demistoVersion'})

    def getIntegrationContext(self):
        return self.__do({'type': 'executeCommand', 'command': 'getIntegrationContext',
                          'args': {'refresh': False}})['context']

    def setIntegrationContext(self, value):
        return self.__do({'type': 'executeCommand', 'command': 'setIntegrationContext',
                          'args': {'value': value, 'version': {'version': -1}, 'sync': False}})

    def getIntegrationContextVersioned(self, refresh=False):
        return self.__do({'type': 'executeCommand', 'command': 'getIntegrationContext', 'args': {'refresh': refresh}})

    def setIntegrationContextVersioned(self, value, version, sync=False):
        return self.__do({'type': 'executeCommand', 'command': 'setIntegrationContext',
                          'args': {'value': value, 'version': version, 'sync': sync}})


demisto = Demisto(context)

import builtins as __builtin__
from io import StringIO


def demisto_print(*args):
    output = StringIO()
    __builtin__.print(*args, file=output)
    demisto.log(output.getvalue().strip())


print = demisto_print

###THE_SCRIPT###
'''


def read_line() -> str:
    return sys.stdin.readline()


def send(line: dict) -> None:
    sys.stdout.write(json.dumps(line) + '\n')
    sys.stdout.flush()


def next_execution() -> str:
    """Answer pings until the server sends something else: the next execution's context ('' at the end)."""
    while True:
        line = read_line()
        if line != 'ping\n':
            return line
        send({'type': 'pong'})


def execute(context: dict) -> None:
    """One execution: the script pasted into the template, compiled as '<string>', run with the loop's globals."""
    script = context.pop('script')
    scope = {'__read_line': read_line, 'context': context, 'win': False, 'exit': sys.exit, 'quit': sys.exit}
    try:
        code = compile(TEMPLATE.replace('###THE_SCRIPT###', script), '<string>', 'exec')
        exec(code, scope, scope)  # noqa: S102 (the platform's way to run an integration)
    except SystemExit:
        pass
    except Exception:
        send({'type': 'exception', 'args': {'exception': traceback.format_exception(*sys.exc_info())}})
    for name in [name for name in scope if name.startswith('_') and not name.startswith('__')]:
        scope.pop(name, None)   # first the private globals, whose finalisers may still need the others
    scope.clear()


def loop() -> None:
    while True:
        line = next_execution()
        if not line:
            return
        execute(json.loads(line))
        sys.stderr.flush()
        send({'type': 'completed'})


if __name__ == '__main__':
    loop()
