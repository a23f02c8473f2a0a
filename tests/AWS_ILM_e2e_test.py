"""End-to-end tests: main() over real HTTP against the AWS-flavoured SCIM server on 127.0.0.1.

Each test drives the integration as XSOAR does (params, args, command, main()), then checks the
emitted entries and the server's state. After every test, each request the integration sent is
validated with scim2-models (RFC 7643/7644 shape); the server itself enforces AWS's rules.
"""
import json
from urllib.parse import parse_qs

import pytest

import AWS_ILM
import requests
from scim2_models import Context, EnterpriseUser, Group, PatchOp, ScimPolicy, SearchRequest, User

from conftest import group_output, load, run_on, uid, user_profile, vendor

JANE = {"email": "jane@example.com", "username": "jane@example.com", "givenname": "Jane", "surname": "Doe",
        "displayname": "Jane Doe", "employeeid": "E-1", "department": "IT", "city": "Lyon", "mobilephone": "+33 1"}
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
LENIENT_REMOVE = ScimPolicy(remove_value_as_filter=ScimPolicy.RemoveValue.apply)


def validate_sent(recorded) -> None:
    """Every body the integration sends must be a valid SCIM 2.0 message."""
    body = recorded.json()
    path, method = recorded.path, recorded.method
    if method in ("POST", "PUT") and path == "/Users":
        User[EnterpriseUser].model_validate(body, scim_ctx=Context.RESOURCE_CREATION_REQUEST)
    elif method == "POST" and path == "/Groups":
        Group.model_validate(body, scim_ctx=Context.RESOURCE_CREATION_REQUEST)
    elif method == "PATCH" and path.startswith("/Users/"):
        PatchOp[User[EnterpriseUser]].model_validate(body, scim_ctx=Context.RESOURCE_PATCH_REQUEST)
    elif method == "PATCH" and path.startswith("/Groups/"):
        PatchOp[Group].model_validate(body, scim_ctx=Context.RESOURCE_PATCH_REQUEST, scim_policy=LENIENT_REMOVE)
    else:
        assert body is None, f"unexpected body on {method} {path}"
    for scim_filter in parse_qs(recorded.query).get("filter", []):
        SearchRequest.model_validate({"filter": scim_filter})


@pytest.fixture
def server(aws):
    yield aws
    for recorded in aws.hooks.requests:
        validate_sent(recorded)


def session_for(server) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {server.token}"
    return session


def stored_user(server, user_name: str) -> dict:
    return next(u for u in server.resources("User") if u["userName"] == user_name)


def create(server, profile: dict = JANE, **overrides) -> dict:
    return vendor(run_on(server, "iam-create-user", {"user-profile": json.dumps(profile)}, **overrides))


def calls(server) -> list:
    return [(r.method, r.path.split("/")[1]) for r in server.hooks.requests]


