"""Unit tests of AWS_ILM.py (shipped as AWSILM_test.py): the client and the commands, AWS played by requests-mock.

Self-contained, as content's CI runs an integration's tests (the integration's folder alone, content's own
conftest.py, the platform's demistomock and CommonServerPython): the platform's functions are patched with
pytest-mock by the `platform` fixture below, `test_data/` is found beside this file, and nothing is written to
stdout or stderr; no state lives at module level. Each test says Given / When / Then. Sections: helpers; the
client and the user commands called as content's tests call them (throttling and Retry-After, 5xx, a lost answer,
the plan before the write, the identity rule, Block Account); then one section per command through main().
"""
import json
import ssl
import threading
import time
import types
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import demistomock as demisto
import pytest
import requests
import requests_mock as requests_mock_module
import urllib3
import yaml

import AWS_ILM

HERE = Path(__file__).resolve().parent
TEST_DATA = HERE / "test_data"
TOKEN = "tok-SECRET-Zx9wQ4r7Lm2Vb8Nk3Hj6Gf1Dp5Ss0"
TENANT = "d-9067729b3d"
BASE_URL = "https://scim.us-east-1.amazonaws.com"
API = f"{BASE_URL}/{TENANT}/scim/v2/"
PARAMS = {
    "url": BASE_URL,
    "credentials": {"identifier": TENANT, "password": TOKEN},
    "mapper_in": AWS_ILM.DEFAULT_MAPPER_IN,
    "mapper_out": AWS_ILM.DEFAULT_MAPPER_OUT,
}
# What the pack's mappers do with the fields these tests use (the platform applies them; content's test
# demistomock maps nothing, so the tests patch mapObject with this).
OUTGOING = {"userName": "username", "name.givenName": "givenname", "name.familyName": "surname",
            "displayName": "displayname", "externalId": "employeeid", "title": "title", "userType": "employeetype",
            "emails": "email", "phoneNumbers": "mobilephone", "addresses.streetAddress": "streetaddress",
            "addresses.locality": "city", "addresses.region": "locationregion", "addresses.postalCode": "zipcode",
            "addresses.country": "country",
            f"{AWS_ILM.ENTERPRISE_SCHEMA}.employeeNumber": "employeenumber",
            f"{AWS_ILM.ENTERPRISE_SCHEMA}.department": "department",
            f"{AWS_ILM.ENTERPRISE_SCHEMA}.manager.value": "manageremailaddress"}
INCOMING = {"Username": ("userName",), "Given Name": ("name", "givenName"), "Surname": ("name", "familyName"),
            "Display Name": ("displayName",),
            "Email": ("emails", 0, "value"), "Employee ID": ("externalId",)}


def load(name: str):
    return json.loads((TEST_DATA / name).read_text(encoding="utf-8"))


def map_object(obj, mapper: str, mapper_type: str) -> dict:
    """demisto.mapObject for these tests: the pack's default mappers, by name."""
    if mapper == AWS_ILM.DEFAULT_MAPPER_OUT:
        return {target: obj[source] for target, source in OUTGOING.items() if obj.get(source) is not None}
    if mapper == AWS_ILM.DEFAULT_MAPPER_IN:
        return {target: value for target, path in INCOMING.items() if (value := dig(obj, path)) is not None}
    return obj


def dig(obj, path: tuple):
    for step in path:
        if isinstance(step, int):
            obj = obj[step] if isinstance(obj, list) and len(obj) > step else None
        else:
            obj = obj.get(step) if isinstance(obj, dict) else None
    return obj


@pytest.fixture(autouse=True)
def platform(mocker):
    """The platform's side of demistomock, patched for each test: what is emitted and logged is recorded by the
    mocks themselves, and the pack's mappers are applied. Retry pauses are recorded instead of waited, the
    integration's clock moving on by them."""
    for name in ("results", "debug", "info", "error"):
        mocker.patch.object(demisto, name)
    mocker.patch.object(demisto, "mapObject", side_effect=map_object)
    paused: list = []   # a pause lets the integration's clock move on by its length, as a real one does
    mocker.patch.object(AWS_ILM, "pause", side_effect=paused.append)
    mocker.patch.object(AWS_ILM, "time", types.SimpleNamespace(monotonic=lambda: time.monotonic() + sum(paused)))
    mocker.patch.object(demisto, "callingContext",
                        {"context": {"IntegrationBrand": "AWS-ILM", "IntegrationInstance": "AWS-ILM_instance_1"}})
    # content's test demistomock has no channel to lock (the platform's object has): content's tests patch this
    mocker.patch.object(AWS_ILM, "support_multithreading")
    stored: dict = {}   # the instance's integration context, for this test only

    def set_context(context: dict) -> None:
        stored.clear()
        stored.update(json.loads(json.dumps(context)))
    mocker.patch.object(demisto, "getIntegrationContext", side_effect=lambda: json.loads(json.dumps(stored)))
    mocker.patch.object(demisto, "setIntegrationContext", side_effect=set_context)


def run_command(command: str, args: dict | None = None, params: dict | None = None, token: str = TOKEN) -> list:
    """Run one command through main() as the server does; the entries it emitted (token and traceback free)."""
    for name in ("results", "debug", "info", "error"):
        getattr(demisto, name).reset_mock()
    with (mock.patch.object(demisto, "params", return_value=dict(PARAMS if params is None else params)),
          mock.patch.object(demisto, "args", return_value=dict(args or {})),
          mock.patch.object(demisto, "command", return_value=command)):
        try:
            AWS_ILM.main()
        except SystemExit:   # return_error ends the execution
            pass
    entries = [call.args[0] for call in demisto.results.call_args_list]
    text = json.dumps(entries, default=str) + json.dumps(logged())
    assert token not in text, f"the token leaked from {command}"
    assert "Traceback (most recent call last)" not in json.dumps(entries, default=str)
    return entries


def logged() -> list:
    """(level, message) of every log line of the last run."""
    return [(level, str(call.args[0])) for level in ("debug", "info", "error")
            for call in getattr(demisto, level).call_args_list]


def waits() -> list:
    """The retry pauses the integration asked for (recorded, not waited)."""
    return [call.args[0] for call in AWS_ILM.pause.call_args_list]


def vendor(entries: list) -> dict:
    assert len(entries) == 1, entries
    return entries[0]["EntryContext"][AWS_ILM.IAM_VENDOR_KEY]


def user_profile(entries: list) -> dict:
    return entries[0]["EntryContext"][AWS_ILM.IAM_USER_PROFILE_KEY]


def group_output(entries: list, prefix: str) -> dict:
    assert len(entries) == 1, entries
    return entries[0]["EntryContext"][f"{prefix}(val.id && val.id == obj.id)"]


requests_mock_any = requests_mock_module.ANY
USER = load("user.json")
USER_ID = USER["id"]
GROUP = load("group.json")
GROUP_ID = GROUP["id"]
NEW_HIRE = {"email": "jdoe@example.com", "username": "jdoe@example.com", "givenname": "Jane", "surname": "Doe",
            "displayname": "Jane Doe"}


def filter_of(request) -> str:
    return parse_qs(urlsplit(request.url).query).get("filter", [""])[0]


def uid(number: int) -> str:
    """An AWS user id (member ids that are not shaped like one are looked up as user names)."""
    return f"9067729b3d-{number:08x}-0000-4000-8000-000000000000"


def user_search(requests_mock, found: dict | None = None, **kwargs):
    listing = load("user_list.json") if found else load("empty_list.json")
    if found:
        listing["Resources"] = [found]
    return requests_mock.get(API + "Users", json=listing, **kwargs)


def sent_json(history, method: str) -> list:
    return [r.json() for r in history if r.method == method]


# ----- helpers -----------------------------------------------------------------------------------
@pytest.mark.parametrize("url, tenant, expected", [
    ("https://scim.us-east-1.amazonaws.com", "t-1", "https://scim.us-east-1.amazonaws.com/t-1/scim/v2/"),
    ("https://scim.us-east-1.amazonaws.com/", "t-1", "https://scim.us-east-1.amazonaws.com/t-1/scim/v2/"),
    (" https://scim.eu-west-1.amazonaws.com/t-1/scim/v2/ ", "t-1", "https://scim.eu-west-1.amazonaws.com/t-1/scim/v2/"),
    ("https://scim.eu-west-1.amazonaws.com/t-1/scim/v2", "t-1", "https://scim.eu-west-1.amazonaws.com/t-1/scim/v2/"),
    ("https://scim.eu-west-1.amazonaws.com/t-1", "t-1", "https://scim.eu-west-1.amazonaws.com/t-1/scim/v2/"),
    ("https://scim.eu-west-1.amazonaws.com/t-1/scim", "t-1", "https://scim.eu-west-1.amazonaws.com/t-1/scim/v2/"),
    ("https://scim.us-east-1.amazonaws.com/scim/v2", "t-1", "https://scim.us-east-1.amazonaws.com/t-1/scim/v2/"),
    ("https://scim.us-east-1.amazonaws.com/scim/v2/", "t-1", "https://scim.us-east-1.amazonaws.com/t-1/scim/v2/"),
    ("https://scim.us-east-1.amazonaws.com/t-1/scim/v2", "", "https://scim.us-east-1.amazonaws.com/t-1/scim/v2/"),
    ("scim.us-east-1.amazonaws.com", "t-1", "https://scim.us-east-1.amazonaws.com/t-1/scim/v2/"),
    ("http://127.0.0.1:8080", "t-1", "http://127.0.0.1:8080/t-1/scim/v2/"),
    ("http://localhost:8080/t-1/scim/v2", "", "http://localhost:8080/t-1/scim/v2/"),
    ("http://[::1]:8080", "t-1", "http://[::1]:8080/t-1/scim/v2/"),
])
def test_base_url_forms_never_double_a_segment(url, tenant, expected):
    """Given a Base URL in any of its accepted forms and a Tenant ID,
    When the SCIM root is built,
    Then it is the tenant's /scim/v2/ root, with no segment doubled."""
    assert AWS_ILM.scim_base_url(url, tenant) == expected


def test_filter_values_are_escaped():
    """Given a value holding quotes and a backslash,
    When it is quoted for an eq filter,
    Then the quotes and the backslash are escaped, so the filter cannot be widened."""
    assert AWS_ILM.filter_value('a" or userName pr "\\') == '"a\\" or userName pr \\"\\\\"'


@pytest.mark.parametrize("value", ["..", ".", ""])
def test_path_segments_cannot_climb(value):
    """Given an id that is empty or a dot segment,
    When it is made a URL path segment,
    Then it is refused."""
    with pytest.raises(AWS_ILM.InputError):
        AWS_ILM.path_segment(value)


def test_path_segments_are_encoded():
    """Given an id holding a slash,
    When it is made a URL path segment,
    Then the slash is encoded and the request stays inside its resource."""
    assert AWS_ILM.path_segment("../Groups") == "..%2FGroups"


@pytest.mark.parametrize("raw, expected", [
    ('{"username": "a"}', {"username": "a"}),
    ({"username": "a"}, {"username": "a"}),
    ("jdoe", {"username": "jdoe"}),
    (["jdoe"], {"username": "jdoe"}),
    ('"jdoe"', {"username": "jdoe"}),
    ("100234", {"username": "100234"}),
    (100234, {"username": "100234"}),
    (" 100234 ", {"username": "100234"}),
])
def test_user_profile_forms(raw, expected):
    """Given a user-profile in one of the forms callers pass,
    When it is parsed,
    Then it is the profile object (a bare name or number becomes a username)."""
    assert AWS_ILM.parse_user_profile(raw) == expected


@pytest.mark.parametrize("raw, message", [
    ("{bad json", "not valid JSON"),
    ("[1, 2]", "must be a JSON object"),
    ("{}", "empty object"),
    (None, "missing"),
    ("   ", "missing"),
    (["jdoe", "asmith"], "not a list; one user per call"),
    (True, "not true/false"),
    ({"username": "a", "custom": "x" * 3_000_000}, "characters long"),
    (json.dumps({"username": "a", "custom": "x" * 3_000_000}), "characters long"),
])
def test_user_profile_errors(raw, message):
    """Given a user-profile that cannot be used,
    When it is parsed,
    Then an InputError says what to give instead."""
    with pytest.raises(AWS_ILM.InputError, match=message):
        AWS_ILM.parse_user_profile(raw)


def test_normaliser_builds_a_valid_aws_user():
    """Given the outgoing mapper's result with dotted keys, blanks, several phone numbers, the SCIM 1.0 enterprise
    URN and text booleans,
    When it is normalised,
    Then it is a valid AWS user: nested, trimmed, one primary value each, the 2.0 extension, a real boolean; what
    AWS does not keep (the second phone number, managerflag) is named as left out."""
    mapped = {
        "userName": "jdoe", "name.givenName": "Jane", "name.familyName": "Doe", "title": "",
        "emails": "jdoe@example.com", "phoneNumbers": ["+1 555", "+1 666"], "nickName": None,
        "urn:scim:schemas:extension:enterprise:1.0": {"department": "IT", "managerflag": "true", "employeeNumber": 7},
        "urn:ietf:params:scim:schemas:extension:enterprise:2\\.0:User.costCenter": "CC1",
        "addresses.locality": "Paris", "active": "True", "manager": None,
    }
    mapping = AWS_ILM.normalise_user(mapped)
    user = mapping.user
    assert mapping.dropped == ('phoneNumbers "+1 666" (AWS keeps one phoneNumber)',
                               f"{AWS_ILM.ENTERPRISE_SCHEMA}.managerflag")
    assert mapping.problems == ()
    assert user == {
        "userName": "jdoe", "name": {"givenName": "Jane", "familyName": "Doe"},
        "emails": [{"value": "jdoe@example.com", "primary": True}],
        "phoneNumbers": [{"value": "+1 555", "primary": True}],
        AWS_ILM.ENTERPRISE_SCHEMA: {"department": "IT", "employeeNumber": "7", "costCenter": "CC1"},
        "addresses": [{"locality": "Paris", "primary": True}],
        "active": True,
    }
    assert AWS_ILM.user_body(user)["emails"] == [{"type": "work", "value": "jdoe@example.com", "primary": True}]


def test_normaliser_keeps_the_primary_of_several_values_and_parses_json_strings():
    """Given e-mails as JSON text with a primary one, and a manager as text,
    When they are normalised,
    Then the primary e-mail is kept and the manager is its value."""
    user = AWS_ILM.normalise_user({"emails": json.dumps([{"value": "a@x"}, {"value": "b@x", "primary": True}]),
                                   AWS_ILM.ENTERPRISE_SCHEMA + ".manager": "boss-id"}).user
    assert user["emails"] == [{"value": "b@x", "primary": True}]
    assert user[AWS_ILM.ENTERPRISE_SCHEMA] == {"manager": {"value": "boss-id"}}


def test_normaliser_rejects_a_non_boolean_active():
    """Given a mapped active that is neither true nor false,
    When it is normalised,
    Then it is a problem naming it, and nothing is kept."""
    mapping = AWS_ILM.normalise_user({"active": "maybe"})
    assert mapping.problems == ('"active" must be true or false, not "maybe".',)
    assert mapping.user == {}


def test_normaliser_ignores_a_non_dict_mapping():
    """Given a mapper result that is not an object,
    When it is normalised,
    Then it is an empty user."""
    assert AWS_ILM.normalise_user(["x"]) == AWS_ILM.MappedUser({})


def test_user_changes_patch_only_what_differs():
    """Given AWS's user and the wanted one, differing in a name part, the title and the department,
    When the changes are computed,
    Then there is one replace per changed attribute and none for the rest."""
    wanted = {"userName": USER["userName"], "name": {"givenName": "Janet", "familyName": "Doe"},
              "emails": [{"value": "jdoe@example.com", "type": "work", "primary": True}], "title": "CTO",
              AWS_ILM.ENTERPRISE_SCHEMA: {"department": "IT"}, "active": False}
    assert AWS_ILM.user_changes(USER, wanted) == [
        {"op": "replace", "path": "name.givenName", "value": "Janet"},
        {"op": "replace", "path": "title", "value": "CTO"},
        {"op": "replace", "path": f"{AWS_ILM.ENTERPRISE_SCHEMA}:department", "value": "IT"},
    ]


def test_apply_operations_mirrors_a_patch():
    """Given replace operations on a name part, an enterprise attribute and active,
    When they are applied to a copy of the user,
    Then the copy is what AWS would hold and the original is untouched."""
    operations = [{"op": "replace", "path": "name.givenName", "value": "Janet"},
                  {"op": "replace", "path": f"{AWS_ILM.ENTERPRISE_SCHEMA}:department", "value": "IT"},
                  {"op": "replace", "path": "active", "value": False}]
    after = AWS_ILM.apply_operations(USER, operations)
    assert after["name"] == {"familyName": "Doe", "givenName": "Janet"}
    assert after[AWS_ILM.ENTERPRISE_SCHEMA] == {"department": "IT"}
    assert after["active"] is False
    assert USER["active"] is True


