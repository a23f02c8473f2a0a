"""The integration as the platform runs it: demisto-sdk's unified script from the laid-out pack, pasted after
CommonServerPython into the loop's integration template, compiled as '<string>' and exec'd without __name__ or
__file__ (runtime/docker_loop.py), its every call to the server answered over real pipes (runtime/loop_server.py),
against the AWS-flavoured SCIM server on loopback. Each scenario runs with and without debug mode, command after
command in the same loop process, as the platform reuses its container; the server's state is asserted after each.

AWS_ILM_UNIFIED names another unified yml to run (e.g. an earlier commit's: `UNIFY_SOURCE=... UNIFY_OUT=...
bash .ci/sdk_gate.sh unify`).
"""
import json

import bench_bulk
import pytest
from loop_server import IntegrationContext, LoopServer

JANE = {"username": "jane.loop@example.com", "email": "jane.loop@example.com", "givenname": "Jane",
        "surname": "Loop", "displayname": "Jane Loop", "title": "Engineer", "employeeid": "L-1"}


@pytest.fixture(scope="module")
def _loop():
    with LoopServer() as server:
        yield server


@pytest.fixture
def loop(_loop):
    """The module's loop process, with a new instance (an empty integration context) for each test."""
    _loop.context = IntegrationContext()
    return _loop


@pytest.fixture
def tenant():
    from aws_scim_server import AwsScimServer
    with AwsScimServer() as server:
        yield server


def ran(execution) -> list:
    """The entries of an execution that completed cleanly: no exception line, no crossed or garbled line."""
    assert not execution.hung, f"the execution hung after {execution.calls} calls"
    assert execution.completed, "the loop sent no completed line"
    assert execution.exception == "", f"the loop reported an exception:\n{execution.exception[-2000:]}"
    assert execution.crossed == [] and execution.garbled == []
    assert execution.results, "the execution returned no entry"
    return execution.results


def vendor_of(entry: dict) -> dict:
    return next(value for key, value in entry["EntryContext"].items() if key.startswith("IAM.Vendor"))


@pytest.mark.parametrize("debug", [False, True], ids=["normal", "debug-mode"])
def test_every_command_runs_in_the_platforms_loop(loop, tenant, debug):
    params = tenant.params()
    assert ran(loop.execute("test-module", {}, params, debug))[0]["Contents"] == "ok"

    created = vendor_of(ran(loop.execute("iam-create-user", {"user-profile": json.dumps(JANE)}, params, debug))[0])
    assert created["success"] is True and created["action"] == "create"
    held = {user["userName"]: user for user in tenant.resources("User")}["jane.loop@example.com"]
    assert held["id"] == created["id"] and held["title"] == "Engineer"

    updated = vendor_of(ran(loop.execute("iam-update-user", {"user-profile": json.dumps({**JANE, "title": "CTO"})},
                                         params, debug))[0])
    assert updated["success"] is True and updated["details"]["title"] == "CTO"
    assert tenant.resources("User")[0]["title"] == "CTO"

    got = ran(loop.execute("iam-get-user", {"user-profile": json.dumps({"username": JANE["username"]})}, params,
                           debug))[0]
    assert vendor_of(got)["id"] == created["id"] and vendor_of(got)["active"] is True

    group = ran(loop.execute("iam-create-group", {"scim": json.dumps({"displayName": "Loopers"})}, params, debug))[0]
    group_id = group["Contents"]["id"]
    assert group["Contents"]["success"] is True and tenant.resources("Group")[0]["displayName"] == "Loopers"
    added = ran(loop.execute("iam-update-group", {"scim": json.dumps({"id": group_id}),
                                                  "memberIdsToAdd": created["id"]}, params, debug))[0]
    assert added["Contents"]["success"] is True and tenant.member_ids(group_id) == {created["id"]}

    listed = ran(loop.execute("aws-ilm-list-users", {"user_name": JANE["username"]}, params, debug))[0]
    assert [row["id"] for row in listed["EntryContext"]["AWSILM.User(val.id && val.id == obj.id)"]] == [created["id"]]


