"""Bulk benchmark: Block Account at breach scale. One iam-disable-user given N user names, against the
AWS-flavoured server with latency added to every request (as from a real XSOAR engine) and, optionally, a
request-rate limit that answers 429 + Retry-After beyond it, as AWS throttles.

    python tools/bench_bulk.py [--users 100 600 1000] [--latency 0.15] [--rates 0 10] [--root DIR]
                               [--contain 600 --groups 3]                           (make bench-bulk)

`--contain N --groups G` adds the containment row: N users, each in the same G groups (which also hold 20 other
members), disabled with remove-from-groups=true against the server applying AWS's published quotas (each API
its own bucket: 40 requests a second for a read API, 25 for a write API); it prints the wall time against the
least time those quotas allow for the requests the command needed, the 429s, the group requests, and whether the
state is exact (every user disabled and in no group, every other member still in every group, every user named).

For each size and rate (0: no limit) it prints the command's wall time, the requests the server served and the
429s it sent, how many users the server holds disabled afterwards, how many results are failures, how many users
the command did not reach within its time budget (with how many of those results name their user), and the log
calls the command made (each a round trip on the platform's channel). The
command runs in a process of its own, as XSOAR runs it; `--root` measures another checkout's AWS_ILM.py (the
same server and stand-ins of that checkout). bench_bulk_test.py runs it small in CI.
"""
import argparse
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent   # the repository root
for folder in (HERE / "runtime", HERE / "scimtest", HERE, HERE / "tools"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import requests  # noqa: E402

from aws_scim_server import AwsScimServer, aws_operation  # noqa: E402

NOT_REACHED = "before this user was reached"


@dataclass
class BulkRun:
    users: int
    rate: float
    seconds: float
    served: int
    throttled: int
    disabled: int
    failed: int
    not_reached: int
    not_reached_named: int
    reported: int           # results the command returned (one per user given)
    state_exact: bool       # every user reported disabled is disabled on the server, every other one active
    log_calls: int          # demisto.debug/info/error calls: each a round trip on the platform's channel


BYSTANDERS = 20   # members of the containment row's groups who are not blocked
QUOTAS = {"read": 40.0, "write": 25.0}   # AWS's published SCIM quotas, requests a second per API


def user_names(count: int, prefix: str = "bulk") -> list:
    return [f"{prefix}{i:04d}@example.com" for i in range(count)]


def prepare(server: AwsScimServer, count: int, prefix: str = "bulk") -> list:
    """`count` active users, made straight on the server; their ids."""
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {server.token}"
        return [session.post(server.scim_url + "Users", json={
            "userName": name, "name": {"givenName": "B", "familyName": name[:8]}, "displayName": name,
            "active": True, "emails": [{"value": name, "type": "work", "primary": True}]}).json()["id"]
            for name in user_names(count, prefix)]


def prepare_groups(server: AwsScimServer, names: list, member_ids: list) -> list:
    """A group of each name, each holding every member (added 100 at a time, as AWS allows); their ids."""
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {server.token}"
        group_ids = []
        for group_name in names:
            group_id = session.post(server.scim_url + "Groups", json={"displayName": group_name}).json()["id"]
            for start in range(0, len(member_ids), 100):
                session.patch(server.scim_url + f"Groups/{group_id}", json={
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
                        {"op": "add", "path": "members",
                         "value": [{"value": i} for i in member_ids[start:start + 100]]}]}).raise_for_status()
            group_ids.append(group_id)
        return group_ids


def run(server: AwsScimServer, count: int, latency: float, rate: float, root: Path = HERE,
        budget: float | None = None) -> BulkRun:
    server.reset()
    prepare(server, count)
    with server.hooks.lock:
        server.hooks.requests.clear()
        server.hooks.latency = latency
    server.limit_rate(rate or None)
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(server.params()), str(count),
               "--root", str(root)] + (["--budget", str(budget)] if budget else [])
    answer = json.loads(subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout)
    results, served, throttled = answer["results"], len(server.hooks.requests), server.hooks.throttled
    with server.hooks.lock:
        server.hooks.latency = 0.0
    server.limit_rate(None)
    active = {user["userName"]: user.get("active") for user in server.resources("User")}
    reported_disabled = {r["username"] for r in results if r["success"] and not r["skipped"]}
    not_reached = [r for r in results if NOT_REACHED in (r["errorMessage"] or "")]
    return BulkRun(count, rate, answer["seconds"], served, throttled,
                   disabled=sum(1 for value in active.values() if value is False),
                   failed=sum(1 for r in results if not r["success"]) - len(not_reached),
                   not_reached=len(not_reached), not_reached_named=sum(1 for r in not_reached if r["username"]),
                   reported=len(results),
                   state_exact=all((name in reported_disabled) == (value is False) for name, value in active.items()),
                   log_calls=answer.get("logs", 0))


