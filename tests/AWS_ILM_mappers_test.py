"""An administrator's own outgoing mapper meets AWS's schema, end to end through main() against the AWS-flavoured
server (which refuses what AWS refuses: unsupported attributes, a second role, `display`, a manager's displayName,
userName and active in one PATCH). One test for each way an admin's mapper went wrong: what is sent, what the
result says, and the server's state afterwards.
"""
import json

import pytest
import xsoar_server
from xsoar_server import Context, flat

import AWS_ILM
from conftest import run_on

ENTERPRISE = AWS_ILM.ENTERPRISE_SCHEMA
BASE = {"userName": "username", "name.givenName": "givenname", "name.familyName": "surname",
        "emails": "email", "externalId": "employeeid", "title": "title"}
JANE = {"username": "jane@example.com", "email": "jane@example.com", "givenname": "Jane", "surname": "Doe",
        "employeeid": "E-1", "title": "Analyst"}


def mapper(**extra: str) -> dict:
    """An admin's outgoing mapper: the usual fields and `extra` (target -> profile field), for create and update."""
    fields = {target: {"simple": source, "complex": None} for target, source in {**BASE, **extra}.items()}
    return {"name": "User Profile - Admin (Outgoing)", "type": "mapping-outgoing",
            "mapping": {kind: {"internalMapping": fields} for kind in ("User Profile - Create", "User Profile - Update")}}


def run_with(server, definition: dict, command: str, profile: dict, **args) -> dict:
    with xsoar_server.custom_mapper(definition) as name:
        entries = run_on(server, command, {"user-profile": json.dumps(profile), **args}, mapper_out=name)
    return flat(entries)[0]


def stored(server, user_name: str = "jane@example.com") -> dict | None:
    return next((u for u in server.resources("User") if u["userName"] == user_name), None)


def writes(server) -> list:
    return [r for r in server.hooks.requests if r.method != "GET"]


# ----- unsupported attributes are left out and named ------------------------------------------------------------
UNSUPPORTED = {"photos": "photo", "ims": "chat", "entitlements": "entitlement", "x509Certificates": "certificate"}


def test_a_hire_with_attributes_aws_does_not_support_goes_on_without_them(aws):
    definition = mapper(**UNSUPPORTED, roles="roles")
    profile = {**JANE, "photo": "https://x/p.png", "chat": "jane#chat", "entitlement": "admin", "certificate": "MII",
               "roles": json.dumps([{"value": "lead", "primary": True, "display": "Lead"}, {"value": "dev"}])}
    entry = run_with(aws, definition, "iam-create-user", profile)
    result = entry["Contents"]
    assert (result["success"], result["action"]) == (True, "create")
    for attribute in UNSUPPORTED:
        assert attribute in result["notes"]
    assert 'roles "dev" (AWS keeps one role)' in result["notes"] and "roles.display" in result["notes"]
    held = stored(aws)
    assert not set(UNSUPPORTED) & set(held) and held["roles"] == [{"value": "lead", "primary": True}]
    post = writes(aws)[0].json()
    assert not set(UNSUPPORTED) & set(post) and post["roles"] == [{"value": "lead", "primary": True}]


def test_an_update_with_attributes_aws_does_not_support_changes_the_rest(aws):
    run_on(aws, "iam-create-user", {"user-profile": json.dumps(JANE)})
    entry = run_with(aws, mapper(**UNSUPPORTED), "iam-update-user", {**JANE, "title": "Lead", "photo": "p.png"})
    assert entry["Contents"]["success"] is True and "photos" in entry["Contents"]["notes"]
    assert stored(aws)["title"] == "Lead" and "photos" not in stored(aws)


# ----- the manager never blocks -----------------------------------------------------------------------------------
def test_a_manager_by_display_name_is_left_out_with_a_note_and_never_sent(aws):
    definition = mapper(**{f"{ENTERPRISE}.manager.displayName": "managername"})
    entry = run_with(aws, definition, "iam-create-user", {**JANE, "managername": "Boss Person"})
    assert entry["Contents"]["success"] is True and "Boss Person" in entry["Contents"]["notes"]
    assert "display name" in entry["Contents"]["notes"] and f"{ENTERPRISE}.manager.value" in entry["Contents"]["notes"]
    assert "manager" not in json.dumps(writes(aws)[0].json())
    update = run_with(aws, definition, "iam-update-user", {**JANE, "title": "Lead", "managername": "Boss Person"})
    assert update["Contents"]["success"] is True and stored(aws)["title"] == "Lead"


@pytest.mark.parametrize("given", ["e-mail", "user name", "id", "display name equal to a user name"])
def test_a_manager_given_by_email_user_name_id_is_sent_as_the_managers_id(aws, given):
    boss = flat(run_on(aws, "iam-create-user", {"user-profile": json.dumps(
        {**JANE, "username": "boss", "email": "boss@example.com", "employeeid": "E-0"})}))[0]["Contents"]
    target, value = {"e-mail": ("value", "boss"), "user name": ("value", "boss"), "id": ("value", boss["id"]),
                     "display name equal to a user name": ("displayName", "boss")}[given]
    entry = run_with(aws, mapper(**{f"{ENTERPRISE}.manager.{target}": "manager"}), "iam-create-user",
                     {**JANE, "manager": value})
    assert entry["Contents"]["success"] is True and "notes" not in entry["Contents"]
    assert stored(aws)[ENTERPRISE]["manager"]["value"] == boss["id"]


