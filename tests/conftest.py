"""Test harness of the project's suites under tests/ (requests-mock and real HTTP against the AWS-flavoured
server); AWS_ILM_test.py at the top has its own, as content's CI wants it.

`run_command()` drives the integration as the XSOAR server does (runtime/xsoar_server.py): params, args and
command, `main()`, and the entries the integration emitted. Every call also checks that the token appears in
no entry and no log line.
"""
import json

import pytest
import xsoar_server

import AWS_ILM
# One copy of the instance settings and entry readers: the unit tests' own (AWS_ILM_test.py is self-contained).
from AWS_ILM_test import API, BASE_URL, PARAMS, TENANT, TEST_DATA, TOKEN, group_output, uid, user_profile, vendor  # noqa: F401
ENTRIES_SEEN: list = []   # every entry and log line of the session, for the token scan


def load(name: str):
    return json.loads((TEST_DATA / name).read_text(encoding="utf-8"))


def run_command(command: str, args: dict | None = None, params: dict | None = None, token: str = TOKEN) -> list:
    entries = xsoar_server.execute(AWS_ILM.main, command, dict(PARAMS if params is None else params), dict(args or {}))
    logs = xsoar_server.logged()
    text = json.dumps(entries, default=str) + json.dumps(logs)
    assert token not in text, f"the token leaked from {command}"
    assert "Traceback (most recent call last)" not in json.dumps(entries, default=str)
    ENTRIES_SEEN.append(text)
    return entries


@pytest.fixture(scope="session")
def _aws_server():
    from aws_scim_server import AwsScimServer
    with AwsScimServer() as server:
        yield server


@pytest.fixture
def aws(_aws_server):
    """The AWS-flavoured SCIM server (tests/scimtest), emptied before each test, with the instance's integration
    context."""
    _aws_server.reset()
    xsoar_server.CONTEXTS.clear()
    yield _aws_server
    _aws_server.reset()
    xsoar_server.CONTEXTS.clear()


def run_on(server, command: str, args: dict | None = None, **param_overrides) -> list:
    """run_command() against the AWS-flavoured server."""
    return run_command(command, args, params=server.params(**param_overrides), token=server.token)