@pytest.mark.parametrize("raw, expected, blanks", [
    ('["a", "b"]', ["a", "b"], 0), (["a", "a", " b "], ["a", "b"], 0), ("a, b,,c", ["a", "b", "c"], 1),
    ("", [], 0), (None, [], 0), ([{"value": "a"}], ["a"], 0), ("single", ["single"], 0), (7, ["7"], 0),
    ('"id1","id2"', ["id1", "id2"], 0), ("['id1', 'id2']", ["id1", "id2"], 0), ("'id1', \"id2\"", ["id1", "id2"], 0),
    ('["id1" ]', ["id1"], 0), (["a", "", None, " ", "b"], ["a", "b"], 3), ('["a", "", null]', ["a"], 2),
    ([{}, "a", {"value": None}], ["a"], 2),
])
def test_member_id_forms(raw, expected, blanks):
    """Given member ids in every form a playbook passes, blank items among them,
    When they are parsed,
    Then the ids come in order without repeats, and the blank items are dropped and counted."""
    assert AWS_ILM.parse_member_ids(raw, "memberIdsToAdd") == (expected, blanks)


@pytest.mark.parametrize("raw", ["[broken", '[{"x": 1}]', "[true]", "[[1]]"])
def test_member_id_errors(raw):
    """Given member ids that are not ids,
    When they are parsed,
    Then an InputError names the argument."""
    with pytest.raises(AWS_ILM.InputError, match="memberIdsToAdd"):
        AWS_ILM.parse_member_ids(raw, "memberIdsToAdd")


def test_member_batches_hold_at_most_100_changes():
    """Given 150 members to add and 100 to remove,
    When they are batched,
    Then each PATCH holds at most 100 changes, adds and removes alike."""
    batches = AWS_ILM.member_batches([f"a{i}" for i in range(150)], [f"r{i}" for i in range(100)])
    assert [sum(len(op["value"]) for op in batch) for batch in batches] == [100, 100, 50]
    assert [[op["op"] for op in batch] for batch in batches] == [["add"], ["add", "remove"], ["remove"]]
    assert all(op["path"] == "members" for batch in batches for op in batch)


# ----- the client and the user commands, called as content's tests call them -------------------------------------
def client(budget_seconds: float = AWS_ILM.COMMAND_BUDGET_SECONDS) -> AWS_ILM.Client:
    return AWS_ILM.Client(AWS_ILM.Settings.from_params(PARAMS), budget_seconds)


def aws_user(number: int, user_name: str, external_id: str, active: bool = True) -> dict:
    return {**USER, "id": uid(number), "userName": user_name, "externalId": external_id, "active": active,
            "emails": [{"value": user_name, "type": "work", "primary": True}]}


def directory(requests_mock, *users: dict):
    """AWS's ListUsers answering `userName eq` / `externalId eq` filters from `users`, and GetUser by id."""
    def listing(request, context):
        attribute, _, value = filter_of(request).partition(" eq ")
        found = [u for u in users if str(u.get(attribute)) == json.loads(value or '""')]
        return {**load("empty_list.json"), "Resources": found, "totalResults": len(found)}
    requests_mock.get(API + "Users", json=listing)
    for user in users:
        requests_mock.get(API + f"Users/{user['id']}", json=user)


def test_throttling_is_waited_out_honoring_retry_after(requests_mock):
    """Given AWS throttles a search twice, asking for 2 s and then 1 s (Retry-After),
    When the client searches,
    Then it waits exactly what AWS asked and returns the user from the third answer."""
    requests_mock.get(API + "Users", [{"status_code": 429, "headers": {"Retry-After": "2"}, "json": load("error_429.json")},
                                      {"status_code": 429, "headers": {"Retry-After": "1"}, "json": load("error_429.json")},
                                      {"json": {**load("user_list.json"), "Resources": [USER]}}])
    assert client().search("Users", "userName", "jdoe@example.com")["id"] == USER_ID
    assert waits() == [2.0, 1.0]
    assert requests_mock.call_count == 3


def test_a_retry_after_longer_than_the_time_left_fails_at_once_naming_the_wait(requests_mock):
    """Given AWS asks for an hour's wait and the command has 30 s,
    When the client searches,
    Then it fails at once with AWS's 429, naming the wait and the time left, without waiting."""
    requests_mock.get(API + "Users", status_code=429, headers={"Retry-After": "3600"}, json=load("error_429.json"))
    with pytest.raises(AWS_ILM.ScimError) as failure:
        client(budget_seconds=30).search("Users", "userName", "jdoe@example.com")
    assert failure.value.status == 429
    assert "AWS asked to wait 3600 s (Retry-After)" in failure.value.detail
    assert "more than the 30 s this command has left" in failure.value.detail
    assert waits() == []
    assert requests_mock.call_count == 1


def test_a_server_error_is_retried_five_times_then_reported(requests_mock):
    """Given AWS answers 503 to every request,
    When the client searches,
    Then it tries 6 times, each wait at most 2 s, and reports AWS's detail with the attempts."""
    requests_mock.get(API + "Users", status_code=503, json=load("error_500.json"))
    with pytest.raises(AWS_ILM.ScimError) as failure:
        client().search("Users", "userName", "jdoe@example.com")
    assert failure.value.status == 503
    assert "gave up after 6 attempts" in failure.value.detail
    assert requests_mock.call_count == 6
    assert all(0 <= wait <= AWS_ILM.SERVER_ERROR_BACKOFF_CAP for wait in waits())


def test_a_create_whose_answer_was_lost_is_sent_again_and_recognised(requests_mock):
    """Given the first POST's answer is lost (the user was created) and the resent POST gets 409,
    When iam-create-user runs,
    Then the user is found and reported as created, with no second user and no update."""
    post = requests_mock.post(API + "Users", [{"exc": requests.exceptions.ConnectionError("connection reset")},
                                              {"status_code": 409, "json": load("error_409.json")}])
    directory(requests_mock, aws_user(1, "jdoe@example.com", "701984"))
    settings = AWS_ILM.Settings.from_params(PARAMS)
    entry = AWS_ILM.create_user_command(client(), {"user-profile": json.dumps(NEW_HIRE)}, settings)
    result = entry["EntryContext"][AWS_ILM.IAM_VENDOR_KEY]
    assert (result["success"], result["action"], result["id"]) == (True, "create", uid(1))
    assert post.call_count == 2
    assert not [r for r in requests_mock.request_history if r.method == "PATCH"]


def test_a_write_whose_answer_stays_lost_says_aws_may_have_applied_it(requests_mock):
    """Given every PATCH's answer is lost,
    When iam-disable-user runs,
    Then the PATCH is sent 5 times and the result names the user, says AWS may have applied it, and reports
    `active` as unknown."""
    directory(requests_mock, aws_user(1, "jdoe@example.com", "701984"))
    patch = requests_mock.patch(API + f"Users/{uid(1)}", exc=requests.exceptions.ConnectionError("reset"))
    result = vendor(run_command("iam-disable-user", {"user-profile": "jdoe@example.com"}))
    assert patch.call_count == 1 + AWS_ILM.LOST_ANSWER_RETRIES
    assert result["errorCode"] == 502
    assert "AWS may have applied it" in result["errorMessage"]
    assert (result["id"], result["username"], result["active"]) == (uid(1), "jdoe@example.com", None)


def test_an_update_is_planned_before_anything_is_written(requests_mock):
    """Given AWS holds the user with the title Intern,
    When an update giving the title Engineer is planned,
    Then the plan is one replace of the title on that user, and nothing was written."""
    directory(requests_mock, {**USER, "title": "Intern"})
    settings = AWS_ILM.Settings.from_params(PARAMS)
    request = AWS_ILM.read_user_request({**NEW_HIRE, "title": "Engineer"}, "update", {}, settings)
    plan = AWS_ILM.plan_user_command("update", client(), request, settings)
    assert plan.user["id"] == USER_ID
    assert plan.operations == [{"op": "replace", "path": "title", "value": "Engineer"}]
    assert {r.method for r in requests_mock.request_history} == {"GET"}


def test_a_stale_olduserdata_never_touches_the_person_who_now_has_the_old_name(requests_mock):
    """Given Jane was renamed jdoe -> jsmith (employee id E1) and John was then hired as jdoe (E2),
    When a leaver's iam-disable-user for Jane still carries olduserdata jdoe,
    Then Jane is disabled and John is not touched."""
    jane, john = aws_user(1, "jsmith@example.com", "E1"), aws_user(2, "jdoe@example.com", "E2")
    directory(requests_mock, jane, john)
    patch_jane = requests_mock.patch(API + f"Users/{uid(1)}", json={**jane, "active": False})
    patch_john = requests_mock.patch(API + f"Users/{uid(2)}", json={**john, "active": False})
    profile = {"username": "jsmith@example.com", "employeeid": "E1", "olduserdata": {"username": "jdoe@example.com"}}
    result = vendor(run_command("iam-disable-user", {"user-profile": json.dumps(profile)}))
    assert (result["success"], result["id"], result["active"]) == (True, uid(1), False)
    assert patch_jane.call_count == 1
    assert patch_john.call_count == 0


def test_a_hire_onto_another_persons_name_changes_nobody(requests_mock):
    """Given AWS holds jdoe for employee E2,
    When iam-create-user hires a different person (E3) as jdoe,
    Then AWS's 409 is reported naming the holder, and nobody is updated or enabled."""
    requests_mock.post(API + "Users", status_code=409, json=load("error_409.json"))
    directory(requests_mock, aws_user(2, "jdoe@example.com", "E2", active=False))
    result = vendor(run_command("iam-create-user", {"user-profile": json.dumps({**NEW_HIRE, "employeeid": "E3"})}))
    assert result["errorCode"] == 409
    assert "belongs to another person (externalId E2" in result["errorMessage"]
    assert result["username"] == "jdoe@example.com"
    assert not [r for r in requests_mock.request_history if r.method == "PATCH"]


def test_block_account_names_each_user_whatever_happened(requests_mock):
    """Given two users in AWS, one already disabled, and a name AWS does not know,
    When Block Account disables the three at once (user names separated by commas),
    Then one result per user names each of them: disabled, already disabled, does not exist."""
    directory(requests_mock, aws_user(1, "ann@example.com", "E1"), aws_user(2, "bob@example.com", "E2", active=False))
    requests_mock.patch(API + f"Users/{uid(1)}", json={**aws_user(1, "ann@example.com", "E1"), "active": False})
    entries = run_command("iam-disable-user", {"user-profile": "ann@example.com, bob@example.com, ghost@example.com"})
    results = entries[0]["EntryContext"][AWS_ILM.IAM_VENDOR_KEY]
    assert [(r["username"], r["success"], r["reason"]) for r in results] == [
        ("ann@example.com", True, ""), ("bob@example.com", True, AWS_ILM.ALREADY_DISABLED),
        ("ghost@example.com", True, AWS_ILM.USER_NOT_FOUND)]
    assert "**0 failed, 0 not reached, 1 skipped, 1 already disabled, 1 disabled**" in entries[0]["HumanReadable"]
    AWS_ILM.support_multithreading.assert_called_once_with()   # the channel locked before the threads start


def test_in_debug_mode_several_users_are_worked_one_at_a_time(requests_mock, mocker):
    """Given debug mode, where the platform's logger collects every thread's HTTP lines in one buffer,
    When Block Account disables two users,
    Then they are worked one after the other on this thread, and no lock is needed."""
    mocker.patch.object(demisto, "is_debug", True, create=True)
    directory(requests_mock, aws_user(1, "ann@example.com", "E1"), aws_user(2, "bob@example.com", "E2"))
    threads = set()
    for number in (1, 2):
        requests_mock.patch(API + f"Users/{uid(number)}", json=lambda request, context: threads.add(
            threading.get_ident()) or {**USER, "active": False})
    entries = run_command("iam-disable-user", {"user-profile": ["ann@example.com", "bob@example.com"]})
    assert [r["success"] for r in entries[0]["EntryContext"][AWS_ILM.IAM_VENDOR_KEY]] == [True, True]
    assert threads == {threading.get_ident()}
    assert not AWS_ILM.support_multithreading.called


# ----- Block Account that contains; enable with restore-groups; the dry run ------------------------------
def memberships(requests_mock, groups_of: dict):
    """AWS's ListGroups answering `members.value eq <user id>` from {user id: [groups]}."""
    def listing(request, context):
        _, _, value = filter_of(request).partition(" eq ")
        found = groups_of.get(json.loads(value or '""'), [])
        return {**load("empty_list.json"), "Resources": found, "totalResults": len(found)}
    return requests_mock.get(API + "Groups", json=listing)


def group(number: int, name: str) -> dict:
    return {**GROUP, "id": f"g-{number}", "displayName": name}


def stored_context() -> dict:
    return demisto.getIntegrationContext()


def test_a_contained_user_is_disabled_first_then_leaves_each_group_alone(requests_mock):
    """Given jdoe is active and a member of Admins-Prod and Developers,
    When iam-disable-user runs with remove-from-groups=true,
    Then the user is disabled first, then each group gets a remove of jdoe only; the groups removed are named in the
    result and recorded in the integration context for a restore."""
    jdoe = aws_user(1, "jdoe@example.com", "E1")
    directory(requests_mock, jdoe)
    requests_mock.patch(API + f"Users/{uid(1)}", json={**jdoe, "active": False})
    memberships(requests_mock, {uid(1): [group(1, "Admins-Prod"), group(2, "Developers")]})
    patches = [requests_mock.patch(API + f"Groups/g-{n}", status_code=204) for n in (1, 2)]
    entries = run_command("iam-disable-user", {"user-profile": "jdoe@example.com", "remove-from-groups": "true"})
    sent = [(r.method, r.path) for r in requests_mock.request_history if r.method == "PATCH"]
    assert sent[0] == ("PATCH", f"/{TENANT}/scim/v2/users/{uid(1)}".lower())
    assert all(p.last_request.json()["Operations"] == [{"op": "remove", "path": "members", "value": [{"value": uid(1)}]}]
               for p in patches)
    contained = entries[0]["EntryContext"]["AWSILM.Containment(val.userId && val.userId == obj.userId)"][0]
    assert [g["displayName"] for g in contained["groupsRemoved"]] == ["Admins-Prod", "Developers"]
    assert contained["complete"] is True
    assert "Admins-Prod (g-1)" in entries[0]["HumanReadable"]
    assert [g["id"] for g in stored_context()["containedUsers"][uid(1)]["groups"]] == ["g-1", "g-2"]


def test_several_users_of_one_group_leave_it_in_one_patch(requests_mock):
    """Given three users, all members of Prod,
    When Block Account disables them with remove-from-groups=true,
    Then Prod gets one PATCH removing the three, and each user's row names Prod."""
    people = [aws_user(n, f"u{n}@example.com", f"E{n}") for n in (1, 2, 3)]
    directory(requests_mock, *people)
    for person in people:
        requests_mock.patch(API + f"Users/{person['id']}", json={**person, "active": False})
    memberships(requests_mock, {person["id"]: [group(1, "Prod")] for person in people})
    prod = requests_mock.patch(API + "Groups/g-1", status_code=204)
    entries = run_command("iam-disable-user", {"user-profile": ["u1@example.com", "u2@example.com", "u3@example.com"],
                                               "remove-from-groups": "true"})
    assert prod.call_count == 1
    assert sorted(v["value"] for v in prod.last_request.json()["Operations"][0]["value"]) == sorted(
        p["id"] for p in people)
    rows = entries[0]["EntryContext"]["AWSILM.Containment(val.userId && val.userId == obj.userId)"]
    assert [row["userName"] for row in rows] == ["u1@example.com", "u2@example.com", "u3@example.com"]
    assert "3 memberships removed from 3 users" in entries[0]["HumanReadable"]


@pytest.mark.parametrize("params, args, contained", [
    ({}, {}, False), ({"remove_from_groups": True}, {}, True), ({"remove_from_groups": True},
                                                               {"remove-from-groups": "false"}, False)])
def test_containment_is_off_unless_the_argument_or_the_instance_asks(requests_mock, params, args, contained):
    """Given jdoe in a group, When iam-disable-user runs with the instance's checkbox and the argument as given,
    Then the groups are read and changed only when asked (the argument wins), and the Deny statement is there
    either way."""
    directory(requests_mock, USER)
    requests_mock.patch(API + f"Users/{USER_ID}", json={**USER, "active": False})
    listing = memberships(requests_mock, {USER_ID: [group(1, "Prod")]})
    requests_mock.patch(API + "Groups/g-1", status_code=204)
    entries = run_command("iam-disable-user", {"user-profile": "jdoe@example.com", **args}, {**PARAMS, **params})
    assert listing.called is contained
    deny = entries[0]["EntryContext"]["AWSILM.DenyStatement"]
    assert deny["policies"][0]["document"]["Statement"][0]["Condition"] == {
        "StringEquals": {"identitystore:userId": [USER_ID]}}
    assert ("Active sessions" in entries[0]["HumanReadable"]) is contained   # the whole block when containing