# ----- users ---------------------------------------------------------------------------------------
def test_create_get_update_disable_lifecycle(server):
    created = create(server)
    user = stored_user(server, "jane@example.com")
    assert created["success"] is True and created["action"] == "create" and created["id"] == user["id"]
    assert user["active"] is True and user["displayName"] == "Jane Doe" and user["externalId"] == "E-1"
    assert user["emails"] == [{"value": "jane@example.com", "type": "work", "primary": True}]
    assert user["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["department"] == "IT"
    assert user["addresses"][0]["locality"] == "Lyon" and calls(server) == [("POST", "Users")]

    entries = run_on(server, "iam-get-user", {"user-profile": '{"username": "jane@example.com"}'})
    assert vendor(entries)["id"] == user["id"] and vendor(entries)["active"] is True
    assert user_profile(entries)["Given Name"] == "Jane" and user_profile(entries)["Department"] == "IT"

    updated = vendor(run_on(server, "iam-update-user", {"user-profile": {"username": "jane@example.com",
                                                                         "title": "CTO", "surname": "Roe"}}))
    assert updated["success"] is True and updated["details"]["title"] == "CTO"
    assert stored_user(server, "jane@example.com")["name"]["familyName"] == "Roe"

    disabled = vendor(run_on(server, "iam-disable-user", {"user-profile": "jane@example.com"}))
    assert disabled["active"] is False and stored_user(server, "jane@example.com")["active"] is False
    again = vendor(run_on(server, "iam-disable-user", {"user-profile": "jane@example.com"}))
    assert (again["skipped"], again["reason"]) == (True, "User is already disabled.")


def test_create_of_an_existing_user_updates_and_enables_it(server):
    create(server)
    run_on(server, "iam-disable-user", {"user-profile": "jane@example.com"})
    server.hooks.requests.clear()
    result = create(server, {**JANE, "title": "Lead"})
    assert result["action"] == "update" and result["active"] is True and result["success"] is True
    user = stored_user(server, "jane@example.com")
    assert user["active"] is True and user["title"] == "Lead"
    assert calls(server) == [("POST", "Users"), ("GET", "Users"), ("PATCH", "Users")]


def test_create_without_allow_enable_leaves_the_user_inactive(server):
    result = vendor(run_on(server, "iam-create-user", {"user-profile": json.dumps(JANE), "allow-enable": "false"}))
    assert result["active"] is False and stored_user(server, "jane@example.com")["active"] is False


def test_update_of_a_missing_user_creates_it_or_skips(server):
    skipped = vendor(run_on(server, "iam-update-user", {"user-profile": json.dumps(JANE)}, create_if_not_exists=False))
    assert (skipped["skipped"], skipped["reason"]) == (True, "User does not exist") and not server.resources("User")
    created = vendor(run_on(server, "iam-update-user", {"user-profile": json.dumps(JANE)}))
    assert created["action"] == "create" and stored_user(server, "jane@example.com")["active"] is True


def test_rename_through_olduserdata(server):
    create(server)
    profile = {**JANE, "username": "jane.roe@example.com", "email": "jane.roe@example.com",
               "olduserdata": {"username": "jane@example.com"}}
    result = vendor(run_on(server, "iam-update-user", {"user-profile": json.dumps(profile)}))
    assert result["username"] == "jane.roe@example.com" and result["action"] == "update"
    assert [u["userName"] for u in server.resources("User")] == ["jane.roe@example.com"]
    assert stored_user(server, "jane.roe@example.com")["emails"][0]["value"] == "jane.roe@example.com"


def test_enable_on_update_in_one_patch(server):
    create(server)
    run_on(server, "iam-disable-user", {"user-profile": "jane@example.com"})
    server.hooks.requests.clear()
    result = vendor(run_on(server, "iam-update-user", {"user-profile": {"username": "jane@example.com",
                                                                        "title": "VP"}, "allow-enable": "true"}))
    assert result["active"] is True and stored_user(server, "jane@example.com")["active"] is True
    assert calls(server) == [("GET", "Users"), ("PATCH", "Users")]
    assert len(server.hooks.requests[1].json()["Operations"]) == 2


def test_get_missing_user_and_disable_missing_user(server):
    assert vendor(run_on(server, "iam-get-user", {"user-profile": "ghost"}))["errorCode"] == 404
    assert vendor(run_on(server, "iam-disable-user", {"user-profile": "ghost"}))["reason"] == "User does not exist"


def test_hostile_username_matches_only_itself(server):
    create(server)
    create(server, {**JANE, "username": 'a" or userName pr "', "email": "x@example.com", "employeeid": "E-2"})
    result = vendor(run_on(server, "iam-get-user", {"user-profile": json.dumps({"username": 'a" or userName pr "'})}))
    assert result["username"] == 'a" or userName pr "'


# ----- groups --------------------------------------------------------------------------------------
def test_group_lifecycle_by_id_and_by_name(server):
    user_ids = [create(server, {**JANE, "username": f"u{i}@example.com", "email": f"u{i}@example.com",
                                "employeeid": f"E{i}"})["id"] for i in range(3)]
    created = group_output(run_on(server, "iam-create-group", {"scim": '{"displayName": "Engineers"}'}), "CreateGroup")
    group_id = created["id"]
    assert created["success"] is True and server.resources("Group")[0]["displayName"] == "Engineers"
    duplicate = group_output(run_on(server, "iam-create-group", {"scim": '{"displayName": "Engineers"}'}),
                             "CreateGroup")
    assert (duplicate["errorCode"], duplicate["errorMessage"]) == (409, "Group already exists")

    by_id = group_output(run_on(server, "iam-get-group", {"scim": json.dumps({"id": group_id})}), "GetGroup")
    by_name = group_output(run_on(server, "iam-get-group", {"scim": '{"displayName": "Engineers"}'}), "GetGroup")
    assert by_id["displayName"] == "Engineers" and by_name["id"] == group_id

    added = group_output(run_on(server, "iam-update-group", {"scim": json.dumps({"id": group_id}),
                                                             "memberIdsToAdd": ",".join(user_ids)}), "UpdateGroup")
    assert added["success"] is True and server.member_ids(group_id) == set(user_ids)
    removed = group_output(run_on(server, "iam-update-group", {"scim": '{"displayName": "Engineers"}',
                                                               "memberIdsToDelete": json.dumps(user_ids[:2])}),
                           "UpdateGroup")
    assert removed["success"] is True and server.member_ids(group_id) == {user_ids[2]}

    deleted = group_output(run_on(server, "iam-delete-group", {"scim": '{"displayName": "Engineers"}'}), "DeleteGroup")
    assert deleted["success"] is True and server.resources("Group") == []
    gone = group_output(run_on(server, "iam-delete-group", {"scim": json.dumps({"id": group_id})}), "DeleteGroup")
    assert (gone["errorCode"], gone["errorMessage"]) == (404, "Group Not Found")
    missing = group_output(run_on(server, "iam-get-group", {"scim": json.dumps({"id": group_id})}), "GetGroup")
    assert missing["errorCode"] == 404


def test_250_member_changes_take_three_patches(server):
    group_id = group_output(run_on(server, "iam-create-group", {"scim": '{"displayName": "Big"}'}), "CreateGroup")["id"]
    ids = [uid(i) for i in range(250)]
    server.hooks.requests.clear()
    result = group_output(run_on(server, "iam-update-group", {"scim": json.dumps({"id": group_id}),
                                                              "memberIdsToAdd": json.dumps(ids)}), "UpdateGroup")
    assert result["success"] is True and server.member_ids(group_id) == set(ids)
    assert calls(server) == [("PATCH", "Groups")] * 3
    server.hooks.requests.clear()
    run_on(server, "iam-update-group", {"scim": json.dumps({"id": group_id}), "memberIdsToDelete": ids[:150],
                                        "memberIdsToAdd": [uid(999)]})
    assert server.member_ids(group_id) == set(ids[150:]) | {uid(999)} and len(server.hooks.requests) == 2


def test_adding_an_existing_member_and_removing_a_non_member_succeed(server):
    group_id = group_output(run_on(server, "iam-create-group", {"scim": '{"displayName": "G"}'}), "CreateGroup")["id"]
    run_on(server, "iam-update-group", {"scim": json.dumps({"id": group_id}), "memberIdsToAdd": uid(1)})
    again = group_output(run_on(server, "iam-update-group", {"scim": json.dumps({"id": group_id}),
                                                             "memberIdsToAdd": uid(1), "memberIdsToDelete": uid(9)}),
                         "UpdateGroup")
    assert again["success"] is True and server.member_ids(group_id) == {uid(1)}


# ----- group members and listings --------------------------------------------------------------
def directory(server, users: int, groups: int = 0) -> tuple:
    """`users` users (u000@example.com, ...) and `groups` empty groups, made straight on the server."""
    session = session_for(server)
    user_ids = [session.post(server.scim_url + "Users", json={
        "userName": f"u{i:03d}@example.com", "name": {"givenName": "U", "familyName": f"{i:03d}"},
        "displayName": f"U {i:03d}", "emails": [{"value": f"u{i:03d}@example.com", "primary": True}]}).json()["id"]
        for i in range(users)]
    group_ids = [session.post(server.scim_url + "Groups", json={"displayName": f"G{i}"}).json()["id"]
                 for i in range(groups)]
    server.hooks.requests.clear()
    return user_ids, group_ids


def listed(entries: list, noun: str) -> list:
    return entries[0]["EntryContext"].get(f"AWSILM.{noun}(val.id && val.id == obj.id)", [])


def test_a_group_of_230_members_lists_them_all(server):
    user_ids, (group_id,) = directory(server, 230, 1)
    run_on(server, "iam-update-group", {"scim": json.dumps({"id": group_id}), "memberIdsToAdd": user_ids})
    server.hooks.requests.clear()
    entries = run_on(server, "iam-get-group", {"scim": json.dumps({"id": group_id})})
    out = group_output(entries, "GetGroup")
    assert [m["value"] for m in out["members"]] == user_ids and out["members"][0]["display"] == "U 000"
    assert calls(server) == [("GET", "Groups")] + [("GET", "Users")] * 3
    assert "**230 members**" in entries[0]["HumanReadable"] and "180 more members" in entries[0]["HumanReadable"]
    by_name = group_output(run_on(server, "iam-get-group", {"scim": '{"displayName": "G0"}'}), "GetGroup")
    assert len(by_name["members"]) == 230
    assert group_output(run_on(server, "iam-get-group", {"scim": '{"displayName": "G0"}', "includeMembers": False}),
                        "GetGroup")["members"] is None


def test_an_empty_group_has_an_empty_member_list(server):
    _, (group_id,) = directory(server, 0, 1)
    assert group_output(run_on(server, "iam-get-group", {"scim": json.dumps({"id": group_id})}),
                        "GetGroup")["members"] == []


def test_a_user_in_3_of_4_groups_lists_those_3(server):
    (user_id, other), group_ids = directory(server, 2, 4)
    for group_id in group_ids[:3]:
        run_on(server, "iam-update-group", {"scim": json.dumps({"id": group_id}), "memberIdsToAdd": user_id})
    run_on(server, "iam-update-group", {"scim": json.dumps({"id": group_ids[3]}), "memberIdsToAdd": other})
    groups = listed(run_on(server, "aws-ilm-list-groups", {"member_id": user_id}), "Group")
    assert sorted((g["id"], g["displayName"]) for g in groups) == sorted(zip(group_ids[:3], ["G0", "G1", "G2"], strict=True))
    members = listed(run_on(server, "aws-ilm-list-users", {"group_id": group_ids[3]}), "User")
    assert [u["id"] for u in members] == [other] and members[0]["email"] == "u001@example.com"


def test_a_listing_of_130_users_with_limit_120_continues_to_the_remaining_10(server):
    user_ids, _ = directory(server, 130)
    first = run_on(server, "aws-ilm-list-users", {"limit": "120"})
    token = first[0]["EntryContext"]["AWSILM.UserNextToken"]
    assert len(listed(first, "User")) == 120 and len(server.hooks.requests) == 2
    server.hooks.requests.clear()
    rest = run_on(server, "aws-ilm-list-users", {"limit": "120", "next_token": token})
    together = [u["id"] for u in listed(first, "User") + listed(rest, "User")]
    assert len(listed(rest, "User")) == 10 and sorted(together) == sorted(user_ids) and len(server.hooks.requests) == 1
    assert "AWSILM.UserNextToken" not in rest[0]["EntryContext"]


def test_listings_of_unknown_ids_are_empty_and_a_stale_token_says_to_start_again(server):
    directory(server, 3, 1)
    assert listed(run_on(server, "aws-ilm-list-users", {"group_id": "no-such-group"}), "User") == []
    assert listed(run_on(server, "aws-ilm-list-groups", {"member_id": "no-such-user"}), "Group") == []
    stale = run_on(server, "aws-ilm-list-users", {"next_token": "bm90LWEtY3Vyc29y"})
    assert stale[0]["Type"] == 4 and "start the listing again" in stale[0]["Contents"]
    missing = group_output(run_on(server, "iam-get-group", {"scim": '{"id": "no-such-group"}'}), "GetGroup")
    assert (missing["errorCode"], missing["errorMessage"]) == (404, "Group Not Found")


def test_a_tenant_that_refuses_filtered_cursors_gets_one_page(server, monkeypatch):
    user_ids, (group_id,) = directory(server, 3, 1)
    run_on(server, "iam-update-group", {"scim": json.dumps({"id": group_id}), "memberIdsToAdd": user_ids})
    monkeypatch.setattr(server.app, "reject_filtered_cursor", True)
    entries = run_on(server, "aws-ilm-list-users", {"group_id": group_id})
    assert [u["id"] for u in listed(entries, "User")] == user_ids and "may be incomplete" in entries[0]["HumanReadable"]
    assert group_output(run_on(server, "iam-get-group", {"scim": json.dumps({"id": group_id})}),
                        "GetGroup")["members"][2]["value"] == user_ids[2]


def group_of(server, members: int) -> tuple:
    """A group holding `members` users, its members added straight on the server in PATCHes of 100."""
    user_ids, (group_id,) = directory(server, members, 1)
    session = session_for(server)
    for start in range(0, members, 100):
        session.patch(server.scim_url + f"Groups/{group_id}", json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "add", "path": "members", "value": [{"value": i} for i in user_ids[start:start + 100]]}]})
    server.hooks.requests.clear()
    return user_ids, group_id


