"""The right person or nobody: playbook flows in which identifiers point at different people, end to end through
main() against the AWS-flavoured server, asserting the server's state after every step.

- Jane (E1) is renamed jdoe -> jsmith, then John (E2) is hired with the freed name jdoe; Terminate and Update
  then run with Jane's profile, which still carries the stale olduserdata of the rename;
- New Hire for Sasha (E200) onto the name of Sam (E100), a disabled former employee in Prod-Admins;
- Block Account with several user names (a list, a JSON array, comma-joined), one of them unknown;
- managers: unknown, given as an AWS user id, the user themself.
"""
import json

import pytest
import requests

from conftest import group_output, run_on, vendor

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def users(server) -> dict:
    return {user["userName"]: user for user in server.resources("User")}


def person(user_name: str, given: str, surname: str, employee_id: str | None = None, **extra) -> dict:
    profile = {"username": user_name, "email": user_name, "givenname": given, "surname": surname, **extra}
    if employee_id:
        profile["employeeid"] = employee_id
    return profile


def run_vendor(server, command: str, profile, **args) -> dict:
    return vendor(run_on(server, command, {"user-profile": profile, **args}))


def vendors(entries: list) -> list:
    """Every IAM.Vendor result of a command, one per user (several users come as one batch of entries)."""
    flat = [entry for batch in entries for entry in (batch if isinstance(batch, list) else [batch])]
    found = [next(v for k, v in entry["EntryContext"].items() if k.startswith("IAM.Vendor")) for entry in flat]
    return [vendor for value in found for vendor in (value if isinstance(value, list) else [value])]


# ----- a rename, then the freed name reused -------------------------------------------------------------
def renamed_then_name_reused(server, with_ids: bool) -> tuple:
    """Jane is renamed jdoe -> jsmith; then John is hired as jdoe. Returns (Jane's current profile, Jane, John)."""
    jane_old = person("jdoe@example.com", "Jane", "Doe", "E1" if with_ids else None)
    assert run_vendor(server, "iam-create-user", json.dumps(jane_old))["success"] is True
    jane_now = {**person("jsmith@example.com", "Jane", "Smith", "E1" if with_ids else None),
                "olduserdata": {"username": "jdoe@example.com", "email": "jdoe@example.com"}}
    renamed = run_vendor(server, "iam-update-user", json.dumps(jane_now))
    assert renamed["success"] is True and set(users(server)) == {"jsmith@example.com"}
    john = run_vendor(server, "iam-create-user", person("jdoe@example.com", "John", "Roe", "E2" if with_ids else None))
    assert john["success"] is True and john["action"] == "create"
    state = users(server)
    assert state["jdoe@example.com"]["name"]["givenName"] == "John" and state["jsmith@example.com"]["active"] is True
    return jane_now, state["jsmith@example.com"], state["jdoe@example.com"]


def test_terminate_with_a_stale_olduserdata_disables_jane_not_john(aws):
    jane_profile, jane, john = renamed_then_name_reused(aws, with_ids=True)
    result = run_vendor(aws, "iam-disable-user", json.dumps(jane_profile))
    assert result["success"] is True and result["id"] == jane["id"] and result["active"] is False
    state = users(aws)
    assert state["jsmith@example.com"]["active"] is False     # the leaver is blocked
    assert state["jdoe@example.com"] == john                   # John: untouched, active


def test_update_with_a_stale_olduserdata_updates_jane_and_leaves_john(aws):
    jane_profile, jane, john = renamed_then_name_reused(aws, with_ids=True)
    result = run_vendor(aws, "iam-update-user", json.dumps({**jane_profile, "title": "Director"}))
    assert result["success"] is True and result["id"] == jane["id"]
    state = users(aws)
    assert state["jsmith@example.com"]["title"] == "Director" and state["jdoe@example.com"] == john


@pytest.mark.parametrize("command", ["iam-disable-user", "iam-update-user", "iam-get-user"])
def test_without_employee_ids_a_stale_olduserdata_changes_nobody_and_names_both(aws, command):
    jane_profile, jane, john = renamed_then_name_reused(aws, with_ids=False)
    before = users(aws)
    result = run_vendor(aws, command, json.dumps(jane_profile))
    assert (result["success"], result["errorCode"], result["id"]) == (False, 409, None)
    message = result["errorMessage"]
    assert "Nobody was changed" in message and jane["id"] in message and john["id"] in message
    assert "jdoe@example.com" in message and "jsmith@example.com" in message and "olduserdata" in message
    assert users(aws) == before