def test_the_manager_comes_back_so_a_profile_read_and_written_back_changes_nothing(aws):
    run_on(aws, "iam-create-user", {"user-profile": json.dumps(
        {**JANE, "username": "boss@example.com", "email": "boss@example.com", "employeeid": "E-0"})})
    run_on(aws, "iam-create-user", {"user-profile": json.dumps({**JANE, "manageremailaddress": "boss@example.com"})})
    entries = run_on(aws, "iam-get-user", {"user-profile": json.dumps({"username": "jane@example.com"})})
    read = Context().add(entries).get("IAM.UserProfile")
    assert read["Manager Email Address"] == "boss@example.com"
    written_back = {field.lower().replace(" ", ""): value for field, value in read.items()}   # the CLI names
    before = stored(aws)
    with aws.hooks.lock:
        aws.hooks.requests.clear()
    result = flat(run_on(aws, "iam-update-user", {"user-profile": json.dumps(written_back)}))[0]["Contents"]
    assert result["success"] is True and writes(aws) == [] and stored(aws) == before


# ----- a mapped active is honoured within the checkboxes ----------------------------------------------------------
def test_a_mapped_active_false_creates_the_user_disabled(aws):
    entry = run_with(aws, mapper(active="enabled"), "iam-create-user", {**JANE, "enabled": "false"})
    assert entry["Contents"]["active"] is False and "Created disabled" in entry["Contents"]["notes"]
    assert stored(aws)["active"] is False


@pytest.mark.parametrize("disabling_allowed", [True, False])
def test_a_mapped_active_false_on_update_disables_when_allowed(aws, disabling_allowed):
    run_on(aws, "iam-create-user", {"user-profile": json.dumps(JANE)})
    with xsoar_server.custom_mapper(mapper(active="enabled")) as name:
        result = flat(run_on(aws, "iam-update-user", {"user-profile": json.dumps({**JANE, "enabled": False})},
                             mapper_out=name, disable_user_enabled=disabling_allowed))[0]["Contents"]
    assert result["success"] is True and stored(aws)["active"] is (not disabling_allowed)
    assert ("Disabled: the profile maps active false." if disabling_allowed else
            '"Allow disabling users" is cleared') in result["notes"]


def test_a_mapped_active_true_enables_only_within_allow_enable(aws):
    run_on(aws, "iam-create-user", {"user-profile": json.dumps(JANE), "allow-enable": "false"})
    refused = run_with(aws, mapper(active="enabled"), "iam-update-user", {**JANE, "enabled": "true"},
                       **{"allow-enable": "false"})
    assert stored(aws)["active"] is False and "Not enabled" in refused["Contents"]["notes"]
    enabled = run_with(aws, mapper(active="enabled"), "iam-update-user", {**JANE, "enabled": "true"})
    assert stored(aws)["active"] is True and "Enabled" in enabled["Contents"]["notes"]


# ----- wrong shapes are a 400 naming the attribute, before any request -------------------------------------------
@pytest.mark.parametrize("target, value, named", [
    (ENTERPRISE, "IT", f'"{ENTERPRISE}" must be an object'),
    (f"{ENTERPRISE}.manager", ["a@example.com", "b@example.com"], f'"{ENTERPRISE}.manager" must be'),
    ("title", {"text": "Lead"}, '"title" must be text'),
    ("active", "maybe", '"active" must be true or false'),
])
def test_a_value_of_the_wrong_shape_is_refused_before_any_request(aws, target, value, named):
    with aws.hooks.lock:
        aws.hooks.requests.clear()
    for command in ("iam-create-user", "iam-update-user"):
        result = run_with(aws, mapper(**{target: "odd"}), command, {**JANE, "odd": value})["Contents"]
        assert (result["success"], result["errorCode"]) == (False, 400) and named in result["errorMessage"], result
        assert result["details"]["userName"] == "jane@example.com"   # the profile as mapped
    assert aws.hooks.requests == []


def test_an_address_mapped_from_one_text_is_its_formatted_address(aws):
    entry = run_with(aws, mapper(addresses="address"), "iam-create-user", {**JANE, "address": "1 Main St, Boston"})
    assert entry["Contents"]["success"] is True
    assert stored(aws)["addresses"] == [{"formatted": "1 Main St, Boston", "type": "work", "primary": True}]


# ----- conflicts, a rename that enables, externalId with ':' ------------------------------------------------------
def test_an_email_another_user_holds_is_named_with_the_holder(aws):
    run_on(aws, "iam-create-user", {"user-profile": json.dumps(JANE)})
    kim = flat(run_on(aws, "iam-create-user", {"user-profile": json.dumps(
        {**JANE, "username": "kim@example.com", "email": "kim@example.com", "employeeid": "E-2"})}))[0]["Contents"]
    result = flat(run_on(aws, "iam-update-user", {"user-profile": json.dumps({**JANE, "email": "kim@example.com"})})
                  )[0]["Contents"]
    assert result["errorCode"] == 409 and 'e-mail "kim@example.com"' in result["errorMessage"]
    assert kim["id"] in result["errorMessage"] and stored(aws)["emails"][0]["value"] == "jane@example.com"


