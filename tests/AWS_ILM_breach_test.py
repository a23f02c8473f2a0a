"""Block Account an analyst can trust at breach scale, end to end through main() against the AWS-flavoured server:
users given by the ids AWS gives (CloudTrail's Identity Store user ids), a Deny that fits AWS's policy sizes, what
stays open, several users enabled and restored, dry runs that show the real run's path, and values AWS would take
as blank items. The server's state is asserted after each run."""
import json
from datetime import UTC, datetime, timedelta

import bench_bulk
import pytest
import xsoar_server
from xsoar_server import Context, flat

import AWS_ILM
from AWS_ILM_containment_test import directory, groups_of, name, records
from AWS_ILM_mappers_test import mapper, run_with, stored, writes
from AWS_ILM_reliability_test import waits  # noqa: F401 (the fixture)
from conftest import run_on

DENY = "AWSILM.DenyStatement"


def minified(document: dict) -> int:
    return len(json.dumps(document, separators=(",", ":")))


def policy_ids(policies: list) -> list:
    return [user_id for policy in policies
            for user_id in policy["document"]["Statement"][0]["Condition"]["StringEquals"]["identitystore:userId"]]


# ----- the ids AWS gives --------------------------------------------------------------------------------------
def test_block_account_by_bare_identity_store_ids_disables_and_contains_every_user(aws):
    ids, bystanders, groups = directory(aws, blocked=20)
    for given in (ids[:10], ",".join(ids[10:])):   # a list, and comma-separated text
        entries = run_on(aws, "iam-disable-user", {"user-profile": given, "remove-from-groups": "true"})
        vendors = Context().add(entries).objects("IAM.Vendor")
        assert all(v["success"] and not v["skipped"] and v["active"] is False for v in vendors), vendors[:1]
    held = {user["id"]: user for user in aws.resources("User")}
    assert all(held[i]["active"] is False and groups_of(aws, i) == set() for i in ids)
    assert all(held[i]["active"] is True and groups_of(aws, i) == set(groups) for i in bystanders)
    assert set(records()) == set(ids)


def test_a_bare_id_that_is_nobody_is_named_and_a_name_shaped_like_an_id_still_works(aws):
    ghost = "9067729b3d-00000000-0000-4000-8000-000000000000"
    result = Context().add(run_on(aws, "iam-disable-user", {"user-profile": [ghost]})).objects("IAM.Vendor")[0]
    assert (result["skipped"], result["reason"], result["username"]) == (True, "User does not exist", ghost)


# ----- a Deny that fits ----------------------------------------------------------------------------------------
def test_the_deny_for_300_users_is_split_into_policies_of_the_instance_size_with_a_file_ready_to_paste(aws):
    ids = bench_bulk.prepare(aws, 300)
    entries = run_on(aws, "iam-disable-user", {"user-profile": ids, "remove-from-groups": "true"})
    entry, file_entry = flat(entries)
    deny = entry["EntryContext"][DENY]
    assert deny["maxCharacters"] == 5120 and deny["policyCount"] == len(deny["policies"]) == 4
    assert all(minified(p["document"]) == p["characters"] <= 5120 for p in deny["policies"])
    assert policy_ids(deny["policies"]) == ids   # every id once, in order
    assert policy_ids(deny["managementAccountPolicies"]) == ids
    assert all(p["characters"] <= 10240 for p in deny["managementAccountPolicies"])
    readable = entry["HumanReadable"]
    assert "4 service control policies" in readable and "at least 12 hours" in readable
    assert "at most 5 SCPs (10 under AWS's newer quota)" in readable and AWS_ILM.DENY_FILE in readable
    assert (file_entry["Type"], file_entry["File"]) == (3, AWS_ILM.DENY_FILE)
    saved = json.loads(xsoar_server.war_room_file(file_entry))
    assert [p["document"] for p in deny["policies"]] == saved["serviceControlPolicies"]


def test_the_instance_sets_the_policy_size_and_a_bad_size_says_what_to_give(aws):
    ids = bench_bulk.prepare(aws, 150)
    deny = flat(run_on(aws, "iam-disable-user", {"user-profile": ids}, scp_max_characters="10240"))[0]["EntryContext"][DENY]
    assert deny["policyCount"] == 1 and deny["maxCharacters"] == 10240 and policy_ids(deny["policies"]) == ids
    error = flat(run_on(aws, "iam-disable-user", {"user-profile": ids[:1]}, scp_max_characters="lots"))[0]
    assert error["Type"] == 4 and "Service control policy size" in error["Contents"] and "10240" in error["Contents"]


