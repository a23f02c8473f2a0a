"""Load benchmark: many commands at once, each in its own process as XSOAR runs them, against the AWS-flavoured
server with a request-rate limit that answers 429 + Retry-After when exceeded, as AWS throttles.

    python tools/bench_load.py [--commands 40] [--rates 10 3]        (make bench-load)

For each rate it prints: the commands that succeeded, whether the server's final state is exactly what they
asked (every hire present once, every leaver disabled, the group's members exact), the 429s the server sent,
and the wall time beside the bound the limit sets: requests served / rate, plus the wall time of the same run
with no limit (the processes' own cost). The processes start up first and begin their commands together, so
the wall time is the commands' own. bench_load_test.py runs it small in CI.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent   # the repository root
for folder in (HERE / "runtime", HERE / "scimtest", HERE, HERE / "tools"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import requests  # noqa: E402

from aws_scim_server import AwsScimServer  # noqa: E402

PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
GROUP_NAME = "Load group"
MEMBERS_PER_CHANGE = 5


@dataclass
class Plan:
    """The commands of one run (command, args) and what the server must hold after them."""
    commands: list
    hires: list          # userNames created
    leavers: list        # userNames disabled
    members: set         # the group's members at the end
    group_id: str


@dataclass
class RunResult:
    rate: float | None
    commands: int
    succeeded: int
    state_exact: bool
    throttled: int
    served: int
    seconds: float
    failures: list


def prepare(server: AwsScimServer, count: int) -> Plan:
    """The directory before the run (made straight on the server), and `count` commands: new hires, leavers and
    group changes in the ratio 9:9:2."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {server.token}"
    changes = max(1, count // 20)
    hires = leavers = (count - changes) // 2
    hires += count - changes - hires - leavers

    def user(name: str) -> str:
        return session.post(server.scim_url + "Users", json={
            "userName": name, "name": {"givenName": "L", "familyName": "User"}, "displayName": "L User",
            "emails": [{"value": name, "primary": True}], "active": True}).json()["id"]

    leaver_names = [f"leaver{i:03d}@example.com" for i in range(leavers)]
    for name in leaver_names:
        user(name)
    joiners = [user(f"joiner{i:03d}@example.com") for i in range(changes * MEMBERS_PER_CHANGE)]
    group_id = session.post(server.scim_url + "Groups", json={"displayName": GROUP_NAME}).json()["id"]
    hire_names = [f"hire{i:03d}@example.com" for i in range(hires)]
    commands = [("iam-create-user", {"user-profile": json.dumps({
        "username": name, "email": name, "givenname": "New", "surname": f"Hire {i}", "employeeid": f"H{i:03d}"})})
        for i, name in enumerate(hire_names)]
    commands += [("iam-disable-user", {"user-profile": name}) for name in leaver_names]
    commands += [("iam-update-group", {"scim": json.dumps({"id": group_id}), "memberIdsToAdd": json.dumps(
        joiners[i * MEMBERS_PER_CHANGE:(i + 1) * MEMBERS_PER_CHANGE])}) for i in range(changes)]
    order = sorted(range(len(commands)), key=lambda i: (i % 3, i))   # hires, leavers and changes interleaved
    return Plan([commands[i] for i in order], hire_names, leaver_names, set(joiners), group_id)


def state_exact(server: AwsScimServer, plan: Plan) -> bool:
    users = server.resources("User")
    by_name: dict = {}
    for user in users:
        by_name.setdefault(user["userName"], []).append(user)
    hires_ok = all(len(by_name.get(name, [])) == 1 and by_name[name][0]["active"] for name in plan.hires)
    leavers_ok = all(len(by_name.get(name, [])) == 1 and not by_name[name][0]["active"] for name in plan.leavers)
    return hires_ok and leavers_ok and server.member_ids(plan.group_id) == plan.members


def run(server: AwsScimServer, count: int, rate: float | None, root: Path = HERE) -> RunResult:
    """One run: a fresh directory, then `count` worker processes that start their commands together (once every
    one of them has started up); the wall time runs from that start to the last command's end."""
    server.reset()
    plan = prepare(server, count)
    with server.hooks.lock:
        server.hooks.requests.clear()
    server.limit_rate(rate)
    with tempfile.TemporaryDirectory() as barrier:
        env = {**os.environ, "AWS_ILM_URL": server.url, "AWS_ILM_TENANT_ID": server.tenant,
               "AWS_ILM_TOKEN": server.token, "AWS_ILM_LOAD_BARRIER": barrier}
        workers = [subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--worker", command,
                                     json.dumps(args), "--root", str(root)], env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True) for command, args in plan.commands]
        ready_by = time.monotonic() + 120
        while len(list(Path(barrier).glob("ready-*"))) < len(workers) and time.monotonic() < ready_by:
            time.sleep(0.02)
        started = time.monotonic()
        (Path(barrier) / "go").touch()
        outcomes = [json.loads(worker.communicate(timeout=600)[0] or '{"success": false, "message": "no answer"}')
                    for worker in workers]
        seconds = time.monotonic() - started
    throttled = server.hooks.throttled
    server.limit_rate(None)
    failures = [f"{command}: {outcome['message']}" for (command, _), outcome in zip(plan.commands, outcomes, strict=True)
                if not outcome["success"]]
    return RunResult(rate, count, count - len(failures), state_exact(server, plan), throttled,
                     len(server.hooks.requests), seconds, failures)


