"""Round-trip benchmark: each command against the AWS-flavoured SCIM server with latency added.

    python tools/bench.py [--latency 0.05]        (make bench)
    python tools/bench.py --faults                (make bench-faults)

For every scenario it counts the HTTP requests the command sent and the TCP connections it
opened, measures the wall time, and checks the request count against the fewest AWS allows.
bench_test.py runs the same scenarios without latency and asserts the counts.
"""
import argparse
import json
import math
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent   # the repository root
for folder in (HERE / "runtime", HERE / "scimtest", HERE, HERE / "tools"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import xsoar_server  # noqa: E402
import requests  # noqa: E402

import AWS_ILM  # noqa: E402
from aws_scim_server import AwsScimServer  # noqa: E402

PERSON = {"username": "bench@example.com", "email": "bench@example.com", "givenname": "Ben", "surname": "Ch",
          "displayname": "Ben Ch"}
GROUP_NAME = "Bench group"


@dataclass
class Outcome:
    scenario: str
    requests: int
    target: int
    connections: int
    seconds: float
    success: bool
    connections_allowed: int = 1   # several users of one iam-disable-user are worked PARALLEL_USERS at a time

    @property
    def met(self) -> bool:
        return self.requests <= self.target and self.connections <= self.connections_allowed and self.success


class Directory:
    """Puts users and groups on the server directly (not counted), for the scenarios' set-up."""

    def __init__(self, server: AwsScimServer):
        self.server = server
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {server.token}"

    def user(self, active: bool = True, external_id: str | None = None) -> str:
        body = {"userName": PERSON["username"], "name": {"givenName": "Ben", "familyName": "Ch"},
                "displayName": "Ben Ch", "active": active,
                "emails": [{"value": PERSON["email"], "type": "work", "primary": True}]}
        if external_id:
            body["externalId"] = external_id
        return self.session.post(self.server.scim_url + "Users", json=body).json()["id"]

    def group(self) -> str:
        return self.session.post(self.server.scim_url + "Groups", json={"displayName": GROUP_NAME}).json()["id"]

    def users(self, count: int) -> list:
        return [self.session.post(self.server.scim_url + "Users", json={
            "userName": f"user{i:04d}@example.com", "name": {"givenName": "U", "familyName": str(i)},
            "displayName": f"U {i}"}).json()["id"] for i in range(count)]

    def group_with(self, members: int) -> str:
        """A group of `members` users (added in PATCHes of 100, as AWS allows)."""
        group_id, ids = self.group(), self.users(members)
        for start in range(0, members, 100):
            self.session.patch(self.server.scim_url + f"Groups/{group_id}", json={
                "schemas": [AWS_ILM.PATCH_SCHEMA],
                "Operations": [{"op": "add", "path": "members", "value": [{"value": i} for i in ids[start:start + 100]]}]})
        return group_id

    def user_in_groups(self, count: int, active: bool = True) -> str:
        """The bench user, a member of `count` groups."""
        user_id = self.user(active=active)
        for number in range(count):
            self.session.post(self.server.scim_url + "Groups", json={
                "displayName": f"{GROUP_NAME} {number}", "members": [{"value": user_id}]}).raise_for_status()
        return user_id

    def contained_user(self, count: int) -> str:
        """The bench user, disabled and removed from `count` groups by a containment (recorded)."""
        user_id = self.user_in_groups(count)
        xsoar_server.execute(AWS_ILM.main, "iam-disable-user", self.server.params(),
                             user_args({"username": PERSON["username"]}, **{"remove-from-groups": "true"}))
        return user_id

    def listing_token(self, users: int, limit: int) -> str:
        """Set-up of a continued listing: `users` users, and the token of a first listing of `limit`."""
        self.users(users)
        entries = xsoar_server.execute(AWS_ILM.main, "aws-ilm-list-users", self.server.params(), {"limit": str(limit)})
        return entries[0]["EntryContext"]["AWSILM.UserNextToken"]


def member_id(number: int) -> str:
    """An id shaped as AWS's (other member values are looked up as user names)."""
    return f"9067729b3d-{number:08x}-0000-4000-8000-000000000000"


def member_scenario(count: int, by_name: bool):
    def prepare(directory: Directory) -> dict:
        group_id = directory.group()
        scim = {"displayName": GROUP_NAME} if by_name else {"id": group_id}
        return {"scim": json.dumps(scim), "memberIdsToAdd": json.dumps([member_id(i) for i in range(count)])}
    label = f"iam-update-group, {count} member changes" + (", by displayName" if by_name else "")
    return label, "iam-update-group", prepare, math.ceil(count / 100) + (1 if by_name else 0)


def user_args(profile: dict, **extra) -> dict:
    return {"user-profile": json.dumps(profile), **extra}


SCENARIOS = [   # (label, command, prepare(directory) -> args, the fewest requests AWS allows[, instance settings])
    ("Test button", "test-module", lambda d: {}, 1),
    ("get-mapping-fields", "get-mapping-fields", lambda d: {}, 1),
    ("iam-get-user", "iam-get-user", lambda d: d.user() and user_args({"username": PERSON["username"]}), 1),
    ("iam-create-user, new user", "iam-create-user", lambda d: user_args(PERSON), 1),
    ("iam-create-user, existing user", "iam-create-user", lambda d: d.user() and user_args(PERSON), 3),
    ("iam-update-user, with enable", "iam-update-user",
     lambda d: d.user(active=False) and user_args({**PERSON, "surname": "Changed"}, **{"allow-enable": "true"}), 2),
    ("iam-update-user, missing user (creates)", "iam-update-user", lambda d: user_args(PERSON), 2),
    ("iam-disable-user", "iam-disable-user", lambda d: d.user() and user_args({"username": PERSON["username"]}), 2),
    ("iam-disable-user, turned off (reads the user's state)", "iam-disable-user",
     lambda d: d.user() and user_args({"username": PERSON["username"]}), 1, {"disable_user_enabled": False}),
    ("iam-enable-user", "iam-enable-user",
     lambda d: d.user(active=False) and user_args({"username": PERSON["username"]}), 2),
    ("iam-update-user, rename (olduserdata)", "iam-update-user", lambda d: d.user() and user_args(
        {**PERSON, "username": "renamed@example.com", "olduserdata": {"username": PERSON["username"]}}), 3),
    ("iam-update-user, rename with the employee id", "iam-update-user", lambda d: d.user(external_id="E-1") and
     user_args({**PERSON, "username": "renamed@example.com", "employeeid": "E-1",
                "olduserdata": {"username": PERSON["username"]}}), 2),
    ("iam-update-user, rehire (enable)", "iam-update-user",
     lambda d: d.user(active=False) and user_args(PERSON, **{"allow-enable": "true"}), 2),
    ("iam-create-user, with a manager", "iam-create-user",
     lambda d: d.users(1) and user_args({**PERSON, "manageremailaddress": "user0000@example.com"}), 2),
    ("iam-update-user, manager given as an AWS user id", "iam-update-user",
     lambda d: d.user() and user_args({"username": PERSON["username"], "manageremailaddress": d.users(1)[0]}), 4),
    ("iam-update-user, unknown manager", "iam-update-user",
     lambda d: d.user() and user_args({"username": PERSON["username"], "manageremailaddress": "x@example.com",
                                       "title": "T"}), 4),
    ("iam-disable-user, 3 users comma-joined", "iam-disable-user",
     lambda d: d.users(3) and {"user-profile": ", ".join(f"user{i:04d}@example.com" for i in range(3))}, 7),
    ("iam-disable-user, 3 users as a list", "iam-disable-user",
     lambda d: d.users(3) and {"user-profile": [f"user{i:04d}@example.com" for i in range(3)]}, 6),
    ("iam-get-group, by id, empty", "iam-get-group", lambda d: {"scim": json.dumps({"id": d.group()})}, 2),
    ("iam-get-group, by id, 230 members", "iam-get-group",
     lambda d: {"scim": json.dumps({"id": d.group_with(230)})}, 4),
    ("iam-get-group, by displayName, 230 members", "iam-get-group",
     lambda d: d.group_with(230) and {"scim": json.dumps({"displayName": GROUP_NAME})}, 4),
    ("iam-get-group, 1,130 members (reads 1,000 by default)", "iam-get-group",
     lambda d: {"scim": json.dumps({"id": d.group_with(1130)})}, 11),
    ("iam-get-group, includeMembers=false", "iam-get-group",
     lambda d: {"scim": json.dumps({"id": d.group_with(230)}), "includeMembers": "false"}, 1),
    ("aws-ilm-list-users, limit 250", "aws-ilm-list-users", lambda d: d.users(300) and {"limit": "250"}, 3),
    ("aws-ilm-list-users, limit 120", "aws-ilm-list-users", lambda d: d.users(130) and {"limit": "120"}, 2),
    ("aws-ilm-list-users, the rest after limit 120", "aws-ilm-list-users",
     lambda d: {"limit": "120", "next_token": d.listing_token(130, 120)}, 1),
    ("aws-ilm-list-groups", "aws-ilm-list-groups", lambda d: d.group() and {}, 1),
    ("iam-create-group", "iam-create-group", lambda d: {"scim": json.dumps({"displayName": GROUP_NAME})}, 1),
    ("iam-delete-group, by id", "iam-delete-group", lambda d: {"scim": json.dumps({"id": d.group()})}, 1),
    member_scenario(1, False),
    member_scenario(100, False),
    member_scenario(250, False),
    member_scenario(1000, False),
    member_scenario(250, True),
    ("iam-disable-user, remove-from-groups, user in 3 groups", "iam-disable-user",
     lambda d: d.user_in_groups(3) and user_args({"username": PERSON["username"]}, **{"remove-from-groups": "true"}),
     6),
    ("iam-enable-user, restore-groups, 3 groups recorded", "iam-enable-user",
     lambda d: d.contained_user(3) and user_args({"username": PERSON["username"]}, **{"restore-groups": "true"}),
     6),   # the user's groups read after the adds, to name them as AWS names them now
    ("iam-disable-user, dry run of remove-from-groups", "iam-disable-user",
     lambda d: d.user_in_groups(3) and user_args({"username": PERSON["username"]}, **{"remove-from-groups": "true",
                                                                                       "dry-run": "true"}), 2),
    ("iam-update-group, dry run of 250 member changes", "iam-update-group",
     lambda d: {**member_scenario(250, False)[2](d), "dry-run": "true"}, 0),
]


def execute(command: str, params: dict, args: dict) -> tuple:
    """Run one command as XSOAR does; its entries and wall time."""
    started = time.perf_counter()
    entries = xsoar_server.execute(AWS_ILM.main, command, params, args)
    return entries, time.perf_counter() - started


def run_scenario(server: AwsScimServer, scenario, latency: float) -> Outcome:
    label, command, prepare, target = scenario[:4]
    settings = scenario[4] if len(scenario) > 4 else {}
    server.reset()
    xsoar_server.CONTEXTS.clear()
    args = prepare(Directory(server))
    with server.hooks.lock:
        server.hooks.requests.clear()
        server.hooks.connections = 0
        server.hooks.latency = latency
    entries, seconds = execute(command, server.params(**settings), args)
    several = command == "iam-disable-user" and ("users" in label or "groups" in label)   # worked in parallel
    return Outcome(label, len(server.hooks.requests), target, server.hooks.connections, seconds,
                   entries != [] and succeeded(entries[0]), AWS_ILM.PARALLEL_USERS if several else 1)


def succeeded(entry) -> bool:
    if not isinstance(entry, dict):
        return True
    outputs = [v for v in (entry.get("EntryContext") or {}).values() if isinstance(v, dict) and "success" in v]
    return entry.get("Type") != 4 and all(v["success"] is True for v in outputs)   # IAM.Vendor, group outputs


def import_seconds(statement: str, runs: int = 5) -> float:
    code = f"import sys, time; sys.path[:0] = {[str(HERE / 'runtime'), str(HERE)]!r}; " \
           f"t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    return statistics.median(float(subprocess.check_output([sys.executable, "-c", code], text=True))
                             for _ in range(runs))


