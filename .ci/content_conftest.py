"""The conftest.py that the gate's content-harness step writes into the integration's folder, doing what the one
demisto-sdk copies there from content does (written by this project, not copied): a test fails when a log record
of level WARNING or above was emitted while it ran, or when it wrote to stdout or stderr; a run that collected
no test does not fail."""
import logging

import pytest


@pytest.fixture(autouse=True)
def no_warning_or_error_logs(caplog):
    yield
    loud = [f"{record.levelname}: {record.getMessage()}" for record in caplog.get_records("call")
            if record.levelno >= logging.WARNING]
    if loud:
        pytest.fail("the test logged at WARNING or above (clear caplog where that is the point):\n" + "\n".join(loud))


@pytest.fixture(autouse=True)
def no_output(capfd):
    yield
    out, err = capfd.readouterr()
    if out or err:
        pytest.fail(f"the test wrote to stdout or stderr: {(out + err)[:500]!r}")


def pytest_sessionfinish(session, exitstatus):
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        session.exitstatus = pytest.ExitCode.OK