def worker(params: dict, count: int, root: Path, budget: float | None, contain: bool = False,
           ids: list | None = None) -> int:
    """Run one iam-disable-user of `count` users (by user name, or by the AWS user ids given) with the AWS_ILM.py
    of `root`; print its results as JSON."""
    sys.path[:0] = [str(root / "runtime"), str(root)]
    import AWS_ILM
    import xsoar_server
    if budget:
        AWS_ILM.COMMAND_BUDGET_SECONDS = budget
    args = {"user-profile": ids or user_names(count), "polling": "false",   # one execution, as the rows measure
            **({"remove-from-groups": "true"} if contain else {})}
    started = time.perf_counter()
    entries = xsoar_server.execute(AWS_ILM.main, "iam-disable-user", params, args)
    seconds = time.perf_counter() - started
    context = xsoar_server.Context().add(entries)
    results = [{key: vendor.get(key) for key in ("username", "success", "skipped", "errorMessage")}
               for vendor in context.objects("IAM.Vendor")]
    contained = [{"userName": row["userName"], "removed": len(row["groupsRemoved"]), "notRemoved": len(
        row["groupsNotRemoved"])} for row in context.objects("AWSILM.Containment")]
    deny = context.get("AWSILM.DenyStatement") or {}
    print(json.dumps({"seconds": seconds, "results": results, "contained": contained,
                      "logs": len(xsoar_server.logged()),
                      "deny": [policy["characters"] for policy in deny.get("policies") or []],
                      "denyIds": sum(policy["userCount"] for policy in deny.get("policies") or [])}))
    return 0


@dataclass
class ContainmentRun:
    users: int
    groups: int
    seconds: float
    bound: float            # the least time AWS's quotas allow for the requests the command sent
    throttled: int
    by_api: dict            # requests served, by AWS API
    state_exact: bool       # every user disabled and in no group; every other member in every group
    named: bool             # one result and one containment row naming each user, every group removed
    log_calls: int
    by_id: bool = False     # the users given by their AWS user ids (as CloudTrail records them), not their names
    deny: tuple = ()        # the characters of each Deny policy
    deny_ids: int = 0       # the ids the Deny policies hold


def quota_bound(by_api: dict) -> float:
    """The least time AWS's quotas allow for these requests: each API's bucket starts with a second's worth, then
    refills at its quota; the slowest API sets the time."""
    def rate(api: str) -> float:
        return QUOTAS["read"] if api.startswith(("Get", "List")) else QUOTAS["write"]
    return max((max(0.0, count - rate(api)) / rate(api) for api, count in by_api.items()), default=0.0)


def prepare_directory(server: AwsScimServer, count: int, groups: int) -> tuple[list, list, list]:
    """`count` users to block and BYSTANDERS others, all members of `groups` groups: (blocked ids, bystander ids,
    group ids)."""
    blocked = prepare(server, count)
    bystanders = prepare(server, BYSTANDERS, prefix="stay")
    return blocked, bystanders, prepare_groups(server, [f"Bulk group {n}" for n in range(groups)], blocked + bystanders)


def measure_under_quotas(server: AwsScimServer, latency: float) -> None:
    """From here on: the request log empty, `latency` added to every request, AWS's quotas applied."""
    with server.hooks.lock:
        server.hooks.requests.clear()
        server.hooks.latency = latency
    server.apply_quotas(QUOTAS["read"], QUOTAS["write"])


def requests_by_api(server: AwsScimServer) -> dict:
    """The requests served since measuring began, counted by AWS API."""
    by_api: dict = {}
    for request in list(server.hooks.requests):
        api = aws_operation(request.method, request.path)
        by_api[api] = by_api.get(api, 0) + 1
    return by_api


def contained_exactly(server: AwsScimServer, blocked: list, bystanders: list, group_ids: list) -> bool:
    """Every blocked user disabled and in no group; every bystander active and in every group."""
    users = {user["id"]: user for user in server.resources("User")}
    members = {group_id: server.member_ids(group_id) for group_id in group_ids}
    return (all(users[i].get("active") is False for i in blocked)
            and all(users[i].get("active") is True for i in bystanders)
            and all(not (ids & set(blocked)) and set(bystanders) <= ids for ids in members.values()))


