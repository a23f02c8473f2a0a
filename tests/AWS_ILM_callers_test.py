"""The platform's own callers, replayed: each calls the commands with the arguments it really passes (JSON text,
indicator objects, lists, booleans as text, `using` / `using-brand` among them) and reads the results its own way,
with the incident context merged by the entries' DT keys as the server merges them (xsoar_server.Context). Against
the AWS-flavoured server, whose state is asserted after each step.

- CommonScripts' get-user-data (by user name, id, e-mail) and disable-user;
- the IAM pack's group sync automation;
- the IAM playbooks: New Hire, Update, Rehire, Terminate, App Sync, Group Membership Update, Account Enrichment and
  Sync User, including a failed run followed by a successful re-run in the same incident.
"""
import json

import pytest
import xsoar_server
from xsoar_server import Context, flat

from conftest import run_on

INSTANCE = xsoar_server.DEFAULT_INSTANCE
JANE = {"email": "jane.smith@example.com", "username": "jane.smith@example.com", "givenname": "Jane",
        "surname": "Smith", "employeeid": "E-100", "title": "Analyst"}
CUSTOM_OUT = {   # an admin's outgoing mapper that maps none of login, id, email, username
    "name": "User Profile - Custom (Outgoing)", "type": "mapping-outgoing",
    "mapping": {kind: {"internalMapping": {"userName": {"simple": "samaccountname"},
                                           "name.givenName": {"simple": "givenname"},
                                           "name.familyName": {"simple": "surname"}}}
                for kind in ("User Profile - Create", "User Profile - Update")},
}


def users(server) -> dict:
    return {user["userName"]: user for user in server.resources("User")}


def hire(server, profile: dict, **overrides) -> dict:
    entries = run_on(server, "iam-create-user", {"user-profile": json.dumps(profile)}, **overrides)
    return flat(entries)[0]["Contents"]


def first_vendor(entry: dict) -> dict:
    """get-user-data's reading: the first IAM.Vendor of an entry (key `IAM.Vendor` or `IAM.Vendor(...`)."""
    context = entry.get("EntryContext") or {}
    key = next(k for k in context if k == "IAM.Vendor" or k.startswith("IAM.Vendor("))
    value = context[key]
    return value[0] if isinstance(value, list) else value


# ----- CommonScripts: get-user-data ------------------------------------------------------------------------------
def get_user_data(server, profile, **overrides) -> list:
    """What get-user-data records of iam-get-user: success, id, username, email of each entry."""
    entries = run_on(server, "iam-get-user", {"user-profile": profile, "using-brand": "AWS-ILM"}, **overrides)
    return [{key: first_vendor(entry).get(key) for key in ("success", "id", "username", "email")}
            for entry in flat(entries)]


@pytest.mark.parametrize("as_text", [True, False], ids=["json-text", "object"])
@pytest.mark.parametrize("mapper", ["default", "custom"])
def test_get_user_data_finds_a_user_by_name_id_and_email(aws, as_text, mapper):
    jane = hire(aws, JANE)
    hire(aws, {**JANE, "username": "kim", "email": "kim@example.com", "employeeid": "E-2"})
    overrides = {}
    if mapper == "custom":
        overrides["mapper_out"] = CUSTOM_OUT["name"]
    expected = {"success": True, "id": jane["id"], "username": "jane.smith@example.com",
                "email": "jane.smith@example.com"}
    with xsoar_server.custom_mapper(CUSTOM_OUT):
        for profile in ({"login": "jane.smith@example.com"}, {"id": jane["id"]}, {"email": "jane.smith@example.com"},
                        {"id": None, "email": None, "username": "jane.smith@example.com"}):
            assert get_user_data(aws, json.dumps(profile) if as_text else profile, **overrides) == [expected], profile
        kim = get_user_data(aws, json.dumps({"login": "kim"}) if as_text else {"login": "kim"}, **overrides)
    assert kim[0]["success"] is True and kim[0]["username"] == "kim" and kim[0]["email"] == "kim@example.com"


def test_get_user_data_of_nobody_names_whom_it_looked_for(aws):
    readings = get_user_data(aws, json.dumps({"login": "ghost@example.com"}))
    assert readings == [{"success": False, "id": None, "username": "ghost@example.com", "email": None}]
    readings = get_user_data(aws, {"email": " ghost@example.com "})
    assert readings[0]["email"] == "ghost@example.com" and readings[0]["success"] is False


