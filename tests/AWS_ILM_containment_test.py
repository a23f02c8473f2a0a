"""Block Account that contains, and the dry run: iam-disable-user with remove-from-groups, iam-enable-user with
restore-groups, and dry-run on every writing command, end to end through main() against the AWS-flavoured server,
with the instance's integration context kept between runs as the platform keeps it (xsoar_server.CONTEXTS). The
server's state is asserted after each step: the user's groups, the other members, the record.
"""
import json

import bench_bulk
import pytest
import xsoar_server
from xsoar_server import Context, flat

from conftest import run_on

ANALYST_GROUPS = ("Admins-Prod", "Developers", "Break-Glass")
CONTAINMENT = "AWSILM.Containment(val.userId && val.userId == obj.userId)"
RESTORE = "AWSILM.Restore(val.userId && val.userId == obj.userId)"


def directory(server, blocked: int = 1, groups=ANALYST_GROUPS, bystanders: int = 2) -> tuple:
    """`blocked` users (jdoe0000@...) and `bystanders` other users, all members of every group; (blocked ids,
    bystander ids, {group name: id})."""
    blocked_ids = bench_bulk.prepare(server, blocked, prefix="jdoe")
    bystander_ids = bench_bulk.prepare(server, bystanders, prefix="stay")
    group_ids = bench_bulk.prepare_groups(server, list(groups), blocked_ids + bystander_ids)
    return blocked_ids, bystander_ids, dict(zip(groups, group_ids, strict=True))


def name(number: int = 0) -> str:
    return bench_bulk.user_names(number + 1, prefix="jdoe")[number]


def groups_of(server, user_id: str) -> set:
    return {group["displayName"] for group in server.resources("Group")
            if user_id in {member["value"] for member in group.get("members") or []}}


def records() -> dict:
    held = xsoar_server.CONTEXTS.get(xsoar_server.DEFAULT_INSTANCE)["context"]
    return held.get("containedUsers") or {}


def writes(server) -> list:
    return [(r.method, r.path, r.json()) for r in server.hooks.requests if r.method != "GET"]


def clear_log(server) -> None:
    with server.hooks.lock:
        server.hooks.requests.clear()


# ----- containment ----------------------------------------------------------------------------------------------
def test_containment_is_off_unless_asked_and_the_result_says_what_stays_open_in_one_line(aws):
    """An ordinary leaver (IAM - Terminate User): the groups stay, and what stays open is one line naming the Deny
    in AWSILM.DenyStatement, not the breach block."""
    (jdoe,), _, groups = directory(aws)
    entry = flat(run_on(aws, "iam-disable-user", {"user-profile": name()}))[0]
    assert groups_of(aws, jdoe) == set(ANALYST_GROUPS) and records() == {}
    assert CONTAINMENT not in entry["EntryContext"]
    readable = entry["HumanReadable"]
    stays_open = [line for line in readable.splitlines() if "What stays open" in line]
    assert len(stays_open) == 1 and "AWSILM.DenyStatement" in stays_open[0]
    assert "every group membership" in stays_open[0] and "remove-from-groups=true" in stays_open[0]
    assert "### What stays open" not in readable and "Active sessions" not in readable
    deny = entry["EntryContext"]["AWSILM.DenyStatement"]
    assert deny["userIds"] == [jdoe] and deny["policyCount"] == 1 and deny["keepHours"] == 12
    assert deny["policies"][0]["document"] == {"Version": "2012-10-17", "Statement": [{
        "Sid": "DenyCompromisedIdentityCenterUsers", "Effect": "Deny", "Action": "*", "Resource": "*",
        "Condition": {"StringEquals": {"identitystore:userId": [jdoe]}}}]}


def test_containment_says_everything_that_stays_open_and_shows_the_deny_ready_to_paste(aws):
    (jdoe,), _, _ = directory(aws)
    entry = flat(run_on(aws, "iam-disable-user", {"user-profile": name(), "remove-from-groups": "true"}))[0]
    readable = entry["HumanReadable"]
    assert readable.count("### What stays open") == 1
    assert "8 hours by default" in readable and "at most 12" in readable
    assert "IAM Identity Center > Users > the user > Active sessions" in readable
    assert "within 1 hour" in readable and "at least 12 hours" in readable
    assert "management account" in readable and "inline policy" in readable
    assert "identity provider" in readable and "disable the user there too" in readable
    assert "at most 5 SCPs (10 under AWS's newer quota)" in readable
    deny = entry["EntryContext"]["AWSILM.DenyStatement"]
    assert json.dumps(deny["policies"][0]["document"], indent=2) in readable   # ready to paste
    assert deny["managementAccountPolicies"][0]["document"] == deny["policies"][0]["document"]


