"""Reliability: a fault matrix over the AWS-flavoured server, a bad-input matrix, idempotent
outcomes, property-based tests that nothing crashes, and the token scan over everything emitted.

Retry waits are recorded, not slept (the integration's clock is swapped for a recording one);
tools/bench.py --faults measures the real wall times.
"""
import json
import math
import re
import socket
import time
import types

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

import AWS_ILM
import conftest
import xsoar_server
from conftest import group_output, run_command, run_on, uid, vendor

PERSON = {"username": "ann@example.com", "email": "ann@example.com", "givenname": "Ann", "surname": "Lee",
          "displayname": "Ann Lee"}


@pytest.fixture
def waits(monkeypatch):
    """Retry waits (the integration's pauses) are recorded and skipped; its clock moves on by them."""
    recorded: list = []
    monkeypatch.setattr(AWS_ILM, "pause", recorded.append)
    monkeypatch.setattr(AWS_ILM, "time", types.SimpleNamespace(monotonic=lambda: time.monotonic() + sum(recorded),
                                                               sleep=recorded.append))
    monkeypatch.setattr(AWS_ILM, "REQUEST_TIMEOUT", (2.0, 0.3))
    return recorded


def make_user(server, active: bool = True) -> str:
    entries = run_on(server, "iam-create-user", {"user-profile": json.dumps(PERSON),
                                                 "allow-enable": str(active).lower()})
    return vendor(entries)["id"]


def make_group(server) -> str:
    return group_output(run_on(server, "iam-create-group", {"scim": '{"displayName": "Team"}'}), "CreateGroup")["id"]


# command -> (the method the fault hits, set-up returning the command's args)
COMMANDS = {
    "test-module": ("GET", lambda s: {}),
    "get-mapping-fields": ("GET", lambda s: {}),
    "iam-get-user": ("GET", lambda s: make_user(s) and {"user-profile": PERSON["username"]}),
    "iam-create-user": ("POST", lambda s: {"user-profile": json.dumps(PERSON)}),
    "iam-update-user": ("PATCH", lambda s: make_user(s) and {"user-profile": json.dumps({**PERSON, "title": "X"})}),
    "iam-disable-user": ("PATCH", lambda s: make_user(s) and {"user-profile": PERSON["username"], "polling": "false"}),
    "iam-get-group": ("GET", lambda s: {"scim": json.dumps({"id": make_group(s)})}),
    "iam-create-group": ("POST", lambda s: {"scim": '{"displayName": "Team"}'}),
    "iam-update-group": ("PATCH", lambda s: {"scim": json.dumps({"id": make_group(s)}), "memberIdsToAdd": f"{uid(1)},{uid(2)}"}),
    "iam-delete-group": ("DELETE", lambda s: {"scim": json.dumps({"id": make_group(s)})}),
    "aws-ilm-list-users": ("GET", lambda s: make_user(s) and {"limit": "10"}),
    "aws-ilm-list-groups": ("GET", lambda s: make_group(s) and {"member_id": make_user(s)}),
}
# fault -> (server fault, how the user sees it when the command cannot recover)
FAULTS = {
    "401": ({"kind": "status", "status": 401}, 401),
    "403": ({"kind": "status", "status": 403}, 403),
    "404": ({"kind": "status", "status": 404}, 404),
    "409": ({"kind": "status", "status": 409}, 409),
    "429 then success": ({"kind": "status", "status": 429, "retry_after": "1"}, None),
    "429 forever": ({"kind": "status", "status": 429, "retry_after": "1", "times": -1}, 429),
    "500 then success": ({"kind": "status", "status": 500}, None),
    "503 forever": ({"kind": "status", "status": 503, "times": -1}, 503),
    "read timeout": ({"kind": "hang", "seconds": 0.6}, None),
    "connection reset": ({"kind": "drop"}, None),
    "non-JSON body": ({"kind": "nonjson", "times": -1}, 502),
    "HTML error page": ({"kind": "html", "status": 403, "times": -1}, 403),
}
# cells whose outcome differs from "success when recovered, else failure with that code"
SPECIAL = {
    ("iam-get-group", "404"): ("failure", 404, "Group Not Found"),
    ("iam-delete-group", "404"): ("failure", 404, "Group Not Found"),
    ("iam-create-group", "409"): ("failure", 409, "Group already exists"),
    ("iam-create-user", "409"): ("failure", 409, "User already exists"),
    ("iam-delete-group", "non-JSON body"): ("success", None, ""),   # a DELETE's body is not read
    ("aws-ilm-list-groups", "404"): ("success", None, ""),   # AWS's 404 for an unknown member id: no groups
}