# ----- CommonScripts: disable-user -------------------------------------------------------------------------------
def disable_user(server, user_id: str, **overrides) -> list:
    """disable-user's call and reading: note and error entries; Disabled = not active, Result = Failed on an error
    entry or success false, Message = errorMessage or 'User successfully disabled'."""
    entries = run_on(server, "iam-disable-user", {"user-profile": json.dumps({"id": user_id}), "using": INSTANCE},
                     **overrides)
    rows = []
    for entry in flat(entries):
        if entry["Type"] not in (1, 4):
            continue
        contents = entry["Contents"] if isinstance(entry["Contents"], dict) else {}
        rows.append({"Disabled": not contents.get("active"),
                     "Result": "Failed" if entry["Type"] == 4 or not contents.get("success") else "Success",
                     "Message": contents.get("errorMessage") or "User successfully disabled"})
    return rows


def test_disable_user_disables_and_records_it(aws):
    jane = hire(aws, JANE)
    assert disable_user(aws, jane["id"]) == [{"Disabled": True, "Result": "Success",
                                              "Message": "User successfully disabled"}]
    assert users(aws)["jane.smith@example.com"]["active"] is False
    assert disable_user(aws, jane["id"])[0]["Disabled"] is True   # already disabled


def test_disable_user_turned_off_never_records_an_active_user_as_disabled(aws):
    jane = hire(aws, JANE)
    rows = disable_user(aws, jane["id"], disable_user_enabled=False)
    assert rows[0]["Disabled"] is False and users(aws)["jane.smith@example.com"]["active"] is True


def test_disable_user_of_a_vanished_id_changes_nothing(aws):
    hire(aws, JANE)
    entries = run_on(aws, "iam-disable-user", {"user-profile": {"id": "a-vanished-id"}, "using": INSTANCE})
    contents = flat(entries)[0]["Contents"]
    assert (contents["skipped"], contents["reason"], contents["active"]) == (True, "User does not exist", None)
    assert users(aws)["jane.smith@example.com"]["active"] is True


# ----- IAM pack: group sync -------------------------------------------------------------------------------------
def group_sync(server, group_name: str, emails: list) -> dict | None:
    """The group sync automation: get the group (create it on 404), look each member up by e-mail, then one update
    with the ids to add and to delete as lists. It stops when a command's first entry is an error entry and keeps
    the Contents whose instanceName is its instance."""
    def ours(entries: list) -> dict | None:
        entries = flat(entries)
        if entries[0]["Type"] == 4:
            return None
        return next(e["Contents"] for e in entries if e["Contents"].get("instanceName") == INSTANCE)

    group = ours(run_on(server, "iam-get-group", {"scim": {"displayName": group_name}, "includeMembers": "true"}))
    if group is None:
        return None
    if not group["success"] and group["errorCode"] == 404:
        group = ours(run_on(server, "iam-create-group", {"scim": {"displayName": group_name}}))
    wanted = set()
    for email in emails:
        user = ours(run_on(server, "iam-get-user", {"user-profile": {"email": email}}))
        if user and user["success"]:
            wanted.add(user["id"])
    current = {member["value"] for member in group.get("members") or []}
    return ours(run_on(server, "iam-update-group", {"scim": {"id": group["id"]},
                                                   "memberIdsToAdd": sorted(wanted - current),
                                                   "memberIdsToDelete": sorted(current - wanted)}))


def test_group_sync_creates_the_group_then_follows_the_wanted_members(aws):
    people = {name: hire(aws, {**JANE, "username": f"{name}@example.com", "email": f"{name}@example.com",
                               "employeeid": name})["id"] for name in ("ann", "bob", "cy")}
    result = group_sync(aws, "Engineers", ["ann@example.com", "bob@example.com"])
    group = next(g for g in aws.resources("Group") if g["displayName"] == "Engineers")
    assert result["success"] is True and aws.member_ids(group["id"]) == {people["ann"], people["bob"]}

    result = group_sync(aws, "Engineers", ["bob@example.com", "cy@example.com", "gone@example.com"])
    assert result["success"] is True and aws.member_ids(group["id"]) == {people["bob"], people["cy"]}
    assert len(aws.resources("Group")) == 1


# ----- IAM playbooks --------------------------------------------------------------------------------------------
def provisioned(context: Context, action: str) -> list:
    """New Hire's filter: IAM.Vendor with success true, skipped false and this action."""
    return [v for v in context.objects("IAM.Vendor")
            if v.get("success") is True and v.get("skipped") is False and v.get("action") == action]