def table(outcomes: list, latency: float) -> str:
    lines = [f"Latency added to every request: {latency * 1000:.0f} ms", "",
             "| command | requests | fewest AWS allows | TCP connections | wall time | target met |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {o.scenario} | {o.requests} | {o.target} | {o.connections} | {o.seconds * 1000:.0f} ms | "
              f"{'yes' if o.met else 'NO'} |" for o in outcomes]
    return "\n".join(lines)


FAULTS = {   # name -> server fault on the first request of a command
    "429 with Retry-After: 1, twice": {"kind": "status", "status": 429, "retry_after": "1", "times": 2},
    "503 forever": {"kind": "status", "status": 503, "times": -1},
}


def fault_table(server: AwsScimServer) -> str:
    """Real wall time of each command, plain and under each fault (no added latency)."""
    firsts = list({scenario[1]: scenario for scenario in SCENARIOS}.values())
    lines = ["| command | plain | " + " | ".join(FAULTS) + " |", "|---" * (2 + len(FAULTS)) + "|"]
    for scenario in firsts:
        plain = run_scenario(server, scenario, 0.0)
        cells = []
        for fault in FAULTS.values():
            server.reset()
            args = scenario[2](Directory(server))
            server.add_fault(**fault)
            entries, seconds = execute(scenario[1], server.params(), args)
            verdict = "success" if succeeded(entries[0]) else "clear failure"
            cells.append(f"{seconds:.1f} s, {verdict}")
        lines.append(f"| {scenario[0].split(',')[0]} | {plain.seconds:.2f} s | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every request (0.05)")
    parser.add_argument("--faults", action="store_true", help="time each command under throttling and 503s")
    options = parser.parse_args(argv)
    if options.faults:
        with AwsScimServer() as server:
            print(fault_table(server))
        return 0
    with AwsScimServer() as server:
        outcomes = [run_scenario(server, scenario, options.latency) for scenario in SCENARIOS]
    print(table(outcomes, options.latency))
    stand_in = import_seconds("import demistomock, CommonServerPython")
    integration = import_seconds("import AWS_ILM")
    print(f"\nImport time (median of 5 fresh interpreters): runtime stand-in alone {stand_in * 1000:.0f} ms; "
          f"AWS_ILM.py with the stand-in {integration * 1000:.0f} ms.")
    return 0 if all(o.met for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
