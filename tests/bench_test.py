"""The benchmark's request counts as a regression test: counts and connections, never times."""
import pytest

import bench


@pytest.mark.parametrize("scenario", bench.SCENARIOS, ids=lambda s: s[0])
def test_request_counts(aws, scenario):
    outcome = bench.run_scenario(aws, scenario, latency=0.0)
    assert outcome.success, outcome
    assert outcome.requests <= outcome.target, outcome
    assert outcome.connections <= outcome.connections_allowed, outcome   # PARALLEL_USERS for several users
    assert outcome.met


def test_table_flags_a_missed_target():
    missed = bench.Outcome("x", requests=3, target=2, connections=1, seconds=0.1, success=True)
    assert "| x | 3 | 2 | 1 | 100 ms | NO |" in bench.table([missed], 0.05)
