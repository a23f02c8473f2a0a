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

ROOT = Path(__file__).resolve().parent.parent
YML = yaml.safe_load((ROOT / "AWS_ILM.yml").read_text(encoding="utf-8"))
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


# Group results carry these keys, always null, as the published 1.0.35 does (its documentation's examples show
# them); they are not declared, since a declared output that is always empty tells a playbook author something false.
ALWAYS_NULL_GROUP_KEYS = ("active", "username", "email", "members")
GROUP_PREFIXES = ("GetGroup", "CreateGroup", "UpdateGroup", "DeleteGroup")


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
        ("iam-enable-user", {"user-profile": profile}, {}), ("iam-enable-user", {"user-profile": profile}, {}),
        ("iam-enable-user", {"user-profile": "ghost"}, {}),
        ("iam-enable-user", {"user-profile": profile}, {"enable_user_enabled": False}),
        ("iam-create-user", {"user-profile": json.dumps({**NEW, "username": "m@example.com", "email": "m@example.com",
                                                         "manageremailaddress": "nobody@example.com"})}, {}),
        ("iam-update-user", {"user-profile": json.dumps({"username": "m@example.com",
                                                         "manageremailaddress": "nobody@example.com"})}, {}),
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
        ("aws-ilm-list-users", {"limit": "1"}), ("aws-ilm-list-users", {"user_name": "kim@example.com"}),
        ("aws-ilm-list-users", {"external_id": "E-1"}), ("aws-ilm-list-users", {"group_id": "g", "next_token": ""}),
        ("aws-ilm-list-groups", {"limit": "1"}), ("aws-ilm-list-groups", {"member_id": kim}),
        ("aws-ilm-list-groups", {"display_name": "Team", "external_id": "", "next_token": ""}),
    ] + containment_scenarios() + dry_run_scenarios()


def containment_scenarios() -> list:
    """Kim (in Team and Pair) contained, then enabled by each command that can enable a user, with and without
    restore-groups."""
    kim, profile = {"user-profile": "kim@example.com"}, json.dumps(NEW)
    return [
        ("iam-disable-user", {**kim, "remove-from-groups": "true"}),
        ("aws-ilm-list-contained-users", {"user": "kim@example.com", "limit": "5"}),
        ("iam-update-user", {"user-profile": profile, "allow-enable": "true"}),        # enabled: groups left out
        ("iam-disable-user", kim), ("iam-create-user", {"user-profile": profile}),       # a hire that enables
        ("iam-disable-user", kim), ("iam-enable-user", kim),
        ("iam-disable-user", kim), ("iam-enable-user", {**kim, "restore-groups": "true"}),
        ("iam-enable-user", {**kim, "restore-groups": "true"}),                          # nothing recorded
    ]