def run_containment(server: AwsScimServer, count: int, groups: int, latency: float, root: Path = HERE,
                    by_id: bool = False) -> ContainmentRun:
    server.reset()
    blocked, bystanders, group_ids = prepare_directory(server, count, groups)
    measure_under_quotas(server, latency)
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(server.params()), str(count),
               "--root", str(root), "--contain-worker"] + (["--ids", json.dumps(blocked)] if by_id else [])
    answer = json.loads(subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout)
    by_api = requests_by_api(server)
    throttled = server.hooks.throttled
    with server.hooks.lock:
        server.hooks.latency = 0.0
    server.apply_quotas(None)
    state_exact = contained_exactly(server, blocked, bystanders, group_ids)
    named = (sorted(r["username"] for r in answer["results"]) == sorted(user_names(count))
             and sorted(c["userName"] for c in answer["contained"]) == sorted(user_names(count))
             and all(c["removed"] == groups and not c["notRemoved"] for c in answer["contained"]))
    return ContainmentRun(count, groups, answer["seconds"], quota_bound(by_api), throttled, by_api, state_exact, named,
                          answer.get("logs", 0), by_id, tuple(answer.get("deny") or ()), answer.get("denyIds", 0))


def markdown(title: str, headers: list, rows: list) -> str:
    """A title line, then a markdown table."""
    return "\n".join([title, "", "| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
                     + ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows])


def containment_table(runs: list, latency: float) -> str:
    return markdown(f"Containment (remove-from-groups=true) under AWS's quotas, {latency * 1000:.0f} ms a request"
                    + (", the users given by their AWS user ids" if runs and runs[0].by_id else ""),
                    ["users", "groups each", "wall time", "quota bound", "wall / bound", "429s", "requests by API",
                     "group requests", "log calls", "Deny policies (characters)", "state exact, each named"],
                    [[r.users, r.groups, f"{r.seconds:.1f} s", f"{r.bound:.1f} s", f"{r.seconds / max(r.bound, 0.1):.2f}",
                      r.throttled, ", ".join(f"{api} {n}" for api, n in sorted(r.by_api.items())),
                      r.by_api.get("PatchGroup", 0), r.log_calls,
                      f"{len(r.deny)} ({', '.join(map(str, r.deny))}; {r.deny_ids} ids)" if r.deny else "none",
                      "yes" if r.state_exact and r.named else "NO"] for r in runs])


def table(runs: list, latency: float) -> str:
    return markdown(f"Latency added to every request: {latency * 1000:.0f} ms",
                    ["users", "rate limit", "wall time", "requests served", "429s", "disabled", "failed",
                     "not reached (named)", "log calls", "state exact"],
                    [[r.users, f"{r.rate:g}/s" if r.rate else "none", f"{r.seconds:.1f} s", r.served, r.throttled,
                      r.disabled, r.failed, f"{r.not_reached} ({r.not_reached_named})", r.log_calls,
                      "yes" if r.state_exact and r.reported == r.users else "NO"] for r in runs])


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, nargs="*", default=[100, 600, 1000])
    parser.add_argument("--latency", type=float, default=0.15, help="seconds added to every request (0.15)")
    parser.add_argument("--rates", type=float, nargs="*", default=[0, 10], help="requests/s limits (0: none)")
    parser.add_argument("--root", type=Path, default=HERE, help="the folder of the AWS_ILM.py to measure")
    parser.add_argument("--budget", type=float, help="the command's time budget, when not AWS_ILM's")
    parser.add_argument("--contain", type=int, nargs="*", default=[], help="users of the containment rows")
    parser.add_argument("--groups", type=int, default=3, help="groups each contained user is in (3)")
    parser.add_argument("--by-id", action="store_true", help="give the contained users by their AWS user ids")
    parser.add_argument("--ids", help=argparse.SUPPRESS)
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--contain-worker", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.worker:
        return worker(json.loads(options.worker[0]), int(options.worker[1]), options.root, options.budget,
                      options.contain_worker, json.loads(options.ids) if options.ids else None)
    with AwsScimServer() as server:
        runs = [run(server, count, options.latency, rate, options.root, options.budget)
                for rate in options.rates for count in options.users]
        contained = [run_containment(server, count, options.groups, options.latency, options.root, options.by_id)
                     for count in options.contain]
    if runs:
        print(table(runs, options.latency))
    if contained:
        print(("\n\n" if runs else "") + containment_table(contained, options.latency))
    return 0


if __name__ == "__main__":
    sys.exit(main())
