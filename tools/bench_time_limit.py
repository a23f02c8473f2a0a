"""The platform's time limit, as the platform runs the integration: Block Account of N users through the loop
stand-in (the unified script, compiled and exec'd as the platform does) with a `runDuration` of M minutes, against a
tenant that answers R requests a second (429 and Retry-After beyond), polling off so that one execution is measured:
when the entry came back, and what became of each user (disabled, cut short by the budget, not reached), checked
against the server.

    python tools/bench_time_limit.py [--users 250] [--minutes 1] [--rate 8]
"""
import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
for folder in (HERE / "runtime", HERE / "scimtest", HERE, HERE / "tools"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from bench_bulk import prepare, user_names  # noqa: E402
from loop_server import LoopServer  # noqa: E402

from aws_scim_server import AwsScimServer  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=250)
    parser.add_argument("--minutes", type=float, default=1.0)
    parser.add_argument("--rate", type=float, default=8.0)
    options = parser.parse_args()
    with AwsScimServer() as server, LoopServer() as loop:
        prepare(server, options.users)
        names = user_names(options.users)
        server.limit_rate(options.rate)
        execution = loop.execute("iam-disable-user", {"user-profile": names, "polling": "false"}, server.params(),
                                 run_duration=options.minutes)
        server.limit_rate(None)
        vendors = next(v for k, v in execution.results[0]["EntryContext"].items() if k.startswith("IAM.Vendor"))
        not_reached = [v for v in vendors if "before this user was reached" in (v["errorMessage"] or "")]
        disabled = [v for v in vendors if v["success"] and v["active"] is False]
        held = {user["userName"]: user["active"] for user in server.resources("User")}
        exact = all(held[v["username"]] is (v not in disabled) for v in vendors)
        print(f"runDuration {options.minutes:g} min: the entry came back after {execution.seconds:.1f} s; "
              f"{len(vendors)} results, all named: {all(v['username'] for v in vendors)}; disabled {len(disabled)}, "
              f"cut short by the budget {len(vendors) - len(disabled) - len(not_reached)}, not reached "
              f"{len(not_reached)}; the server agrees: {'yes' if exact else 'NO'}; log calls {len(execution.logs)}")
    return 0 if exact and execution.seconds < options.minutes * 60 else 1


if __name__ == "__main__":
    sys.exit(main())