def expected(command: str, fault: str) -> tuple:
    code = FAULTS[fault][1]
    if (command, fault) in SPECIAL:
        return SPECIAL[(command, fault)]
    if code is None or command == "get-mapping-fields":   # recovered, or the built-in field list
        return ("success", None, "")
    return ("error entry" if command == "test-module" or command in AWS_ILM.LIST_COMMANDS else "failure", code, "")


def outcome(command: str, entries: list) -> tuple:
    assert len(entries) == 1
    entry = entries[0]
    if command == "test-module":
        return ("success", None, "") if entry == "ok" else ("error entry", entry["Contents"], "")
    if command == "get-mapping-fields":
        return ("success", None, "") if entry["User Profile"].get("userName") else ("failure", None, "")
    if command in AWS_ILM.LIST_COMMANDS:
        return ("error entry", entry["Contents"], "") if entry["Type"] == 4 else ("success", None, "")
    key = next(k for k in entry["EntryContext"] if not k.startswith("IAM.UserProfile"))
    result = entry["EntryContext"][key]
    return ("success" if result["success"] else "failure", result["errorCode"], result["errorMessage"] or "")


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("command", COMMANDS)
def test_fault_matrix(aws, waits, command, fault):
    method, prepare = COMMANDS[command]
    args = prepare(aws)
    aws.add_fault(method=method, **FAULTS[fault][0])
    waits.clear()
    entries = run_on(aws, command, args)
    want_kind, want_code, want_text = expected(command, fault)
    got_kind, got_code, got_text = outcome(command, entries)
    assert got_kind == want_kind, (entries, want_kind)
    if want_kind == "failure":
        assert got_code == want_code and got_text and want_text in got_text, entries
    if want_kind == "error entry":
        assert got_code, entries
    budget = budget_of(command)
    assert sum(waits) <= budget
    if fault == "429 forever" and command != "get-mapping-fields":   # throttling waited out until the budget
        assert sum(waits) > budget * 0.8, (sum(waits), budget)
        assert "time budget ran out" in json.dumps(entries)
    if fault == "503 forever":   # a failing AWS is reported within seconds
        assert len(waits) == AWS_ILM.SERVER_ERROR_RETRIES and sum(waits) <= 7.5, waits


def budget_of(command: str) -> float:
    return AWS_ILM.INTERACTIVE_BUDGET_SECONDS if command in AWS_ILM.INTERACTIVE_COMMANDS else \
        AWS_ILM.COMMAND_BUDGET_SECONDS


@pytest.mark.parametrize("command", COMMANDS)
def test_two_throttles_with_retry_after_cost_two_seconds(aws, waits, command):
    method, prepare = COMMANDS[command]
    args = prepare(aws)
    aws.add_fault(kind="status", status=429, retry_after="1", times=2, method=method)
    waits.clear()
    assert outcome(command, run_on(aws, command, args))[0] == "success"
    assert waits == [1.0, 1.0]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_persistent_server_error_is_reported_within_seconds(aws, waits, status):
    """Given AWS answering 5xx to every request, when iam-get-user runs, then it gives up after 6 attempts, within
    about 10 s, with AWS's detail and the attempts (AWS's SDKs retry 5xx a few times, not for minutes)."""
    aws.add_fault(kind="status", status=status, times=-1)
    result = vendor(run_on(aws, "iam-get-user", {"user-profile": "x"}))
    assert result["errorCode"] == status and "gave up after 6 attempts" in result["errorMessage"]
    assert len(aws.hooks.requests) == 6 and sum(waits) <= 7.5
    assert all(0 <= wait <= AWS_ILM.SERVER_ERROR_BACKOFF_CAP for wait in waits)   # full jitter, capped