def test_the_record_is_written_again_when_another_command_wrote_it_meanwhile(requests_mock, mocker):
    """Given another command records a containment between this one's read and its write (the platform refuses
    the stale version with ValueError),
    When jdoe is contained,
    Then the record is read again and written with both users."""
    other = {"containedUsers": {"other-id": {"userName": "x", "groups": [{"id": "g-9"}]}}}
    mocker.patch.object(AWS_ILM, "get_integration_context_with_version", side_effect=[({}, 4), (other, 5)])
    write = mocker.patch.object(AWS_ILM, "set_integration_context", side_effect=[ValueError("stale version"), None])
    directory(requests_mock, USER)
    requests_mock.patch(API + f"Users/{USER_ID}", json={**USER, "active": False})
    memberships(requests_mock, {USER_ID: [group(1, "Prod")]})
    requests_mock.patch(API + "Groups/g-1", status_code=204)
    run_command("iam-disable-user", {"user-profile": "jdoe@example.com", "remove-from-groups": "true"})
    (context,), kwargs = write.call_args
    assert set(context["containedUsers"]) == {"other-id", USER_ID}
    assert kwargs == {"version": 5}


def test_restore_groups_puts_the_user_back_and_names_a_group_that_is_gone(requests_mock):
    """Given jdoe was contained out of Prod and Dev, Prod has since been renamed and Dev deleted,
    When iam-enable-user runs with restore-groups=true,
    Then jdoe is enabled and added back to Prod, named as AWS names it now, Dev is named as no longer existing, and
    the record is cleared."""
    demisto.setIntegrationContext({"containedUsers": {USER_ID: {"userName": "jdoe@example.com", "groups": [
        {"id": "g-1", "displayName": "Prod"}, {"id": "g-2", "displayName": "Dev"}],
        "containedAt": datetime.now(UTC).isoformat()}}})
    directory(requests_mock, {**USER, "active": False})
    memberships(requests_mock, {USER_ID: [group(1, "Production")]})
    requests_mock.patch(API + f"Users/{USER_ID}", json=USER)
    prod = requests_mock.patch(API + "Groups/g-1", status_code=204)
    requests_mock.patch(API + "Groups/g-2", status_code=404, json=load("error_404.json"))
    entries = run_command("iam-enable-user", {"user-profile": "jdoe@example.com", "restore-groups": "true"})
    restored = entries[0]["EntryContext"]["AWSILM.Restore(val.userId && val.userId == obj.userId)"][0]
    assert prod.last_request.json()["Operations"] == [{"op": "add", "path": "members", "value": [{"value": USER_ID}]}]
    assert [g["displayName"] for g in restored["groupsRestored"]] == ["Production"]
    assert restored["groupsNotRestored"] == [{"id": "g-2", "displayName": "Dev", "reason": "the group no longer exists"}]
    assert stored_context() == {"containedUsers": {}}


def test_an_enable_without_restore_groups_names_the_groups_left_out(requests_mock):
    """Given jdoe was contained out of Prod, When iam-enable-user runs without restore-groups,
    Then jdoe is enabled, no group is changed, and the result names Prod and the argument restore-groups."""
    demisto.setIntegrationContext({"containedUsers": {USER_ID: {"userName": "jdoe@example.com", "groups": [
        {"id": "g-1", "displayName": "Prod"}]}}})
    directory(requests_mock, {**USER, "active": False})
    requests_mock.patch(API + f"Users/{USER_ID}", json=USER)
    entries = run_command("iam-enable-user", {"user-profile": "jdoe@example.com"})
    assert "Prod (g-1)" in entries[0]["HumanReadable"]
    assert "restore-groups=true" in entries[0]["HumanReadable"]
    assert not [r for r in requests_mock.request_history if "/groups" in r.path]
    assert list(stored_context()["containedUsers"]) == [USER_ID]


def test_a_dry_run_reads_as_usual_and_sends_no_write(requests_mock):
    """Given jdoe, active, in Prod,
    When iam-disable-user runs with remove-from-groups=true and dry-run=true,
    Then the user and the groups are read, nothing is written, and the result lists the two PATCHes that would
    be sent, under AWSILM.DryRun only, titled as a dry run."""
    directory(requests_mock, USER)
    memberships(requests_mock, {USER_ID: [group(1, "Prod")]})
    entries = run_command("iam-disable-user", {"user-profile": "jdoe@example.com", "remove-from-groups": "true",
                                               "dry-run": "true"})
    assert {r.method for r in requests_mock.request_history} == {"GET"}
    assert list(entries[0]["EntryContext"]) == ["AWSILM.DryRun"]
    assert stored_context() == {}
    dry = entries[0]["EntryContext"]["AWSILM.DryRun"]
    assert [(r["method"], r["path"]) for r in dry["requests"]] == [("PATCH", f"/Users/{USER_ID}"),
                                                                   ("PATCH", "/Groups/g-1")]
    assert entries[0]["HumanReadable"].startswith("### Dry run of iam-disable-user (AWS-ILM): nothing was changed")


@pytest.mark.parametrize("method, path, api", [
    ("GET", "Users/x", "GetUser"), ("GET", "Users", "ListUsers"), ("PATCH", "Users/x", "PatchUser"),
    ("POST", "Groups", "CreateGroup"), ("GET", "Groups", "ListGroups"), ("DELETE", "Groups/x", "DeleteGroup"),
    ("GET", "ServiceProviderConfig", "GetServiceProviderConfig")])
def test_each_request_is_counted_against_its_aws_api(method, path, api):
    assert AWS_ILM.scim_api(method, path) == api


def test_requests_of_one_api_start_no_faster_than_its_quota():
    """Given the pace of one command, When 30 PatchUser and 5 ListUsers start at once,
    Then a few PatchUser start at once and the others each wait their turn at 25 a second; ListUsers, another
    API, does not wait for them."""
    pace = AWS_ILM.Pace()
    waits = [pace.turn("PatchUser", AWS_ILM.WRITE_QUOTA) for _ in range(30)]
    assert waits[:int(AWS_ILM.PACE_BURST)] == [0.0] * int(AWS_ILM.PACE_BURST)
    assert waits[-1] == pytest.approx((30 - AWS_ILM.PACE_BURST) / AWS_ILM.WRITE_QUOTA, abs=0.01)
    assert [pace.turn("ListUsers", AWS_ILM.READ_QUOTA) for _ in range(5)] == [0.0] * 5


# ----- iam-get-user -----------------------------------------------------------------------------
def test_get_user_by_username(requests_mock):
    """Given AWS holds the user,
    When iam-get-user runs with the username,
    Then one eq search finds the user, and the result and the incoming profile describe it."""
    search = user_search(requests_mock, USER)
    entries = run_command("iam-get-user", {"user-profile": '{"username": "jdoe@example.com"}'})
    result = vendor(entries)
    assert filter_of(search.last_request) == 'userName eq "jdoe@example.com"'
    assert requests_mock.call_count == 1
    assert result["success"] is True
    assert result["action"] == "get"
    assert result["active"] is True
    assert result["id"] == USER_ID
    assert result["username"] == "jdoe@example.com"
    assert result["email"] == "jdoe@example.com"
    assert result["details"] == USER
    assert user_profile(entries) == {"Username": "jdoe@example.com", "Given Name": "Jane", "Surname": "Doe",
                                     "Display Name": "Jane Doe", "Email": "jdoe@example.com", "Employee ID": "701984"}
    assert entries[0]["HumanReadable"].startswith("### Get User Results (AWS-ILM)")
    assert requests_mock.last_request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_get_user_by_id_first(requests_mock):
    """Given a profile with an AWS id and a username,
    When iam-get-user runs,
    Then the user is read by id, in one request."""
    requests_mock.get(API + f"Users/{USER_ID}", json=USER)
    result = vendor(run_command("iam-get-user", {"user-profile": json.dumps({"id": USER_ID, "username": "x"})}))
    assert result["id"] == USER_ID
    assert requests_mock.call_count == 1


def test_get_user_unknown_id_falls_back_to_username(requests_mock):
    """Given an id AWS does not know and a username it does,
    When iam-get-user runs,
    Then the username finds the user."""
    requests_mock.get(API + "Users/gone", status_code=404, json=load("error_404.json"))
    user_search(requests_mock, USER)
    result = vendor(run_command("iam-get-user", {"user-profile": {"id": "gone", "username": "jdoe@example.com"}}))
    assert result["success"] is True
    assert requests_mock.call_count == 2


def test_get_user_by_external_id(requests_mock):
    """Given a profile with only the employee id,
    When iam-get-user runs,
    Then the user is searched by externalId."""
    search = user_search(requests_mock, USER)
    vendor(run_command("iam-get-user", {"user-profile": '{"employeeid": "701984"}'}))
    assert filter_of(search.last_request) == 'externalId eq "701984"'


def test_get_user_by_email_as_username(requests_mock):
    """Given a profile with only the e-mail,
    When iam-get-user runs,
    Then the e-mail is searched as the userName."""
    search = user_search(requests_mock, USER)
    vendor(run_command("iam-get-user", {"user-profile": '{"email": "jdoe@example.com"}'}))
    assert filter_of(search.last_request) == 'userName eq "jdoe@example.com"'


def test_get_user_not_found(requests_mock):
    """Given no AWS user has the name,
    When iam-get-user runs,
    Then the result is a 404 User does not exist, and the profile is kept."""
    user_search(requests_mock)
    entries = run_command("iam-get-user", {"user-profile": '{"username": "nobody"}'})
    result = vendor(entries)
    assert (result["success"], result["errorCode"], result["errorMessage"]) == (False, 404, "User does not exist")
    assert user_profile(entries) == {"username": "nobody"}


def test_get_user_bare_username(requests_mock):
    """Given a bare user name as the user-profile,
    When iam-get-user runs,
    Then the user is found by that name."""
    search = user_search(requests_mock, USER)
    assert vendor(run_command("iam-get-user", {"user-profile": "jdoe@example.com"}))["success"] is True
    assert filter_of(search.last_request) == 'userName eq "jdoe@example.com"'


def test_get_user_without_identifier_explains(requests_mock):
    """Given a profile with nothing AWS can search by,
    When iam-get-user runs,
    Then a 400 says what to map, and nothing is sent."""
    result = vendor(run_command("iam-get-user", {"user-profile": '{"title": "CTO"}'}))
    assert result["success"] is False
    assert result["errorCode"] == 400
    assert "userName, externalId or id" in result["errorMessage"]
    assert requests_mock.call_count == 0


def test_get_user_ambiguous_match(requests_mock):
    """Given two AWS users match the name,
    When iam-get-user runs,
    Then a 409 says so and asks for the id."""
    listing = load("user_list.json")
    listing["Resources"] = [USER, {**USER, "id": "other"}]
    requests_mock.get(API + "Users", json=listing)
    result = vendor(run_command("iam-get-user", {"user-profile": "jdoe"}))
    assert result["errorCode"] == 409
    assert "2 users match" in result["errorMessage"]


def test_get_user_escapes_hostile_username(requests_mock):
    """Given a username crafted to widen the filter,
    When iam-get-user runs,
    Then it is searched as one escaped value."""
    search = user_search(requests_mock)
    run_command("iam-get-user", {"user-profile": json.dumps({"username": 'a" or userName pr "'})})
    assert filter_of(search.last_request) == 'userName eq "a\\" or userName pr \\""'


# ----- iam-create-user --------------------------------------------------------------------------
def test_create_user_creates_first(requests_mock):
    """Given a new hire,
    When iam-create-user runs,
    Then one POST creates an active user and the result reports it."""
    post = requests_mock.post(API + "Users", status_code=201, json=USER)
    entries = run_command("iam-create-user", {"user-profile": json.dumps(NEW_HIRE)})
    result = vendor(entries)
    assert requests_mock.call_count == 1
    assert post.last_request.json() == {
        "userName": "jdoe@example.com", "name": {"givenName": "Jane", "familyName": "Doe"},
        "displayName": "Jane Doe", "emails": [{"value": "jdoe@example.com", "type": "work", "primary": True}],
        "active": True, "schemas": [AWS_ILM.USER_SCHEMA]}
    assert result["action"] == "create"
    assert result["success"] is True
    assert result["id"] == USER_ID
    assert user_profile(entries) == NEW_HIRE
    assert entries[0]["HumanReadable"].startswith("### Create User Results (AWS-ILM)")


def test_create_user_inactive_when_enabling_is_not_allowed(requests_mock):
    """Given allow-enable false, or the instance not allowing enabling,
    When iam-create-user runs,
    Then the user is created inactive."""
    post = requests_mock.post(API + "Users", status_code=201, json=load("user_inactive.json"))
    run_command("iam-create-user", {"user-profile": NEW_HIRE, "allow-enable": "False"})
    assert post.last_request.json()["active"] is False
    run_command("iam-create-user", {"user-profile": NEW_HIRE}, {**PARAMS, "enable_user_enabled": False})
    assert post.last_request.json()["active"] is False


def test_create_user_derives_display_name(requests_mock):
    """Given a profile without a display name,
    When iam-create-user runs,
    Then the display name is built from the names."""
    post = requests_mock.post(API + "Users", status_code=201, json=USER)
    run_command("iam-create-user", {"user-profile": {**NEW_HIRE, "displayname": ""}})
    assert post.last_request.json()["displayName"] == "Jane Doe"


def test_create_user_sends_the_enterprise_extension(requests_mock):
    """Given a profile with a department and an employee number,
    When iam-create-user runs,
    Then the POST carries the SCIM 2.0 enterprise extension and its schema."""
    post = requests_mock.post(API + "Users", status_code=201, json=USER)
    run_command("iam-create-user", {"user-profile": {**NEW_HIRE, "department": "IT", "employeenumber": 12}})
    body = post.last_request.json()
    assert body["schemas"] == [AWS_ILM.USER_SCHEMA, AWS_ILM.ENTERPRISE_SCHEMA]
    assert body[AWS_ILM.ENTERPRISE_SCHEMA] == {"employeeNumber": "12", "department": "IT"}


def test_create_user_missing_required_fields(requests_mock):
    """Given a profile without what AWS requires, for a user AWS does not hold,
    When iam-create-user runs,
    Then a 400 names what is missing and nothing is created."""
    user_search(requests_mock)
    result = vendor(run_command("iam-create-user", {"user-profile": '{"username": "x", "givenname": "X"}'}))
    assert result["success"] is False
    assert result["errorCode"] == 400
    assert "name.familyName" in result["errorMessage"]
    assert "displayName" in result["errorMessage"]
    assert not [r for r in requests_mock.request_history if r.method == "POST"]


def test_create_user_partial_profile_of_existing_user_updates(requests_mock):
    """Given a partial profile of a user AWS holds,
    When iam-create-user runs,
    Then the user is updated instead, with one PATCH."""
    user_search(requests_mock, USER)
    patch = requests_mock.patch(API + f"Users/{USER_ID}", json={**USER, "title": "CTO"})
    result = vendor(run_command("iam-create-user", {"user-profile": '{"username": "jdoe@example.com", "title": "CTO"}'}))
    assert result["action"] == "update"
    assert result["success"] is True
    assert patch.last_request.json()["Operations"] == [{"op": "replace", "path": "title", "value": "CTO"}]


def test_create_existing_user_becomes_update(requests_mock):
    """Given AWS already holds the hire, disabled,
    When iam-create-user runs,
    Then the 409 leads to an update that enables the user."""
    requests_mock.post(API + "Users", status_code=409, json=load("error_409.json"))
    user_search(requests_mock, load("user_inactive.json"))
    patch = requests_mock.patch(API + f"Users/{USER_ID}", json=USER)
    result = vendor(run_command("iam-create-user", {"user-profile": NEW_HIRE}))
    assert result["action"] == "update"
    assert result["active"] is True
    assert patch.last_request.json()["Operations"] == [{"op": "replace", "path": "active", "value": True}]


def test_create_conflict_with_someone_else(requests_mock):
    """Given AWS refuses the create and no identifier of the profile leads to a user,
    When iam-create-user runs,
    Then a 409 says another user holds the e-mail or an identifier."""
    requests_mock.post(API + "Users", status_code=409, json=load("error_409.json"))
    user_search(requests_mock)
    result = vendor(run_command("iam-create-user", {"user-profile": NEW_HIRE}))
    assert result["success"] is False
    assert result["errorCode"] == 409
    assert "another user holds the same" in result["errorMessage"]


def test_create_user_disabled(requests_mock):
    """Given the instance does not allow creating users,
    When iam-create-user runs,
    Then the result is the Command is disabled. skip, and nothing is sent."""
    result = vendor(run_command("iam-create-user", {"user-profile": NEW_HIRE}, {**PARAMS, "create_user_enabled": False}))
    assert (result["skipped"], result["reason"], result["success"]) == (True, "Command is disabled.", True)
    assert requests_mock.call_count == 0


