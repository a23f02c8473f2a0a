"""Block Account of any size: iam-disable-user and iam-enable-user continue themselves through the platform's
ScheduledCommand, end to end through main() with the platform stand-in following each run's PollingCommand as the
platform does (a new execution with PollingArgs, NextRun recorded and not slept), against the AWS-flavoured server.
Across the runs every user is named exactly once; the server's state is asserted after the last run."""
import json

import bench_bulk
import pytest
import xsoar_server
from xsoar_server import Context, execute_polling, flat

import AWS_ILM
from AWS_ILM_containment_test import directory, groups_of, name, records
from conftest import run_on

CONTINUATIONS = "continuations"


def each_run(polling) -> list:
    """Per run: (the IAM.Vendor results, whether it scheduled another, its readable text)."""
    runs = []
    for entries in polling.runs:
        context = Context().add(entries)
        runs.append((context.objects("IAM.Vendor"), bool(xsoar_server.scheduled(entries)),
                     "".join(entry.get("HumanReadable") or "" for entry in flat(entries))))
    return runs


def held_context() -> dict:
    return xsoar_server.CONTEXTS.get(xsoar_server.DEFAULT_INSTANCE)["context"]


def patch_users(aws) -> list:
    return [r.path for r in aws.hooks.requests if r.method == "PATCH" and r.path.startswith("/Users/")]


@pytest.fixture
def short_runs(monkeypatch, aws):
    """Each execution gets 1 s for AWS (as a platform limit would give it); once the test has set the tenant up,
    it applies AWS's quotas (25 writes a second for each write API): a run does about 30 users."""
    monkeypatch.setattr(AWS_ILM, "COMMAND_BUDGET_SECONDS", 1.0)
    yield lambda: aws.apply_quotas(40.0, 25.0)
    aws.apply_quotas(None)


def test_block_account_continues_over_several_runs_and_names_every_user_once(aws, short_runs):
    ids, bystanders, groups = directory(aws, blocked=120)
    short_runs()
    polling = execute_polling(AWS_ILM.main, "iam-disable-user", aws.params(),
                              {"user-profile": [name(n) for n in range(120)], "remove-from-groups": "true"})
    runs = each_run(polling)
    assert len(runs) >= 3 and [scheduled for _, scheduled, _ in runs] == [True] * (len(runs) - 1) + [False]
    named = [v["username"] for vendors, _, _ in runs for v in vendors]
    assert sorted(named) == sorted(name(n) for n in range(120))   # each user in exactly one run's results
    assert all(v["success"] and v["active"] is False for vendors, _, _ in runs for v in vendors)
    assert all(wait >= 10 for wait in polling.waits)
    held = {user["id"]: user for user in aws.resources("User")}
    assert all(held[i]["active"] is False and groups_of(aws, i) == set() for i in ids)
    assert all(held[i]["active"] is True and groups_of(aws, i) == set(groups) for i in bystanders)
    assert set(records()) == set(ids) and held_context().get(CONTINUATIONS) == {}
    *middle, (_, _, last) = runs
    assert all("What stays open" not in text and "It continues in" in text for _, _, text in middle)
    assert "### What stays open" in last and "120 disabled" in last and "every user is done" in last
    deny = Context().add(polling.runs[-1]).get("AWSILM.DenyStatement")
    assert sorted(deny["userIds"]) == sorted(ids)   # the Deny holds every user the runs disabled


def test_a_run_killed_midway_is_resumed_from_what_aws_holds_without_disabling_anyone_twice(aws, short_runs,
                                                                                             monkeypatch):
    ids, _, groups = directory(aws, blocked=120)
    args = {"user-profile": [name(n) for n in range(120)], "remove-from-groups": "true"}
    short_runs()
    first = xsoar_server.execute(AWS_ILM.main, "iam-disable-user", aws.params(), args)
    follow = xsoar_server.scheduled(first)
    assert follow, "the first run did not finish the 120 users, so it schedules the rest"
    original = AWS_ILM.keep_continuation

    def killed(*_args, **_kwargs):
        raise SystemExit(1)   # the execution is ended before it reports or keeps its state
    monkeypatch.setattr(AWS_ILM, "keep_continuation", killed)
    assert flat(xsoar_server.execute(AWS_ILM.main, "iam-disable-user", aws.params(), follow["PollingArgs"])) == []
    monkeypatch.setattr(AWS_ILM, "keep_continuation", original)
    resumed = execute_polling(AWS_ILM.main, "iam-disable-user", aws.params(), dict(follow["PollingArgs"]))
    named = [v["username"] for v in Context().add(first).objects("IAM.Vendor")] + [
        v["username"] for vendors, _, _ in each_run(resumed) for v in vendors]
    assert sorted(named) == sorted(name(n) for n in range(120))   # the killed run reported nobody
    assert all(patch_users(aws).count(f"/Users/{i}") == 1 for i in ids)   # nobody disabled twice
    assert all(groups_of(aws, i) == set() for i in ids)
    assert all(len(records()[i]["groups"]) == len(groups) for i in ids)   # no membership record lost