def test_five_server_errors_then_success_succeed(aws, waits):
    make_user(aws)
    aws.hooks.requests.clear()
    aws.add_fault(kind="status", status=500, times=5, method="GET")
    result = vendor(run_on(aws, "iam-get-user", {"user-profile": PERSON["username"]}))
    assert result["success"] is True and len(aws.hooks.requests) == 6 and len(waits) == 5


def test_a_persistent_server_error_answers_within_about_ten_seconds_of_real_time(aws):
    aws.add_fault(kind="status", status=500, times=-1)
    started = time.monotonic()
    result = vendor(run_on(aws, "iam-get-user", {"user-profile": "x"}))
    assert result["errorCode"] == 500 and time.monotonic() - started < 12


def test_six_throttles_with_retry_after_one_second_on_one_request_succeed(aws, waits):
    make_user(aws)
    aws.hooks.requests.clear()
    aws.add_fault(kind="status", status=429, retry_after="1", times=6, method="GET")
    result = vendor(run_on(aws, "iam-get-user", {"user-profile": PERSON["username"]}))
    assert result["success"] is True and result["username"] == PERSON["username"]
    assert waits == [1.0] * 6 and len(aws.hooks.requests) == 7


def test_throttling_without_retry_after_backs_off_with_full_jitter(aws, waits):
    aws.add_fault(kind="status", status=429, times=30)
    assert vendor(run_on(aws, "iam-get-user", {"user-profile": "x"}))["errorCode"] == 404   # waited out, then served
    assert len(waits) == 30 and min(waits) < AWS_ILM.BACKOFF_CAP_SECONDS / 2 <= max(waits) <= AWS_ILM.BACKOFF_CAP_SECONDS
    ceilings = [AWS_ILM.backoff_ceiling(attempt) for attempt in range(30)]
    assert all(wait <= ceiling for wait, ceiling in zip(waits, ceilings, strict=True))


def test_retry_after_as_an_http_date(aws, waits):
    aws.add_fault(kind="status", status=429, retry_after="Mon, 30 Nov 2020 00:00:00 GMT")
    assert vendor(run_on(aws, "iam-get-user", {"user-profile": "x"}))["errorCode"] == 404   # retried, then served
    assert len(aws.hooks.requests) == 2 and sum(waits) < 1


def test_retry_after_beyond_the_budget_fails_at_once_naming_the_wait(aws, waits):
    aws.add_fault(kind="status", status=429, retry_after="3600", times=-1)
    result = vendor(run_on(aws, "iam-get-user", {"user-profile": "x"}))
    assert result["errorCode"] == 429 and len(aws.hooks.requests) == 1 and waits == []
    assert re.search(r"AWS asked to wait 3600 s \(Retry-After\).*more than the 1\d\d s this command has left",
                     result["errorMessage"]), result["errorMessage"]


def test_retry_after_that_fits_what_is_left_is_honoured_then_a_longer_one_is_not(aws, waits, monkeypatch):
    monkeypatch.setattr(AWS_ILM, "COMMAND_BUDGET_SECONDS", 10.0)
    aws.add_fault(kind="status", status=429, retry_after="4", times=2)
    aws.add_fault(kind="status", status=429, retry_after="5", times=1)
    result = vendor(run_on(aws, "iam-get-user", {"user-profile": "x"}))
    assert waits == [4.0, 4.0] and result["errorCode"] == 429   # 4 + 4 s waited; 5 s more would pass 10 s
    assert "time budget ran out; gave up after 3 attempts" in result["errorMessage"]
    assert "AWS asked to wait 5 s more" in result["errorMessage"]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409])
def test_client_errors_are_never_retried(aws, waits, status):
    aws.add_fault(kind="status", status=status, times=-1)
    run_on(aws, "iam-create-group", {"scim": '{"displayName": "G"}'})
    assert [r.method for r in aws.hooks.requests if r.method == "POST"] == ["POST"] and waits == []