def sync_user_grids(context: Context) -> tuple[bool, list, list]:
    """IAM - Sync User: whether any action failed, the failed-provisioning grid and the successful one."""
    vendors = context.objects("IAM.Vendor")
    failed = [{k: v.get(k) for k in ("action", "brand", "errorCode", "errorMessage", "instanceName")}
              for v in vendors if v.get("success") is False]
    succeeded = [{k: v.get(k) for k in ("brand", "instanceName", "action", "skipped", "reason")}
                 for v in vendors if v.get("success") is True]
    return bool(failed), failed, succeeded


@pytest.mark.parametrize("allow_enable", [None, "true"])
def test_new_hire_then_update_rehire_and_terminate(aws, allow_enable):
    context = Context()
    args = {"user-profile": dict(JANE), "using": INSTANCE}
    if allow_enable is not None:
        args["allow-enable"] = allow_enable
    context.add(run_on(aws, "iam-create-user", args))
    assert len(provisioned(context, "create")) == 1 and users(aws)["jane.smith@example.com"]["active"] is True

    context.add(run_on(aws, "iam-update-user", {"user-profile": json.dumps({**JANE, "title": "Lead"}),
                                               "allow-enable": "true", "using": INSTANCE}))
    assert context.get("IAM.Vendor.action") == "update" and context.get("IAM.Vendor.success") is True
    assert users(aws)["jane.smith@example.com"]["title"] == "Lead"

    context.add(run_on(aws, "iam-disable-user", {"user-profile": dict(JANE), "using": INSTANCE}))
    assert (context.get("IAM.Vendor.action"), context.get("IAM.Vendor.active")) == ("disable", False)
    assert users(aws)["jane.smith@example.com"]["active"] is False

    context.add(run_on(aws, "iam-update-user", {"user-profile": json.dumps(JANE), "allow-enable": "true"}))
    assert (context.get("IAM.Vendor.active"), users(aws)["jane.smith@example.com"]["active"]) == (True, True)
    assert isinstance(context.get("IAM.Vendor"), dict)   # one result per user and instance, however many runs


def test_sync_user_a_failed_run_then_a_successful_rerun_leaves_one_success(aws):
    context = Context()
    aws.add_fault("status", status=403, method="POST", path="/Users")
    context.add(run_on(aws, "iam-create-user", {"user-profile": json.dumps(JANE)}))
    failed, grid, _ = sync_user_grids(context)
    assert failed and grid == [{"action": "create", "brand": "AWS-ILM", "errorCode": 403,
                                "errorMessage": grid[0]["errorMessage"], "instanceName": INSTANCE}]
    assert context.get("IAM.Vendor.email") == "jane.smith@example.com"

    context.add(run_on(aws, "iam-create-user", {"user-profile": json.dumps(JANE)}))
    failed, grid, succeeded = sync_user_grids(context)
    assert not failed and grid == []
    assert succeeded == [{"brand": "AWS-ILM", "instanceName": INSTANCE, "action": "create", "skipped": False,
                          "reason": ""}]
    assert context.get("IAM.Vendor.errorCode") is None   # App Sync's Error Code: not [403, null]


def test_sync_user_a_failure_before_aws_then_a_rerun_merges(aws):
    context = Context()
    context.add(run_on(aws, "iam-update-user", {"user-profile": json.dumps({**JANE, "olduserdata": "{not json"})}))
    assert context.get("IAM.Vendor.success") is False and context.get("IAM.Vendor.email") == "jane.smith@example.com"
    assert context.get("IAM.Vendor.username") == "jane.smith@example.com"
    context.add(run_on(aws, "iam-update-user", {"user-profile": json.dumps(JANE)}))
    assert sync_user_grids(context)[0] is False and context.get("IAM.Vendor.action") == "create"


def test_sync_user_a_skip_then_a_rerun_merges(aws):
    context = Context()
    context.add(run_on(aws, "iam-update-user", {"user-profile": {**JANE, "email": " jane.smith@example.com "}},
                       create_if_not_exists=False))
    skipped = context.get("IAM.Vendor")
    assert (skipped["skipped"], skipped["reason"], skipped["email"]) == (True, "User does not exist",
                                                                          "jane.smith@example.com")
    context.add(run_on(aws, "iam-update-user", {"user-profile": JANE}))
    assert isinstance(context.get("IAM.Vendor"), dict) and context.get("IAM.Vendor.skipped") is False


def test_a_hire_whose_manager_is_not_in_aws_is_no_skip_to_sync_user(aws):
    context = Context().add(run_on(aws, "iam-create-user", {"user-profile": {**JANE, "manageremailaddress": "x@y"}}))
    _, _, succeeded = sync_user_grids(context)
    assert succeeded[0]["reason"] == "" and succeeded[0]["skipped"] is False
    assert "x@y" in context.get("IAM.Vendor.notes")