def test_a_rename_already_applied_is_found_by_the_new_name_alone(aws):
    """Only one side resolves: the rename happened and nobody took the old name."""
    run_vendor(aws, "iam-create-user", person("jdoe@example.com", "Jane", "Doe"))
    profile = {**person("jsmith@example.com", "Jane", "Smith"), "olduserdata": {"username": "jdoe@example.com"}}
    assert run_vendor(aws, "iam-update-user", profile)["success"] is True
    result = run_vendor(aws, "iam-disable-user", profile)
    assert result["success"] is True and users(aws)["jsmith@example.com"]["active"] is False


@pytest.mark.parametrize("old", ["", None, {}, "  ", {"username": "  ", "email": ""}, "{}", []])
def test_blank_olduserdata_is_no_olduserdata(aws, old):
    run_vendor(aws, "iam-create-user", person("kim@example.com", "Kim", "Ode"))
    result = run_vendor(aws, "iam-update-user", {"username": "kim@example.com", "title": "Lead", "olduserdata": old})
    assert result["success"] is True and users(aws)["kim@example.com"]["title"] == "Lead"


# ----- New Hire onto a former employee's name ---------------------------------------------------------------
def former_admin(server) -> tuple:
    """Sam (E100) left: his account is disabled, still holds sam.lee@ and is in Prod-Admins."""
    sam = run_vendor(server, "iam-create-user", person("sam.lee@example.com", "Sam", "Lee", "E100",
                                                        department="Finance"), **{"allow-enable": "false"})
    group = group_output(run_on(server, "iam-create-group", {"scim": {"displayName": "Prod-Admins"}}), "CreateGroup")
    run_on(server, "iam-update-group", {"scim": {"id": group["id"]}, "memberIdsToAdd": [sam["id"]]})
    return users(server)["sam.lee@example.com"], group["id"]


def test_new_hire_onto_a_former_employees_name_is_refused(aws):
    sam, group_id = former_admin(aws)
    sasha = person("sam.lee@example.com", "Sasha", "Lee", "E200", department="Sales")
    result = run_vendor(aws, "iam-create-user", json.dumps(sasha), **{"allow-enable": "true"})
    assert (result["success"], result["errorCode"]) == (False, 409)
    assert "belongs to another person (externalId E100, disabled, id " + sam["id"] in result["errorMessage"]
    assert users(aws) == {"sam.lee@example.com": sam}          # Sam untouched: disabled, Finance, no one added
    assert aws.member_ids(group_id) == {sam["id"]}


def test_new_hire_with_the_same_employee_id_is_a_rehire(aws):
    sam, group_id = former_admin(aws)
    again = person("sam.lee@example.com", "Sam", "Lee", "E100", department="Sales")
    result = run_vendor(aws, "iam-create-user", again, **{"allow-enable": True})
    assert result["success"] is True and result["action"] == "update" and result["id"] == sam["id"]
    now = users(aws)["sam.lee@example.com"]
    assert now["active"] is True and now[ENTERPRISE]["department"] == "Sales"


def test_new_hire_without_employee_ids_keeps_the_rehire_behaviour(aws):
    run_vendor(aws, "iam-create-user", person("sam.lee@example.com", "Sam", "Lee"), **{"allow-enable": "false"})
    result = run_vendor(aws, "iam-create-user", person("sam.lee@example.com", "Sam", "Lee"))
    assert result["success"] is True and result["action"] == "update" and users(aws)["sam.lee@example.com"]["active"]


def test_new_hire_with_an_address_another_user_has_names_the_holder(aws):
    first = run_vendor(aws, "iam-create-user", person("ann@example.com", "Ann", "Lee"))
    clash = {**person("ann.lee@example.com", "Ann", "Lee"), "email": "ANN@example.com"}
    result = run_vendor(aws, "iam-create-user", clash)
    assert (result["success"], result["errorCode"]) == (False, 409)
    assert "e-mail ANN@example.com already belongs to AWS user ann@example.com" in result["errorMessage"]
    assert first["id"] in result["errorMessage"] and set(users(aws)) == {"ann@example.com"}


# ----- Block Account: several users in one iam-disable-user -------------------------------------------------
@pytest.mark.parametrize("form", [
    lambda names: names,
    lambda names: json.dumps(names),
    lambda names: ", ".join(names),
    lambda names: json.dumps(",".join(names)),
    lambda names: [{"username": name} for name in names],
    lambda names: json.dumps([{"username": name} for name in names]),
], ids=["list", "json-array", "comma-joined", "comma-joined-json-string", "profile-list", "profile-json-array"])
def test_block_account_disables_each_user_and_reports_each(aws, form):
    for name in ("a@example.com", "b@example.com"):
        run_vendor(aws, "iam-create-user", person(name, "A", "B"))
    results = vendors(run_on(aws, "iam-disable-user", {"user-profile": form(["a@example.com", "ghost@example.com",
                                                                              "b@example.com"])}))
    assert [(r["username"], r["success"], r["skipped"]) for r in results] == [
        ("a@example.com", True, False), ("ghost@example.com", True, True), ("b@example.com", True, False)]
    assert results[1]["reason"] == "User does not exist"
    assert all(not user["active"] for user in users(aws).values())