def test_a_1130_member_group_reads_1000_by_default_and_continues_exactly(server):
    user_ids, group_id = group_of(server, 1130)
    entries = run_on(server, "iam-get-group", {"scim": json.dumps({"id": group_id})})
    out, readable = group_output(entries, "GetGroup"), entries[0]["HumanReadable"]
    assert len(server.hooks.requests) <= 11 and [m["value"] for m in out["members"]] == user_ids[:1000]
    assert out["membersPartial"] is True and "more members remain" in out["membersReason"]
    assert "The member list is partial" in readable and "lists all" not in readable
    token = entries[0]["EntryContext"]["AWSILM.UserNextToken"]
    assert f"!aws-ilm-list-users group_id={group_id} next_token={token}" in readable
    rest = run_on(server, "aws-ilm-list-users", {"group_id": group_id, "next_token": token, "limit": "1000"})
    assert [u["id"] for u in listed(rest, "User")] == user_ids[1000:]
    assert "AWSILM.UserNextToken" not in rest[0]["EntryContext"]


@pytest.mark.parametrize("limit, requests_sent", [("1", 2), ("250", 4), (100000, 13)])
def test_members_limit_raises_or_lowers_the_read(server, limit, requests_sent):
    user_ids, group_id = group_of(server, 1130)
    out = group_output(run_on(server, "iam-get-group", {"scim": json.dumps({"id": group_id}), "membersLimit": limit}),
                       "GetGroup")
    assert [m["value"] for m in out["members"]] == user_ids[:int(limit)] and len(server.hooks.requests) == requests_sent
    assert out.get("membersPartial") is (True if int(limit) < 1130 else None)