def test_a_long_retry_after_reschedules_instead_of_sleeping(aws, monkeypatch):
    slept: list = []
    monkeypatch.setattr(AWS_ILM, "pause", slept.append)
    bench_bulk.prepare(aws, 1, prefix="jdoe")
    aws.add_fault(kind="status", status=429, retry_after="120", method="PATCH", path="/Users", times=1)
    polling = execute_polling(AWS_ILM.main, "iam-disable-user", aws.params(), {"user-profile": name()})
    runs = each_run(polling)
    assert len(runs) == 2 and polling.waits == [120.0] and not any(wait >= 10 for wait in slept)
    assert runs[0][0] == [] and "It continues in 120 s" in runs[0][2]
    assert [(v["username"], v["active"]) for v in runs[1][0]] == [(name(), False)]
    assert aws.resources("User")[0]["active"] is False


def test_where_the_platform_cannot_schedule_a_run_stops_at_its_budget_and_names_the_users_not_reached(
        aws, short_runs, monkeypatch):
    directory(aws, blocked=120)
    monkeypatch.setattr(xsoar_server, "SERVER_VERSION", {"version": "6.1.0", "buildNumber": "1"})
    short_runs()
    for args in ({}, {"polling": "false"}):   # an old server; a playbook that turns polling off
        entries = run_on(aws, "iam-disable-user", {"user-profile": [name(n) for n in range(120)], **args})
        vendors = Context().add(entries).objects("IAM.Vendor")
        assert not xsoar_server.scheduled(entries) and len(vendors) == 120
        assert any("before this user was reached" in (v["errorMessage"] or "") for v in vendors)
        monkeypatch.setattr(xsoar_server, "SERVER_VERSION", {"version": "8.9.0", "buildNumber": "1"})


def test_enable_with_restore_continues_too(aws, short_runs):
    ids, _, groups = directory(aws, blocked=120)
    run_on(aws, "iam-disable-user", {"user-profile": [name(n) for n in range(120)], "remove-from-groups": "true",
                                     "polling": "false"})
    short_runs()
    polling = execute_polling(AWS_ILM.main, "iam-enable-user", aws.params(),
                              {"user-profile": json.dumps([name(n) for n in range(120)]), "restore-groups": "true"})
    runs = each_run(polling)
    assert len(runs) >= 2
    assert sorted(v["username"] for vendors, _, _ in runs for v in vendors) == sorted(name(n) for n in range(120))
    assert all(user["active"] for user in aws.resources("User"))
    assert all(groups_of(aws, i) == set(groups) for i in ids) and records() == {}


def test_a_continuation_that_is_not_recorded_says_what_to_do(aws):
    entries = run_on(aws, "iam-disable-user", {"user-profile": "(continued)", "continuation": "gone-1"})
    result = Context().add(entries).objects("IAM.Vendor")[0]
    assert result["errorCode"] == 400 and "not recorded on this instance" in result["errorMessage"]


@pytest.mark.parametrize("throttled", ["/Users", "/Groups"])
def test_three_runs_that_finish_nobody_end_the_continuation_with_the_user_named(aws, monkeypatch, throttled):
    """AWS throttles every PatchUser (or every PatchGroup) for longer than a run waits: three runs in a row finish
    nobody, then the fourth reports the user with what AWS answered instead of scheduling a fifth."""
    monkeypatch.setattr(AWS_ILM, "pause", lambda seconds: None)
    ids, _, groups = directory(aws, blocked=1)
    aws.add_fault(kind="status", status=429, retry_after="30", method="PATCH", path=throttled, times=-1)
    polling = execute_polling(AWS_ILM.main, "iam-disable-user", aws.params(),
                              {"user-profile": name(0), "remove-from-groups": "true"}, max_runs=10)
    runs = each_run(polling)
    assert [scheduled for _, scheduled, _ in runs] == [True, True, True, False]
    assert [len(vendors) for vendors, _, _ in runs] == [0, 0, 0, 1]
    (result,) = runs[-1][0]
    assert result["username"] == name(0)
    if throttled == "/Users":
        assert result["success"] is False and result["errorCode"] == 429
        assert "longer than a run of this command waits (10 s)" in result["errorMessage"]
        assert aws.resources("User")[0]["active"] is True
    else:
        assert result["active"] is False and "AWS answered 429" in runs[-1][2]
        assert groups_of(aws, ids[0]) == set(groups) and set(records()) == set(ids)   # kept for a restore
    assert held_context().get(CONTINUATIONS) == {}