def test_group_membership_update_adds_and_removes_members_by_id_lists(aws):
    ann = hire(aws, {**JANE, "username": "ann@example.com", "email": "ann@example.com", "employeeid": "A"})["id"]
    bob = hire(aws, {**JANE, "username": "bob@example.com", "email": "bob@example.com", "employeeid": "B"})["id"]
    group = flat(run_on(aws, "iam-create-group", {"scim": json.dumps({"displayName": "Ops"})}))[0]["Contents"]
    context = Context().add(run_on(aws, "iam-update-group", {"scim": json.dumps({"id": group["id"]}),
                                                             "memberIdsToAdd": [ann, bob, ""]}))
    assert context.get("UpdateGroup.success") is True and aws.member_ids(group["id"]) == {ann, bob}
    context.add(run_on(aws, "iam-update-group", {"scim": {"id": group["id"]}, "memberIdsToDelete": [ann]}))
    assert context.get("UpdateGroup.details.membersRemoved") == [ann] and aws.member_ids(group["id"]) == {bob}


def test_account_enrichment_reads_the_user(aws):
    jane = hire(aws, JANE)
    context = Context().add(run_on(aws, "iam-get-user", {"user-profile": '{"username":"jane.smith@example.com"}'}))
    assert (context.get("IAM.Vendor.id"), context.get("IAM.Vendor.active"), context.get("IAM.Vendor.email")) == (
        jane["id"], True, "jane.smith@example.com")
    assert context.get("IAM.UserProfile.Username") == "jane.smith@example.com"


# ----- Block Account, iam-enable-user ---------------------------------------------------------------------------
def test_block_account_list_with_blank_items_disables_every_real_user(aws):
    for name in ("a", "b"):
        hire(aws, {**JANE, "username": f"{name}@x.com", "email": f"{name}@x.com", "employeeid": name})
    entries = run_on(aws, "iam-disable-user", {"user-profile": ["a@x.com", "", "b@x.com", None]})
    context = Context().add(entries)
    assert sync_user_grids(context)[0] is False and len(context.objects("IAM.Vendor")) == 2
    assert not any(user["active"] for user in users(aws).values())
    assert "2 blank items of user-profile ignored" in "".join(e["HumanReadable"] for e in flat(entries))


def test_enable_user_enables_a_disabled_user_in_one_patch_and_skips_otherwise(aws):
    hire(aws, JANE)
    run_on(aws, "iam-disable-user", {"user-profile": JANE})
    aws.hooks.requests.clear()
    context = Context().add(run_on(aws, "iam-enable-user", {"user-profile": json.dumps(JANE), "using": INSTANCE}))
    assert (context.get("IAM.Vendor.action"), context.get("IAM.Vendor.active")) == ("enable", True)
    assert [r.method for r in aws.hooks.requests] == ["GET", "PATCH"]
    assert users(aws)["jane.smith@example.com"]["active"] is True

    context.add(run_on(aws, "iam-enable-user", {"user-profile": json.dumps(JANE)}))
    assert (context.get("IAM.Vendor.skipped"), context.get("IAM.Vendor.reason")) == (True, "User is already enabled.")
    ghost = Context().add(run_on(aws, "iam-enable-user", {"user-profile": {"username": "ghost@x.com"}}))
    assert (ghost.get("IAM.Vendor.reason"), ghost.get("IAM.Vendor.username")) == ("User does not exist", "ghost@x.com")


def test_enable_user_turned_off_reports_the_state_and_changes_nothing(aws):
    hire(aws, JANE)
    run_on(aws, "iam-disable-user", {"user-profile": JANE})
    context = Context().add(run_on(aws, "iam-enable-user", {"user-profile": JANE}, enable_user_enabled=False))
    assert (context.get("IAM.Vendor.reason"), context.get("IAM.Vendor.active")) == ("Command is disabled.", False)
    assert users(aws)["jane.smith@example.com"]["active"] is False


def test_enable_user_never_enables_another_persons_account(aws):
    hire(aws, JANE)
    run_on(aws, "iam-disable-user", {"user-profile": JANE})
    result = flat(run_on(aws, "iam-enable-user", {"user-profile": {**JANE, "employeeid": "E-999"}}))[0]["Contents"]
    assert result["skipped"] is True and "another person" in result["reason"]
    assert users(aws)["jane.smith@example.com"]["active"] is False
