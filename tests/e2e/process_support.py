"""For tests that run `brevo-sync` as a process on a SQLite mirror and stop it with a signal:
waiting for a point of its work, the runs it recorded, and the time a signal takes to end it."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from tests.e2e.conftest import Cli, mirror_rows


def db_path(cli: Cli) -> Path:
    return Path(cli.database_url.removeprefix("sqlite:///"))


def recorded_runs(cli: Cli) -> list[tuple[str, str, dict[str, int]]]:
    """(command, outcome, requests by endpoint) of every run on record, oldest first."""
    with sqlite3.connect(db_path(cli)) as conn:
        rows = conn.execute("SELECT command, outcome, requests FROM runs ORDER BY id").fetchall()
    return [(c, o, json.loads(r)) for c, o, r in rows]


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "never got there"
        time.sleep(0.05)


def mirrored(cli: Cli) -> int:
    """Deals in the mirror so far (0 before the schema is there)."""
    try:
        return len(mirror_rows(cli.database_url))
    except Exception:  # the schema is not there yet
        return 0


def stop_and_time(
    proc: subprocess.Popen[str], sig: signal.Signals, *, timeout: float
) -> tuple[float, str]:
    """Send `sig` and wait for the exit (at most `timeout` seconds): the seconds from the
    signal to the exit, and what the process wrote on stderr."""
    sent = time.monotonic()
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=timeout)
    elapsed = time.monotonic() - sent
    print(f"{sig.name}: exit {proc.returncode} in {elapsed:.2f} s")  # the figure for the notes
    return elapsed, stderr
