"""Run command_examples.txt against a predictable embedded server and write the examples that
`make docs` hands to demisto-sdk's README generator (in place of a live XSOAR server).

    python tools/docs_examples.py command_examples.txt build/examples.json

Output: {command: [[command line, readable output, entry context as indented JSON], ...]}.
"""
import json
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

import warroom  # noqa: F401  (puts runtime/ and scimtest/ on the path)
import xsoar_server  # noqa: E402

import AWS_ILM  # noqa: E402
from aws_scim_server import AwsScimServer  # noqa: E402

NAME = re.compile(r"\s*([\w-]+)=")


def parse_line(line: str) -> tuple:
    """`!cmd a={"json": 1} b="text" c=word` -> (cmd, {a: '{"json": 1}', b: 'text', c: 'word'}), as the XSOAR CLI
    reads it: a value starting with { or [ runs to the end of its JSON."""
    command, _, rest = line.strip().lstrip("!").partition(" ")
    args, position = {}, 0
    while (match := NAME.match(rest, position)):
        name, position = match.group(1), match.end()
        if rest[position:position + 1] in ("{", "["):
            _, end = json.JSONDecoder().raw_decode(rest, position)
            args[name], position = rest[position:end], end
        elif rest[position:position + 1] == '"':
            value, position = json.JSONDecoder().raw_decode(rest, position)
            args[name] = value
        else:
            value = rest[position:].split(" ", 1)[0]
            args[name], position = value, position + len(value)
    return command, args


def collect(lines: list) -> dict:
    examples: dict = {}
    with AwsScimServer(predictable=True) as server:
        for line in lines:
            command, args = parse_line(line)
            entry = xsoar_server.execute(AWS_ILM.main, command, server.params(), args)[0]
            context = json.dumps(readable_context(entry["EntryContext"]), indent=4)
            examples.setdefault(command, []).append([line.strip(), entry["HumanReadable"], context])
    return examples


def readable_context(context: dict) -> dict:
    """Entry context keys without their merge condition, as the War Room context shows them."""
    shown: dict = {}
    for key, value in context.items():
        path = key.split("(")[0].split(".")
        node = shown
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return shown


EXAMPLE_TIME = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)   # the time the examples' records carry, every run alike


def main(source: str, target: str) -> None:
    xsoar_server.set_instance_name("AWS-ILM_instance_1")
    AWS_ILM.utc_now = lambda: EXAMPLE_TIME
    lines = [line for line in Path(source).read_text().splitlines() if line.startswith("!")]
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    Path(target).write_text(json.dumps(collect(lines), indent=1) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:3])
