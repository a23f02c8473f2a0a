"""Block Account over a faithful copy of the platform's request/reply channel, in debug mode: the integration runs
in a process of its own with the platform's `demisto` object (runtime/platform_channel.py), whose every call writes a
request line to a real pipe and reads the next reply line from another; this test is the server on the other end,
against the AWS-flavoured SCIM server on loopback. With debug mode on, CommonServerPython's debug logger sends
http.client's send: / reply: / header: lines and urllib3's log records to demisto.info, from whatever thread makes
the request.

It asserts that no call reads a reply meant for another call, that no request line is garbled, that nothing hangs,
that every user is disabled, and that no log line holds the token or a fragment of it, with the token pasted with
quotes, spaces and a line end. AWS_ILM_CHANNEL_ROOT names another checkout whose AWS_ILM.py to run (the stand-ins
stay this checkout's).
"""
import json
import os
import queue
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import bench_bulk
import pytest
from platform_channel import ServerSide

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "Zx9wQ4r7Lm2Vb8Nk3Hj6Gf1Dp5Ss0Tt7YyQq2Ww"
PASTED = f'  "{TOKEN}"  \n'   # quoted, padded, a line end: forms the integration accepts
DEADLINE_SECONDS = 90


@dataclass
class Channel:
    """What the server side saw: the log lines, the entries, the garbled request lines, the crossed replies (as
    the callers reported them), and whether the execution hung."""
    logs: list = field(default_factory=list)
    results: list = field(default_factory=list)
    garbled: list = field(default_factory=list)
    crossed: list = field(default_factory=list)
    hung: bool = False
    requests: int = 0


def lines_of(stream, into: queue.Queue) -> None:
    for line in iter(stream.readline, ""):
        into.put(line)
    into.put(None)


def run_over_the_channel(execution: dict, root: Path) -> Channel:
    """Start the integration's process and serve its channel until it is done, or until DEADLINE_SECONDS."""
    process = subprocess.Popen([sys.executable, str(ROOT / "runtime" / "platform_channel.py"), str(root)],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               cwd=ROOT)
    requests_in, errors_in = queue.Queue(), queue.Queue()
    threading.Thread(target=lines_of, args=(process.stdout, requests_in), daemon=True).start()
    threading.Thread(target=lines_of, args=(process.stderr, errors_in), daemon=True).start()
    process.stdin.write(json.dumps(execution) + "\n")
    process.stdin.flush()
    channel, server, deadline = Channel(), ServerSide(), time.monotonic() + DEADLINE_SECONDS
    while True:
        try:
            line = requests_in.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            channel.hung = True
            process.kill()
            break
        if line is None:
            break
        try:
            request = json.loads(line)
        except ValueError:
            channel.garbled.append(line[:200])
            request = {}
        channel.requests += 1
        reply = {"number": request.get("number"), "result": server.answer(request)}
        try:
            process.stdin.write(json.dumps(reply) + "\n")
            process.stdin.flush()
        except BrokenPipeError:
            break
        if request.get("type") == "done":
            break
    process.wait(timeout=10)
    while (line := errors_in.get(timeout=5)) is not None:
        if line.startswith('{"crossed"'):
            channel.crossed.append(json.loads(line)["crossed"])
    channel.logs, channel.results = server.logs, server.results
    return channel


def fragments(secret: str, size: int = 8) -> set:
    return {secret[start:start + size] for start in range(len(secret) - size + 1)}


@pytest.fixture
def tenant():
    from aws_scim_server import AwsScimServer
    with AwsScimServer(token=TOKEN) as server:
        server.hooks.latency = 0.005   # requests overlap as they would against AWS
        yield server


def block_account_in_debug_mode(tenant) -> dict:
    """Block Account of 20 users in debug mode, the token pasted with quotes and spaces: the execution's context."""
    bench_bulk.prepare(tenant, 20)
    params = {**tenant.params(), "credentials": {"identifier": tenant.tenant, "password": PASTED}}
    return {"command": "iam-disable-user", "args": {"user-profile": bench_bulk.user_names(20)}, "params": params,
            "debug": True,
            "callingContext": {"context": {"IntegrationBrand": "AWS-ILM", "IntegrationInstance": "AWS-ILM_1"}}}


def test_block_account_in_debug_mode_crosses_no_reply_and_logs_no_token(tenant):
    channel = run_over_the_channel(block_account_in_debug_mode(tenant), Path(os.environ.get("AWS_ILM_CHANNEL_ROOT",
                                                                                             ROOT)))
    assert not channel.hung, f"the execution hung after {channel.requests} requests on the channel"
    assert channel.crossed == [], f"{len(channel.crossed)} replies were read by the wrong caller"
    assert channel.garbled == [], f"{len(channel.garbled)} request lines were garbled"
    assert all(user["active"] is False for user in tenant.resources("User"))
    assert len(channel.results) == 1 and len(channel.results[0]["EntryContext"]) >= 2
    http_lines = [message for _, message in channel.logs if message.startswith(("send:", "reply:", "header:"))]
    assert len(http_lines) > 100   # debug mode really logged every request's lines
    leaked = [message for _, message in channel.logs if any(part in message for part in fragments(TOKEN))]
    assert leaked == [], f"the token reached {len(leaked)} log lines, e.g. {leaked[0][:300]}"
    assert not any(part in json.dumps(channel.results) for part in fragments(TOKEN))


def run_in_process(execution: dict, root: Path) -> dict:
    """The same execution with the platform's object answered in the integration's process (no channel to cross):
    the server's log lines and entries."""
    finished = subprocess.run([sys.executable, str(ROOT / "runtime" / "platform_channel.py"), str(root)],
                              input=json.dumps({**execution, "channel": "in-process"}) + "\n", capture_output=True,
                              text=True, cwd=ROOT, timeout=DEADLINE_SECONDS, check=True)
    return json.loads(finished.stdout.strip().splitlines()[-1])


def test_in_debug_mode_no_log_line_holds_the_token_pasted_with_quotes_and_spaces(tenant):
    server = run_in_process(block_account_in_debug_mode(tenant), Path(os.environ.get("AWS_ILM_CHANNEL_ROOT", ROOT)))
    logs = [message for _, message in server["logs"]]
    assert len([line for line in logs if line.startswith(("send:", "reply:", "header:"))]) > 100
    assert all(user["active"] is False for user in tenant.resources("User"))
    leaked = [line for line in logs if any(part in line for part in fragments(TOKEN))]
    assert leaked == [], f"the token reached {len(leaked)} log lines, e.g. {leaked[0][:300]}"