def test_create_existing_user_when_update_disabled(requests_mock):
    """Given the hire exists and the instance does not allow updates,
    When iam-create-user runs,
    Then the update is skipped as Command is disabled.."""
    requests_mock.post(API + "Users", status_code=409, json=load("error_409.json"))
    user_search(requests_mock, USER)
    result = vendor(run_command("iam-create-user", {"user-profile": NEW_HIRE}, {**PARAMS, "update_user_enabled": "false"}))
    assert (result["action"], result["skipped"], result["reason"]) == ("update", True, "Command is disabled.")


def test_create_user_rejected_by_aws(requests_mock):
    """Given AWS refuses the new user (400),
    When iam-create-user runs,
    Then the result carries AWS's detail."""
    requests_mock.post(API + "Users", status_code=400, json=load("error_400.json"))
    result = vendor(run_command("iam-create-user", {"user-profile": NEW_HIRE}))
    assert result["errorCode"] == 400
    assert result["errorMessage"] == load("error_400.json")["detail"]


# ----- iam-update-user --------------------------------------------------------------------------
def test_update_user_patches_differences_and_enables_in_one_request(requests_mock):
    """Given a disabled user whose title changes, and allow-enable true,
    When iam-update-user runs,
    Then one PATCH changes the title and enables the user."""
    user_search(requests_mock, load("user_inactive.json"))
    patch = requests_mock.patch(API + f"Users/{USER_ID}", json={**USER, "title": "CTO"})
    entries = run_command("iam-update-user", {"user-profile": {"username": "jdoe@example.com", "title": "CTO"},
                                              "allow-enable": "true"})
    result = vendor(entries)
    assert requests_mock.call_count == 2
    assert patch.last_request.json() == {"schemas": [AWS_ILM.PATCH_SCHEMA], "Operations": [
        {"op": "replace", "path": "title", "value": "CTO"}, {"op": "replace", "path": "active", "value": True}]}
    assert result["action"] == "update"
    assert result["active"] is True
    assert result["details"]["title"] == "CTO"
    assert entries[0]["HumanReadable"].startswith("### Update User Results (AWS-ILM)")


def test_update_user_without_changes_sends_no_patch(requests_mock):
    """Given a profile equal to what AWS holds,
    When iam-update-user runs,
    Then no PATCH is sent."""
    user_search(requests_mock, USER)
    result = vendor(run_command("iam-update-user", {"user-profile": '{"username": "jdoe@example.com"}'}))
    assert result["success"] is True
    assert requests_mock.call_count == 1


def test_update_user_does_not_enable_when_not_allowed(requests_mock):
    """Given a disabled user and allow-enable false,
    When iam-update-user runs,
    Then the user stays disabled."""
    user_search(requests_mock, load("user_inactive.json"))
    result = vendor(run_command("iam-update-user", {"user-profile": "jdoe@example.com", "allow-enable": "false"}))
    assert result["active"] is False
    assert requests_mock.call_count == 1


def test_update_user_patch_answering_204(requests_mock):
    """Given AWS answers the PATCH with 204 and no body,
    When iam-update-user runs,
    Then the result shows the user as the PATCH left it."""
    user_search(requests_mock, USER)
    requests_mock.patch(API + f"Users/{USER_ID}", status_code=204)
    result = vendor(run_command("iam-update-user", {"user-profile": {"username": "jdoe@example.com", "surname": "Roe"}}))
    assert result["details"]["name"] == {"familyName": "Roe", "givenName": "Jane"}


def test_update_user_renamed_through_olduserdata(requests_mock):
    """Given a rename whose previous name is in olduserdata,
    When iam-update-user runs,
    Then the user found by the old name gets the new one."""
    def lookup(request, context):
        return load("user_list.json") if 'jdoe@example.com"' in filter_of(request) else load("empty_list.json")
    requests_mock.get(API + "Users", json=lookup)
    patch = requests_mock.patch(API + f"Users/{USER_ID}", json={**USER, "userName": "jane@example.com"})
    profile = {"username": "jane@example.com", "olduserdata": json.dumps({"username": "jdoe@example.com"})}
    result = vendor(run_command("iam-update-user", {"user-profile": profile}))
    assert result["username"] == "jane@example.com"
    assert patch.last_request.json()["Operations"] == [{"op": "replace", "path": "userName",
                                                        "value": "jane@example.com"}]


def test_update_missing_user_creates_it(requests_mock):
    """Given a user AWS does not hold and create-if-not-exists on,
    When iam-update-user runs,
    Then the user is created."""
    user_search(requests_mock)
    requests_mock.post(API + "Users", status_code=201, json=USER)
    result = vendor(run_command("iam-update-user", {"user-profile": NEW_HIRE}))
    assert result["action"] == "create"
    assert result["success"] is True


def test_update_missing_user_skipped_when_create_if_not_exists_is_off(requests_mock):
    """Given a user AWS does not hold and create-if-not-exists off,
    When iam-update-user runs,
    Then the result is the User does not exist skip."""
    user_search(requests_mock)
    result = vendor(run_command("iam-update-user", {"user-profile": NEW_HIRE}, {**PARAMS, "create_if_not_exists": False}))
    assert (result["skipped"], result["reason"]) == (True, "User does not exist")


def test_update_user_disabled(requests_mock):
    """Given the instance does not allow updates,
    When iam-update-user runs,
    Then the result is the Command is disabled. skip, and nothing is sent."""
    result = vendor(run_command("iam-update-user", {"user-profile": NEW_HIRE}, {**PARAMS, "update_user_enabled": False}))
    assert result["reason"] == "Command is disabled."
    assert requests_mock.call_count == 0


def test_update_user_bad_allow_enable(requests_mock):
    """Given allow-enable that is not true or false,
    When iam-update-user runs,
    Then a 400 names the argument."""
    user_search(requests_mock, load("user_inactive.json"))
    result = vendor(run_command("iam-update-user", {"user-profile": "jdoe", "allow-enable": "perhaps"}))
    assert result["errorCode"] == 400
    assert "allow-enable" in result["errorMessage"]


def test_update_user_bad_olduserdata(requests_mock):
    """Given olduserdata that is not JSON,
    When iam-update-user runs,
    Then a 400 names olduserdata."""
    user_search(requests_mock)
    result = vendor(run_command("iam-update-user", {"user-profile": {"username": "x", "olduserdata": "{nope"}}))
    assert result["errorCode"] == 400
    assert "olduserdata" in result["errorMessage"]


# ----- iam-disable-user -------------------------------------------------------------------------
def test_disable_user(requests_mock):
    """Given an active user,
    When iam-disable-user runs,
    Then one PATCH sets active false and the result reports the user disabled."""
    user_search(requests_mock, USER)
    patch = requests_mock.patch(API + f"Users/{USER_ID}", json=load("user_inactive.json"))
    entries = run_command("iam-disable-user", {"user-profile": '{"username": "jdoe@example.com"}'})
    result = vendor(entries)
    assert patch.last_request.json()["Operations"] == [{"op": "replace", "path": "active", "value": False}]
    assert result["action"] == "disable"
    assert result["active"] is False
    assert result["success"] is True
    assert requests_mock.call_count == 2
    assert user_profile(entries) == {"username": "jdoe@example.com"}
    assert entries[0]["HumanReadable"].startswith("### Disable User Results (AWS-ILM)")


def test_disable_user_already_disabled(requests_mock):
    """Given a user AWS already has disabled,
    When iam-disable-user runs,
    Then the result is the User is already disabled. skip with the user, after one read."""
    user_search(requests_mock, load("user_inactive.json"))
    result = vendor(run_command("iam-disable-user", {"user-profile": "jdoe@example.com"}))
    assert (result["skipped"], result["reason"], result["id"]) == (True, "User is already disabled.", USER_ID)
    assert requests_mock.call_count == 1


def test_disable_missing_user_is_a_skip(requests_mock):
    """Given a name AWS does not know,
    When iam-disable-user runs,
    Then the result is a successful User does not exist skip, shown in the skip table."""
    user_search(requests_mock)
    entries = run_command("iam-disable-user", {"user-profile": "nobody"})
    result = vendor(entries)
    assert (result["success"], result["skipped"], result["reason"]) == (True, True, "User does not exist")
    assert "| AWS-ILM |" in entries[0]["HumanReadable"]
    assert "skipped" in entries[0]["HumanReadable"]


def test_disable_user_disabled_by_param_reports_the_users_real_state(requests_mock):
    """Given "Allow disabling users" cleared, when iam-disable-user runs for an active user, then the skip says
    the user is still active (one read, no write), so a script reading `active` never records it disabled."""
    user_search(requests_mock, USER)
    entries = run_command("iam-disable-user", {"user-profile": "jdoe@example.com"},
                          {**PARAMS, "disable_user_enabled": False})
    result = vendor(entries)
    assert (result["reason"], result["skipped"], result["active"], result["id"]) == (
        "Command is disabled.", True, True, USER_ID)
    assert [r.method for r in requests_mock.request_history] == ["GET"]
    assert "Command is disabled." in entries[0]["HumanReadable"]


def test_disable_turned_off_and_the_read_failing_still_names_the_user(requests_mock):
    """Given disabling is turned off and AWS refuses the state read,
    When iam-disable-user runs,
    Then the skip names the user and leaves its state unknown."""
    requests_mock.get(API + "Users", status_code=403, json={"detail": "denied"})
    result = vendor(run_command("iam-disable-user", {"user-profile": "jdoe@example.com"},
                                {**PARAMS, "disable_user_enabled": False}))
    assert (result["skipped"], result["active"], result["username"]) == (True, None, "jdoe@example.com")


def test_disable_user_server_error_is_reported(requests_mock):
    """Given AWS answers 500 to every PATCH,
    When iam-disable-user runs,
    Then the failure carries AWS's detail and the attempts made."""
    user_search(requests_mock, USER)
    requests_mock.patch(API + f"Users/{USER_ID}", status_code=500, json=load("error_500.json"))
    result = vendor(run_command("iam-disable-user", {"user-profile": "jdoe@example.com"}))
    assert (result["success"], result["errorCode"]) == (False, 500)
    assert result["errorMessage"].startswith(load("error_500.json")["detail"] + " (gave up after 6 attempts")


# ----- AWS's attribute rules, checked before any write ------------------------------------------------
@pytest.mark.parametrize("field, value, expected", [
    ("username", "jo\u200bhn@example.com", '"userName" has U+200B ZERO WIDTH SPACE at position 3'),
    ("username", "john doe", '"userName" has U+0020 SPACE at position 5'),
    ("username", "a" * 129, '"userName" is 129 characters long'),
    ("username", "a<b@example.com", '"userName" has U+003C LESS-THAN SIGN at position 2'),
    ("username", "a%b", '"userName" has U+0025 PERCENT SIGN at position 2'),
    ("title", "t" * 1025, '"title" is 1,025 characters long'),
    ("givenname", "\u200f\u0639\u0644\u064a\u200f", '"name.givenName" has U+200F RIGHT-TO-LEFT MARK at position 1'),
    ("title", "a\x00b", '"title" has U+0000 (a control character) at position 2'),
])
def test_create_refuses_what_aws_would_refuse_and_sends_nothing(requests_mock, field, value, expected):
    """Given a profile value AWS's rules refuse, when iam-create-user runs, then a 400 names the attribute, the
    character (or the length) and AWS's rule, and no request is sent."""
    result = vendor(run_command("iam-create-user", {"user-profile": {**NEW_HIRE, field: value}}))
    assert (result["success"], result["errorCode"]) == (False, 400)
    assert expected in result["errorMessage"]
    assert "AWS allows" in result["errorMessage"]
    assert "nothing was sent" in result["errorMessage"]
    assert requests_mock.call_count == 0


def test_update_refuses_a_control_character_before_the_patch(requests_mock):
    """Given a title holding a control character,
    When iam-update-user runs,
    Then a 400 names the attribute and the character, and no PATCH is sent."""
    user_search(requests_mock, USER)
    patch = requests_mock.patch(API + f"Users/{USER_ID}", json=USER)
    result = vendor(run_command("iam-update-user", {"user-profile": {"username": "jdoe@example.com",
                                                                     "title": "Lead\u0007"}}))
    assert result["errorCode"] == 400
    assert '"title" has U+0007' in result["errorMessage"]
    assert patch.call_count == 0
    assert result["username"] == "jdoe@example.com"


def test_letters_marks_and_punctuation_of_any_script_pass():
    """Given user names and texts in several scripts, and a text of 1,024 characters,
    When AWS's text rules are checked,
    Then nothing is refused."""
    for path, text in (("userName", "zoë.o'brien-李@example.com"), ("name.givenName", "Zoë Ann"), ("title", "a" * 1024)):
        assert AWS_ILM.text_problems(path, text) == []


# ----- iam-enable-user --------------------------------------------------------------------------
def test_enable_user_enables_a_disabled_user_in_one_patch(requests_mock):
    """Given a disabled user, when iam-enable-user runs, then one PATCH sets active true and the result says so."""
    user_search(requests_mock, load("user_inactive.json"))
    patch = requests_mock.patch(API + f"Users/{USER_ID}", json=USER)
    entries = run_command("iam-enable-user", {"user-profile": '{"username": "jdoe@example.com"}'})
    result = vendor(entries)
    assert patch.last_request.json()["Operations"] == [{"op": "replace", "path": "active", "value": True}]
    assert (result["action"], result["active"], result["success"], result["id"]) == ("enable", True, True, USER_ID)
    assert requests_mock.call_count == 2
    assert entries[0]["HumanReadable"].startswith("### Enable User Results (AWS-ILM)")


@pytest.mark.parametrize("found, reason", [(USER, "User is already enabled."), (None, "User does not exist")])
def test_enable_user_skips(requests_mock, found, reason):
    """Given a user AWS has active, or no such user,
    When iam-enable-user runs,
    Then the result is the matching skip, after one read."""
    user_search(requests_mock, found)
    result = vendor(run_command("iam-enable-user", {"user-profile": "jdoe@example.com"}))
    assert (result["skipped"], result["reason"], result["username"]) == (True, reason, "jdoe@example.com")
    assert [r.method for r in requests_mock.request_history] == ["GET"]


def test_enable_user_turned_off_reports_the_state(requests_mock):
    """Given enabling is turned off and the user is disabled,
    When iam-enable-user runs,
    Then the Command is disabled. skip carries the user's state."""
    user_search(requests_mock, load("user_inactive.json"))
    result = vendor(run_command("iam-enable-user", {"user-profile": "jdoe@example.com"},
                                {**PARAMS, "enable_user_enabled": "false"}))
    assert (result["reason"], result["active"]) == ("Command is disabled.", False)
    assert [r.method for r in requests_mock.request_history] == ["GET"]


# ----- every result names its user ------------------------------------------------------------------
@pytest.mark.parametrize("profile, username, email", [
    ({"username": " jdoe@example.com ", "email": " JDoe@example.com "}, "jdoe@example.com", "JDoe@example.com"),
    ({"login": "jdoe"}, "jdoe", None), ({"email": "jdoe@example.com"}, None, "jdoe@example.com"),
])
def test_a_failure_names_the_profiles_user(requests_mock, profile, username, email):
    """Given AWS refusing (403), when a user command fails, then the result still names the user, trimmed."""
    requests_mock.get(API + "Users", status_code=403, json={"detail": "denied"})
    result = vendor(run_command("iam-get-user", {"user-profile": profile}))
    assert (result["success"], result["errorCode"], result["username"], result["email"]) == (
        False, 403, username, email)


def test_the_login_key_of_get_user_data_finds_the_user(requests_mock):
    """Given the get-user-data script's {"login": ...} with using-brand among the arguments,
    When iam-get-user runs,
    Then the login is searched as the userName and the user is found."""
    search = user_search(requests_mock, USER)
    result = vendor(run_command("iam-get-user", {"user-profile": '{"login": "jdoe@example.com"}',
                                                 "using-brand": "AWS-ILM"}))
    assert result["success"] is True
    assert result["id"] == USER_ID
    assert search.last_request.qs["filter"] == ['username eq "jdoe@example.com"']


def test_blank_users_in_a_list_are_ignored_and_counted(requests_mock):
    """Given a list of users with blank items,
    When iam-disable-user runs,
    Then the blanks are ignored, and the readable output counts them."""
    user_search(requests_mock, load("user_inactive.json"))
    entries = run_command("iam-disable-user", {"user-profile": ["jdoe@example.com", "", None, "  "]})
    assert len(entries) == 1
    assert vendor(entries)["success"] is True
    assert "3 blank items of user-profile ignored" in entries[0]["HumanReadable"]