def worker(command: str, args: dict, root: Path) -> int:
    """Run one command as XSOAR does, in this process; print whether it succeeded (one JSON line)."""
    sys.path[:0] = [str(root / "runtime"), str(root)]
    import xsoar_server
    import AWS_ILM
    params = {"url": os.environ["AWS_ILM_URL"], "credentials": {"identifier": os.environ["AWS_ILM_TENANT_ID"],
                                                                 "password": os.environ["AWS_ILM_TOKEN"]},
              "mapper_in": AWS_ILM.DEFAULT_MAPPER_IN, "mapper_out": AWS_ILM.DEFAULT_MAPPER_OUT}
    barrier = Path(os.environ["AWS_ILM_LOAD_BARRIER"])
    (barrier / f"ready-{os.getpid()}").touch()
    give_up = time.monotonic() + 120
    while not (barrier / "go").exists() and time.monotonic() < give_up:
        time.sleep(0.01)
    entries = xsoar_server.execute(AWS_ILM.main, command, params, args)
    flat = [e for batch in entries for e in (batch if isinstance(batch, list) else [batch])]
    results = [v for e in flat for k, v in (e.get("EntryContext") or {}).items()
               if isinstance(v, dict) and "success" in v]   # IAM.Vendor and the group outputs
    success = bool(results) and all(r.get("success") is True for r in results) and all(e.get("Type") != 4 for e in flat)
    message = "; ".join(str(r.get("errorMessage") or r.get("reason") or "") for r in results) or json.dumps(flat)[:300]
    print(json.dumps({"success": success, "message": message}))
    return 0


def table(baseline: RunResult, runs: list) -> str:
    lines = [f"{baseline.commands} commands at once, each in its own process (new hires, leavers, group changes).",
             f"No limit: {baseline.succeeded}/{baseline.commands} succeeded, state exact: "
             f"{'yes' if baseline.state_exact else 'NO'}, {baseline.served} requests, {baseline.seconds:.1f} s.", "",
             "| limit | succeeded | state exact | 429s | requests served | wall time | bound (served / rate + no-limit run) "
             "| wall / bound |", "|---|---|---|---|---|---|---|---|"]
    for result in runs:
        bound = result.served / result.rate + baseline.seconds
        lines.append(f"| {result.rate:g} requests/s | {result.succeeded}/{result.commands} | "
                     f"{'yes' if result.state_exact else 'NO'} | {result.throttled} | {result.served} | "
                     f"{result.seconds:.1f} s | {bound:.1f} s | {result.seconds / bound:.2f} |")
    for result in runs:
        lines += [f"  failed at {result.rate:g}/s: {failure[:200]}" for failure in result.failures[:5]]
    return "\n".join(lines)


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commands", type=int, default=40, help="commands started at once (40)")
    parser.add_argument("--rates", type=float, nargs="+", default=[10.0, 3.0], help="requests/s limits (10 3)")
    parser.add_argument("--root", type=Path, default=HERE, help="the folder of the AWS_ILM.py to measure")
    parser.add_argument("--worker", nargs=2, metavar=("COMMAND", "ARGS"), help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.worker:
        return worker(options.worker[0], json.loads(options.worker[1]), options.root)
    with AwsScimServer() as server:
        baseline = run(server, options.commands, None, options.root)
        runs = [run(server, options.commands, rate, options.root) for rate in options.rates]
    print(table(baseline, runs))
    every = [baseline, *runs]
    return 0 if all(r.succeeded == r.commands and r.state_exact for r in every) else 1


if __name__ == "__main__":
    sys.exit(main())