# ----- several users enabled, with their groups ----------------------------------------------------------------
def test_enable_user_takes_several_users_in_every_form_and_restores_their_groups(aws):
    ids, _, groups = directory(aws, blocked=6)
    run_on(aws, "iam-disable-user", {"user-profile": [name(n) for n in range(6)], "remove-from-groups": "true"})
    for given in ([name(0), name(1)], json.dumps([name(2), name(3)]), f"{name(4)}, {name(5)}"):
        entries = run_on(aws, "iam-enable-user", {"user-profile": given, "restore-groups": "true"})
        context = Context().add(entries)
        assert all(v["success"] and v["active"] is True for v in context.objects("IAM.Vendor"))
        assert len(context.objects("AWSILM.Restore")) == 2
    assert all(groups_of(aws, i) == set(groups) for i in ids) and records() == {}
    assert all(user["active"] for user in aws.resources("User"))


# ----- dry runs that show the real run's path -----------------------------------------------------------------
def test_a_dry_run_create_of_a_contained_user_shows_the_update_and_the_re_enable_the_real_run_makes(aws):
    (jdoe,), _, _ = directory(aws)
    run_on(aws, "iam-disable-user", {"user-profile": name(), "remove-from-groups": "true"})
    profile = json.dumps({"username": name(), "email": name(), "givenname": "J", "surname": "Doe"})
    before = {u["id"]: dict(u) for u in aws.resources("User")}
    dry = flat(run_on(aws, "iam-create-user", {"user-profile": profile, "dry-run": "true"}))[0]["Contents"]
    assert {u["id"]: dict(u) for u in aws.resources("User")} == before   # nothing changed
    assert [r["method"] for r in dry["requests"]] == ["PATCH"]            # no POST: AWS would refuse it
    assert {"op": "replace", "path": "active", "value": True} in dry["requests"][0]["body"]["Operations"]
    would = dry["subjects"][0]["would"]
    assert would.startswith("update") and "re-enables a user contained by Block Account" in would
    real = flat(run_on(aws, "iam-create-user", {"user-profile": profile}))[0]
    assert real["Contents"]["action"] == "update" and stored(aws, name())["active"] is True
    assert [r.method for r in writes(aws)][-1] == "PATCH"
    assert "was contained by Block Account at" in real["HumanReadable"] and "enabled again" in real["HumanReadable"]


def test_a_dry_run_rename_onto_a_taken_name_shows_the_conflict_and_sends_nothing(aws):
    pat = {"username": "pat@example.com", "email": "pat@example.com", "givenname": "Pat", "surname": "Lee",
           "employeeid": "E-7"}
    for person in (pat, {**pat, "username": "taken@example.com", "email": "taken@example.com", "employeeid": "E-8"}):
        run_on(aws, "iam-create-user", {"user-profile": json.dumps(person)})
    profile = json.dumps({**pat, "username": "taken@example.com", "olduserdata": {"username": "pat@example.com"}})
    dry = flat(run_on(aws, "iam-update-user", {"user-profile": profile, "dry-run": "true"}))[0]["Contents"]
    assert dry["requests"] == [] and dry["subjects"][0]["would"].startswith("fail (409)")
    assert 'userName "taken@example.com" belongs to another AWS user' in dry["subjects"][0]["would"]
    real = Context().add(run_on(aws, "iam-update-user", {"user-profile": profile})).objects("IAM.Vendor")[0]
    assert real["errorCode"] == 409 and 'userName "taken@example.com" belongs to another AWS user' in real["errorMessage"]
    assert stored(aws, "pat@example.com") is not None   # nobody was renamed


def test_a_dry_run_create_of_a_group_that_exists_says_so(aws):
    directory(aws)
    dry = flat(run_on(aws, "iam-create-group", {"scim": json.dumps({"displayName": "Developers"}),
                                                "dry-run": "true"}))[0]["Contents"]
    assert dry["requests"] == [] and dry["subjects"][0]["would"] == "fail (409): Group already exists"


# ----- the rest ------------------------------------------------------------------------------------------------
@pytest.mark.usefixtures("waits")
def test_a_failed_membership_read_is_named_per_user_and_says_to_run_again(aws):
    ids, _, groups = directory(aws, blocked=2)
    aws.add_fault(kind="status", status=500, method="GET", path="/Groups", times=-1)   # the membership reads
    entries = run_on(aws, "iam-disable-user", {"user-profile": [name(0), name(1)], "remove-from-groups": "true"})
    rows = Context().add(entries).objects("AWSILM.Containment")
    assert sorted(row["userId"] for row in rows) == sorted(ids)
    assert all("could not be read" in row["remark"] and "run the command again" in row["remark"]
               and "tenants older" not in row["remark"] for row in rows)
    assert all(groups_of(aws, i) == set(groups) for i in ids)


