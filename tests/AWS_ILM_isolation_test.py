"""One user's or group's defect never costs the others their results: a defect planted in one user's or one group's
work (an exception nobody expected) becomes that user's or group's failed result, naming it and the error, while
every other user is disabled, contained or restored and reported as it is. Through main() against the AWS-flavoured
server; the server's state is asserted after each run."""
import pytest
import xsoar_server
from xsoar_server import Context

import AWS_ILM
from AWS_ILM_containment_test import directory, groups_of, name, records
from conftest import run_on

PLANTED = "planted defect"


def plant(monkeypatch, function_name: str, strikes) -> None:
    """AWS_ILM.<function_name> raises RuntimeError(PLANTED) when `strikes(*args)` holds, else runs as it is."""
    original = getattr(AWS_ILM, function_name)

    def planted(*args, **kwargs):
        if strikes(*args):
            raise RuntimeError(PLANTED)
        return original(*args, **kwargs)
    monkeypatch.setattr(AWS_ILM, function_name, planted)


def errors() -> list:
    return [message for level, message in xsoar_server.logged() if level == "error"]


def test_a_defect_in_one_users_work_is_that_users_result(aws, monkeypatch):
    ids, _, groups = directory(aws, blocked=5)
    plant(monkeypatch, "run_user_in_time", lambda command, client, raw, *rest: raw == name(2))
    entries = run_on(aws, "iam-disable-user", {"user-profile": [name(n) for n in range(5)],
                                               "remove-from-groups": "true"})
    vendors = Context().add(entries).objects("IAM.Vendor")
    assert [v["username"] for v in vendors] == [name(n) for n in range(5)]
    failed = vendors[2]
    assert (failed["success"], failed["errorCode"]) == (False, 500)
    assert failed["errorMessage"] == f"Unexpected error: RuntimeError: {PLANTED}"
    assert all(v["success"] and v["active"] is False for n, v in enumerate(vendors) if n != 2)
    held = {user["id"]: user["active"] for user in aws.resources("User")}
    assert [held[i] for i in ids] == [False, False, True, False, False]   # the struck user was never reached
    assert all(groups_of(aws, ids[n]) == set() for n in (0, 1, 3, 4)) and groups_of(aws, ids[2]) == set(groups)
    assert len(errors()) == 1 and "Traceback" in errors()[0] and PLANTED in errors()[0]


def test_a_defect_in_one_users_group_read_leaves_the_user_disabled_and_says_to_run_again(aws, monkeypatch):
    ids, _, groups = directory(aws, blocked=3)
    plant(monkeypatch, "list_resources", lambda client, resource, scim_filter, *rest: ids[1] in (scim_filter or ""))
    entries = run_on(aws, "iam-disable-user", {"user-profile": [name(n) for n in range(3)],
                                               "remove-from-groups": "true"})
    context = Context().add(entries)
    assert len(context.objects("IAM.Vendor")) == 3
    assert all(v["success"] and v["active"] is False for v in context.objects("IAM.Vendor"))
    rows = {row["userId"]: row for row in context.objects("AWSILM.Containment")}
    assert rows[ids[1]]["groupsRemoved"] == [] and rows[ids[1]]["complete"] is False
    assert PLANTED in rows[ids[1]]["remark"] and "run the command again for this user" in rows[ids[1]]["remark"]
    assert groups_of(aws, ids[1]) == set(groups) and groups_of(aws, ids[0]) == groups_of(aws, ids[2]) == set()
    assert set(records()) == {ids[0], ids[2]}


def test_a_defect_in_one_groups_change_is_that_groups_and_the_others_are_removed_and_recorded(aws, monkeypatch):
    ids, bystanders, groups = directory(aws, blocked=4)
    struck = groups["Developers"]
    plant(monkeypatch, "remove_members", lambda client, group_id, user_ids: group_id == struck)
    entries = run_on(aws, "iam-disable-user", {"user-profile": [name(n) for n in range(4)],
                                               "remove-from-groups": "true"})
    context = Context().add(entries)
    vendors, rows = context.objects("IAM.Vendor"), context.objects("AWSILM.Containment")
    assert len(vendors) == len(rows) == 4 and set(records()) == set(ids)
    assert all(v["success"] and v["active"] is False for v in vendors)
    for row in rows:
        assert [g["displayName"] for g in row["groupsNotRemoved"]] == ["Developers"]
        assert row["groupsNotRemoved"][0]["reason"] == f"Unexpected error: RuntimeError: {PLANTED}"
        assert sorted(g["displayName"] for g in row["groupsRemoved"]) == ["Admins-Prod", "Break-Glass"]
    assert all(groups_of(aws, user_id) == {"Developers"} for user_id in ids)
    assert all(groups_of(aws, user_id) == set(groups) for user_id in bystanders)
    assert all(sorted(g["displayName"] for g in record["groups"]) == sorted(groups)   # recorded before removing
               for record in records().values())


def test_a_defect_in_one_groups_restore_is_that_groups_and_the_others_are_restored(aws, monkeypatch):
    (jdoe,), _, groups = directory(aws)
    run_on(aws, "iam-disable-user", {"user-profile": name(), "remove-from-groups": "true"})
    plant(monkeypatch, "add_member", lambda client, group_id, user_id: group_id == groups["Break-Glass"])
    entries = run_on(aws, "iam-enable-user", {"user-profile": name(), "restore-groups": "true"})
    restore = Context().add(entries).objects("AWSILM.Restore")[0]
    assert sorted(g["displayName"] for g in restore["groupsRestored"]) == ["Admins-Prod", "Developers"]
    assert [(g["displayName"], g["reason"]) for g in restore["groupsNotRestored"]] == [
        ("Break-Glass", f"Unexpected error: RuntimeError: {PLANTED}")]
    assert groups_of(aws, jdoe) == {"Admins-Prod", "Developers"}
    assert [g["displayName"] for g in records()[jdoe]["groups"]] == ["Break-Glass"]   # kept for another try


@pytest.mark.parametrize("limit, expected", [
    ({"runDuration": 1}, (40.0, 20.0)),                        # a 1-minute limit: 20 s kept for the report
    ({"runDuration": "5"}, (255.0, 45.0)),                     # 5 minutes: 15 % kept
    ({"TimeoutDuration": 600 * 10**9}, (540.0, 60.0)),         # 10 minutes, in nanoseconds: at most 60 s kept
    ({}, (AWS_ILM.COMMAND_BUDGET_SECONDS, None)),              # no limit given
    ({"runDuration": "soon"}, (AWS_ILM.COMMAND_BUDGET_SECONDS, None)),
])
def test_the_budget_follows_the_execution_limit(monkeypatch, limit, expected):
    monkeypatch.setattr(AWS_ILM.demisto, "callingContext", {"context": limit}, raising=False)
    assert AWS_ILM.command_budget("iam-disable-user") == expected
    assert AWS_ILM.command_budget("test-module")[0] == min(expected[0], AWS_ILM.INTERACTIVE_BUDGET_SECONDS)