def test_a_comma_in_one_users_name_is_that_user(aws):
    run_vendor(aws, "iam-create-user", {**person("x@example.com", "A", "B"), "username": "lee,ann"})
    results = vendors(run_on(aws, "iam-disable-user", {"user-profile": "lee,ann"}))
    assert len(results) == 1 and results[0]["success"] is True and not users(aws)["lee,ann"]["active"]


@pytest.mark.parametrize("command", ["iam-get-user", "iam-create-user", "iam-update-user"])
def test_other_user_commands_take_one_user(aws, command):
    result = run_vendor(aws, command, json.dumps([{"username": "a@example.com"}, {"username": "b@example.com"}]))
    assert (result["success"], result["errorCode"]) == (False, 400)
    assert "one user per call" in result["errorMessage"] and not users(aws)


def test_users_past_the_time_budget_are_reported_not_dropped(aws, monkeypatch):
    import AWS_ILM
    for name in ("a@example.com", "b@example.com", "c@example.com"):
        run_vendor(aws, "iam-create-user", person(name, "A", "B"))
    left = iter([1.0, 0.0, 0.0])   # asked before each user; one user at a time, so in the order given
    monkeypatch.setattr(AWS_ILM.Client, "time_left", lambda self: next(left))
    monkeypatch.setattr(AWS_ILM, "PARALLEL_USERS", 1)
    results = vendors(run_on(aws, "iam-disable-user", {"user-profile": ["a@example.com", "b@example.com",
                                                                        "c@example.com"], "polling": "false"}))
    assert [r["success"] for r in results] == [True, False, False]
    assert all("time budget ran out" in r["errorMessage"] and r["errorCode"] == 504 for r in results[1:])
    assert [r["username"] for r in results] == ["a@example.com", "b@example.com", "c@example.com"]   # each named
    state = users(aws)
    assert not state["a@example.com"]["active"] and state["b@example.com"]["active"] and state["c@example.com"]["active"]


# ----- managers -------------------------------------------------------------------------------------------------
def manager_setup(server) -> tuple:
    boss = run_vendor(server, "iam-create-user", person("boss@example.com", "Bo", "Ss"))
    kim = run_vendor(server, "iam-create-user", {**person("kim@example.com", "Kim", "Ode"),
                                                 "manageremailaddress": "boss@example.com"})
    assert users(server)["kim@example.com"][ENTERPRISE]["manager"]["value"] == boss["id"]
    return boss, kim


def test_a_manager_changed_to_an_unknown_person_keeps_the_old_one_and_says_so(aws):
    boss, _ = manager_setup(aws)
    entries = run_on(aws, "iam-update-user", {"user-profile": {"username": "kim@example.com", "title": "Lead",
                                                               "manageremailaddress": "nobody@example.com"}})
    result = vendor(entries)
    assert result["success"] is True and "nobody@example.com" in result["notes"] and result["reason"] == ""
    assert "current manager is left as it is" in result["notes"] and result["notes"] in entries[0]["HumanReadable"]
    kim = users(aws)["kim@example.com"]
    assert kim[ENTERPRISE]["manager"]["value"] == boss["id"] and kim["title"] == "Lead"


def test_a_manager_given_as_an_aws_user_id_is_applied(aws):
    _, kim = manager_setup(aws)
    other = run_vendor(aws, "iam-create-user", person("other@example.com", "Ot", "Her"))
    result = run_vendor(aws, "iam-update-user", {"username": "kim@example.com", "manageremailaddress": other["id"]})
    assert result["success"] is True and not result["reason"] and "notes" not in result
    assert users(aws)["kim@example.com"][ENTERPRISE]["manager"]["value"] == other["id"]


@pytest.mark.parametrize("self_reference", ["kim@example.com", "KIM@example.com", "id"])
def test_a_user_is_never_their_own_manager(aws, self_reference):
    boss, kim = manager_setup(aws)
    value = kim["id"] if self_reference == "id" else self_reference
    result = run_vendor(aws, "iam-update-user", {"username": "kim@example.com", "manageremailaddress": value})
    assert result["success"] is True and "the user themself" in result["notes"] and not result["reason"]
    assert users(aws)["kim@example.com"][ENTERPRISE]["manager"]["value"] == boss["id"]