def test_a_retried_request_is_logged_once_without_the_token(aws, waits):
    aws.add_fault(kind="status", status=503, times=2)
    assert vendor(run_on(aws, "iam-get-user", {"user-profile": "x"}))["errorCode"] == 404
    retries = [(level, message) for level, message in xsoar_server.logged() if "retr" in message]
    assert len(retries) == 1 and retries[0][0] == "debug", retries
    assert "/Users answered 200 after 2 retries" in retries[0][1] and "(server error 2)" in retries[0][1]


def test_a_request_given_up_is_logged_once_and_expected_failures_are_no_errors(aws, waits):
    aws.add_fault(kind="status", status=503, times=-1)
    assert vendor(run_on(aws, "iam-get-user", {"user-profile": "x"}))["errorCode"] == 503
    logs = xsoar_server.logged()
    retries = [message for _, message in logs if "retries over" in message]
    assert len(retries) == 1 and "gave up (503)" in retries[0] and "after 5 retries" in retries[0]
    assert [message for level, message in logs if level == "error"] == []


def test_no_retry_starts_after_the_command_deadline(aws, waits, monkeypatch):
    monkeypatch.setattr(AWS_ILM, "COMMAND_BUDGET_SECONDS", 3.0)
    group_id = make_group(aws)
    aws.add_fault(kind="status", status=429, method="PATCH", times=-1)
    out = group_output(run_on(aws, "iam-update-group", {"scim": json.dumps({"id": group_id}),
                                                        "memberIdsToAdd": uid(1)}), "UpdateGroup")
    assert out["errorCode"] == 429 and sum(waits) <= 3.0 and "time budget ran out" in out["errorMessage"]


def test_a_hung_server_ends_within_the_budget(aws, waits, monkeypatch):
    monkeypatch.setattr(AWS_ILM, "REQUEST_TIMEOUT", (2.0, 0.2))
    aws.add_fault(kind="hang", seconds=0.4, times=-1)
    started = time.monotonic()
    result = vendor(run_on(aws, "iam-get-user", {"user-profile": "x"}))
    assert result["errorCode"] == 504 and time.monotonic() - started < 5


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_refused_connection_is_tried_twice_and_names_the_host(aws, waits):
    url = f"http://127.0.0.1:{closed_port()}"
    result = vendor(run_on(aws, "iam-get-user", {"user-profile": "x"}, url=url))
    assert result["errorCode"] == 502 and len(waits) == AWS_ILM.CONNECT_RETRIES == 1
    assert result["errorMessage"].startswith(f"Could not connect to {url[7:]} (the connection was refused)")
    group = group_output(run_on(aws, "iam-update-group", {"scim": '{"id": "g"}', "memberIdsToAdd": uid(1)}, url=url),
                         "UpdateGroup")
    assert "Could not connect" in group["errorMessage"] and "may have applied" not in group["errorMessage"]


def test_running_out_of_retries_says_how_many_attempts_over_how_long(aws, waits):
    aws.add_fault(kind="status", status=429, times=-1)
    message = vendor(run_on(aws, "iam-get-user", {"user-profile": "x"}))["errorMessage"]
    assert re.search(r"the command's time budget ran out; gave up after \d\d+ attempts over 1\d\d s", message), message


def test_a_lost_group_patch_answer_says_aws_may_have_applied_it(aws, waits):
    group_id = make_group(aws)
    aws.add_fault(kind="lost", method="PATCH", times=-1)
    out = group_output(run_on(aws, "iam-update-group", {"scim": json.dumps({"id": group_id}),
                                                        "memberIdsToAdd": uid(1)}), "UpdateGroup")
    assert out["errorCode"] == 502 and "AWS may have applied it" in out["errorMessage"]


# ----- idempotent outcomes ---------------------------------------------------------------------------
def test_a_create_whose_answer_is_lost_creates_one_user(aws, waits):
    aws.add_fault(kind="lost", method="POST")
    result = vendor(run_on(aws, "iam-create-user", {"user-profile": json.dumps(PERSON)}))
    assert result["success"] is True and result["action"] == "create"
    assert [u["userName"] for u in aws.resources("User")] == ["ann@example.com"]


