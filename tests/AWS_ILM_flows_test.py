"""Playbook flows, end to end: the sequences of commands the IAM playbooks run (New Hire, Update, Rename,
Terminate, Rehire, group join and leave), through main() over real HTTP against the AWS-flavoured server,
which already holds awkward state (a disabled former employee with the new name, an address AWS has, values
with stray spaces). After every step the server's state is asserted, not only the entry. Arguments come in
the forms the War Room (strings) and scripts (booleans, numbers, lists, dicts) use.
"""
import json

import pytest

from conftest import group_output, run_on, uid, vendor

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
JANE = {"email": "jane.smith@example.com", "username": "jane.smith@example.com", "givenname": "Jane",
        "surname": "Smith", "employeeid": "E-100", "title": "Analyst", "streetaddress": "1 Main St",
        "city": "Boston", "zipcode": "02110", "country": "US", "mobilephone": "+1 555 0100"}
FORMER = {"email": "jane.doe@example.com", "username": "jane.doe@example.com", "givenname": "Jane",
          "surname": "Doe", "employeeid": "E-007", "title": "Former CFO"}


def users(server) -> dict:
    """The server's users by userName."""
    return {user["userName"]: user for user in server.resources("User")}


def user_named(server, user_name: str) -> dict:
    return users(server)[user_name]


def hire(server, profile: dict, allow_enable="true") -> dict:
    return vendor(run_on(server, "iam-create-user", {"user-profile": json.dumps(profile), "allow-enable": allow_enable}))


def update(server, profile, allow_enable=None) -> dict:
    args = {"user-profile": profile}
    if allow_enable is not None:
        args["allow-enable"] = allow_enable
    return vendor(run_on(server, "iam-update-user", args))


def former_employee(server) -> dict:
    """A disabled former employee who holds the name a current employee is about to take."""
    hire(server, FORMER, allow_enable=False)
    return user_named(server, "jane.doe@example.com")


# ----- New Hire ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("later_enable", ["true", True, "TRUE", None])
def test_new_hire_created_inactive_then_enabled(aws, later_enable):
    created = hire(aws, JANE, allow_enable="false")
    jane = user_named(aws, "jane.smith@example.com")
    assert created["success"] is True and created["action"] == "create" and jane["active"] is False
    assert jane["displayName"] == "Jane Smith" and jane["externalId"] == "E-100"
    assert jane["addresses"] == [{"streetAddress": "1 Main St", "locality": "Boston", "postalCode": "02110",
                                  "country": "US", "type": "work", "primary": True}]

    enabled = update(aws, json.dumps({"username": "jane.smith@example.com"}), later_enable)
    assert enabled["success"] is True and enabled["active"] is True
    assert user_named(aws, "jane.smith@example.com")["active"] is True and len(users(aws)) == 1


def test_new_hire_with_a_manager_points_at_the_managers_aws_id(aws):
    boss = hire(aws, {**FORMER, "username": "boss@example.com", "email": "boss@example.com"})
    aws.hooks.requests.clear()
    hire(aws, {**JANE, "manageremailaddress": "boss@example.com"})
    assert user_named(aws, "jane.smith@example.com")[ENTERPRISE]["manager"]["value"] == boss["id"]
    assert [r.method for r in aws.hooks.requests] == ["GET", "POST"]

    hire(aws, {**JANE, "username": "kim@example.com", "email": "kim@example.com",
               "manageremailaddress": "nobody@example.com"})
    assert "manager" not in (user_named(aws, "kim@example.com").get(ENTERPRISE) or {})


def test_new_hire_with_stray_spaces_is_found_again_by_the_next_update(aws):
    hire(aws, {**JANE, "username": " jane.smith@example.com ", "email": "jane.smith@example.com  ",
               "givenname": " Jane", "title": "  "})
    jane = user_named(aws, "jane.smith@example.com")
    assert jane["name"]["givenName"] == "Jane" and "title" not in jane
    result = update(aws, {"username": "jane.smith@example.com", "title": " Lead "})
    assert result["action"] == "update" and len(users(aws)) == 1
    assert user_named(aws, "jane.smith@example.com")["title"] == "Lead"