def test_a_mapped_item_with_no_value_is_not_sent_and_is_named(aws):
    definition = mapper(**{"phoneNumbers.type": "phonetype", "phoneNumbers.primary": "phoneprimary"})
    profile = {"username": "jane@example.com", "email": "jane@example.com", "givenname": "Jane", "surname": "Doe",
               "employeeid": "E-1", "phonetype": "mobile", "phoneprimary": "true"}
    result = run_with(aws, definition, "iam-create-user", profile)["Contents"]
    assert result["success"] is True and "phoneNumbers" not in stored(aws)
    assert "phoneNumbers" not in writes(aws)[0].json()
    assert "phoneNumbers" in result["notes"] and "no value" in result["notes"]


# ----- bounded, visible records ---------------------------------------------------------------------------------
def contain_at(aws, monkeypatch, day: int, names: list) -> dict:
    """Block Account of `names` with containment, as if run `day` days after 2026-01-01."""
    monkeypatch.setattr(AWS_ILM, "utc_now", lambda: datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=day))
    return flat(run_on(aws, "iam-disable-user", {"user-profile": names, "remove-from-groups": "true"}))[0]


def test_records_expire_after_the_retention_and_are_capped_oldest_first_and_the_result_says_so(aws, monkeypatch):
    ids, _, _ = directory(aws, blocked=30)
    names = [name(n) for n in range(30)]
    contain_at(aws, monkeypatch, 0, names[:10])
    contain_at(aws, monkeypatch, 30, names[10:20])
    assert set(records()) == set(ids[:20])
    third = contain_at(aws, monkeypatch, 100, names[20:])
    assert set(records()) == set(ids[10:])   # the first ten were recorded 100 days ago: past 90
    assert "Containment records: 10 records older than 90 days expired." in third["HumanReadable"]
    monkeypatch.setattr(AWS_ILM, "MAX_CONTAINMENT_RECORDS", 15)
    run_on(aws, "iam-disable-user", {"user-profile": names[:5], "remove-from-groups": "true"})   # in no group now
    restored = flat(run_on(aws, "iam-enable-user", {"user-profile": names[20], "restore-groups": "true"}))[0]
    assert len(records()) == 15 and ids[20] not in records()
    assert set(ids[21:]) <= set(records()) and len(set(records()) & set(ids[10:20])) == 6   # the older ones went
    assert "the 4 oldest dropped to keep 15" in restored["HumanReadable"]


def test_the_listing_shows_each_containment_and_when_it_expires_for_one_user_or_all(aws, monkeypatch):
    ids, _, _ = directory(aws, blocked=3)
    contain_at(aws, monkeypatch, 10, [name(0), name(1)])
    contain_at(aws, monkeypatch, 20, [name(2)])
    listed = flat(run_on(aws, "aws-ilm-list-contained-users", {}, containment_retention_days="30"))[0]
    rows = listed["EntryContext"]["AWSILM.ContainedUser(val.userId && val.userId == obj.userId)"]
    assert [row["userId"] for row in rows][0] == ids[2]   # newest first
    assert {row["userId"] for row in rows} == set(ids)
    assert all(row["groupCount"] == 3 and len(row["groups"]) == 3 for row in rows)
    assert rows[0]["containedAt"] == "2026-01-21T00:00:00+00:00" and rows[0]["expiresAt"] == "2026-02-20T00:00:00+00:00"
    assert "Containments recorded on this instance (3 of 3)" in listed["HumanReadable"]
    one = flat(run_on(aws, "aws-ilm-list-contained-users", {"user": name(1).upper(), "limit": "5"}))[0]
    assert [row["userName"] for row in one["Contents"]] == [name(1)]
    assert flat(run_on(aws, "aws-ilm-list-contained-users", {"limit": "1"}))[0]["Contents"][0]["userId"] == ids[2]


def test_a_user_created_again_under_the_same_name_gets_the_groups_back_named_as_they_are_now(aws):
    (jdoe,), _, groups = directory(aws)
    run_on(aws, "iam-disable-user", {"user-profile": name(), "remove-from-groups": "true"})
    session = aws_session(aws)
    session.delete(aws.scim_url + f"Users/{jdoe}").raise_for_status()
    session.patch(aws.scim_url + f"Groups/{groups['Developers']}", json={
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "displayName", "value": "Engineering"}]}).raise_for_status()
    again = bench_bulk.prepare(aws, 1, prefix="jdoe")[0]
    entry = flat(run_on(aws, "iam-enable-user", {"user-profile": name(), "restore-groups": "true"}))[0]
    restore = entry["EntryContext"]["AWSILM.Restore(val.userId && val.userId == obj.userId)"][0]
    assert restore["userId"] == again and groups_of(aws, again) == {"Admins-Prod", "Engineering", "Break-Glass"}
    assert sorted(g["displayName"] for g in restore["groupsRestored"]) == ["Admins-Prod", "Break-Glass", "Engineering"]
    assert records() == {}


def aws_session(aws):
    import requests
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {aws.token}"
    return session