@pytest.mark.parametrize("limit", ["0", "100001", "x", True])
def test_a_bad_members_limit_is_named(server, limit):
    out = group_output(run_on(server, "iam-get-group", {"scim": '{"id": "g"}', "membersLimit": limit}), "GetGroup")
    assert out["errorCode"] == 400 and "membersLimit must be a whole number from 1 to 100000" in out["errorMessage"]


def test_a_refused_filtered_cursor_on_250_members_is_flagged_partial(server, monkeypatch):
    user_ids, group_id = group_of(server, 250)
    monkeypatch.setattr(server.app, "reject_filtered_cursor", True)
    entries = run_on(server, "iam-get-group", {"scim": json.dumps({"id": group_id})})
    out = group_output(entries, "GetGroup")
    assert out["success"] is True and [m["value"] for m in out["members"]] == user_ids[:100]
    assert out["membersPartial"] is True and "answered one page" in out["membersReason"]
    assert "The member list is partial" in entries[0]["HumanReadable"] and "lists all" not in entries[0]["HumanReadable"]


def test_a_member_read_stopped_by_the_deadline_is_flagged_partial(server, monkeypatch):
    user_ids, group_id = group_of(server, 450)
    left = iter([60.0, 60.0, 1.0])   # asked before the 2nd, 3rd and 4th page
    monkeypatch.setattr(AWS_ILM.Client, "time_left", lambda self: next(left))
    entries = run_on(server, "iam-get-group", {"scim": json.dumps({"id": group_id})})
    out = group_output(entries, "GetGroup")
    assert [m["value"] for m in out["members"]] == user_ids[:300] and out["membersPartial"] is True
    assert "time budget ran out after 300" in out["membersReason"]
    monkeypatch.undo()
    rest = run_on(server, "aws-ilm-list-users", {"group_id": group_id, "limit": "1000",
                                                 "next_token": entries[0]["EntryContext"]["AWSILM.UserNextToken"]})
    assert [u["id"] for u in listed(rest, "User")] == user_ids[300:]