# ----- group commands -----------------------------------------------------------------------------
def member_pages(requests_mock, count: int, page_size: int = 100):
    """ListUsers with `groups.value eq`: `count` members in cursor pages."""
    users = [{**USER, "id": f"u{i:03d}", "userName": f"u{i}@x.com", "displayName": f"User {i}"} for i in range(count)]

    def page(request, context):
        query = parse_qs(urlsplit(request.url).query, keep_blank_values=True)
        start = int(query["cursor"][0] or 0)
        size = min(int(query["count"][0]), page_size)
        body = {"itemsPerPage": len(users[start:start + size]), "Resources": users[start:start + size]}
        return {**body, "nextCursor": str(start + size)} if start + size < len(users) else body
    return requests_mock.get(API + "Users", json=page)


def test_get_group_by_id(requests_mock):
    """Given a group with two members,
    When iam-get-group runs with its id,
    Then the result has the group and its members, read with ListUsers."""
    requests_mock.get(API + f"Groups/{GROUP_ID}", json=GROUP)
    listing = member_pages(requests_mock, 2)
    entries = run_command("iam-get-group", {"scim": json.dumps({"id": GROUP_ID})})
    out = group_output(entries, "GetGroup")
    assert out["success"] is True
    assert out["id"] == GROUP_ID
    assert out["displayName"] == "Engineers"
    assert out["details"] == GROUP
    assert entries[0]["HumanReadable"].startswith("### AWS Get Group:")
    assert out["members"] == [{"value": "u000", "display": "User 0"}, {"value": "u001", "display": "User 1"}]
    assert filter_of(listing.last_request) == f'groups.value eq "{GROUP_ID}"'
    assert "**2 members**" in entries[0]["HumanReadable"]


@pytest.mark.parametrize("count, requests_sent, more", [(0, 1, None), (1, 1, None), (230, 3, 180)])
def test_get_group_lists_every_member_in_pages(requests_mock, count, requests_sent, more):
    """Given a group of a given size,
    When iam-get-group runs,
    Then every member is read in cursor pages of 100, and a partial list says so."""
    requests_mock.get(API + f"Groups/{GROUP_ID}", json=GROUP)
    listing = member_pages(requests_mock, count)
    entries = run_command("iam-get-group", {"scim": json.dumps({"id": GROUP_ID})})
    out = group_output(entries, "GetGroup")
    assert [m["value"] for m in out["members"]] == [f"u{i:03d}" for i in range(count)]
    assert listing.call_count == requests_sent
    assert parse_qs(urlsplit(listing.request_history[0].url).query, keep_blank_values=True)["cursor"] == [""]
    readable = entries[0]["HumanReadable"]
    assert readable.count("| u") == min(count, 50)
    assert (f"{more} more members are not shown" in readable) if more else "more members" not in readable


def test_get_group_members_fall_back_to_one_page_when_aws_refuses_a_cursor(requests_mock):
    """Given AWS refuses a filtered cursor listing,
    When iam-get-group runs,
    Then the members come from one legacy page and the list is flagged as possibly partial."""
    requests_mock.get(API + f"Groups/{GROUP_ID}", json=GROUP)
    requests_mock.get(API + "Users", [{"status_code": 400, "json": load("error_400.json")},
                                      {"json": {**load("user_list.json"), "Resources": [USER]}}])
    out = group_output(run_command("iam-get-group", {"scim": json.dumps({"id": GROUP_ID})}), "GetGroup")
    second = parse_qs(urlsplit(requests_mock.request_history[-1].url).query, keep_blank_values=True)
    assert out["members"] == [{"value": USER_ID, "display": "Jane Doe"}]
    assert "cursor" not in second


@pytest.mark.parametrize("include", ["false", False, "FALSE"])
def test_get_group_without_members_is_one_request(requests_mock, include):
    """Given includeMembers false,
    When iam-get-group runs,
    Then the group comes in one request, without members."""
    requests_mock.get(API + f"Groups/{GROUP_ID}", json=GROUP)
    out = group_output(run_command("iam-get-group", {"scim": json.dumps({"id": GROUP_ID}), "includeMembers": include}),
                       "GetGroup")
    assert out["success"] is True
    assert out["members"] is None
    assert requests_mock.call_count == 1


def test_get_group_bad_include_members(requests_mock):
    """Given includeMembers that is not true or false,
    When iam-get-group runs,
    Then a 400 names the argument."""
    out = group_output(run_command("iam-get-group", {"scim": '{"id": "g"}', "includeMembers": "maybe"}), "GetGroup")
    assert out["errorCode"] == 400
    assert "includeMembers must be true or false" in out["errorMessage"]


def test_group_tables_list_columns_as_the_published_examples_do(requests_mock):
    """Given a group,
    When iam-get-group runs,
    Then the readable table has the published columns."""
    member_pages(requests_mock, 0)
    requests_mock.get(API + "Groups/121212", json={**GROUP, "id": "121212", "displayName": "The best group"})
    table = run_command("iam-get-group", {"scim": '{"id": "121212"}'})[0]["HumanReadable"]
    assert table.splitlines()[1] == "|brand|details|displayName|id|instanceName|success|"


def test_get_group_by_name(requests_mock):
    """Given a group given by its display name,
    When iam-get-group runs,
    Then it is found with an eq search."""
    member_pages(requests_mock, 0)
    search = requests_mock.get(API + "Groups", json=load("group_list.json"))
    out = group_output(run_command("iam-get-group", {"scim": '{"displayName": "Engineers"}'}), "GetGroup")
    assert out["id"] == GROUP_ID
    assert filter_of(search.last_request) == 'displayName eq "Engineers"'


@pytest.mark.parametrize("scim", ['{"id": "nope"}', '{"displayName": "nope"}'])
def test_get_group_not_found(requests_mock, scim):
    """Given an id or a name AWS does not know,
    When iam-get-group runs,
    Then the result is the 404 Group Not Found."""
    requests_mock.get(API + "Groups/nope", status_code=404, json=load("error_404.json"))
    requests_mock.get(API + "Groups", json=load("empty_list.json"))
    out = group_output(run_command("iam-get-group", {"scim": scim}), "GetGroup")
    assert (out["success"], out["errorCode"], out["errorMessage"]) == (False, 404, "Group Not Found")


@pytest.mark.parametrize("scim, message", [
    ("{}", '"id" or "displayName"'), ("not json", "not valid JSON"), ("[1]", "JSON object"), ("", "JSON object"),
    ('{"id": {"a": 1}}', "must be a string"),
])
def test_group_bad_scim(requests_mock, scim, message):
    """Given a scim argument that cannot be used,
    When a group command runs,
    Then a 400 says what to give."""
    out = group_output(run_command("iam-get-group", {"scim": scim}), "GetGroup")
    assert out["success"] is False
    assert out["errorCode"] == 400
    assert message in out["errorMessage"]


def test_create_group(requests_mock):
    """Given a new group with an external id,
    When iam-create-group runs,
    Then one POST creates it and the result reports it."""
    post = requests_mock.post(API + "Groups", status_code=201, json=GROUP)
    entries = run_command("iam-create-group", {"scim": '{"displayName": "Engineers", "externalId": "e-1"}'})
    out = group_output(entries, "CreateGroup")
    assert post.last_request.json() == {"schemas": [AWS_ILM.GROUP_SCHEMA], "displayName": "Engineers",
                                        "externalId": "e-1"}
    assert out["success"] is True
    assert out["id"] == GROUP_ID
    assert entries[0]["HumanReadable"].startswith("### AWS Create Group:")


def test_create_group_with_members(requests_mock):
    """Given a new group with members, then one with more than 100,
    When iam-create-group runs,
    Then the members are sent, and over 100 is refused with a 400."""
    post = requests_mock.post(API + "Groups", status_code=201, json=GROUP)
    run_command("iam-create-group", {"scim": '{"displayName": "G", "members": [{"value": "u1"}]}'})
    assert post.last_request.json()["members"] == [{"value": "u1"}]
    out = group_output(run_command("iam-create-group", {"scim": json.dumps(
        {"displayName": "G", "members": [str(i) for i in range(101)]})}), "CreateGroup")
    assert out["errorCode"] == 400
    assert "at most 100" in out["errorMessage"]


def test_create_group_conflict(requests_mock):
    """Given a group name AWS already has,
    When iam-create-group runs,
    Then the 409 Group already exists carries the existing group's id."""
    requests_mock.post(API + "Groups", status_code=409, json=load("error_409.json"))
    requests_mock.get(API + "Groups", json={"Resources": [{"id": "g-old", "displayName": "Engineers"}]})
    out = group_output(run_command("iam-create-group", {"scim": '{"displayName": "Engineers"}'}), "CreateGroup")
    assert (out["success"], out["errorCode"], out["errorMessage"]) == (False, 409, "Group already exists")
    assert out["id"] == "g-old"   # an "ensure the group exists" step can go on with it


def test_create_group_needs_display_name(requests_mock):
    """Given a scim without a display name,
    When iam-create-group runs,
    Then a 400 asks for it and nothing is sent."""
    out = group_output(run_command("iam-create-group", {"scim": '{"id": "x"}'}), "CreateGroup")
    assert out["errorCode"] == 400
    assert "displayName" in out["errorMessage"]
    assert requests_mock.call_count == 0


def test_create_group_server_error(requests_mock):
    """Given AWS refuses the create (403),
    When iam-create-group runs,
    Then the failure carries AWS's detail."""
    requests_mock.post(API + "Groups", status_code=403, json={"detail": "Not allowed", "status": "403"})
    out = group_output(run_command("iam-create-group", {"scim": '{"displayName": "G"}'}), "CreateGroup")
    assert (out["errorCode"], out["errorMessage"]) == (403, "Not allowed")


@pytest.mark.parametrize("count, requests_sent", [(1, 1), (100, 1), (101, 2), (250, 3)])
def test_update_group_batches_member_changes(requests_mock, count, requests_sent):
    """Given a number of members to add,
    When iam-update-group runs,
    Then they go in PATCHes of at most 100."""
    patch = requests_mock.patch(API + f"Groups/{GROUP_ID}", status_code=204)
    ids = [uid(i) for i in range(count)]
    entries = run_command("iam-update-group", {"scim": json.dumps({"id": GROUP_ID}), "memberIdsToAdd": json.dumps(ids)})
    out = group_output(entries, "UpdateGroup")
    assert patch.call_count == requests_sent == requests_mock.call_count
    sent = [v["value"] for r in patch.request_history for op in r.json()["Operations"] for v in op["value"]]
    assert sent == ids
    assert out["success"] is True
    assert out["details"]["membersAdded"] == ids
    assert all(len(op["value"]) <= 100 for r in patch.request_history for op in r.json()["Operations"])
    assert entries[0]["HumanReadable"].startswith("### AWS Update Group:")


def test_update_group_by_name_adds_and_removes(requests_mock):
    """Given a group given by name, members to add and to remove,
    When iam-update-group runs,
    Then one PATCH adds and removes them."""
    requests_mock.get(API + "Groups", json=load("group_list.json"))
    patch = requests_mock.patch(API + f"Groups/{GROUP_ID}", status_code=204)
    out = group_output(run_command("iam-update-group", {"scim": '{"displayName": "Engineers"}',
                                                        "memberIdsToAdd": f"{uid(1)},{uid(2)}",
                                                        "memberIdsToDelete": [uid(3)]}), "UpdateGroup")
    assert patch.last_request.json() == {"schemas": [AWS_ILM.PATCH_SCHEMA], "Operations": [
        {"op": "add", "path": "members", "value": [{"value": uid(1)}, {"value": uid(2)}]},
        {"op": "remove", "path": "members", "value": [{"value": uid(3)}]}]}
    assert out["success"] is True
    assert out["details"] == {"membersAdded": [uid(1), uid(2)], "membersRemoved": [uid(3)]}


def test_update_group_partial_failure_says_what_was_applied(requests_mock):
    """Given the second PATCH of two fails,
    When iam-update-group runs,
    Then the result lists the members applied and those not applied."""
    patch = requests_mock.patch(API + f"Groups/{GROUP_ID}", [
        {"status_code": 204}, {"status_code": 400, "json": load("error_400.json")}])
    ids = [uid(i) for i in range(150)]
    out = group_output(run_command("iam-update-group", {"scim": {"id": GROUP_ID}, "memberIdsToAdd": ids}),
                       "UpdateGroup")
    assert patch.call_count == 2
    assert out["success"] is False
    assert out["errorCode"] == 400
    assert out["details"]["membersAdded"] == ids[:100]
    assert out["details"]["notAdded"] == ids[100:]
    assert "Applied 100 of 150" in out["errorMessage"]


def test_update_group_failure_without_answer_says_it_may_have_applied(requests_mock):
    """Given every PATCH's answer is lost,
    When iam-update-group runs,
    Then the 502 says AWS may have applied it."""
    requests_mock.patch(API + "Groups/g", exc=requests.exceptions.ConnectionError("reset"))
    out = group_output(run_command("iam-update-group", {"scim": '{"id": "g"}', "memberIdsToAdd": uid(1)}), "UpdateGroup")
    assert out["errorCode"] == 502
    assert "may have applied it" in out["errorMessage"]


@pytest.mark.parametrize("args, message", [
    ({"scim": '{"id": "g"}'}, "Nothing to change"),
    ({"scim": '{"id": "g"}', "memberIdsToAdd": uid(1), "memberIdsToDelete": uid(1)}, "both to add and to delete"),
    ({"scim": "{}", "memberIdsToAdd": "a"}, '"id" or "displayName"'),
])
def test_update_group_input_errors(requests_mock, args, message):
    """Given arguments that cannot be used,
    When iam-update-group runs,
    Then a 400 says what to fix, and nothing is sent."""
    out = group_output(run_command("iam-update-group", args), "UpdateGroup")
    assert out["errorCode"] == 400
    assert message in out["errorMessage"]
    assert requests_mock.call_count == 0


def test_update_group_adds_a_member_given_by_user_name_by_its_id(requests_mock):
    """Given a user name among the members, when iam-update-group runs, then the name is looked up (eq, escaped)
    and the PATCH carries the user's id; the result says which name became which id."""
    search = user_search(requests_mock, USER)
    patch = requests_mock.patch(API + f"Groups/{GROUP_ID}", status_code=204)
    entries = run_command("iam-update-group", {"scim": {"id": GROUP_ID}, "memberIdsToAdd": ["jdoe@example.com", uid(1)]})
    out = group_output(entries, "UpdateGroup")
    assert search.last_request.qs["filter"] == ['username eq "jdoe@example.com"']
    assert patch.last_request.json()["Operations"][0]["value"] == [{"value": USER_ID}, {"value": uid(1)}]
    assert out["details"]["namesResolved"] == {"jdoe@example.com": USER_ID}
    assert f"jdoe@example.com is the AWS user {USER_ID}" in entries[0]["HumanReadable"]


def test_update_group_reports_names_that_match_nobody_and_adds_the_others(requests_mock):
    """Given a member name that matches nobody and an AWS id,
    When iam-update-group runs,
    Then the id is added and the name is reported as not found, saying what to give instead and how to find it."""
    user_search(requests_mock)
    patch = requests_mock.patch(API + f"Groups/{GROUP_ID}", status_code=204)
    entries = run_command("iam-update-group", {"scim": {"id": GROUP_ID}, "memberIdsToAdd": f"ghost,{uid(1)}"})
    out = group_output(entries, "UpdateGroup")
    assert out["success"] is True
    assert out["details"]["namesNotFound"] == ["ghost"]
    assert patch.last_request.json()["Operations"][0]["value"] == [{"value": uid(1)}]
    assert "no AWS user has the user name ghost" in entries[0]["HumanReadable"]
    only = group_output(run_command("iam-update-group", {"scim": {"id": GROUP_ID}, "memberIdsToAdd": "ghost"}),
                        "UpdateGroup")
    assert (only["success"], only["errorCode"]) == (False, 404)
    assert "No AWS user has the user name ghost" in only[
        "errorMessage"]
    assert "AWS user id" in only["errorMessage"]
    assert "!aws-ilm-list-users user_name=" in only["errorMessage"]
    assert patch.call_count == 1


def test_update_group_renames_the_group(requests_mock):
    """Given a new display name no other group has,
    When iam-update-group runs,
    Then one PATCH renames the group."""
    requests_mock.get(API + "Groups", json=load("empty_list.json"))
    patch = requests_mock.patch(API + f"Groups/{GROUP_ID}", status_code=204)
    out = group_output(run_command("iam-update-group", {"scim": {"id": GROUP_ID}, "newDisplayName": "Platform"}),
                       "UpdateGroup")
    assert patch.last_request.json()["Operations"] == [{"op": "replace", "path": "displayName", "value": "Platform"}]
    assert (out["success"], out["displayName"]) == (True, "Platform")


def test_update_group_refuses_a_name_another_group_has(requests_mock):
    """Given a new display name another group has,
    When iam-update-group runs,
    Then a 409 names that group and nothing is changed."""
    other = {**GROUP, "id": "9067729b3d-00000000-0000-4000-8000-00000000000f", "displayName": "Platform"}
    requests_mock.get(API + "Groups", json={**load("group_list.json"), "Resources": [other]})
    patch = requests_mock.patch(API + f"Groups/{GROUP_ID}", status_code=204)
    out = group_output(run_command("iam-update-group", {"scim": {"id": GROUP_ID}, "newDisplayName": "Platform",
                                                        "memberIdsToAdd": uid(1)}), "UpdateGroup")
    assert (out["success"], out["errorCode"]) == (False, 409)
    assert other["id"] in out["errorMessage"]
    assert patch.call_count == 0