def test_the_analysts_user_leaves_every_group_and_nobody_else_does(aws):
    (jdoe,), bystanders, groups = directory(aws)
    clear_log(aws)
    entry = flat(run_on(aws, "iam-disable-user", {"user-profile": name(), "remove-from-groups": "true"}))[0]
    assert groups_of(aws, jdoe) == set() and all(groups_of(aws, b) == set(ANALYST_GROUPS) for b in bystanders)
    assert next(u for u in aws.resources("User") if u["id"] == jdoe)["active"] is False
    contained = entry["EntryContext"][CONTAINMENT][0]
    assert contained["userId"] == jdoe and contained["complete"] is True and contained["groupsNotRemoved"] == []
    assert sorted((g["displayName"], g["id"]) for g in contained["groupsRemoved"]) == sorted(groups.items())
    for group_name, group_id in groups.items():
        assert f"{group_name} ({group_id})" in entry["HumanReadable"]
    assert "restore-groups=true" in entry["HumanReadable"]
    # the disable went first, then each group lost this member only
    sent = writes(aws)
    assert len(sent) == 4 and sent[0][:2] == ("PATCH", f"/Users/{jdoe}")
    assert sorted(path for _, path, _ in sent[1:]) == sorted(f"/Groups/{group_id}" for group_id in groups.values())
    assert all(body["Operations"] == [{"op": "remove", "path": "members", "value": [{"value": jdoe}]}]
               for _, _, body in sent[1:])
    assert set(records()) == {jdoe} and sorted(g["id"] for g in records()[jdoe]["groups"]) == sorted(groups.values())


def test_the_instance_checkbox_turns_it_on_and_the_argument_overrides_it(aws):
    (first, second), _, _ = directory(aws, blocked=2)
    run_on(aws, "iam-disable-user", {"user-profile": name(0)}, remove_from_groups=True)
    run_on(aws, "iam-disable-user", {"user-profile": name(1), "remove-from-groups": "false"}, remove_from_groups=True)
    assert groups_of(aws, first) == set() and groups_of(aws, second) == set(ANALYST_GROUPS)


def test_a_user_disabled_already_is_contained_when_block_account_runs_again(aws):
    (jdoe,), _, _ = directory(aws)
    run_on(aws, "iam-disable-user", {"user-profile": name()})
    entry = flat(run_on(aws, "iam-disable-user", {"user-profile": name(), "remove-from-groups": "true"}))[0]
    assert entry["Contents"]["reason"] == "User is already disabled." and groups_of(aws, jdoe) == set()
    assert len(entry["EntryContext"][CONTAINMENT][0]["groupsRemoved"]) == 3
    again = flat(run_on(aws, "iam-disable-user", {"user-profile": name(), "remove-from-groups": "true"}))[0]
    assert "In no group: nothing to remove." in again["HumanReadable"]
    assert len(records()[jdoe]["groups"]) == 3   # the third run found nothing, and the record keeps the three


def test_with_disabling_turned_off_no_group_is_removed(aws):
    (jdoe,), _, _ = directory(aws)
    entry = flat(run_on(aws, "iam-disable-user", {"user-profile": name(), "remove-from-groups": "true"},
                        disable_user_enabled=False))[0]
    assert entry["Contents"]["reason"] == "Command is disabled." and groups_of(aws, jdoe) == set(ANALYST_GROUPS)
    assert CONTAINMENT not in entry["EntryContext"] and records() == {}


def test_a_tenant_that_refuses_the_membership_filter_is_named_and_no_group_is_guessed(aws):
    (jdoe,), _, _ = directory(aws)
    aws.add_fault("status", status=400, method="GET", path="/Groups", times=-1)
    entry = flat(run_on(aws, "iam-disable-user", {"user-profile": name(), "remove-from-groups": "true"}))[0]
    contained = entry["EntryContext"][CONTAINMENT][0]
    assert contained["complete"] is False and "members.value" in contained["remark"]
    assert "AWS refused to list the groups" in entry["HumanReadable"]
    assert groups_of(aws, jdoe) == set(ANALYST_GROUPS) and entry["Contents"]["active"] is False   # disabled all same


