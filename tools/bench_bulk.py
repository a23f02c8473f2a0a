"""Bulk benchmark: Block Account at breach scale. One iam-disable-user given N user names, against the
AWS-flavoured server with latency added to every request (as from a real XSOAR engine) and, optionally, a
request-rate limit that answers 429 + Retry-After beyond it, as AWS throttles.

    python tools/bench_bulk.py [--users 100 600 1000] [--latency 0.15] [--rates 0 10] [--root DIR]
                                                                                    (make bench-bulk)

For each size and rate (0: no limit) it prints the command's wall time, the requests the server served and the
429s it sent, how many users the server holds disabled afterwards, how many results are failures, and how many
users the command did not reach within its time budget, with how many of those results name their user. The
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

from aws_scim_server import AwsScimServer  # noqa: E402

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


def user_names(count: int) -> list:
    return [f"bulk{i:04d}@example.com" for i in range(count)]


def prepare(server: AwsScimServer, count: int) -> None:
    """`count` active users, made straight on the server."""
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {server.token}"
        for name in user_names(count):
            session.post(server.scim_url + "Users", json={
                "userName": name, "name": {"givenName": "B", "familyName": name[:8]}, "displayName": name,
                "emails": [{"value": name, "type": "work", "primary": True}]}).raise_for_status()


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
                   state_exact=all((name in reported_disabled) == (value is False) for name, value in active.items()))


def worker(params: dict, count: int, root: Path, budget: float | None) -> int:
    """Run one iam-disable-user of `count` users with the AWS_ILM.py of `root`; print its results as JSON."""
    sys.path[:0] = [str(root / "runtime"), str(root)]
    import AWS_ILM
    import xsoar_server
    if budget:
        AWS_ILM.COMMAND_BUDGET_SECONDS = budget
    started = time.perf_counter()
    entries = xsoar_server.execute(AWS_ILM.main, "iam-disable-user", params, {"user-profile": user_names(count)})
    seconds = time.perf_counter() - started
    flat = [entry for batch in entries for entry in (batch if isinstance(batch, list) else [batch])]
    vendors = [value for entry in flat for key, value in entry["EntryContext"].items() if key.startswith("IAM.Vendor")]
    results = [{key: vendor.get(key) for key in ("username", "success", "skipped", "errorMessage")}
               for value in vendors for vendor in (value if isinstance(value, list) else [value])]
    print(json.dumps({"seconds": seconds, "results": results}))
    return 0


def table(runs: list, latency: float) -> str:
    lines = [f"Latency added to every request: {latency * 1000:.0f} ms", "",
             "| users | rate limit | wall time | requests served | 429s | disabled | failed | not reached "
             "(named) | state exact |", "|---|---|---|---|---|---|---|---|---|"]
    lines += [f"| {r.users} | {f'{r.rate:g}/s' if r.rate else 'none'} | {r.seconds:.1f} s | {r.served} | "
              f"{r.throttled} | {r.disabled} | {r.failed} | {r.not_reached} ({r.not_reached_named}) | "
              f"{'yes' if r.state_exact and r.reported == r.users else 'NO'} |" for r in runs]
    return "\n".join(lines)


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, nargs="+", default=[100, 600, 1000])
    parser.add_argument("--latency", type=float, default=0.15, help="seconds added to every request (0.15)")
    parser.add_argument("--rates", type=float, nargs="+", default=[0, 10], help="requests/s limits (0: none)")
    parser.add_argument("--root", type=Path, default=HERE, help="the folder of the AWS_ILM.py to measure")
    parser.add_argument("--budget", type=float, help="the command's time budget, when not AWS_ILM's")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.worker:
        return worker(json.loads(options.worker[0]), int(options.worker[1]), options.root, options.budget)
    with AwsScimServer() as server:
        runs = [run(server, count, options.latency, rate, options.root, options.budget)
                for rate in options.rates for count in options.users]
    print(table(runs, options.latency))
    return 0


if __name__ == "__main__":
    sys.exit(main())