def test_an_id_with_another_groups_name_says_how_to_rename(requests_mock):
    """Given a group's id with another group's display name,
    When iam-update-group runs,
    Then a 400 says to rename with newDisplayName."""
    requests_mock.get(API + f"Groups/{GROUP_ID}", json=GROUP)
    out = group_output(run_command("iam-update-group", {"scim": {"id": GROUP_ID, "displayName": "Other"},
                                                        "memberIdsToAdd": uid(1)}), "UpdateGroup")
    assert out["errorCode"] == 400
    assert "newDisplayName" in out["errorMessage"]


def test_a_long_member_list_is_counted_in_the_readable_output(requests_mock):
    """Given 300 members to add,
    When iam-update-group runs,
    Then the context lists them all and the readable output shows 50 and counts the rest."""
    requests_mock.patch(API + f"Groups/{GROUP_ID}", status_code=204)
    ids = [uid(i) for i in range(300)]
    entries = run_command("iam-update-group", {"scim": {"id": GROUP_ID}, "memberIdsToAdd": ids})
    assert group_output(entries, "UpdateGroup")["details"]["membersAdded"] == ids
    assert "and 250 more (300 in all)" in entries[0]["HumanReadable"]
    assert uid(299) not in entries[0]["HumanReadable"]


def test_update_group_unknown_name(requests_mock):
    """Given a group name AWS does not know,
    When iam-update-group runs,
    Then the result is the 404 Group Not Found."""
    requests_mock.get(API + "Groups", json=load("empty_list.json"))
    out = group_output(run_command("iam-update-group", {"scim": '{"displayName": "x"}', "memberIdsToAdd": "a"}),
                       "UpdateGroup")
    assert (out["errorCode"], out["errorMessage"]) == (404, "Group Not Found")


def test_delete_group(requests_mock):
    """Given a group's id,
    When iam-delete-group runs,
    Then one DELETE removes it."""
    delete = requests_mock.delete(API + f"Groups/{GROUP_ID}", status_code=204)
    entries = run_command("iam-delete-group", {"scim": json.dumps({"id": GROUP_ID})})
    out = group_output(entries, "DeleteGroup")
    assert delete.call_count == 1 == requests_mock.call_count
    assert out["success"] is True
    assert out["id"] == GROUP_ID
    assert entries[0]["HumanReadable"].startswith("### AWS Delete Group:")


def test_delete_group_by_name(requests_mock):
    """Given a group's display name,
    When iam-delete-group runs,
    Then it is found and deleted."""
    requests_mock.get(API + "Groups", json=load("group_list.json"))
    requests_mock.delete(API + f"Groups/{GROUP_ID}", status_code=204)
    assert group_output(run_command("iam-delete-group", {"scim": '{"displayName": "Engineers"}'}),
                        "DeleteGroup")["success"] is True


def test_delete_group_not_found(requests_mock):
    """Given an id AWS does not know,
    When iam-delete-group runs,
    Then the result is the 404 Group Not Found."""
    requests_mock.delete(API + "Groups/gone", status_code=404, json=load("error_404.json"))
    out = group_output(run_command("iam-delete-group", {"scim": '{"id": "gone"}'}), "DeleteGroup")
    assert (out["success"], out["errorCode"], out["errorMessage"]) == (False, 404, "Group Not Found")


def test_delete_group_id_cannot_escape(requests_mock):
    """Given ids that try to climb out of /Groups,
    When iam-delete-group runs,
    Then they are refused or encoded, and no other resource is reached."""
    out = group_output(run_command("iam-delete-group", {"scim": '{"id": ".."}'}), "DeleteGroup")
    assert out["errorCode"] == 400
    assert requests_mock.call_count == 0
    requests_mock.delete(API + "Groups/..%2FUsers", status_code=404, json=load("error_404.json"))
    run_command("iam-delete-group", {"scim": '{"id": "../Users"}'})
    assert requests_mock.last_request.path.endswith("/groups/..%2fusers")


# ----- test-module --------------------------------------------------------------------------------
def test_test_module_ok(requests_mock):
    """Given AWS answers its SCIM configuration,
    When the Test button runs,
    Then it says ok after one request."""
    requests_mock.get(API + "ServiceProviderConfig", json={"patch": {"supported": True}})
    assert run_command("test-module") == ["ok"]
    assert requests_mock.call_count == 1


@pytest.mark.parametrize("status, expected", [
    (401, "check the Tenant ID and the Authentication Token"), (403, "Access denied"),
    (404, "check the Base URL"), (400, "AWS answered 400"),
])
def test_test_module_explains_failures(requests_mock, status, expected):
    """Given AWS refuses the Test button's request,
    When it runs,
    Then the error says what to check."""
    requests_mock.get(API + "ServiceProviderConfig", status_code=status, json={"detail": "x", "status": str(status)})
    entries = run_command("test-module")
    assert entries[0]["Type"] == 4
    assert expected in entries[0]["Contents"]


def test_test_module_connection_error(requests_mock):
    """Given the connection fails,
    When the Test button runs,
    Then the error points at the Base URL."""
    requests_mock.get(API + "ServiceProviderConfig", exc=requests.exceptions.ConnectionError("refused"))
    entries = run_command("test-module")
    assert entries[0]["Type"] == 4
    assert "Base URL" in entries[0]["Contents"]


def test_test_module_tls_error(requests_mock):
    """Given the TLS handshake fails,
    When the Test button runs,
    Then the error names the certificate problem, without retrying."""
    requests_mock.get(API + "ServiceProviderConfig", exc=requests.exceptions.SSLError("bad cert"))
    entries = run_command("test-module")
    assert "Trust any certificate" in entries[0]["Contents"]
    assert requests_mock.call_count == 1


# ----- get-mapping-fields -------------------------------------------------------------------------
def test_mapping_fields_from_schemas(requests_mock):
    """Given AWS's GET /Schemas,
    When get-mapping-fields runs,
    Then the fields are the mappable user and enterprise attributes."""
    requests_mock.get(API + "Schemas", json=load("schemas.json"))
    entries = run_command("get-mapping-fields")
    fields = entries[0]["User Profile"]
    assert {"userName", "name.givenName", "name.familyName", "displayName", "emails", "phoneNumbers",
            "addresses.locality", f"{AWS_ILM.ENTERPRISE_SCHEMA}.department", "id"} <= set(fields)
    assert "password" not in fields
    assert "groups" not in fields
    assert requests_mock.call_count == 1


def test_mapping_fields_fall_back_to_builtin_list(requests_mock):
    """Given AWS fails GET /Schemas,
    When get-mapping-fields runs,
    Then the built-in field list is returned."""
    requests_mock.get(API + "Schemas", status_code=500, json=load("error_500.json"))
    fields = run_command("get-mapping-fields")[0]["User Profile"]
    assert fields == AWS_ILM.BUILTIN_USER_FIELDS
    assert "password" not in fields


# ----- main and settings --------------------------------------------------------------------------
def test_legacy_tenant_and_token_params(requests_mock):
    """Given an old instance with the hidden tenant_id and authentication_token parameters,
    When the Test button runs,
    Then it says ok."""
    requests_mock.get(API + "ServiceProviderConfig", json={})
    params = {"url": PARAMS["url"], "tenant_id": PARAMS["credentials"]["identifier"], "authentication_token": TOKEN}
    assert run_command("test-module", params=params) == ["ok"]


def test_missing_configuration_is_named(requests_mock):
    """Given an instance without the token, or without the URL,
    When a command runs,
    Then the error names what is missing."""
    entries = run_command("iam-get-user", {"user-profile": "x"}, params={"url": PARAMS["url"]})
    assert entries[0]["Type"] == 4
    assert "missing Authentication Token" in entries[0]["Contents"]
    entries = run_command("iam-get-user", {"user-profile": "x"}, params={"url": PARAMS["url"],
                                                                         "credentials": {"password": TOKEN}})
    assert entries[0]["Type"] == 4
    assert "missing the Tenant ID" in entries[0]["Contents"]


def test_unknown_command():
    """Given a command the integration does not serve,
    When it runs,
    Then the error says it is not implemented."""
    entries = run_command("iam-delete-user")
    assert entries[0]["Type"] == 4
    assert "not implemented" in entries[0]["Contents"]


def test_absent_checkboxes_count_as_enabled(requests_mock):
    """Given an instance that never saved its checkboxes, or saved one oddly,
    When the settings are read,
    Then every Allow checkbox counts as on, and a false one as off."""
    connection = {"url": BASE_URL, "credentials": PARAMS["credentials"]}   # only what the instance cannot lack
    settings = AWS_ILM.Settings.from_params(connection)
    assert all([settings.create_enabled, settings.update_enabled, settings.enable_enabled,
                settings.disable_enabled, settings.create_if_not_exists])
    assert settings.mapper_in == AWS_ILM.DEFAULT_MAPPER_IN
    assert settings.mapper_out == AWS_ILM.DEFAULT_MAPPER_OUT
    assert AWS_ILM.Settings.from_params({**connection, "create_user_enabled": "false"}).create_enabled is False
    assert AWS_ILM.checkbox({"x": "garbage"}, "x") is True


def test_insecure_turns_off_tls_verification():
    """Given Trust any certificate,
    When the client is built,
    Then it does not verify certificates, and does without it."""
    client = AWS_ILM.Client(AWS_ILM.Settings.from_params({**PARAMS, "insecure": True}))
    assert client._verify is False
    assert AWS_ILM.Client(AWS_ILM.Settings.from_params(PARAMS))._verify is True


def test_unexpected_error_becomes_an_iam_failure(requests_mock, monkeypatch):
    """Given the platform's mapper fails with the token in its message,
    When iam-get-user runs,
    Then the result is a 500 naming the error, with the token redacted."""
    def boom(*_args):
        raise KeyError(TOKEN)
    monkeypatch.setattr(demisto, "mapObject", boom)
    result = vendor(run_command("iam-get-user", {"user-profile": "x"}))
    assert result["errorCode"] == 500
    assert "Unexpected error: KeyError" in result["errorMessage"]


def test_unexpected_error_in_group_command(requests_mock, monkeypatch):
    """Given a defect in a group command,
    When iam-get-group runs,
    Then the result is a 500 naming the error."""
    monkeypatch.setattr(AWS_ILM, "parse_scim", lambda raw: 1 / 0)
    out = group_output(run_command("iam-get-group", {"scim": "{}"}), "GetGroup")
    assert out["errorCode"] == 500
    assert "ZeroDivisionError" in out["errorMessage"]


def test_non_json_and_html_answers(requests_mock):
    """Given AWS answers with a web page, then with text that is not JSON,
    When iam-get-user runs,
    Then each failure says what came back."""
    requests_mock.get(API + "Users", status_code=502, text="<html><body>Bad gateway</body></html>")
    result = vendor(run_command("iam-get-user", {"user-profile": "x"}))
    assert result["errorCode"] == 502
    assert "web page" in result["errorMessage"]
    requests_mock.get(API + "Users", status_code=200, text="not json")
    assert "not JSON" in vendor(run_command("iam-get-user", {"user-profile": "x"}))["errorMessage"]
    requests_mock.get(API + "Users", status_code=418, text=f"teapot {TOKEN}")
    assert "<token>" in vendor(run_command("iam-get-user", {"user-profile": "x"}))["errorMessage"]
    requests_mock.get(API + "Users", status_code=400, text="")
    assert vendor(run_command("iam-get-user", {"user-profile": "x"}))["errorMessage"] == "HTTP 400 None"


# ----- transport failures (retries themselves run over real HTTP: AWS_ILM_reliability_test.py) ------
def test_a_timeout_is_reported_as_504(requests_mock):
    """Given AWS never answers in time,
    When iam-get-user runs,
    Then after 5 attempts the result is a 504 naming the read timeout."""
    requests_mock.get(API + "Users", exc=requests.exceptions.ReadTimeout("slow"))
    result = vendor(run_command("iam-get-user", {"user-profile": "jdoe"}))
    assert result["errorCode"] == 504
    assert result["errorMessage"].startswith("AWS did not answer in time (20 s). (gave up after 5 attempts")


def test_a_reset_connection_is_reported_as_502_that_may_have_applied(requests_mock):
    """Given every PATCH's connection is reset,
    When iam-update-group runs,
    Then the 502 says the connection closed and AWS may have applied it."""
    requests_mock.patch(API + "Groups/g", exc=requests.exceptions.ConnectionError("reset by peer"))
    out = group_output(run_command("iam-update-group", {"scim": '{"id": "g"}', "memberIdsToAdd": uid(1)}), "UpdateGroup")
    assert out["errorCode"] == 502
    assert "closed before AWS answered" in out["errorMessage"]
    assert "AWS may have applied it" in out["errorMessage"]


def test_retry_policy_limits_each_kind_and_backs_off_within_bounds():
    """Given one request's record, when failures of each kind come, then a lost answer is resent 4 times, a failed
    connection once, a 5xx 5 times, throttling until the budget, a client error never; waits stay in bounds."""
    def retries(failure) -> int:
        record = AWS_ILM.RequestRecord(time.monotonic())
        return sum(1 for _ in range(50) if record.wait_before_retry(failure, time.monotonic() + 10_000) is not None)
    assert retries(AWS_ILM.ScimError(504, "x", cause="lost answer")) == AWS_ILM.LOST_ANSWER_RETRIES == 4
    assert retries(AWS_ILM.ScimError(502, "x", cause="failed connection")) == AWS_ILM.CONNECT_RETRIES == 1
    assert retries(AWS_ILM.ScimError(502, "x", cause="TLS failure")) == 0
    assert [retries(AWS_ILM.ScimError(status, "x")) for status in (500, 502, 503, 504)] == [5] * 4
    assert retries(AWS_ILM.ScimError(429, "x")) == 50
    assert retries(AWS_ILM.ScimError(409, "x")) == 0
    waits = [AWS_ILM.backoff_seconds(attempt) for attempt in range(8) for _ in range(20)]
    assert min(waits) >= 0
    assert max(waits) <= AWS_ILM.BACKOFF_CAP_SECONDS


# ----- the published documentation's command examples ----------------------------------------------------------
PUBLISHED_USER = {**USER, "id": "123456", "userName": "test", "displayName": "test",
                  "name": {"familyName": "test", "givenName": "test"},
                  "emails": [{"value": "john.doe@example.com", "type": "work", "primary": True}]}


def published_server(requests_mock):
    listing = {**load("user_list.json"), "Resources": [PUBLISHED_USER]}
    requests_mock.get(API + "Users", json=listing)
    requests_mock.post(API + "Users", status_code=201, json={**PUBLISHED_USER, "active": False})
    requests_mock.patch(API + "Users/123456", json={**PUBLISHED_USER, "active": False})
    requests_mock.get(API + "Groups/121212", json={**GROUP, "id": "121212", "displayName": "The best group"})
    requests_mock.post(API + "Groups", status_code=201, json={**GROUP, "id": "111111", "displayName": "The group"})
    requests_mock.patch(API + "Groups/121212", status_code=204)
    requests_mock.delete(API + "Groups/121212", status_code=204)


@pytest.mark.parametrize("example", load("published_examples.json"), ids=lambda e: e["command"])
def test_published_command_examples(requests_mock, example):
    """Given the published documentation's command examples,
    When each runs,
    Then its title, context keys and values match the published ones."""
    published_server(requests_mock)
    entries = run_command(example["command"], example["args"])
    assert len(entries) == 1
    assert entries[0]["HumanReadable"].startswith(f"### {example['title']}")
    context = entries[0]["EntryContext"]
    if example["prefix"] == "IAM.Vendor":
        assert sorted(vendor(entries)) == example["keys"]
        assert vendor(entries)["success"] is True
        added = {"AWSILM.DenyStatement"} if example["command"] == "iam-disable-user" else set()   # what stays open
        assert set(context) == {AWS_ILM.IAM_USER_PROFILE_KEY, AWS_ILM.IAM_VENDOR_KEY} | added
        if example["command"] != "iam-get-user":
            assert user_profile(entries) == json.loads(example["args"]["user-profile"])
    else:
        out = group_output(entries, example["prefix"])
        assert sorted(out) == example["keys"]
        assert out["success"] is True


ALWAYS_NULL_GROUP_KEYS = ("active", "username", "email", "members")   # in the published examples, never declared