def test_a_group_patch_whose_answer_is_lost_is_applied_once(aws, waits):
    group_id = make_group(aws)
    aws.add_fault(kind="lost", method="PATCH")
    out = group_output(run_on(aws, "iam-update-group", {"scim": json.dumps({"id": group_id}),
                                                        "memberIdsToAdd": f"{uid(1)},{uid(2)}"}), "UpdateGroup")
    assert out["success"] is True and aws.member_ids(group_id) == {uid(1), uid(2)}


def test_a_partial_group_update_over_http_reports_what_was_applied(aws, waits):
    group_id = make_group(aws)
    ids = [uid(i) for i in range(250)]
    aws.add_fault(kind="status", status=500, method="PATCH", times=-1, after=1)   # the 2nd PATCH on fails
    out = group_output(run_on(aws, "iam-update-group", {"scim": json.dumps({"id": group_id}),
                                                        "memberIdsToAdd": ids}), "UpdateGroup")
    assert out["success"] is False and out["errorCode"] == 500 and "Applied 100 of 250" in out["errorMessage"]
    assert out["details"]["membersAdded"] == ids[:100] and out["details"]["notAdded"] == ids[100:]
    assert aws.member_ids(group_id) == set(ids[:100])


def test_paths_cannot_reach_another_resource(aws, waits):
    group_id = make_group(aws)
    out = group_output(run_on(aws, "iam-delete-group", {"scim": json.dumps({"id": f"../Groups/{group_id}"})}),
                       "DeleteGroup")
    assert out["errorCode"] == 404 and aws.member_ids(group_id) == set()


# ----- bad input ---------------------------------------------------------------------------------------
BIG = json.dumps({**PERSON, "title": "x" * 3_000_000})
USER_INPUTS = [   # (case, user-profile, what the message must say)
    ("malformed JSON", '{"username": ', "not valid JSON"),
    ("JSON array in an array", json.dumps([[PERSON, PERSON]]), "must be a JSON object, not a list"),
    ("empty JSON array", "[]", "empty list"),
    ("JSON null", "null", "not null"),
    ("JSON true", "true", "not true/false"),
    ("empty object", "{}", "empty object"),
    ("missing", None, "user-profile is missing"),
    ("blank", "   ", "user-profile is missing"),
    ("no identifier", '{"title": "CTO", "department": "IT"}', "no identifier"),
    ("username is an object", '{"username": {"a": 1}, "givenname": "A", "surname": "B"}', '"userName" must be text'),
    ("username is a list", '{"username": ["a", "b"]}', '"userName" must be text'),
    ("raw control character", '{"username": "a\x00b"}', "not valid JSON"),
    ("3 MB profile", BIG, "characters long"),
    ("3 MB profile as an object", json.loads(BIG), "characters long"),
    ("userName of blanks only", '{"username": "   ", "givenname": "A"}', "no identifier"),
    ("olduserdata not JSON", '{"username": "ann@example.com", "olduserdata": "{x"}', "olduserdata"),
]
USER_COMMANDS = ["iam-get-user", "iam-create-user", "iam-update-user", "iam-disable-user"]
GROUP_INPUTS = [
    ("malformed JSON", "{", "not valid JSON"),
    ("JSON array", "[]", "must be a JSON object"),
    ("JSON number", "1", "must be a JSON object"),
    ("empty object", "{}", "displayName"),
    ("id is a list", '{"id": ["a"]}', "must be a string"),
    ("missing", None, "must be a JSON object"),
    ("id is '..'", '{"id": ".."}', "not a valid id"),
]
GROUP_COMMANDS = {"iam-get-group": {}, "iam-create-group": {}, "iam-update-group": {"memberIdsToAdd": uid(1)},
                  "iam-delete-group": {}}