def test_a_hire_that_already_exists_updates_without_losing_data(aws):
    hire(aws, JANE)
    again = hire(aws, {"username": "jane.smith@example.com", "givenname": "Jane", "surname": "Smith",
                       "city": "Cambridge"})
    jane = user_named(aws, "jane.smith@example.com")
    assert again["action"] == "update" and len(users(aws)) == 1
    assert jane["addresses"][0] == {"streetAddress": "1 Main St", "locality": "Cambridge", "postalCode": "02110",
                                    "country": "US", "type": "work", "primary": True}


# ----- Update -------------------------------------------------------------------------------------------
def test_update_of_one_address_field_keeps_the_rest_and_the_phone_type(aws):
    hire(aws, JANE)
    update(aws, json.dumps({"username": "jane.smith@example.com", "city": "Cambridge", "mobilephone": "+1 555 0100",
                            "email": "jane.smith@example.com"}))
    jane = user_named(aws, "jane.smith@example.com")
    assert jane["addresses"][0]["streetAddress"] == "1 Main St" and jane["addresses"][0]["locality"] == "Cambridge"
    assert jane["phoneNumbers"] == [{"value": "+1 555 0100", "type": "work", "primary": True}]
    assert [r.method for r in aws.hooks.requests[-2:]] == ["GET", "PATCH"]


def test_update_of_the_surname_refreshes_the_built_display_name(aws):
    hire(aws, JANE)
    update(aws, {"username": "jane.smith@example.com", "surname": "Doe-Smith"})
    assert user_named(aws, "jane.smith@example.com")["displayName"] == "Jane Doe-Smith"
    update(aws, {"username": "jane.smith@example.com", "displayname": "JDS"})
    update(aws, {"username": "jane.smith@example.com", "surname": "Smith"})
    assert user_named(aws, "jane.smith@example.com")["displayName"] == "JDS"   # set by hand: kept


# ----- Rename -------------------------------------------------------------------------------------------
RENAMED = {**JANE, "username": "jane.doe@example.com", "email": "jane.doe@example.com", "surname": "Doe",
           "olduserdata": {"username": "jane.smith@example.com", "email": "jane.smith@example.com"}}


def test_rename_plain_and_run_again(aws):
    jane_id = hire(aws, JANE)["id"]
    first = update(aws, json.dumps(RENAMED), "true")
    assert first["success"] is True and first["id"] == jane_id
    assert set(users(aws)) == {"jane.doe@example.com"}
    jane = user_named(aws, "jane.doe@example.com")
    assert jane["id"] == jane_id and jane["emails"][0]["value"] == "jane.doe@example.com"
    assert jane["displayName"] == "Jane Doe"

    again = update(aws, RENAMED, True)   # the playbook retries: the old name is gone, the new one is Jane
    assert again["success"] is True and again["id"] == jane_id and set(users(aws)) == {"jane.doe@example.com"}


def test_rename_onto_a_name_held_by_a_disabled_former_employee_changes_nobody(aws):
    former = former_employee(aws)
    jane = user_named(aws, "jane.smith@example.com") if hire(aws, JANE) else None
    result = update(aws, json.dumps({**RENAMED, "title": "CFO"}), "true")
    assert (result["success"], result["errorCode"]) == (False, 409)
    assert 'userName "jane.doe@example.com" belongs to another AWS user' in result["errorMessage"]
    assert result["id"] == jane["id"] and result["username"] == "jane.smith@example.com"
    assert user_named(aws, "jane.doe@example.com") == former            # the former employee: untouched, disabled
    assert user_named(aws, "jane.smith@example.com")["title"] == "Analyst"   # Jane: untouched


