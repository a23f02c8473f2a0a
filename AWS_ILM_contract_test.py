"""The yml and the code must not drift apart: every context path the commands emit is declared in
AWS_ILM.yml and every declared output is emitted; every argument the code reads is declared and
every declared argument is read. The commands run through main() over many scenarios, against the
AWS-flavoured server.
"""
import json
from collections import defaultdict
from pathlib import Path

import pytest
import xsoar_server
import yaml

import AWS_ILM
from conftest import run_on

YML = yaml.safe_load(Path("AWS_ILM.yml").read_text(encoding="utf-8"))
COMMANDS = {command["name"]: command for command in YML["script"]["commands"]}
NEW = {"email": "kim@example.com", "username": "kim@example.com", "givenname": "Kim", "surname": "Ode",
       "displayname": "Kim Ode", "department": "IT", "olduserdata": {"username": "kim.old@example.com"}}


class RecordingArgs(dict):
    """demisto.args() that remembers which arguments the integration read."""

    def __init__(self, values: dict, reads: set):
        super().__init__(values)
        self.reads = reads

    def get(self, key, default=None):
        self.reads.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self.reads.add(key)
        return super().__getitem__(key)


def declared_outputs(command: str) -> set:
    return {output["contextPath"] for output in COMMANDS[command].get("outputs") or []}


def emitted_paths(path: str, value, declared: set):
    """Paths of the emitted context: its leaves, and each declared path, below which only declared
    sub-paths are followed (the inside of `details` is AWS's business)."""
    if path in declared:
        yield path
        if not any(other.startswith(path + ".") for other in declared):
            return
    if isinstance(value, dict) and value:
        for key, inner in value.items():
            yield from emitted_paths(f"{path}.{key}", inner, declared)
    elif isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        for item in value:
            yield from emitted_paths(path, item, declared)
    elif path not in declared:
        yield path


def scenarios(server) -> list:
    """(command, args, instance overrides) covering every branch that shapes an output."""
    profile = json.dumps(NEW)
    return [
        ("test-module", {}, {}), ("get-mapping-fields", {}, {}),
        ("iam-create-user", {"user-profile": profile, "allow-enable": "false"}, {}),
        ("iam-create-user", {"user-profile": profile, "allow-enable": "true"}, {}),          # exists: update
        ("iam-get-user", {"user-profile": profile}, {}),
        ("iam-update-user", {"user-profile": json.dumps({**NEW, "title": "Lead"}), "allow-enable": "true"}, {}),
        ("iam-update-user", {"user-profile": '{"username": "new@example.com", "givenname": "N", "surname": "W"}'}, {}),
        ("iam-update-user", {"user-profile": '{"username": "ghost"}'}, {"create_if_not_exists": False}),
        ("iam-disable-user", {"user-profile": profile}, {}), ("iam-disable-user", {"user-profile": profile}, {}),
        ("iam-disable-user", {"user-profile": "ghost"}, {}), ("iam-get-user", {"user-profile": "ghost"}, {}),
        ("iam-get-user", {"user-profile": "{broken"}, {}),
        ("iam-create-group", {"scim": '{"displayName": "Ops"}'}, {}),
        ("iam-create-group", {"scim": '{"displayName": "Ops"}'}, {}),                         # 409
        ("iam-get-group", {"scim": '{"displayName": "Ops"}'}, {}), ("iam-get-group", {"scim": '{"id": "nope"}'}, {}),
        ("iam-update-group", {"scim": '{"displayName": "Ops"}', "memberIdsToAdd": "a,b", "memberIdsToDelete": "c"}, {}),
        ("iam-update-group", {"scim": "{}", "memberIdsToAdd": "a"}, {}),
        ("iam-delete-group", {"scim": '{"displayName": "Ops"}'}, {}), ("iam-delete-group", {"scim": '{"id": "x"}'}, {}),
    ]