def test_a_rename_that_also_enables_goes_in_two_patches(aws):
    run_on(aws, "iam-create-user", {"user-profile": json.dumps(JANE), "allow-enable": "false"})
    profile = {**JANE, "username": "jane.doe@example.com", "olduserdata": {"username": "jane@example.com"}}
    with aws.hooks.lock:
        aws.hooks.requests.clear()
    result = flat(run_on(aws, "iam-update-user", {"user-profile": json.dumps(profile), "allow-enable": "true"})
                  )[0]["Contents"]
    assert result["success"] is True and stored(aws, "jane.doe@example.com")["active"] is True
    patches = [[op["path"] for op in r.json()["Operations"]] for r in writes(aws)]
    assert patches == [["userName"], ["active"]]   # the attributes first, the enable last


def test_an_external_id_with_a_colon_is_refused_before_any_request(aws):
    result = flat(run_on(aws, "iam-create-user", {"user-profile": json.dumps({**JANE, "employeeid": "HR:1234"})})
                  )[0]["Contents"]
    assert result["errorCode"] == 400 and '"externalId" has U+003A COLON at position 3' in result["errorMessage"]
    assert aws.hooks.requests == [] or all(r.method == "GET" for r in aws.hooks.requests)
    assert stored(aws) is None


# ----- details on every result, refusals that say what to give instead ------------------------------------------
def test_skips_and_early_failures_carry_the_mapped_profile_in_details(aws):
    skipped = flat(run_on(aws, "iam-disable-user", {"user-profile": json.dumps(JANE)}))[0]["Contents"]
    assert skipped["reason"] == "User does not exist" and skipped["details"]["userName"] == "jane@example.com"
    assert "!aws-ilm-list-users user_name=" in skipped["notes"]
    failed = flat(run_on(aws, "iam-create-user", {"user-profile": json.dumps({"username": "x@example.com"})})
                  )[0]["Contents"]
    assert failed["errorCode"] == 400 and failed["details"] == {"userName": "x@example.com"}


def test_a_member_name_that_matches_nobody_says_what_to_give_and_how_to_find_it(aws):
    run_on(aws, "iam-create-group", {"scim": json.dumps({"displayName": "Team"})})
    out = flat(run_on(aws, "iam-update-group", {"scim": json.dumps({"displayName": "Team"}),
                                                "memberIdsToAdd": "John Doe"}))[0]["Contents"]
    assert out["errorCode"] == 404 and "No AWS user has the user name John Doe" in out["errorMessage"]
    assert "AWS user id" in out["errorMessage"] and "!aws-ilm-list-users user_name=" in out["errorMessage"]


# ----- get-mapping-fields lists exactly what is sent ---------------------------------------------------------------
def test_every_field_get_mapping_fields_offers_is_sent_and_nothing_else_is_offered(aws):
    fields = flat(run_on(aws, "get-mapping-fields"))[0]["User Profile"]
    assert set(fields) == set(AWS_ILM.BUILTIN_USER_FIELDS)
    boss = flat(run_on(aws, "iam-create-user", {"user-profile": json.dumps(
        {**JANE, "username": "boss@example.com", "email": "boss@example.com", "employeeid": "E-0"})}))[0]["Contents"]
    values = {field: f"v-{number}" for number, field in enumerate(fields)}
    values.update({"id": None, "active": "true", "userName": "new@example.com", "emails": "new@example.com",
                   f"{ENTERPRISE}.manager.value": "boss@example.com", "externalId": "E-9",
                   "profileUrl": "https://example.com/new", "locale": "en-US", "preferredLanguage": "en-US",
                   "timezone": "America/New_York"})
    definition = {"name": "User Profile - Everything", "type": "mapping-outgoing", "mapping": {
        kind: {"internalMapping": {field: {"simple": f"f{number}"} for number, field in enumerate(fields)}}
        for kind in ("User Profile - Create", "User Profile - Update")}}
    profile = {f"f{number}": values[field] for number, field in enumerate(fields) if values[field] is not None}
    with aws.hooks.lock:
        aws.hooks.requests.clear()
    entry = run_with(aws, definition, "iam-create-user", profile)
    assert entry["Contents"]["success"] is True and "notes" not in entry["Contents"], entry["Contents"]
    body = writes(aws)[0].json()
    for field in set(fields) - {"id"}:
        path = AWS_ILM.split_attribute_path(field)
        node = body
        for part in path:
            node = node[0] if isinstance(node, list) else node
            node = node[part]
        node = node[0]["value"] if isinstance(node, list) else node   # one of emails, phoneNumbers, roles
        expected = boss["id"] if field.endswith("manager.value") else True if field == "active" else values[field]
        assert node == expected, field