@pytest.mark.parametrize("debug", [False, True], ids=["normal", "debug-mode"])
def test_block_account_of_30_users_contains_them_and_restore_puts_one_back(loop, tenant, debug):
    params = tenant.params()
    ids = bench_bulk.prepare(tenant, 30)
    group_ids = bench_bulk.prepare_groups(tenant, ["Admins", "Developers"], ids)
    names = bench_bulk.user_names(30)

    entry = ran(loop.execute("iam-disable-user", {"user-profile": names, "remove-from-groups": "true"}, params,
                             debug))[0]
    vendors = vendor_of(entry)
    assert [v["username"] for v in vendors] == names
    assert [v for v in vendors if not v["success"] or v["active"] is not False][:1] == []
    assert all(user["active"] is False for user in tenant.resources("User"))
    assert all(tenant.member_ids(group_id) == set() for group_id in group_ids)
    assert "What stays open" in entry["HumanReadable"]

    restored = ran(loop.execute("iam-enable-user", {"user-profile": names[0], "restore-groups": "true"}, params,
                                debug))[0]
    assert vendor_of(restored)["active"] is True
    assert all(tenant.member_ids(group_id) == {ids[0]} for group_id in group_ids)
    assert set(loop.context.context["containedUsers"]) == set(ids[1:])   # the record kept the other 29


def test_the_loop_reports_a_script_that_does_not_compile():
    """The stand-in is not lenient: the SyntaxError of a `from __future__` import after other code is the loop's
    exception line, and the command returns nothing (what 2.0.0 did on the platform)."""
    from loop_server import Execution
    with LoopServer() as server:
        server.script += "\nfrom __future__ import annotations\n"
        execution: Execution = server.execute("test-module", {}, {})
    assert execution.completed and execution.results == []
    assert "SyntaxError: from __future__ imports must occur at the beginning of the file" in execution.exception


def test_a_one_minute_execution_stops_within_it_and_names_the_users_not_reached(loop, tenant):
    """The platform gives the execution 1 minute (runDuration): Block Account of 250 users against a tenant that
    answers 8 requests a second (429 and Retry-After beyond) disables what fits, stops starting users when the
    budget is spent, and reports within the minute, every user named: the users not reached are still active."""
    bench_bulk.prepare(tenant, 250)
    names = bench_bulk.user_names(250)
    tenant.limit_rate(8)
    try:
        execution = loop.execute("iam-disable-user", {"user-profile": names, "polling": "false"}, tenant.params(),
                                 run_duration=1)
    finally:
        tenant.limit_rate(None)
    vendors = vendor_of(ran(execution)[0])
    assert execution.seconds < 60, f"the execution took {execution.seconds:.0f} s"
    assert [v["username"] for v in vendors] == names
    not_reached = [v for v in vendors if "before this user was reached" in (v["errorMessage"] or "")]
    disabled = [v for v in vendors if v["success"] and v["active"] is False]
    cut_short = [v for v in vendors if v not in not_reached and v not in disabled]   # in flight when time ran out
    assert not_reached and disabled and len(not_reached) + len(disabled) + len(cut_short) == 250
    assert [v["errorMessage"] for v in cut_short if not any(reason in v["errorMessage"] for reason in (
        "time budget ran out", "this command has left"))] == []
    assert all("run the command again" in v["errorMessage"] and v["errorCode"] == 504 for v in not_reached)
    held = {user["userName"]: user["active"] for user in tenant.resources("User")}
    assert all(held[v["username"]] is True for v in not_reached + cut_short)
    assert all(held[v["username"]] is False for v in disabled)


def test_block_account_continues_itself_in_new_executions_of_the_loop(loop, tenant):
    """Each run is a fresh execution of the unified script (fresh globals, the same process and instance), started
    with the arguments the previous run's entry scheduled; every user is named in exactly one run."""
    ids = bench_bulk.prepare(tenant, 100)
    bench_bulk.prepare_groups(tenant, ["Admins"], ids)
    tenant.apply_quotas(40.0, 25.0)
    try:
        executions = loop.execute_polling("iam-disable-user", {"user-profile": bench_bulk.user_names(100),
                                                               "remove-from-groups": "true"}, tenant.params(),
                                          run_duration=0.05)   # 3 s a run
    finally:
        tenant.apply_quotas(None)
    assert len(executions) >= 2 and all(e.next_run and e.next_run >= 10 for e in executions[:-1])
    named = [v["username"] for execution in executions for entry in ran(execution)
             for key, values in (entry.get("EntryContext") or {}).items() if key.startswith("IAM.Vendor")
             for v in (values if isinstance(values, list) else [values])]
    assert sorted(named) == bench_bulk.user_names(100)
    assert all(user["active"] is False for user in tenant.resources("User"))
    assert tenant.member_ids(tenant.resources("Group")[0]["id"]) == set()
    assert loop.context.context.get("continuations") == {}
