"""The load benchmark's property at a small size, as a CI test (not timed): 12 commands at once, each in its own
process, against a server limited to 2 requests/s: every command succeeds and the state is exactly what they
asked, although the server answered 429 to many of their requests."""
import bench_load


def test_twelve_processes_at_two_requests_a_second_all_succeed_and_the_state_is_exact(_aws_server):
    result = bench_load.run(_aws_server, 12, 2.0)
    _aws_server.reset()
    assert result.failures == [] and result.succeeded == 12
    assert result.state_exact
    assert result.throttled > 0   # the limit was really hit