@pytest.mark.parametrize("case, profile, message", USER_INPUTS, ids=[c[0] for c in USER_INPUTS])
@pytest.mark.parametrize("command", USER_COMMANDS)
def test_bad_user_input(aws, command, case, profile, message):
    result = vendor(run_on(aws, command, {"user-profile": profile}))
    if command == "iam-create-user" and message == "no identifier":
        message = "AWS requires userName"
    assert result["success"] is False and result["errorCode"] == 400 and message in result["errorMessage"], result
    assert not [r for r in aws.hooks.requests if r.method != "GET"]


@pytest.mark.parametrize("case, scim, message", GROUP_INPUTS, ids=[c[0] for c in GROUP_INPUTS])
@pytest.mark.parametrize("command", GROUP_COMMANDS)
def test_bad_group_input(aws, command, case, scim, message):
    if command == "iam-create-group" and case.startswith("id "):   # create reads only displayName
        message = "displayName"
    prefix = AWS_ILM.GROUP_OUTPUTS[command][0]
    out = group_output(run_on(aws, command, {"scim": scim, **GROUP_COMMANDS[command]}), prefix)
    assert out["success"] is False and out["errorCode"] == 400 and message in out["errorMessage"], out
    assert aws.hooks.requests == []


@pytest.mark.parametrize("members, message", [
    ("[broken", "not a valid list"), ('[{"x": 1}]', "not a user id"), ("[true]", "not a user id"),
    ('[["nested"]]', "not a user id"), ("", "Nothing to change"),
])
def test_bad_member_ids(aws, members, message):
    out = group_output(run_on(aws, "iam-update-group", {"scim": '{"id": "g"}', "memberIdsToAdd": members}),
                       "UpdateGroup")
    assert out["errorCode"] == 400 and message in out["errorMessage"] and aws.hooks.requests == []


def test_unicode_profile_round_trips(aws):
    person = {"username": "jösé.ñúñez@例え.jp", "givenname": "José", "surname": "Ñúñez", "email": "jose@example.com",
              "title": "Ingeniero 🚀"}
    assert vendor(run_on(aws, "iam-create-user", {"user-profile": json.dumps(person)}))["success"] is True
    found = vendor(run_on(aws, "iam-get-user", {"user-profile": json.dumps({"username": person["username"]})}))
    assert found["details"]["title"] == "Ingeniero 🚀" and found["details"]["displayName"] == "José Ñúñez"


def test_ten_thousand_member_ids(requests_mock):
    patch = requests_mock.patch(conftest.API + "Groups/g1", status_code=204)
    ids = [uid(i) for i in range(10_000)]
    out = group_output(run_command("iam-update-group", {"scim": '{"id": "g1"}', "memberIdsToDelete": ids}),
                       "UpdateGroup")
    assert out["success"] is True and patch.call_count == math.ceil(len(ids) / 100)
    assert all(len(r.json()["Operations"][0]["value"]) == 100 for r in patch.request_history)


# ----- properties: no input and no answer makes a command crash ---------------------------------------
TRICKY = st.sampled_from(['a" or userName pr "', "..", "../Groups", "\\", "\x00\x07", "é例🚀", "", " ", "null",
                          "true", "[1]", "{", "urn:scim:schemas:extension:enterprise:1.0.department", "name.givenName"])
SCALAR = st.none() | st.booleans() | st.integers(-2, 10**6) | st.text(max_size=12) | TRICKY
JSONISH = st.recursive(SCALAR, lambda inner: st.lists(inner, max_size=3) |
                       st.dictionaries(st.text(max_size=6) | TRICKY, inner, max_size=3), max_leaves=4)
PROFILE_KEYS = st.sampled_from(["username", "email", "givenname", "surname", "displayname", "employeeid", "id",
                                "title", "department", "olduserdata", "mobilephone", "city"])
PROFILE = st.dictionaries(PROFILE_KEYS, JSONISH, max_size=5)
ARG_VALUE = st.one_of(SCALAR, JSONISH.map(json.dumps), PROFILE.map(json.dumps), PROFILE)
ANSWER = st.tuples(st.sampled_from([200, 201, 204, 400, 401, 404, 409, 429, 500, 503]),
                   st.one_of(JSONISH, st.just({"Resources": [{"id": "u1", "userName": "a", "active": False}]})))