def test_a_listing_stopped_by_the_deadline_says_so_and_continues(server, monkeypatch):
    user_ids, _ = directory(server, 250)
    left = iter([60.0, 1.0])
    monkeypatch.setattr(AWS_ILM.Client, "time_left", lambda self: next(left))
    entries = run_on(server, "aws-ilm-list-users", {"limit": "250"})
    assert len(listed(entries, "User")) == 200 and "time budget ran out after 200" in entries[0]["HumanReadable"]
    assert "AWSILM.UserNextToken" in entries[0]["EntryContext"]


def test_a_refused_member_filter_still_returns_the_group(server):
    _, group_id = group_of(server, 3)
    server.add_fault("status", status=400, method="GET", path="/Users", times=-1)
    entries = run_on(server, "iam-get-group", {"scim": json.dumps({"id": group_id})})
    out = group_output(entries, "GetGroup")
    assert (out["success"], out["id"], out["displayName"]) == (True, group_id, "G0")
    assert out["members"] is None and out["membersPartial"] is True and "refused to list the members" in out["membersReason"]
    assert "Members not read" in entries[0]["HumanReadable"]


@pytest.mark.parametrize("query, status, keys", [
    ({"cursor": "", "count": "2"}, 200, {"schemas", "itemsPerPage", "Resources", "nextCursor"}),
    ({"count": "2"}, 200, {"schemas", "totalResults", "itemsPerPage", "startIndex", "Resources"}),
    ({"count": "0"}, 400, None), ({"count": "101"}, 400, None), ({"cursor": "", "count": "x"}, 400, None),
])
def test_server_pages_as_aws_does(server, query, status, keys):
    directory(server, 3)
    answer = session_for(server).get(server.scim_url + "Users", params=query)
    assert answer.status_code == status
    if keys:
        assert set(answer.json()) == keys and len(answer.json()["Resources"]) == 2
    if "totalResults" in (keys or ()):
        assert answer.json()["totalResults"] == 2   # AWS's legacy total is the number returned
    server.hooks.requests.clear()