def listing_scenarios(server) -> list:
    """Group members and listings: a group holding Kim (created by the scenarios above), pages with more to come."""
    kim = next(u["id"] for u in server.resources("User") if u["userName"] == "kim@example.com")
    new = next(u["id"] for u in server.resources("User") if u["userName"] == "new@example.com")
    run_on(server, "iam-create-group", {"scim": '{"displayName": "Team"}'})
    run_on(server, "iam-create-group", {"scim": '{"displayName": "Other team"}'})
    run_on(server, "iam-create-group", {"scim": '{"displayName": "Pair"}'})
    run_on(server, "iam-update-group", {"scim": '{"displayName": "Team"}', "memberIdsToAdd": kim})
    run_on(server, "iam-update-group", {"scim": '{"displayName": "Pair"}', "memberIdsToAdd": [kim, new]})
    return [
        ("iam-get-group", {"scim": '{"displayName": "Team"}', "includeMembers": "true"}),
        ("iam-get-group", {"scim": '{"displayName": "Pair"}', "membersLimit": "1"}),                # partial
        ("iam-get-group", {"scim": '{"displayName": "Team"}', "includeMembers": "false"}),
        ("aws-ilm-list-users", {"limit": "1"}), ("aws-ilm-list-users", {"userName": "kim@example.com"}),
        ("aws-ilm-list-users", {"externalId": "E-1"}), ("aws-ilm-list-users", {"groupId": "g", "nextToken": ""}),
        ("aws-ilm-list-groups", {"limit": "1"}), ("aws-ilm-list-groups", {"memberId": kim}),
        ("aws-ilm-list-groups", {"displayName": "Team", "externalId": "", "nextToken": ""}),
    ]


@pytest.fixture(scope="module")
def observed(_aws_server):
    """Per command: the context paths emitted and the arguments read, over every scenario."""
    _aws_server.reset()
    paths, reads = defaultdict(set), defaultdict(set)
    original_execute = xsoar_server.execute

    def record(entries: list, command: str):
        for entry in entries:
            for key, value in ((entry.get("EntryContext") or {}) if isinstance(entry, dict) else {}).items():
                paths[command] |= set(emitted_paths(key.split("(")[0], value, declared_outputs(command)))

    xsoar_server.execute = lambda main, command, params, args: original_execute(
        main, command, params, RecordingArgs(args or {}, reads[command]))
    try:
        for command, args, overrides in scenarios(_aws_server):
            record(run_on(_aws_server, command, args, **overrides), command)
        for command, args in listing_scenarios(_aws_server):
            record(run_on(_aws_server, command, args), command)
    finally:
        xsoar_server.execute = original_execute
        _aws_server.reset()
    return paths, reads


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_emitted_outputs_are_declared_and_declared_outputs_emitted(observed, command):
    paths, _ = observed
    declared = declared_outputs(command)
    assert paths[command] - declared == set(), "emitted but not declared in AWS_ILM.yml"
    assert declared - paths[command] == set(), "declared in AWS_ILM.yml but never emitted"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_read_arguments_are_declared_and_declared_arguments_read(observed, command):
    _, reads = observed
    declared = {argument["name"] for argument in COMMANDS[command].get("arguments") or []}
    assert reads[command] - declared == set(), "read by the code but not declared in AWS_ILM.yml"
    assert declared - reads[command] == set(), "declared in AWS_ILM.yml but never read"


def test_the_yml_covers_the_commands_the_code_serves():
    served = set(AWS_ILM.USER_COMMANDS) | set(AWS_ILM.GROUP_COMMANDS) | set(AWS_ILM.LIST_COMMANDS) | \
        {"get-mapping-fields"}
    assert served == set(COMMANDS)


def test_every_parameter_argument_and_output_is_described():
    """validate misses empty descriptions offline; every item a user sees must say what it is."""
    items = [(f"param {p['name']}", p.get("display")) for p in YML["configuration"]]
    for command in COMMANDS.values():
        items.append((command["name"], command.get("description")))
        items += [(f"{command['name']} {a['name']}", a.get("description")) for a in command.get("arguments") or []]
        items += [(f"{command['name']} {o['contextPath']}", o.get("description")) for o in command.get("outputs") or []]
    assert [name for name, text in items if not str(text or "").strip()] == []
    types = {o.get("type") for c in COMMANDS.values() for o in c.get("outputs") or []}
    assert types <= {"String", "string", "Number", "Boolean", "Unknown", "Date"}