ARGUMENTS = {
    "iam-get-user": ["user-profile"], "iam-create-user": ["user-profile", "allow-enable"],
    "iam-update-user": ["user-profile", "allow-enable"], "iam-disable-user": ["user-profile"],
    "iam-get-group": ["scim", "includeMembers"], "iam-create-group": ["scim"],
    "iam-update-group": ["scim", "memberIdsToAdd", "memberIdsToDelete"], "iam-delete-group": ["scim"],
    "test-module": [], "get-mapping-fields": [],
    "aws-ilm-list-users": ["user_name", "external_id", "group_id", "limit", "next_token"],
    "aws-ilm-list-groups": ["display_name", "external_id", "member_id", "limit", "next_token"],
}
EXAMPLES = int(__import__("os").environ.get("AWS_ILM_EXAMPLES", "2000"))


@pytest.mark.properties
@pytest.mark.parametrize("command", ARGUMENTS)
def test_no_input_or_answer_crashes_a_command(command, waits):
    import requests_mock

    names = ARGUMENTS[command]
    answer_now: dict = {}

    def respond(request, context):
        context.status_code = answer_now["status"]
        return "" if answer_now["status"] == 204 else json.dumps(answer_now["body"])

    @seed(20261130)
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(args=st.fixed_dictionaries({}, optional=dict.fromkeys(names, ARG_VALUE)), answer=ANSWER)
    def check(args, answer):
        answer_now["status"], answer_now["body"] = answer
        entries = run_command(command, args)
        assert len(entries) == 1
        entry = entries[0]
        if isinstance(entry, dict) and entry.get("Type") == 4:
            assert entry["Contents"] and "Traceback" not in entry["Contents"]
            assert "Unexpected error" not in entry["Contents"], (args, answer, entry["Contents"])
        elif command in AWS_ILM.USER_COMMANDS:   # one IAM entry, or for several users one batch of them
            if entry.get("PollingCommand"):   # a user AWS throttled waits for the command's next run
                assert entry["PollingArgs"]["continuation"] and "It continues in" in entry["HumanReadable"]
            value = entry["EntryContext"].get(AWS_ILM.IAM_VENDOR_KEY, [] if entry.get("PollingCommand") else None)
            for result in value if isinstance(value, list) and command in AWS_ILM.SEVERAL_USERS_COMMANDS else [value]:
                assert isinstance(result["success"], bool)
                assert list(result) in (list(AWS_ILM.VENDOR_KEYS), [*AWS_ILM.VENDOR_KEYS, "notes"])
                assert result["success"] or (result["errorCode"] and result["errorMessage"])
                assert "Unexpected error" not in result["errorMessage"], (args, answer, result)
        elif command in AWS_ILM.GROUP_COMMANDS:
            out = group_output(entries, AWS_ILM.GROUP_OUTPUTS[command][0])
            assert out["success"] or (out["errorCode"] and out["errorMessage"])
            assert not (out["errorCode"] == 500 and "Unexpected" in (out["errorMessage"] or "")), out

    with requests_mock.Mocker() as mock:
        mock.register_uri(requests_mock.ANY, requests_mock.ANY, text=respond)
        check()


# ----- secrets -------------------------------------------------------------------------------------------
def test_token_never_appears_in_anything_emitted(requests_mock, waits):
    """run_command() scans every entry and log line of the suite; here AWS even echoes the token back."""
    requests_mock.get(conftest.API + "Users", status_code=400, text=f"bad token {conftest.TOKEN}")
    requests_mock.get(conftest.API + "ServiceProviderConfig", status_code=500, text=conftest.TOKEN)
    assert "<token>" in vendor(run_command("iam-get-user", {"user-profile": "x"}))["errorMessage"]
    run_command("test-module")
    assert conftest.ENTRIES_SEEN and not [text for text in conftest.ENTRIES_SEEN if conftest.TOKEN in text]