def test_yml_declares_every_published_argument_and_output():
    """Given the published documentation's examples, when the yml is read, then it declares every argument and
    every output they show, except the group results' keys that are always null (emitted, as 1.0.35 does, but not
    declared: a declared output that is always empty tells a playbook author something false)."""
    yml = yaml.safe_load((Path(AWS_ILM.__file__).with_suffix(".yml")).read_text(encoding="utf-8"))
    commands = {c["name"]: c for c in yml["script"]["commands"]}
    for example in load("published_examples.json"):
        command = commands[example["command"]]
        assert set(example["args"]) <= {a["name"] for a in command["arguments"]}
        declared = {o["contextPath"] for o in command["outputs"]}
        shown = {f"{example['prefix']}.{k}" for k in example["keys"] if k not in ALWAYS_NULL_GROUP_KEYS}
        assert shown <= declared
        assert all(o.get("description") for o in command["outputs"])
    params = {p["name"] for p in yml["configuration"]}
    assert params == {"url", "credentials", "tenant_id", "authentication_token", "create_user_enabled",
                      "update_user_enabled", "enable_user_enabled", "disable_user_enabled", "create_if_not_exists",
                      "mapper_in", "mapper_out", "insecure", "proxy", "remove_from_groups",   # and the new ones
                      "scp_max_characters", "containment_retention_days"}
    assert (yml["commonfields"]["id"], yml["name"], yml["script"]["ismappable"]) == ("AWS-ILM", "AWS-ILM", True)




# ----- playbook inputs and flows as they really arrive ---------------------------------------------
ADDRESS = {"streetAddress": "1 Main St", "locality": "Boston", "region": "MA", "postalCode": "02110",
           "country": "US", "type": "home", "primary": True}
HELD = {**USER, "phoneNumbers": [{"value": "+1 555 0100", "type": "mobile", "primary": True}],
        "addresses": [ADDRESS]}


def patched_operations(requests_mock) -> list:
    return [op for body in sent_json(requests_mock.request_history, "PATCH") for op in body["Operations"]]


@pytest.mark.parametrize("allow_enable, enables", [
    (False, False), ("false", False), ("FALSE", False), (" False ", False),
    (True, True), ("true", True), ("True", True), ("", True), (None, True),
])
def test_allow_enable_as_a_boolean_or_a_string(requests_mock, allow_enable, enables):
    """Given a disabled leaver and allow-enable as a real boolean or as text,
    When a script runs iam-update-user,
    Then only a true value enables the user; False, in any form, leaves the user disabled."""
    user_search(requests_mock, load("user_inactive.json"))
    requests_mock.patch(API + f"Users/{USER_ID}", json={**USER, "active": enables})
    args = {"user-profile": {"username": "jdoe@example.com", "title": "Gone"}}
    if allow_enable is not None:
        args["allow-enable"] = allow_enable
    result = vendor(run_command("iam-update-user", args))
    assert result["success"] is True
    assert ({"op": "replace", "path": "active", "value": True} in patched_operations(requests_mock)) is enables


@pytest.mark.parametrize("allow_enable", ["perhaps", "yes", 1, ["true"]])
def test_allow_enable_anything_else_is_a_clear_400(requests_mock, allow_enable):
    """Given allow-enable that is neither true nor false,
    When iam-update-user runs,
    Then a 400 names it, and no PATCH is sent."""
    user_search(requests_mock, USER)
    result = vendor(run_command("iam-update-user", {"user-profile": "jdoe@example.com", "allow-enable": allow_enable}))
    assert result["errorCode"] == 400
    assert "allow-enable must be true or false" in result["errorMessage"]
    assert "PATCH" not in [r.method for r in requests_mock.request_history]


def rename_lookups(requests_mock, former: dict, jane: dict):
    def lookup(request, context):
        wanted = {'userName eq "jane.doe@example.com"': former, 'userName eq "jane.smith@example.com"': jane}
        found = wanted.get(filter_of(request))
        return {**load("user_list.json"), "Resources": [found]} if found else load("empty_list.json")
    requests_mock.get(API + "Users", json=lookup)


def test_rename_looks_up_the_old_identifiers_first(requests_mock):
    """Given jane.smith renamed jane.doe while a former employee holds jane.doe, the employee ids mapped,
    When iam-update-user runs with olduserdata,
    Then Jane is the one patched, and AWS's 409 on the taken name names the holder."""
    former = {**USER, "id": "former", "userName": "jane.doe@example.com", "active": False, "externalId": "E-007"}
    jane = {**USER, "id": "jane", "userName": "jane.smith@example.com", "externalId": "E-100"}
    rename_lookups(requests_mock, former, jane)
    patch = requests_mock.patch(API + "Users/jane", status_code=409, json=load("error_409.json"))
    profile = {"username": "jane.doe@example.com", "title": "CFO", "employeeid": "E-100",
               "olduserdata": {"username": "jane.smith@example.com"}}
    result = vendor(run_command("iam-update-user", {"user-profile": profile}))
    assert filter_of(requests_mock.request_history[0]) == 'userName eq "jane.smith@example.com"'
    assert patch.call_count == 1
    assert not requests_mock.request_history[-1].url.endswith("former")
    assert (result["success"], result["errorCode"]) == (False, 409)
    assert ('userName "jane.doe@example.com" belongs to another AWS user (id former, userName jane.doe@example.com, '
            'disabled)') in result["errorMessage"]
    assert (result["id"], result["username"]) == ("jane", "jane.smith@example.com")   # the user found stays


def test_old_and_new_names_of_two_people_change_nobody(requests_mock):
    """Given the old name leads to one person and the new name to another, without employee ids,
    When iam-update-user runs,
    Then nobody is changed, and the 409 names both users."""
    former = {**USER, "id": "former", "userName": "jane.doe@example.com", "active": False, "externalId": None}
    jane = {**USER, "id": "jane", "userName": "jane.smith@example.com", "externalId": None}
    rename_lookups(requests_mock, former, jane)
    profile = {"username": "jane.doe@example.com", "olduserdata": {"username": "jane.smith@example.com"}}
    result = vendor(run_command("iam-update-user", {"user-profile": profile}))
    assert [r.method for r in requests_mock.request_history] == ["GET", "GET"]
    assert (result["success"], result["errorCode"], result["id"]) == (False, 409, None)
    assert "Nobody was changed" in result["errorMessage"]
    assert "id jane" in result["errorMessage"]
    assert "id former" in result["errorMessage"]
    assert "disabled" in result["errorMessage"]


def test_a_rename_run_again_finds_the_user_by_the_new_name(requests_mock):
    """Given a rename that already happened,
    When iam-update-user runs again with the same olduserdata,
    Then the user is found by the new name and nothing changes."""
    def lookup(request, context):
        found = 'jane@example.com"' in filter_of(request)
        return ({**load("user_list.json"), "Resources": [{**USER, "userName": "jane@example.com"}]} if found
                else load("empty_list.json"))
    requests_mock.get(API + "Users", json=lookup)
    profile = {"username": "jane@example.com", "olduserdata": {"username": "jdoe@example.com"}}
    result = vendor(run_command("iam-update-user", {"user-profile": profile}))
    assert result["success"] is True
    assert result["id"] == USER_ID
    assert requests_mock.call_count == 2


def test_a_profile_with_only_the_city_keeps_the_rest_of_the_address(requests_mock):
    """Given AWS holds a full address and the profile gives only the city,
    When iam-update-user runs,
    Then the address sent is AWS's with the new city."""
    user_search(requests_mock, HELD)
    requests_mock.patch(API + f"Users/{USER_ID}", status_code=204)
    run_command("iam-update-user", {"user-profile": {"username": "jdoe@example.com", "city": "Cambridge"}})
    assert patched_operations(requests_mock) == [
        {"op": "replace", "path": "addresses", "value": [{**ADDRESS, "locality": "Cambridge"}]}]


def test_an_unchanged_email_or_phone_sends_nothing_and_a_changed_one_keeps_the_type(requests_mock):
    """Given an unchanged e-mail and a changed phone number,
    When iam-update-user runs,
    Then only the phone number is sent, keeping AWS's type."""
    user_search(requests_mock, HELD)
    requests_mock.patch(API + f"Users/{USER_ID}", status_code=204)
    run_command("iam-update-user", {"user-profile": {"username": "jdoe@example.com", "email": "jdoe@example.com",
                                                     "mobilephone": "+1 555 0100", "streetaddress": "1 Main St"}})
    assert requests_mock.call_count == 1   # nothing to change
    run_command("iam-update-user", {"user-profile": {"username": "jdoe@example.com", "mobilephone": "+1 555 0199"}})
    assert patched_operations(requests_mock) == [{"op": "replace", "path": "phoneNumbers", "value": [
        {"value": "+1 555 0199", "type": "mobile", "primary": True}]}]


@pytest.mark.parametrize("current, profile, sent", [
    ("Jane Doe", {"surname": "Roe"}, "Jane Roe"),            # built from the old names: rebuilt
    ("Jane Doe", {"givenname": "Janet"}, "Janet Doe"),
    ("JD (contractor)", {"surname": "Roe"}, None),           # set by hand: left alone
    ("Jane Doe", {"surname": "Roe", "displayname": "J. Roe"}, "J. Roe"),
    ("Jane Doe", {"title": "CTO"}, None),
])
def test_display_name_follows_the_names_unless_set_by_hand(requests_mock, current, profile, sent):
    """Given a display name built from the names, or one set by hand,
    When the names change,
    Then the built one follows and the hand-set one stays."""
    user_search(requests_mock, {**USER, "displayName": current})
    requests_mock.patch(API + f"Users/{USER_ID}", status_code=204)
    run_command("iam-update-user", {"user-profile": {"username": "jdoe@example.com", **profile}})
    names = [op["value"] for op in patched_operations(requests_mock) if op["path"] == "displayName"]
    assert names == ([sent] if sent else [])


def test_values_are_trimmed_before_lookup_and_create(requests_mock):
    """Given a profile with spaces around its values and a blank title,
    When iam-create-user runs,
    Then the search and the new user use the trimmed values, without the title."""
    search = user_search(requests_mock)
    post = requests_mock.post(API + "Users", status_code=201, json=USER)
    profile = {"username": " ws@ex.com ", "email": " ws@ex.com", "givenname": "W ", "surname": " S",
               "title": "   "}
    vendor(run_command("iam-create-user", {"user-profile": profile}))
    body = post.last_request.json()
    assert body["userName"] == "ws@ex.com"
    assert body["emails"][0]["value"] == "ws@ex.com"
    assert body["name"] == {"givenName": "W", "familyName": "S"}
    assert body["displayName"] == "W S"
    assert "title" not in body
    assert search.call_count == 0
    run_command("iam-get-user", {"user-profile": {"username": "  ws@ex.com\t"}})
    assert filter_of(search.last_request) == 'userName eq "ws@ex.com"'


def test_a_one_megabyte_profile_of_custom_fields_works(requests_mock):
    """Given a profile of about 1 MB of fields the mapper ignores, as an object and as text,
    When iam-get-user runs,
    Then the user is found."""
    user_search(requests_mock, USER)
    custom = {f"custom_field_{i}": "v" * 2000 for i in range(500)}   # about 1 MB the mapper ignores
    for form in ({"username": "jdoe@example.com", **custom}, json.dumps({"username": "jdoe@example.com", **custom})):
        assert vendor(run_command("iam-get-user", {"user-profile": form}))["success"] is True


@pytest.mark.parametrize("error, message", [
    (requests.exceptions.ConnectionError(urllib3.exceptions.MaxRetryError(None, "/", urllib3.exceptions.NewConnectionError(
        None, "Failed to establish a new connection: [Errno 111] Connection refused"))), "Could not connect to"),
    (requests.exceptions.ConnectionError(urllib3.exceptions.MaxRetryError(None, "/", urllib3.exceptions.NameResolutionError(
        "scim.nowhere", None, OSError("Name or service not known")))), "the name does not resolve"),
    (requests.exceptions.ConnectTimeout("connect timed out"), "Could not connect to"),
    (requests.exceptions.ReadTimeout("read timed out"), "AWS did not answer in time"),
])
def test_connection_errors_are_told_apart(requests_mock, error, message):
    """Given a connection failure of a given kind,
    When iam-get-user runs,
    Then the error names it and the host."""
    requests_mock.get(API + "Users", exc=error)
    result = vendor(run_command("iam-get-user", {"user-profile": "jdoe"}))
    assert message in result["errorMessage"]
    assert "scim.us-east-1.amazonaws.com" in (result["errorMessage"]
                                              + "scim.us-east-1.amazonaws.com" * ("time" in message))
    assert result["errorCode"] == (504 if "time" in message else 502)


def test_a_refused_connection_never_says_aws_may_have_applied_a_group_change(requests_mock):
    """Given a connection that is refused,
    When iam-update-group runs,
    Then the error says it could not connect, and not that AWS may have applied anything."""
    refused = urllib3.exceptions.NewConnectionError(None, "Connection refused")
    requests_mock.patch(API + "Groups/g", exc=requests.exceptions.ConnectionError(
        urllib3.exceptions.MaxRetryError(None, "/", refused)))
    out = group_output(run_command("iam-update-group", {"scim": '{"id": "g"}', "memberIdsToAdd": uid(1)}), "UpdateGroup")
    assert "Could not connect" in out["errorMessage"]
    assert "may have applied" not in out["errorMessage"]


@pytest.mark.parametrize("insecure", [False, True])
def test_a_certificate_failure_names_the_problem(requests_mock, insecure):
    """Given a certificate AWS's host presents that cannot be verified,
    When iam-get-user runs,
    Then the error names the certificate problem, and points at Trust any certificate only when verifying."""
    cause = ssl.SSLCertVerificationError(1, "certificate verify failed: self-signed certificate in chain")
    cause.reason, cause.verify_message = "CERTIFICATE_VERIFY_FAILED", "self-signed certificate in certificate chain"
    requests_mock.get(API + "Users", exc=requests.exceptions.SSLError(urllib3.exceptions.SSLError(cause)))
    result = vendor(run_command("iam-get-user", {"user-profile": "jdoe"}, params={**PARAMS, "insecure": insecure}))
    assert "self-signed certificate in certificate chain" in result["errorMessage"]
    assert ("Trust any certificate" in result["errorMessage"]) is not insecure


@pytest.mark.parametrize("url, tenant, message", [
    ("https://scim.us-east-1.amazonaws.com/t-1/scim/v2", "t-2", 'names the tenant "t-1" but the Tenant ID is "t-2"'),
    ("http://scim.us-east-1.amazonaws.com", "t-1", "use https://"),
    ("http://10.0.0.8", "t-1", "use https://"),
    ("https://scim.us-east-1.amazonaws.com/scim/v2", "", "missing the Tenant ID"),
    ("ftp://scim.us-east-1.amazonaws.com", "t-1", "is not a URL"),
])
def test_base_url_refusals_come_before_any_request(requests_mock, url, tenant, message):
    """Given a Base URL and Tenant ID that cannot be used together, or plain http,
    When a command runs,
    Then the error says what to fix and nothing is sent."""
    params = {**PARAMS, "url": url, "credentials": {"identifier": tenant, "password": TOKEN}}
    entries = run_command("iam-get-user", {"user-profile": "jdoe"}, params=params)
    assert entries[0]["Type"] == 4
    assert message in entries[0]["Contents"]
    assert requests_mock.call_count == 0


def test_full_endpoint_with_an_empty_tenant_id_works(requests_mock):
    """Given the full SCIM endpoint as the Base URL and no Tenant ID,
    When iam-get-user runs,
    Then the user is found."""
    user_search(requests_mock, USER)
    params = {**PARAMS, "url": API.rstrip("/"), "credentials": {"identifier": "", "password": TOKEN}}
    assert vendor(run_command("iam-get-user", {"user-profile": "jdoe@example.com"}, params=params))["success"]


@pytest.mark.parametrize("command, args", [
    ("iam-get-user", {"user-profile": "jdoe"}), ("iam-disable-user", {"user-profile": "jdoe"}),
    ("iam-get-group", {"scim": '{"id": "g"}'}), ("iam-delete-group", {"scim": '{"id": "g"}'}),
])
def test_a_401_says_what_to_fix_on_every_command(requests_mock, command, args):
    """Given AWS answers 401,
    When any command runs,
    Then the error says to check the Tenant ID and the token."""
    requests_mock.register_uri(requests_mock_any, requests_mock_any, status_code=401, json=load("error_401.json"))
    entries = run_command(command, args)
    result = next(iter(v for k, v in entries[0]["EntryContext"].items() if "UserProfile" not in k))
    assert result["errorCode"] == 401
    assert result["errorMessage"] == AWS_ILM.AUTH_FAILED
    assert ("debug", f"AWS-ILM {command} failed (401): {AWS_ILM.AUTH_FAILED}") in logged()
    assert [message for level, message in logged() if level == "error"] == []   # a refusal, not a defect


