"""The containment record at breach scale: three Block Accounts of N users each with remove-from-groups, 45 and 55
days apart, then one more long after, against the AWS-flavoured server; after each, the record's size in the
instance's integration context (JSON characters), how many users it holds, and what the result said of the records
that expired; then the listing command's first rows.

    python tools/bench_records.py [--users 500] [--groups 3]
"""
import argparse
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
for folder in (HERE / "runtime", HERE / "scimtest", HERE, HERE / "tools"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import xsoar_server  # noqa: E402
from bench_bulk import prepare, prepare_groups, user_names  # noqa: E402

import AWS_ILM  # noqa: E402
from aws_scim_server import AwsScimServer  # noqa: E402

DAYS = (0, 45, 100, 300)   # the retention is 90 days: the first round expires at the third, the rest at the fourth


def contain(server: AwsScimServer, names: list, day: int) -> str:
    """Block Account of `names` on `day`; the line the result says of the records dropped ('' when none)."""
    AWS_ILM.utc_now = lambda: datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=day)
    entries = xsoar_server.execute(AWS_ILM.main, "iam-disable-user", server.params(),
                                   {"user-profile": names, "remove-from-groups": "true"})
    readable = "".join(entry.get("HumanReadable") or "" for entry in xsoar_server.flat(entries))
    return next((line for line in readable.splitlines() if line.startswith("Containment records:")), "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--groups", type=int, default=3)
    options = parser.parse_args()
    sizes = {"r0": options.users, "r1": options.users, "r2": options.users, "late": 10}
    rounds = [user_names(count, prefix=prefix) for prefix, count in sizes.items()]
    print("| day | users contained | records held | record size (JSON characters) | what the result said |")
    print("|---|---|---|---|---|")
    with AwsScimServer() as server:
        ids = [prepare(server, count, prefix=prefix) for prefix, count in sizes.items()]
        prepare_groups(server, [f"Group {n}" for n in range(options.groups)], [i for group in ids for i in group])
        for day, names in zip(DAYS, rounds, strict=True):
            said = contain(server, names, day)
            held = xsoar_server.CONTEXTS.get(xsoar_server.DEFAULT_INSTANCE)["context"].get(AWS_ILM.CONTAINMENT_KEY) or {}
            print(f"| {day} | {len(names)} | {len(held)} | {len(json.dumps(held)):,} | {said or '-'} |")
        listed = xsoar_server.execute(AWS_ILM.main, "aws-ilm-list-contained-users", server.params(), {"limit": "3"})
        print("\n" + "\n".join(xsoar_server.flat(listed)[0]["HumanReadable"].splitlines()[:6]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