# ----- Terminate and Rehire -------------------------------------------------------------------------------
@pytest.mark.parametrize("allow_enable", ["false", False, "False", " FALSE "])
def test_terminate_then_update_with_allow_enable_false_keeps_the_leaver_disabled(aws, allow_enable):
    hire(aws, JANE)
    disabled = vendor(run_on(aws, "iam-disable-user", {"user-profile": "jane.smith@example.com"}))
    assert disabled["success"] is True and disabled["active"] is False
    assert user_named(aws, "jane.smith@example.com")["active"] is False

    again = vendor(run_on(aws, "iam-disable-user", {"user-profile": {"username": "jane.smith@example.com"}}))
    assert (again["skipped"], again["reason"]) == (True, "User is already disabled.")

    result = update(aws, {"username": "jane.smith@example.com", "title": "Left"}, allow_enable)
    assert result["success"] is True and result["active"] is False
    leaver = user_named(aws, "jane.smith@example.com")
    assert leaver["active"] is False and leaver["title"] == "Left"


def test_rehire_enables_the_same_account(aws):
    jane_id = hire(aws, JANE)["id"]
    run_on(aws, "iam-disable-user", {"user-profile": "jane.smith@example.com"})
    rehired = update(aws, json.dumps({**JANE, "title": "Senior Analyst"}), "true")
    jane = user_named(aws, "jane.smith@example.com")
    assert rehired["success"] is True and rehired["action"] == "update" and rehired["id"] == jane_id
    assert jane["active"] is True and jane["title"] == "Senior Analyst" and len(users(aws)) == 1


def test_a_numeric_user_name_is_found(aws):
    hire(aws, {**JANE, "username": "100234"})
    for form in ("100234", 100234, ["100234"]):
        assert vendor(run_on(aws, "iam-get-user", {"user-profile": form}))["username"] == "100234"


# ----- groups -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("members", [
    lambda ids: ids, lambda ids: json.dumps(ids), lambda ids: ",".join(ids), lambda ids: ",".join(f'"{i}"' for i in ids),
    lambda ids: str(ids),
], ids=["list", "json", "comma", "quoted", "python-list"])
def test_group_join_and_leave(aws, members):
    ids = [hire(aws, {**JANE, "username": f"u{i}@example.com", "email": f"u{i}@example.com"})["id"] for i in range(3)]
    created = group_output(run_on(aws, "iam-create-group", {"scim": {"displayName": "Engineers"}}), "CreateGroup")
    joined = group_output(run_on(aws, "iam-update-group", {"scim": json.dumps({"id": created["id"]}),
                                                           "memberIdsToAdd": members(ids)}), "UpdateGroup")
    assert joined["success"] is True and aws.member_ids(created["id"]) == set(ids)
    left = group_output(run_on(aws, "iam-update-group", {"scim": {"displayName": "Engineers"},
                                                         "memberIdsToDelete": members(ids[:2])}), "UpdateGroup")
    assert left["success"] is True and aws.member_ids(created["id"]) == {ids[2]}


def test_ensure_a_group_exists_gives_the_existing_id(aws):
    first = group_output(run_on(aws, "iam-create-group", {"scim": '{"displayName": "Admins"}'}), "CreateGroup")
    second = group_output(run_on(aws, "iam-create-group", {"scim": '{"displayName": "Admins"}'}), "CreateGroup")
    assert (second["success"], second["errorCode"], second["errorMessage"]) == (False, 409, "Group already exists")
    assert second["id"] == first["id"] and len(aws.resources("Group")) == 1


def test_update_of_an_unknown_group_is_group_not_found(aws):
    out = group_output(run_on(aws, "iam-update-group", {"scim": '{"id": "nope"}', "memberIdsToAdd": uid(1)}),
                       "UpdateGroup")
    assert (out["success"], out["errorCode"], out["errorMessage"]) == (False, 404, "Group Not Found")