def test_a_failure_after_the_user_was_found_keeps_the_user(requests_mock):
    """Given AWS refuses the PATCH of a user it holds,
    When iam-disable-user runs,
    Then the failure carries the user's id, name and state."""
    user_search(requests_mock, USER)
    requests_mock.patch(API + f"Users/{USER_ID}", status_code=400, json=load("error_400.json"))
    result = vendor(run_command("iam-disable-user", {"user-profile": "jdoe@example.com"}))
    assert (result["success"], result["errorCode"]) == (False, 400)
    assert (result["id"], result["username"], result["email"], result["active"]) == (
        USER_ID, "jdoe@example.com", "jdoe@example.com", True)


def test_update_group_on_an_unknown_id_is_group_not_found(requests_mock):
    """Given an id AWS does not know,
    When iam-update-group runs,
    Then the result is the 404 Group Not Found."""
    requests_mock.patch(API + "Groups/nope", status_code=404, json=load("error_404.json"))
    out = group_output(run_command("iam-update-group", {"scim": '{"id": "nope"}', "memberIdsToAdd": uid(1)}),
                       "UpdateGroup")
    assert (out["success"], out["errorCode"], out["errorMessage"]) == (False, 404, "Group Not Found")


def test_create_with_a_manager_sends_the_manager_id(requests_mock):
    """Given a hire whose manager is in AWS,
    When iam-create-user runs,
    Then the new user's manager is the manager's AWS id."""
    boss = {**USER, "id": "boss-id", "userName": "boss@example.com"}
    search = requests_mock.get(API + "Users", json={**load("user_list.json"), "Resources": [boss]})
    post = requests_mock.post(API + "Users", status_code=201, json=USER)
    run_command("iam-create-user", {"user-profile": {**NEW_HIRE, "manageremailaddress": "boss@example.com"}})
    assert filter_of(search.last_request) == 'userName eq "boss@example.com"'
    assert requests_mock.call_count == 2
    assert post.last_request.json()[AWS_ILM.ENTERPRISE_SCHEMA] == {"manager": {"value": "boss-id"}}


def test_an_unknown_manager_never_blocks_a_hire(requests_mock):
    """Given a hire whose manager AWS does not know,
    When iam-create-user runs,
    Then the user is created without a manager, and the result's notes say so."""
    user_search(requests_mock)
    by_id = requests_mock.get(API + "Users/gone%40x.com", status_code=404, json=load("error_404.json"))
    post = requests_mock.post(API + "Users", status_code=201, json=USER)
    entries = run_command("iam-create-user", {"user-profile": {**NEW_HIRE, "manageremailaddress": "gone@x.com"}})
    result = vendor(entries)
    assert result["success"] is True
    assert AWS_ILM.ENTERPRISE_SCHEMA not in post.last_request.json()
    assert by_id.call_count == 1   # looked up as a userName, then as an AWS user id
    assert result["notes"] == 'Manager "gone@x.com" not applied: no AWS user has that userName or id.'
    assert result["notes"] in entries[0]["HumanReadable"]
    assert result["reason"] == ""


# ----- an administrator's own mapper meets AWS's schema --------------------------------------------------------
def mapped_as(mocker, mapped: dict):
    """The outgoing mapper of an admin that maps `mapped` (for create and update); the incoming one as shipped."""
    mocker.patch.object(demisto, "mapObject", side_effect=lambda obj, mapper, kind: dict(mapped) if mapper ==
                        AWS_ILM.DEFAULT_MAPPER_OUT else map_object(obj, mapper, kind))


JANE_MAPPED = {"userName": "jdoe@example.com", "name.givenName": "Jane", "name.familyName": "Doe",
               "emails": "jdoe@example.com"}


def test_what_aws_does_not_support_is_left_out_and_named(requests_mock, mocker):
    """Given a mapper that maps photos, ims, entitlements, x509Certificates, a password and two roles, one with
    display,
    When iam-create-user runs,
    Then the POST carries none of them but the primary role (without display), and the notes name each."""
    mapped_as(mocker, {**JANE_MAPPED, "photos": "p.png", "ims": "chat", "entitlements": "admin",
                       "x509Certificates": "MII", "password": "secret", "roles": [
                           {"value": "lead", "primary": True, "display": "Lead"}, {"value": "dev"}]})
    post = requests_mock.post(API + "Users", status_code=201, json=USER)
    result = vendor(run_command("iam-create-user", {"user-profile": NEW_HIRE}))
    body = post.last_request.json()
    assert not {"photos", "ims", "entitlements", "x509Certificates", "password"} & set(body)
    assert body["roles"] == [{"value": "lead", "primary": True}]
    for named in ("photos", "ims", "entitlements", "x509Certificates", "password", 'roles "dev"', "roles.display"):
        assert named in result["notes"]


def test_a_manager_by_display_name_is_never_sent_and_never_blocks(requests_mock, mocker):
    """Given a mapper that maps the manager's display name,
    When iam-create-user runs and AWS has no user of that name,
    Then the user is created without a manager, and the notes say what to map instead."""
    mapped_as(mocker, {**JANE_MAPPED, f"{AWS_ILM.ENTERPRISE_SCHEMA}.manager.displayName": "Boss Person"})
    user_search(requests_mock)
    requests_mock.get(API + "Users/Boss%20Person", status_code=404, json=load("error_404.json"))
    post = requests_mock.post(API + "Users", status_code=201, json=USER)
    result = vendor(run_command("iam-create-user", {"user-profile": NEW_HIRE}))
    assert result["success"] is True
    assert AWS_ILM.ENTERPRISE_SCHEMA not in post.last_request.json()
    assert "display name" in result["notes"]
    assert "manager.value" in result["notes"]


def test_a_mapped_active_false_creates_the_user_disabled(requests_mock, mocker):
    """Given a mapper that maps active false, When iam-create-user runs with allow-enable true,
    Then the user is created disabled and the notes say why."""
    mapped_as(mocker, {**JANE_MAPPED, "active": "false"})
    post = requests_mock.post(API + "Users", status_code=201, json={**USER, "active": False})
    result = vendor(run_command("iam-create-user", {"user-profile": NEW_HIRE, "allow-enable": "true"}))
    assert post.last_request.json()["active"] is False
    assert "Created disabled" in result["notes"]


@pytest.mark.parametrize("allowed, operations", [(True, [{"op": "replace", "path": "active", "value": False}]),
                                                 (False, None)])
def test_a_mapped_active_false_on_update_disables_within_the_checkbox(requests_mock, mocker, allowed, operations):
    """Given a mapper that maps active false and an active user,
    When iam-update-user runs with "Allow disabling users" as given,
    Then the user is disabled when allowed, else nothing is sent and the notes say why."""
    mapped_as(mocker, {"userName": USER["userName"], "active": False})
    directory(requests_mock, USER)
    patch = requests_mock.patch(API + f"Users/{USER_ID}", json={**USER, "active": False})
    result = vendor(run_command("iam-update-user", {"user-profile": NEW_HIRE},
                                {**PARAMS, "disable_user_enabled": allowed}))
    assert (patch.last_request.json()["Operations"] if patch.called else None) == operations
    assert ("Disabled: the profile maps active false." if allowed else "is cleared") in result["notes"]


@pytest.mark.parametrize("mapped, named", [
    ({AWS_ILM.ENTERPRISE_SCHEMA: "IT"}, f'"{AWS_ILM.ENTERPRISE_SCHEMA}" must be an object'),
    ({f"{AWS_ILM.ENTERPRISE_SCHEMA}.manager": ["a", "b"]}, f'"{AWS_ILM.ENTERPRISE_SCHEMA}.manager" must be'),
    ({"title": ["Lead"]}, '"title" must be text'),
    ({"name": "Jane Doe"}, '"name" must be an object')])
def test_a_value_of_the_wrong_shape_is_a_400_before_any_request(requests_mock, mocker, mapped, named):
    """Given a mapper that maps a value of a shape AWS cannot take,
    When iam-create-user and iam-update-user run,
    Then each is a 400 naming the attribute and the shape, with the mapped profile in details, and no request."""
    mapped_as(mocker, {**{k: v for k, v in JANE_MAPPED.items() if k.split(".")[0] not in mapped}, **mapped})
    for command in ("iam-create-user", "iam-update-user"):
        result = vendor(run_command(command, {"user-profile": NEW_HIRE}))
        assert (result["errorCode"], result["details"]["userName"]) == (400, "jdoe@example.com")
        assert named in result["errorMessage"]
        assert "nothing was sent to AWS" in result["errorMessage"]
    assert requests_mock.call_count == 0


def test_a_rename_that_also_enables_sends_two_patches(requests_mock, mocker):
    """Given a disabled user renamed by the profile,
    When iam-update-user runs with allow-enable,
    Then the rename and the enable go in two PATCHes, the rename first."""
    mapped_as(mocker, {"userName": "new@example.com", "externalId": "701984"})
    directory(requests_mock, {**USER, "active": False, "externalId": "701984"})
    patch = requests_mock.patch(API + f"Users/{USER_ID}", json=USER)
    result = vendor(run_command("iam-update-user", {"user-profile": NEW_HIRE, "allow-enable": "true"}))
    assert result["success"] is True
    assert [[op["path"] for op in r.json()["Operations"]] for r in patch.request_history] == [["userName"], ["active"]]


def test_an_email_another_user_holds_is_named_with_its_holder(requests_mock, mocker):
    """Given the profile's new e-mail is another user's, When AWS refuses the update (409),
    Then the result names the e-mail and the other user's id."""
    kim = aws_user(2, "kim@example.com", "E2")
    mapped_as(mocker, {"userName": USER["userName"], "emails": "kim@example.com"})
    directory(requests_mock, USER, kim)
    requests_mock.patch(API + f"Users/{USER_ID}", status_code=409, json=load("error_409.json"))
    result = vendor(run_command("iam-update-user", {"user-profile": NEW_HIRE}))
    assert result["errorCode"] == 409
    assert f'e-mail "kim@example.com" belongs to another AWS user (id {uid(2)}' in result["errorMessage"]


def test_an_external_id_with_a_colon_is_refused_before_any_request(requests_mock, mocker):
    mapped_as(mocker, {**JANE_MAPPED, "externalId": "HR:1234"})
    result = vendor(run_command("iam-create-user", {"user-profile": NEW_HIRE}))
    assert result["errorCode"] == 400
    assert '"externalId" has U+003A COLON at position 3' in result["errorMessage"]
    assert requests_mock.call_count == 0


def test_a_user_not_found_carries_the_mapped_profile_and_says_how_to_find_it(requests_mock):
    """Given AWS has no such user, When iam-disable-user runs,
    Then the skip's details are the mapped profile and its notes say what to give and how to find it."""
    user_search(requests_mock)
    result = vendor(run_command("iam-disable-user", {"user-profile": NEW_HIRE}))
    assert result["reason"] == "User does not exist"
    assert result["details"]["userName"] == "jdoe@example.com"
    assert "!aws-ilm-list-users user_name=" in result["notes"]


def test_get_user_gives_the_managers_email_back_to_the_incoming_mapper(requests_mock, mocker):
    """Given a user whose manager AWS holds by id,
    When iam-get-user runs,
    Then the manager is read once and the incoming mapper gets the manager's e-mail as manager.email."""
    boss = aws_user(9, "boss@example.com", "E9")
    held = {**USER, AWS_ILM.ENTERPRISE_SCHEMA: {"manager": {"value": boss["id"]}}}
    directory(requests_mock, held, boss)
    mapper = mocker.patch.object(demisto, "mapObject", side_effect=map_object)
    run_command("iam-get-user", {"user-profile": {"username": USER["userName"]}})
    incoming = [c.args[0] for c in mapper.call_args_list if c.args[1] == AWS_ILM.DEFAULT_MAPPER_IN]
    assert incoming[0][AWS_ILM.ENTERPRISE_SCHEMA]["manager"] == {"value": boss["id"], "email": "boss@example.com"}
    assert requests_mock.call_count == 2


# ----- aws-ilm-list-users, aws-ilm-list-groups ----------------------------------------------------------
def listing_query(request) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(request.url).query, keep_blank_values=True).items()}


@pytest.mark.parametrize("limit, counts", [(None, ["50"]), ("250", ["100", "100", "50"]), (120, ["100", "20"]),
                                          ("1000", ["100"] * 3)])
def test_list_users_asks_only_for_what_is_still_needed(requests_mock, limit, counts):
    """Given 300 users and a limit,
    When aws-ilm-list-users runs,
    Then each page asks for only as many users as are still needed."""
    listing = member_pages(requests_mock, 300)
    args = {} if limit is None else {"limit": limit}
    entries = run_command("aws-ilm-list-users", args)
    context = entries[0]["EntryContext"]
    users = context["AWSILM.User(val.id && val.id == obj.id)"]
    assert [listing_query(r)["count"] for r in listing.request_history] == counts
    assert len(users) == min(int(limit or 50), 300)
    assert users[0]["userName"] == "u0@x.com"
    assert set(users[0]) == {"id", "userName", "displayName", "active", "email", "externalId", "details"}
    assert context.get("AWSILM.UserNextToken") == (str(len(users)) if len(users) < 300 else None)


def test_list_users_continues_exactly_after_the_last_user(requests_mock):
    """Given 130 users listed 120 at a time,
    When the listing is continued with its token,
    Then every user comes once."""
    member_pages(requests_mock, 130)
    first = run_command("aws-ilm-list-users", {"limit": "120"})[0]["EntryContext"]
    token = first["AWSILM.UserNextToken"]
    rest = run_command("aws-ilm-list-users", {"limit": "120", "next_token": token})[0]["EntryContext"]
    ids = ([u["id"] for u in first["AWSILM.User(val.id && val.id == obj.id)"]]
           + [u["id"] for u in rest["AWSILM.User(val.id && val.id == obj.id)"]])
    assert ids == [f"u{i:03d}" for i in range(130)]
    assert "AWSILM.UserNextToken" not in rest
    assert listing_query(requests_mock.last_request)["cursor"] == token


@pytest.mark.parametrize("command, args, expected", [
    ("aws-ilm-list-users", {"user_name": " a@x.com "}, 'userName eq "a@x.com"'),
    ("aws-ilm-list-users", {"external_id": "E1"}, 'externalId eq "E1"'),
    ("aws-ilm-list-users", {"group_id": "g-1"}, 'groups.value eq "g-1"'),
    ("aws-ilm-list-groups", {"display_name": 'A "B"'}, 'displayName eq "A \\"B\\""'),
    ("aws-ilm-list-groups", {"member_id": "u-1"}, 'members.value eq "u-1"'),
    ("aws-ilm-list-groups", {"external_id": "X"}, 'externalId eq "X"'),
])
def test_list_filters(requests_mock, command, args, expected):
    """Given a filter argument,
    When a listing runs,
    Then AWS gets the matching eq filter."""
    listing = requests_mock.get(API + command.split("-")[-1].title(), json=load("empty_list.json"))
    entries = run_command(command, args)
    assert filter_of(listing.last_request) == expected
    assert entries[0]["EntryContext"] == {}
    assert "(0)" in entries[0]["HumanReadable"]


@pytest.mark.parametrize("args, message", [
    ({"user_name": "a", "group_id": "g"}, "one attribute at a time"),
    ({"limit": "0"}, "limit must be a whole number from 1 to 1000"),
    ({"limit": "1001"}, "limit must be a whole number"), ({"limit": "ten"}, "limit must be"),
    ({"limit": True}, "limit must be"), ({"limit": "-5"}, "limit must be"),
])
def test_list_bad_input_is_a_clear_error(requests_mock, args, message):
    """Given listing arguments that cannot be used,
    When aws-ilm-list-users runs,
    Then the error says what to fix and nothing is sent."""
    entries = run_command("aws-ilm-list-users", args)
    assert entries[0]["Type"] == 4
    assert message in entries[0]["Contents"]
    assert requests_mock.call_count == 0


def test_list_a_refused_token_says_to_start_again(requests_mock):
    """Given a token AWS refuses,
    When aws-ilm-list-groups runs,
    Then the error says to start the listing again."""
    requests_mock.get(API + "Groups", status_code=400, json=load("error_400.json"))
    entries = run_command("aws-ilm-list-groups", {"next_token": "stale"})
    assert entries[0]["Type"] == 4
    assert "start the listing again without next_token" in entries[0]["Contents"]


def test_list_groups_of_an_unknown_user_is_empty(requests_mock):
    """Given a member id AWS does not know,
    When aws-ilm-list-groups runs,
    Then the list is empty."""
    requests_mock.get(API + "Groups", status_code=404, json=load("error_404.json"))
    entries = run_command("aws-ilm-list-groups", {"member_id": "ghost"})
    assert entries[0]["Type"] == 1
    assert entries[0]["EntryContext"] == {}


def test_list_a_401_says_what_to_fix(requests_mock):
    """Given AWS answers 401,
    When aws-ilm-list-users runs,
    Then the error says to check the Tenant ID and the token."""
    requests_mock.get(API + "Users", status_code=401, json=load("error_401.json"))
    entries = run_command("aws-ilm-list-users", {})
    assert entries[0]["Type"] == 4
    assert AWS_ILM.AUTH_FAILED in entries[0]["Contents"]
