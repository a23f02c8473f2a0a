"""Block Account at breach scale: one iam-disable-user given many users, worked several at a time, through main()
against the AWS-flavoured server; the server's state is asserted after each run, and every result must name its
user whatever happened to it (disabled, already disabled, failed, not reached)."""
import json
from urllib.parse import parse_qs

import bench_bulk
from xsoar_server import Context

from conftest import run_on


def names(count: int) -> list:
    return bench_bulk.user_names(count)


def active_by_name(server) -> dict:
    return {user["userName"]: user.get("active") for user in server.resources("User")}


def test_forty_users_are_disabled_in_order_and_summarised(aws):
    bench_bulk.prepare(aws, 40)
    run_on(aws, "iam-disable-user", {"user-profile": names(3)})   # three already disabled
    entries = run_on(aws, "iam-disable-user", {"user-profile": ["ghost@example.com"] + names(40)})
    assert len(entries) == 1
    vendors = Context().add(entries).objects("IAM.Vendor")
    assert [v["username"] for v in vendors] == ["ghost@example.com"] + names(40)   # in the order given
    assert not any(active_by_name(aws).values())
    readable = entries[0]["HumanReadable"]
    assert "**0 failed, 0 not reached, 1 skipped, 3 already disabled, 37 disabled**" in readable
    assert readable.index("ghost@example.com") < readable.index(names(40)[-1])   # what to act on first


def test_a_failed_lookup_is_named_and_the_others_are_disabled(aws):
    bench_bulk.prepare(aws, 12)
    aws.add_fault("status", status=400, method="GET", path="/Users", times=1)
    vendors = Context().add(run_on(aws, "iam-disable-user", {"user-profile": names(12)})).objects("IAM.Vendor")
    failed = [v for v in vendors if not v["success"]]
    faulted = [r for r in aws.hooks.requests if r.fault]   # the request the fault answered, as the server logged it
    assert len(failed) == 1 and failed[0]["errorCode"] == 400 and len(faulted) == 1
    assert parse_qs(faulted[0].query)["filter"] == [f'userName eq "{failed[0]["username"]}"']
    state = active_by_name(aws)
    assert state[failed[0]["username"]] is True   # never written to
    assert all(state[name] is False for name in names(12) if name != failed[0]["username"])


def test_a_429_storm_during_a_bulk_run_is_waited_out_with_the_state_exact(aws):
    bench_bulk.prepare(aws, 30)
    aws.limit_rate(15, burst=5)
    entries = run_on(aws, "iam-disable-user", {"user-profile": json.dumps(names(30))})
    throttled = aws.hooks.throttled
    aws.limit_rate(None)
    vendors = Context().add(entries).objects("IAM.Vendor")
    assert throttled > 0 and all(v["success"] and v["active"] is False for v in vendors)
    assert not any(active_by_name(aws).values()) and len(vendors) == 30


def test_users_not_reached_within_the_budget_are_each_named_and_left_as_they_were(_aws_server):
    run = bench_bulk.run(_aws_server, 60, latency=0.3, rate=0, budget=2.0)
    _aws_server.reset()
    assert run.reported == 60 and run.not_reached > 0 and run.not_reached_named == run.not_reached
    assert run.state_exact   # every user reported disabled is disabled, every other one still active