# ----- discovery -----------------------------------------------------------------------------------
def test_test_module_and_bad_token(server):
    assert run_on(server, "test-module") == ["ok"]
    params = server.params()
    params["credentials"] = {"identifier": server.tenant, "password": "wrong-token"}
    from conftest import run_command
    entries = run_command("test-module", params=params, token="wrong-token")
    assert entries[0]["Type"] == 4 and "Tenant ID and the Authentication Token" in entries[0]["Contents"]
    params["credentials"] = {"identifier": "other-tenant", "password": server.token}
    assert "Tenant ID" in run_command("test-module", params=params, token=server.token)[0]["Contents"]


def test_mapping_fields_come_from_the_server_schemas(server):
    fields = run_on(server, "get-mapping-fields")[0]["User Profile"]
    assert {"userName", "name.givenName", "emails", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
            ".department"} <= set(fields) and "password" not in fields
    assert len(server.hooks.requests) == 1


# ----- the published documentation's command examples over HTTP -------------------------------------------------------
@pytest.mark.parametrize("example", load("published_examples.json"), ids=lambda e: e["command"])
def test_published_examples_against_the_server(server, example):
    published_user = {"email": "john.doe@example.com", "username": "test", "givenname": "test", "surname": "test",
                 "displayname": "test"}
    if example["command"] != "iam-create-user":
        create(server, published_user)
    group_id = group_output(run_on(server, "iam-create-group", {"scim": '{"displayName": "The best group"}'}),
                            "CreateGroup")["id"]
    user_id = next((u["id"] for u in server.resources("User")), "")   # the published example's member id "123456" is a user's
    args = {k: v.replace("121212", group_id).replace("123456", user_id) for k, v in example["args"].items()}
    if example["command"] == "iam-create-group":
        args = {"scim": '{"displayName": "The group"}'}
    entries = run_on(server, example["command"], args)
    context = vendor(entries) if example["prefix"] == "IAM.Vendor" else group_output(entries, example["prefix"])
    assert sorted(context) == example["keys"] and context["success"] is True
    assert entries[0]["HumanReadable"].startswith(f"### {example['title']}")