def test_a_new_hire_naming_themself_as_manager_is_created_without_one(aws):
    result = run_vendor(aws, "iam-create-user", {**person("lou@example.com", "Lou", "Ow"),
                                                 "manageremailaddress": "lou@example.com"})
    assert result["success"] is True and "the user themself" in result["notes"] and not result["reason"]
    assert "manager" not in (users(aws)["lou@example.com"].get(ENTERPRISE) or {})


# ----- smaller ones ------------------------------------------------------------------------------------------------
def test_formatted_name_and_address_follow_their_parts(aws):
    run_vendor(aws, "iam-create-user", person("ed@example.com", "Ed", "Stone", streetaddress="1 Main St", city="Boston"))
    user = users(aws)["ed@example.com"]   # formatted values set as another tool would
    requests.patch(aws.scim_url + f"Users/{user['id']}", headers={"Authorization": f"Bearer {aws.token}"}, json={
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
            {"op": "replace", "path": "name.formatted", "value": "Ed Stone"},
            {"op": "replace", "path": "addresses", "value": [{**user["addresses"][0],
                                                               "formatted": "1 Main St, Boston"}]}]})
    result = run_vendor(aws, "iam-update-user", {"username": "ed@example.com", "surname": "Stoner", "city": "Salem"})
    assert result["success"] is True
    now = users(aws)["ed@example.com"]
    assert now["name"]["formatted"] == "Ed Stoner" and now["displayName"] == "Ed Stoner"
    assert now["addresses"][0]["formatted"] == "1 Main St, Salem" and now["addresses"][0]["locality"] == "Salem"


def test_a_group_id_with_another_groups_name_changes_nothing(aws):
    a = group_output(run_on(aws, "iam-create-group", {"scim": {"displayName": "A"}}), "CreateGroup")
    group_output(run_on(aws, "iam-create-group", {"scim": {"displayName": "B"}}), "CreateGroup")
    for command in ("iam-delete-group", "iam-update-group", "iam-get-group"):
        out = group_output(run_on(aws, command, {"scim": {"id": a["id"], "displayName": "B"},
                                                 "memberIdsToAdd": "u1"}), command.split("-", 1)[1].title()
                           .replace("-", ""))
        assert (out["success"], out["errorCode"]) == (False, 400) and '"A"' in out["errorMessage"]
    assert {g["displayName"] for g in aws.resources("Group")} == {"A", "B"}
    deleted = group_output(run_on(aws, "iam-delete-group", {"scim": {"id": a["id"], "displayName": "a"}}),
                           "DeleteGroup")
    assert deleted["success"] is True and deleted["displayName"] == "A"   # the real name, not the one given


def test_a_disable_whose_answers_were_lost_says_aws_may_have_applied_it(aws):
    run_vendor(aws, "iam-create-user", person("lo@example.com", "Lo", "St"))
    aws.add_fault("lost", method="PATCH", times=-1)
    result = run_vendor(aws, "iam-disable-user", "lo@example.com")
    assert result["success"] is False and result["active"] is None
    assert "AWS may have applied it" in result["errorMessage"]
    assert users(aws)["lo@example.com"]["active"] is False      # AWS did disable the user


@pytest.mark.parametrize("token", ["Bearer {t}", "bearer {t}", '"{t}"', "'Bearer {t}'", " {t} "])
def test_a_pasted_token_is_cleaned(aws, token):
    credentials = {"identifier": f" /{aws.tenant}/ ", "password": token.format(t=aws.token)}
    assert run_on(aws, "test-module", credentials=credentials) == ["ok"]


def test_a_tenant_id_that_is_a_url_is_named(aws):
    entries = run_on(aws, "test-module", credentials={"identifier": aws.scim_url, "password": aws.token})
    assert entries[0]["Type"] == 4 and "is a URL, not a tenant id" in entries[0]["Contents"] and not aws.hooks.requests


def test_an_unreachable_host_names_the_base_url_once(aws):
    entries = run_on(aws, "test-module", url="https://127.0.0.1:9")
    assert entries[0]["Contents"].count("Base URL") == 1


def test_listings_page_past_a_thousand_users(aws):
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {aws.token}"
    for i in range(1050):
        session.post(aws.scim_url + "Users", json={"userName": f"u{i:04d}", "name": {"givenName": "U", "familyName": "V"},
                                                     "displayName": "U V"})
    entries = run_on(aws, "aws-ilm-list-users", {"limit": "1000"})
    token = entries[0]["EntryContext"]["AWSILM.UserNextToken"]
    rest = run_on(aws, "aws-ilm-list-users", {"limit": "1000", "next_token": token})
    names = [u["userName"] for e in (entries, rest) for u in e[0]["EntryContext"]["AWSILM.User(val.id && val.id == obj.id)"]]
    assert len(names) == 1050 and len(set(names)) == 1050
