"""Block Account in debug mode through the platform's loop (runtime/docker_loop.py: the unified script pasted after
CommonServerPython, compiled and exec'd, every call of `demisto` a request line on one pipe and a reply line on the
other), against the AWS-flavoured SCIM server on loopback. With debug mode on, CommonServerPython's debug logger sends
http.client's send: / reply: / header: lines and urllib3's log records to demisto.info, from whatever thread makes the
request.

It asserts that no call reads a reply meant for another call, that no request line is garbled, that nothing hangs,
that every user is disabled, and that no log line and no entry holds the token or a fragment of it, with the token
pasted with quotes, spaces and a line end.
"""
import json

import bench_bulk
import pytest
from loop_server import LoopServer

TOKEN = "Zx9wQ4r7Lm2Vb8Nk3Hj6Gf1Dp5Ss0Tt7YyQq2Ww"
PASTED = f'  "{TOKEN}"  \n'   # quoted, padded, a line end: forms the integration accepts


def fragments(secret: str, size: int = 8) -> set:
    return {secret[start:start + size] for start in range(len(secret) - size + 1)}


@pytest.fixture
def tenant():
    from aws_scim_server import AwsScimServer
    with AwsScimServer(token=TOKEN) as server:
        server.hooks.latency = 0.005   # requests overlap as they would against AWS
        yield server


@pytest.mark.parametrize("debug", [True, False], ids=["debug-mode", "normal"])
def test_block_account_crosses_no_reply_and_logs_no_token(tenant, debug):
    bench_bulk.prepare(tenant, 20)
    params = {**tenant.params(), "credentials": {"identifier": tenant.tenant, "password": PASTED}}
    with LoopServer() as loop:
        execution = loop.execute("iam-disable-user", {"user-profile": bench_bulk.user_names(20)}, params, debug=debug)
    assert not execution.hung, f"the execution hung after {execution.calls} calls"
    assert execution.exception == "" and execution.completed
    assert execution.crossed == [], f"{len(execution.crossed)} replies were read by the wrong caller"
    assert execution.garbled == [], f"{len(execution.garbled)} request lines were garbled"
    assert all(user["active"] is False for user in tenant.resources("User"))
    assert len(execution.results) == 1 and len(execution.results[0]["EntryContext"]) >= 2
    http_lines = [message for _, message in execution.logs if message.startswith(("send:", "reply:", "header:"))]
    assert (len(http_lines) > 100) if debug else http_lines == []   # debug mode really logged every request's lines
    leaked = [message for _, message in execution.logs if any(part in message for part in fragments(TOKEN))]
    assert leaked == [], f"the token reached {len(leaked)} log lines, e.g. {leaked[0][:300]}"
    assert not any(part in json.dumps(execution.results) for part in fragments(TOKEN))