# ----- the server rejects what AWS rejects ---------------------------------------------------------
@pytest.mark.parametrize("method, path, body, query, detail", [
    ("GET", "Users", None, {"filter": 'userName co "jane"'}, "Unsupported filter"),
    ("GET", "Users", None, {"filter": 'emails.value eq "jane@example.com"'}, "Unsupported filter"),
    ("GET", "Groups", None, {"filter": 'displayName eq "a" or displayName eq "b"'}, "Unsupported filter"),
    ("POST", "Users", {"userName": "x", "name": {"givenName": "X", "familyName": "Y"}, "displayName": "X Y",
                       "emails": [{"value": "a@x", "primary": True}, {"value": "b@x"}]}, None, "Only one value"),
    ("POST", "Users", {"userName": "x", "displayName": "X"}, None, "name.givenName"),
    ("PATCH", "Groups/{gid}", {"schemas": [PATCH], "Operations": [
        {"op": "add", "path": "members", "value": [{"value": f"u{i}"} for i in range(101)]}]}, None,
     "unparsable"),
    ("PATCH", "Groups/{gid}", {"schemas": [PATCH], "Operations": [
        {"op": "replace", "path": "members", "value": [{"value": "u1"}]}]}, None, "Replacing group memberships"),
    ("PATCH", "Groups/{gid}", {"schemas": [PATCH], "Operations": [{"op": "remove", "path": "members"}]}, None,
     "Removing all"),
    ("PATCH", "Users/{uid}", {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active",
                                                                   "value": "false"}]}, None, "unparsable"),
])
def test_server_rejects_what_aws_rejects(server, method, path, body, query, detail):
    uid = create(server)["id"]
    gid = group_output(run_on(server, "iam-create-group", {"scim": '{"displayName": "G"}'}), "CreateGroup")["id"]
    answer = session_for(server).request(method, server.scim_url + path.format(uid=uid, gid=gid), json=body,
                                         params=query)
    error = answer.json()
    assert answer.status_code == 400 and error["status"] == "400" and detail.lower() in error["detail"].lower()
    assert error["schema"] == error["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    server.hooks.requests.clear()   # these requests were ours, not the integration's


def test_server_hides_group_members_and_wants_the_token_everywhere(server):
    gid = group_output(run_on(server, "iam-create-group", {"scim": '{"displayName": "G"}'}), "CreateGroup")["id"]
    run_on(server, "iam-update-group", {"scim": json.dumps({"id": gid}), "memberIdsToAdd": uid(1)})
    assert session_for(server).get(server.scim_url + f"Groups/{gid}").json()["members"] == []
    assert server.member_ids(gid) == {uid(1)}
    assert requests.get(server.scim_url + "ServiceProviderConfig").status_code == 401


def test_each_command_uses_one_connection(server):
    create(server)
    for command, args in [("iam-get-user", {"user-profile": "jane@example.com"}),
                          ("iam-update-user", {"user-profile": {"username": "jane@example.com", "title": "X"}}),
                          ("iam-disable-user", {"user-profile": "jane@example.com"})]:
        server.hooks.connections = 0
        run_on(server, command, args)
        assert server.hooks.connections == 1, command
