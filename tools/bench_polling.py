"""Block Account of any size: one iam-disable-user given N users in G groups each, with remove-from-groups, that
continues itself over as many executions as it takes (the platform's ScheduledCommand, followed as the platform
follows it: each run a new execution of `main()` with the arguments its entry gives, the wait between runs recorded,
not slept), against the AWS-flavoured server applying AWS's published quotas, with latency added to every request.

    python tools/bench_polling.py --users 2000 --groups 3 --limit 40 --latency 0.05
    python tools/bench_polling.py --users 10000 --groups 3 --latency 0.05          (the platform's default limit)

Prints the runs, the waits between them, the time spent in the runs, the least time AWS's quotas allow for the
requests sent, and whether the state is exact: every user disabled and in no group, every other member in every
group, each user named in exactly one run's results, the Deny of the last run holding every user.
"""
import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
for folder in (HERE / "runtime", HERE / "scimtest", HERE, HERE / "tools"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import xsoar_server  # noqa: E402
from bench_bulk import (contained_exactly, measure_under_quotas, prepare_directory, quota_bound,  # noqa: E402
                        requests_by_api, user_names)

import AWS_ILM  # noqa: E402
from aws_scim_server import AwsScimServer  # noqa: E402


def worker(params: dict, users: int, limit: float) -> int:
    """The command's side, in a process of its own as the platform runs it (the server keeps its own): the runs
    the platform would make, as JSON."""
    polling = xsoar_server.execute_polling(AWS_ILM.main, "iam-disable-user", params, {
        "user-profile": user_names(users), "remove-from-groups": "true"}, run_duration=limit / 60)
    print(json.dumps({"runs": polling.runs, "waits": polling.waits, "seconds": polling.seconds}, default=str))
    return 0


def main() -> int:
    if sys.argv[1:2] == ["--worker"]:
        return worker(json.loads(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--groups", type=int, default=3)
    parser.add_argument("--limit", type=float, default=300.0, help="each execution's time limit in seconds (300)")
    parser.add_argument("--latency", type=float, default=0.05)
    options = parser.parse_args()
    with AwsScimServer() as server:
        started = time.monotonic()
        blocked, bystanders, group_ids = prepare_directory(server, options.users, options.groups)
        print(f"set up {options.users:,} users in {options.groups} groups in {time.monotonic() - started:.0f} s")
        measure_under_quotas(server, options.latency)
        answer = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(
            server.params()), str(options.users), str(options.limit)], check=True, stdout=subprocess.PIPE, text=True)
        polling = xsoar_server.Polling(**json.loads(answer.stdout))
        server.apply_quotas(None)
        by_api = requests_by_api(server)
        named = [v["username"] for run in polling.runs for v in xsoar_server.Context().add(run).objects("IAM.Vendor")]
        deny = xsoar_server.Context().add(polling.runs[-1]).get("AWSILM.DenyStatement") or {}
        exact = (contained_exactly(server, blocked, bystanders, group_ids)
                 and sorted(named) == sorted(user_names(options.users))
                 and sorted(deny.get("userIds") or []) == sorted(blocked))
        in_runs, bound = sum(polling.seconds), quota_bound(by_api)
    waits = f"{len(polling.waits)} of {polling.waits[0]:.0f} s" if polling.waits else "none"
    runs = ", ".join(f"{seconds:.0f}" for seconds in polling.seconds)
    apis = ", ".join(f"{api} {n}" for api, n in sorted(by_api.items()))
    print("| users | groups | limit | runs | waits between runs | time in runs | quota bound | in runs / bound | "
          "requests by API | state exact, each named once |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    print(f"| {options.users:,} | {options.groups} | {options.limit:.0f} s | {len(polling.runs)} | {waits} | "
          f"{in_runs:.1f} s ({runs}) | {bound:.1f} s | {in_runs / max(bound, 0.1):.2f} | {apis} | "
          f"{'yes' if exact else 'NO'} |")
    return 0 if exact else 1


if __name__ == "__main__":
    sys.exit(main())