def dry_run_scenarios() -> list:
    dry = {"dry-run": "true"}
    return [
        ("iam-create-user", {"user-profile": json.dumps({**NEW, "username": "d@example.com", "email": "d@example.com"}),
                             **dry}),
        ("iam-update-user", {"user-profile": json.dumps({**NEW, "title": "Dry"}), **dry}),
        ("iam-disable-user", {"user-profile": "kim@example.com", "remove-from-groups": "true", **dry}),
        ("iam-enable-user", {"user-profile": "kim@example.com", "restore-groups": "true", **dry}),
        ("iam-create-group", {"scim": '{"displayName": "Dry"}', **dry}),
        ("iam-update-group", {"scim": '{"displayName": "Team"}', "memberIdsToAdd": "kim@example.com", **dry}),
        ("iam-delete-group", {"scim": '{"displayName": "Team"}', **dry}),
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
    undeclared = {path for path in paths[command] - declared if path.split(".", 1)[1] in ALWAYS_NULL_GROUP_KEYS
                  and path.split(".", 1)[0] in GROUP_PREFIXES}
    assert paths[command] - declared - undeclared == set(), "emitted but not declared in AWS_ILM.yml"
    assert declared - paths[command] == set(), "declared in AWS_ILM.yml but never emitted"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_read_arguments_are_declared_and_declared_arguments_read(observed, command):
    _, reads = observed
    declared = {argument["name"] for argument in COMMANDS[command].get("arguments") or []}
    assert reads[command] - declared == set(), "read by the code but not declared in AWS_ILM.yml"
    assert declared - reads[command] == set(), "declared in AWS_ILM.yml but never read"


def test_the_yml_covers_the_commands_the_code_serves():
    served = set(AWS_ILM.COMMANDS) | {"get-mapping-fields"}
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


# ----- an in-place update of the published pack (AWS-ILM 1.0.35) --------------------------------------------------
# Facts read from the published pack in demisto/content (Packs/AWS-ILM, read with the search tool), kept in
# .ci/published_1_0_35.json: the keys its outgoing mapper maps, and each command's flags, arguments and outputs.
PUBLISHED = json.loads((ROOT / ".ci/published_1_0_35.json").read_text(encoding="utf-8"))
PUBLISHED_OUTGOING_KEYS = {kind: set(PUBLISHED["outgoing_keys"]) for kind in ("User Profile - Create",
                                                                             "User Profile - Update")}
PUBLISHED_COMMANDS = {   # command -> (execution, {argument: (required, isArray)}, {output: type})
    name: (command["execution"], {arg: (flags["required"], flags["isArray"]) for arg, flags in
                                  command["arguments"].items()}, command["outputs"])
    for name, command in PUBLISHED["commands"].items()}
OUTGOING = json.loads(next((ROOT / "Classifiers").glob("*Outgoing*.json")).read_text(encoding="utf-8"))


@pytest.mark.parametrize("kind", sorted(PUBLISHED_OUTGOING_KEYS))
def test_the_outgoing_mapper_maps_every_key_the_published_one_maps(kind):
    assert PUBLISHED_OUTGOING_KEYS[kind] <= set(OUTGOING["mapping"][kind]["internalMapping"])
    for key in PUBLISHED_OUTGOING_KEYS[kind]:   # no JSON built from text: valid whatever the values hold
        assert not (OUTGOING["mapping"][kind]["internalMapping"][key].get("complex") or {}).get("transformers")


READ_ONLY = ("iam-get-group",)   # published as execution: true (potentially harmful), but it changes nothing


@pytest.mark.parametrize("command", sorted(PUBLISHED_COMMANDS))
def test_every_published_command_keeps_its_flags_arguments_and_outputs(command):
    execution, arguments, outputs = PUBLISHED_COMMANDS[command]
    ours = COMMANDS[command]
    reads_only = command in READ_ONLY   # the published flag was wrong: it only reads
    assert bool(ours.get("execution")) is (execution and not reads_only)
    our_arguments = {a["name"]: (bool(a.get("required")), bool(a.get("isArray"))) for a in ours.get("arguments") or []}
    assert {name: our_arguments.get(name) for name in arguments} == arguments
    assert not [a for a in ours.get("arguments") or [] if a["name"] not in arguments and a.get("required")]
    our_outputs = {o["contextPath"]: o.get("type") for o in ours.get("outputs") or []}
    assert {path: our_outputs.get(path) for path in outputs} == outputs


QUOTED = {"username": "ann.obrien@example.com", "email": "ann.obrien@example.com", "givenname": 'Ann "Annie"',
          "surname": "O'Brien \\ Jr", "streetaddress": '1 "Main" St', "city": "New \\ York", "country": "US",
          "department": 'R&D "Labs"', "employeeid": "E-1"}


def stored(server, user_name: str) -> dict:
    return next(u for u in server.resources("User") if u["userName"] == user_name)


def test_quotes_and_backslashes_reach_aws_intact_on_create_and_update(aws):
    created = run_on(aws, "iam-create-user", {"user-profile": json.dumps(QUOTED)})
    assert created[0]["EntryContext"][AWS_ILM.IAM_VENDOR_KEY]["success"] is True
    user = stored(aws, QUOTED["username"])
    assert user["name"] == {"givenName": 'Ann "Annie"', "familyName": "O'Brien \\ Jr"}
    assert user["addresses"][0]["streetAddress"] == '1 "Main" St' and user["addresses"][0]["locality"] == "New \\ York"
    assert user[AWS_ILM.ENTERPRISE_SCHEMA]["department"] == 'R&D "Labs"'
    updated = run_on(aws, "iam-update-user", {"user-profile": {**QUOTED, "surname": 'Line "Two" \\', "city": 'Q"'}})
    assert updated[0]["EntryContext"][AWS_ILM.IAM_VENDOR_KEY]["success"] is True
    user = stored(aws, QUOTED["username"])
    assert user["name"]["familyName"] == 'Line "Two" \\' and user["addresses"][0]["locality"] == 'Q"'
    assert user["addresses"][0]["streetAddress"] == '1 "Main" St'


def test_the_published_whole_object_keys_pass_values_through_intact(aws):
    """A script's profile may carry the SCIM objects the published mapper built (name, addresses, the SCIM 1.0
    enterprise URN): the shipped mapper passes them through, quotes and backslashes included (a newline is a
    control character, which AWS refuses: checked before the write)."""
    profile = {"username": "zoe@example.com", "email": "zoe@example.com",
               "name": {"givenName": 'Zoë "Z"', "familyName": "Line \\ Break"},
               "addresses": [{"locality": 'Quote " City', "country": "US", "type": "work"}],
               "urn:scim:schemas:extension:enterprise:1.0": {"department": 'Dept "1" \\', "countryCode": "1"}}
    for command in ("iam-create-user", "iam-update-user"):
        entries = run_on(aws, command, {"user-profile": json.dumps(profile)})
        assert entries[0]["EntryContext"][AWS_ILM.IAM_VENDOR_KEY]["success"] is True
        user = stored(aws, "zoe@example.com")
        assert user["name"] == profile["name"] and user["addresses"][0]["locality"] == profile["addresses"][0]["locality"]
        assert user[AWS_ILM.ENTERPRISE_SCHEMA]["department"] == 'Dept "1" \\'
        profile["name"]["familyName"] = 'Second "pass"'   # the update then changes both
        profile["addresses"][0]["locality"] = "Other \\ City"