def test_a_group_aws_refuses_to_change_is_named_with_awss_reason(aws):
    (jdoe,), _, groups = directory(aws)
    aws.add_fault("status", status=400, method="PATCH", path=f"/Groups/{groups['Break-Glass']}")
    contained = flat(run_on(aws, "iam-disable-user", {"user-profile": name(), "remove-from-groups": "true"})
                     )[0]["EntryContext"][CONTAINMENT][0]
    assert [(g["displayName"], g["reason"]) for g in contained["groupsNotRemoved"]] == [
        ("Break-Glass", "AWS answered 400: Bad Request")]
    assert contained["complete"] is False and groups_of(aws, jdoe) == {"Break-Glass"}
    # recorded before any removal: every group found (a restore into Break-Glass, where jdoe still is, is harmless)
    assert {g["displayName"] for g in records()[jdoe]["groups"]} == set(ANALYST_GROUPS)


# ----- back in: iam-enable-user ---------------------------------------------------------------------------------
def test_an_enable_without_restore_leaves_the_groups_out_and_names_them_and_the_argument(aws):
    (jdoe,), _, groups = directory(aws)
    run_on(aws, "iam-disable-user", {"user-profile": name(), "remove-from-groups": "true"})
    entry = flat(run_on(aws, "iam-enable-user", {"user-profile": name()}))[0]
    assert entry["Contents"]["active"] is True and groups_of(aws, jdoe) == set()
    assert "restore-groups=true" in entry["HumanReadable"]
    assert all(f"{n} ({i})" in entry["HumanReadable"] for n, i in groups.items())
    assert len(entry["EntryContext"][RESTORE][0]["groupsLeftOut"]) == 3 and len(records()[jdoe]["groups"]) == 3


def test_restore_groups_puts_the_user_back_names_a_deleted_group_and_clears_the_record(aws):
    (jdoe,), bystanders, groups = directory(aws)
    run_on(aws, "iam-disable-user", {"user-profile": name(), "remove-from-groups": "true"})
    run_on(aws, "iam-delete-group", {"scim": json.dumps({"id": groups["Developers"]})})
    entry = flat(run_on(aws, "iam-enable-user", {"user-profile": name(), "restore-groups": "true"}))[0]
    restored = entry["EntryContext"][RESTORE][0]
    assert {g["displayName"] for g in restored["groupsRestored"]} == {"Admins-Prod", "Break-Glass"}
    assert [(g["displayName"], g["reason"]) for g in restored["groupsNotRestored"]] == [
        ("Developers", "the group no longer exists")]
    assert groups_of(aws, jdoe) == {"Admins-Prod", "Break-Glass"} and records() == {}
    assert all(groups_of(aws, b) == {"Admins-Prod", "Break-Glass"} for b in bystanders)
    assert "no longer exists" in entry["HumanReadable"]


def test_a_rehire_through_update_names_the_groups_left_out(aws):
    (jdoe,), _, _ = directory(aws)
    run_on(aws, "iam-disable-user", {"user-profile": name(), "remove-from-groups": "true"})
    entry = flat(run_on(aws, "iam-update-user", {"user-profile": json.dumps({"username": name()}),
                                                 "allow-enable": "true"}))[0]
    assert entry["Contents"]["active"] is True and "restore-groups=true" in entry["HumanReadable"]
    assert entry["EntryContext"][RESTORE][0]["userId"] == jdoe


# ----- Block Account at scale -----------------------------------------------------------------------------------
def test_block_account_of_30_users_contains_every_one_in_one_patch_a_group(aws):
    blocked, bystanders, groups = directory(aws, blocked=30, groups=("Prod", "Dev"), bystanders=5)
    run_on(aws, "iam-disable-user", {"user-profile": [name(0), name(1)]})   # two were disabled already
    clear_log(aws)
    names = ["ghost@example.com"] + [name(i) for i in range(30)]
    entries = run_on(aws, "iam-disable-user", {"user-profile": json.dumps(names), "remove-from-groups": "true"})
    context = Context().add(entries)
    assert [v["username"] for v in context.objects("IAM.Vendor")] == names
    contained = {row["userName"]: row for row in context.objects("AWSILM.Containment")}
    assert set(contained) == set(names[1:]) and all(len(row["groupsRemoved"]) == 2 for row in contained.values())
    assert all(groups_of(aws, user_id) == set() for user_id in blocked)
    assert all(groups_of(aws, user_id) == {"Prod", "Dev"} for user_id in bystanders)
    assert len([path for _, path, _ in writes(aws) if path.startswith("/Groups")]) == 2   # 30 members each
    assert set(context.get("AWSILM.DenyStatement")["userIds"]) == set(blocked)
    readable = flat(entries)[0]["HumanReadable"]
    assert readable.count("### What stays open") == 1 and readable.count("Active sessions") == 1
    assert "60 memberships removed from 30 users" in readable and set(records()) == set(blocked)


