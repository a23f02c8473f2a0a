"""The AWS-flavoured test server's membership reads (scimtest/aws_scim_server.py): a user's groups and a group's
members follow every kind of write, whichever path carried it out (the server's own member changes, or
scim2-server's PATCH and POST), since the server keeps each group's member set until the group's next write."""
import requests

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def session_for(server) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {server.token}"
    return session


def new_user(session, server, name: str) -> str:
    answer = session.post(server.scim_url + "Users", json={
        "userName": name, "name": {"givenName": "T", "familyName": name}, "displayName": name})
    answer.raise_for_status()
    return answer.json()["id"]


def groups_of(session, server, user_id: str) -> list:
    answer = session.get(server.scim_url + "Groups", params={"filter": f'members.value eq "{user_id}"'})
    answer.raise_for_status()
    return sorted(group["displayName"] for group in answer.json()["Resources"])


def change(session, server, group_id: str, *operations) -> int:
    return session.patch(server.scim_url + f"Groups/{group_id}",
                         json={"schemas": [PATCH_OP], "Operations": list(operations)}).status_code


def test_a_users_groups_follow_every_write(aws):
    with session_for(aws) as session:
        ann, bob = new_user(session, aws, "ann"), new_user(session, aws, "bob")
        red = session.post(aws.scim_url + "Groups", json={"displayName": "red", "members": [{"value": ann}]}).json()
        blue = session.post(aws.scim_url + "Groups", json={"displayName": "blue"}).json()
        assert groups_of(session, aws, ann) == ["red"] and groups_of(session, aws, bob) == []

        both = [{"value": ann}, {"value": bob}]
        assert change(session, aws, blue["id"], {"op": "add", "path": "members", "value": both}) == 204
        assert groups_of(session, aws, ann) == ["blue", "red"] and groups_of(session, aws, bob) == ["blue"]

        assert change(session, aws, red["id"], {"op": "remove", "path": "members", "value": [{"value": ann}]}) == 204
        assert groups_of(session, aws, ann) == ["blue"]

        # a rename with a member change is not a members-only PATCH: scim2-server carries it out
        assert change(session, aws, red["id"], {"op": "replace", "path": "displayName", "value": "crimson"},
                      {"op": "add", "path": "members", "value": [{"value": bob}]}) in (200, 204)
        assert groups_of(session, aws, bob) == ["blue", "crimson"]
        assert aws.member_ids(red["id"]) == {bob} and aws.member_ids(blue["id"]) == {ann, bob}


def test_an_id_added_twice_in_one_change_is_held_once(aws):
    with session_for(aws) as session:
        ann = new_user(session, aws, "ann")
        group = session.post(aws.scim_url + "Groups", json={"displayName": "red"}).json()
        assert change(session, aws, group["id"], {"op": "add", "path": "members", "value": [{"value": ann}] * 2}) == 204
        stored = next(g for g in aws.resources("Group") if g["id"] == group["id"])
        assert [member["value"] for member in stored["members"]] == [ann]


def test_the_groups_of_an_unknown_user_are_a_404(aws):
    with session_for(aws) as session:
        answer = session.get(aws.scim_url + "Groups", params={"filter": 'members.value eq "no-such-user"'})
        assert answer.status_code == 404 and "does not exist" in answer.json()["detail"]
