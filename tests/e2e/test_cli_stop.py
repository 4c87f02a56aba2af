"""Ctrl-C and SIGTERM are safe, nothing spent is forgotten, and one run holds a mirror at a time:
a real `brevo-sync pull` process, signalled at several points."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable

import pytest

from brevo_sync.sandbox import SandboxServer
from tests.e2e.conftest import Cli, mirror_rows, sandbox_rows
from tests.e2e.process_support import mirrored, recorded_runs, stop_and_time, wait_for

STOP_LIMIT_SECONDS = 2.0


def _requests_seen(sandbox: SandboxServer) -> int:
    return int(sandbox.state.stats.snapshot()["total"])


POINTS: dict[str, Callable[[Cli, SandboxServer], None]] = {
    # In the catalogue call, before a single deal: nothing in hand.
    "catalogue": lambda cli, sb: wait_for(lambda: _requests_seen(sb) >= 1),
    # Between pages: 100 deals committed, the next page in flight.
    "mid-read": lambda cli, sb: wait_for(lambda: mirrored(cli) >= 100),
}


@pytest.mark.parametrize("point", sorted(POINTS))
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_finishes_the_page_records_the_run_and_exits_130(
    cli: Cli, sandbox: SandboxServer, point: str, sig: signal.Signals
) -> None:
    sandbox.state.faults.delay(0.4, path_prefix="/crm/")
    proc = cli.start("pull")
    POINTS[point](cli, sandbox)
    elapsed, stderr = stop_and_time(proc, sig, timeout=10)
    assert elapsed < STOP_LIMIT_SECONDS
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "database is locked" not in stderr
    assert f"stopped by {sig.name}" in stderr.splitlines()[-1]
    (run,) = recorded_runs(cli)
    command, outcome, requests = run
    assert (command, outcome) == ("pull", "interrupted")
    # Every request Brevo answered is on record (one may have been in flight, unanswered).
    answered = sum(requests.values())
    assert _requests_seen(sandbox) - 1 <= answered <= _requests_seen(sandbox)

    sandbox.state.faults.clear()
    resumed = cli("pull", "--json")
    assert resumed.returncode == 0, resumed.stderr
    assert mirror_rows(cli.database_url) == sandbox_rows(sandbox.state)


def test_a_second_signal_stops_at_once_and_corrupts_nothing(
    cli: Cli, sandbox: SandboxServer
) -> None:
    # A budget of 3 requests a 60-second window: the pull waits for the window after page 1.
    sandbox.state.ratelimit.configure("crm", 3, 60)
    proc = cli.start("pull")
    wait_for(lambda: mirrored(cli) >= 100)
    time.sleep(0.3)  # now in the budget wait
    proc.send_signal(signal.SIGINT)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=10)
    assert proc.returncode == 130
    assert "Traceback" not in stderr
    assert recorded_runs(cli)[0][1] == "interrupted"
    sandbox.state.ratelimit.configure("crm", None)
    assert cli("pull").returncode == 0
    assert mirror_rows(cli.database_url) == sandbox_rows(sandbox.state)


def test_a_budget_wait_ends_at_the_first_signal(cli: Cli, sandbox: SandboxServer) -> None:
    sandbox.state.ratelimit.configure("crm", 3, 3600)  # the next window is an hour away
    proc = cli.start("pull")
    wait_for(lambda: mirrored(cli) >= 100)
    assert proc.stderr is not None
    waiting = proc.stderr.readline()
    while "Waiting until" not in waiting:
        waiting = proc.stderr.readline()
    assert "rate-limit window" in waiting  # what it waits for, and until when, once
    elapsed, _ = stop_and_time(proc, signal.SIGTERM, timeout=10)
    assert elapsed < STOP_LIMIT_SECONDS
    assert proc.returncode == 130
    (run,) = recorded_runs(cli)
    assert run[1] == "interrupted" and run[2]["GET /crm/deals"] == 1


def test_one_run_at_a_time_per_mirror(cli: Cli, sandbox: SandboxServer) -> None:
    # The first pull holds the mirror while it waits an hour for the budget window.
    sandbox.state.ratelimit.configure("crm", 3, 3600)
    first = cli.start("pull")
    wait_for(lambda: mirrored(cli) >= 100)
    seen = _requests_seen(sandbox)
    started = time.monotonic()
    second = cli("pull", env={"BREVO_SYNC_LOCK_WAIT_SECONDS": "0.5"})
    assert time.monotonic() - started < 10  # waits briefly, never forever
    assert second.returncode == 1
    (line,) = second.stderr.strip().splitlines()
    assert "another brevo-sync run holds the mirror" in line and "pull, pid" in line
    assert _requests_seen(sandbox) == seen  # the second run spent nothing
    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=10) == 130
    # Only the first run is on record.
    assert [r[1] for r in recorded_runs(cli)] == ["interrupted"]

    sandbox.state.ratelimit.configure("crm", None)
    assert cli("pull").returncode == 0  # the lock died with the first run
    assert mirror_rows(cli.database_url) == sandbox_rows(sandbox.state)