def test_ten_users_contained_at_once_lose_no_record_when_another_command_writes_meanwhile(aws):
    blocked, _, _ = directory(aws, blocked=10, groups=("Prod",), bystanders=0)
    other = {"containedUsers": {"someone-else": {"userName": "x@example.com", "groups": [{"id": "g"}]}}}
    xsoar_server.CONTEXTS.others = [lambda context: {**context, **other}, lambda context: {**context, "token": 1}]
    run_on(aws, "iam-disable-user", {"user-profile": [name(i) for i in range(10)], "remove-from-groups": "true"})
    held = xsoar_server.CONTEXTS.get(xsoar_server.DEFAULT_INSTANCE)
    assert set(held["context"]["containedUsers"]) == set(blocked) | {"someone-else"}
    assert held["context"]["token"] == 1 and held["version"] == 3   # two writes of others, then ours, retried


# ----- the dry run ----------------------------------------------------------------------------------------------
DRY_RUNS = [   # (command, args, the same command's real run sends these writes)
    ("iam-create-user", {"user-profile": json.dumps({"username": "new@example.com", "email": "new@example.com",
                                                     "givenname": "N", "surname": "Ew"})}),
    ("iam-update-user", {"user-profile": json.dumps({"username": name(), "title": "Analyst"})}),
    ("iam-disable-user", {"user-profile": name(), "remove-from-groups": "true"}),
    ("iam-create-group", {"scim": json.dumps({"displayName": "New group"})}),
    ("iam-update-group", {"scim": json.dumps({"displayName": "Developers"}), "memberIdsToDelete": name(),
                          "newDisplayName": "Devs"}),
    ("iam-delete-group", {"scim": json.dumps({"displayName": "Break-Glass"})}),
]


@pytest.mark.parametrize("command, args", DRY_RUNS, ids=[d[0] for d in DRY_RUNS])
def test_a_dry_run_sends_no_write_and_lists_exactly_what_the_real_run_sends(aws, command, args):
    directory(aws)
    before = (aws.resources("User"), aws.resources("Group"))
    clear_log(aws)
    entry = flat(run_on(aws, command, {**args, "dry-run": "true"}))[0]
    assert writes(aws) == [] and (aws.resources("User"), aws.resources("Group")) == before and records() == {}
    assert entry["HumanReadable"].startswith(f"### Dry run of {command} (AWS-ILM): nothing was changed")
    assert list(entry["EntryContext"]) == ["AWSILM.DryRun"]   # no IAM.Vendor or group result to take for done
    dry = entry["EntryContext"]["AWSILM.DryRun"]
    assert (dry["dryRun"], dry["changed"], dry["command"]) == (True, False, command)
    planned = [(r["method"], r["path"], r["body"]) for r in dry["requests"]]
    assert planned and all(f"| {method} | {path} |" in entry["HumanReadable"] for method, path, _ in planned)
    run_on(aws, command, args)
    assert sorted(planned, key=json.dumps) == sorted(writes(aws), key=json.dumps)   # groups are changed in parallel
    assert planned[0] == writes(aws)[0]   # the user's own write first


def test_a_dry_run_of_enable_with_restore_lists_the_patches_and_keeps_the_record(aws):
    (jdoe,), _, groups = directory(aws)
    run_on(aws, "iam-disable-user", {"user-profile": name(), "remove-from-groups": "true"})
    clear_log(aws)
    entry = flat(run_on(aws, "iam-enable-user", {"user-profile": name(), "restore-groups": "true",
                                                 "dry-run": "true"}))[0]
    planned = [(r["method"], r["path"]) for r in entry["EntryContext"]["AWSILM.DryRun"]["requests"]]
    assert planned == [("PATCH", f"/Users/{jdoe}")] + [("PATCH", f"/Groups/{groups[n]}") for n in
                                                       ("Admins-Prod", "Developers", "Break-Glass")]
    assert writes(aws) == [] and len(records()[jdoe]["groups"]) == 3 and groups_of(aws, jdoe) == set()
    subject = entry["EntryContext"]["AWSILM.DryRun"]["subjects"][0]
    assert (subject["would"], subject["activeNow"]) == ("enable", False) and "rejoin" in subject["groups"]
