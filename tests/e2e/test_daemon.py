"""`brevo-sync run` as a process against the sandbox (SQLite): every due job once, a stop in
the middle of a pull or a push that exits 0 in time and resumes exactly, the HTTP side in the
same process with the jobs' metrics, and one daemon per SQLite mirror."""

from __future__ import annotations

import json
import signal
import socket
import sqlite3
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

from brevo_sync.sandbox import SandboxServer
from tests.e2e.conftest import Cli, mirror_rows, orders_file, sandbox_rows
from tests.e2e.process_support import (
    db_path,
    mirrored,
    recorded_runs,
    stop_and_time,
    wait_for,
)

pytestmark = pytest.mark.slow

STOP_LIMIT_SECONDS = 10.0  # BREVO_SYNC_STOP_TIMEOUT_SECONDS' default
STOP_TIMEOUT = STOP_LIMIT_SECONDS + 5  # how long a test waits for the exit


def test_once_runs_every_due_job_once_then_nothing_is_due(cli: Cli, sandbox: SandboxServer) -> None:
    first = cli("run", "--once", "--json")
    assert first.returncode == 0, first.stderr
    jobs = {j["job"]: j for j in json.loads(first.stdout)["jobs"]}
    assert jobs["pull"]["outcome"] == "ok" and jobs["reconcile"]["outcome"] == "ok"
    assert jobs["push"]["outcome"] == "not due"  # an empty outbox is not even claimed
    assert mirror_rows(cli.database_url) == sandbox_rows(sandbox.state)
    again = json.loads(cli("run", "--once", "--json").stdout)["jobs"]
    assert {j["job"]: j["outcome"] for j in again} == dict.fromkeys(jobs, "not due")
    status = cli("status")
    assert "Daemon budget:" in status.stdout and "Spent per job:    pull" in status.stdout
    assert "Delete check:     complete by" in status.stdout


def test_sigterm_mid_pull_exits_0_in_time_and_the_next_run_resumes(
    cli: Cli, sandbox: SandboxServer
) -> None:
    sandbox.state.faults.delay(1.0, path_prefix="/crm/")  # a page a second
    proc = cli.start("run", "--no-http")
    wait_for(lambda: mirrored(cli) >= 100)
    elapsed, stderr = stop_and_time(proc, signal.SIGTERM, timeout=STOP_TIMEOUT)
    assert proc.returncode == 0, stderr
    assert elapsed < STOP_LIMIT_SECONDS
    assert "Traceback" not in stderr
    pulls = [r for r in recorded_runs(cli) if r[0] == "pull"]
    assert [p[1] for p in pulls] == ["interrupted"]
    with sqlite3.connect(db_path(cli)) as conn:  # the position was committed with the page
        (offset,) = conn.execute("SELECT run_offset FROM sync_state").fetchone()
    assert offset >= 100
    sandbox.state.faults.clear()
    assert cli("run", "--once").returncode == 0
    resumed = [r for r in recorded_runs(cli) if r[0] == "pull"][-1]
    assert resumed[1] == "ok"
    # From that offset on: at most the pages after it (and a person's id learned once).
    assert resumed[2]["GET /crm/deals"] <= (250 - offset) // 100 + 2
    assert mirror_rows(cli.database_url) == sandbox_rows(sandbox.state)


def _refs(sandbox: SandboxServer) -> Counter[str]:
    return Counter(
        str(d["attributes"]["brevo_sync_ref"])
        for d in sandbox.state.deals_snapshot()
        if d["attributes"].get("brevo_sync_ref")
    )


def test_sigterm_mid_push_exits_0_in_time_and_every_row_is_sent_once(
    cli: Cli, sandbox: SandboxServer, tmp_path: Path
) -> None:
    cli.env["BREVO_SYNC_IMPORT_THRESHOLD"] = "1000"  # one request per deal: a long push
    assert cli("run", "--once").returncode == 0
    assert (
        cli(
            "orders", "import", str(orders_file(tmp_path, 12, "D", shop="daemon", amount=7000))
        ).returncode
        == 0
    )
    sandbox.state.faults.delay(0.3, path_prefix="/crm/deals", method="POST")
    proc = cli.start("run", "--no-http")
    wait_for(lambda: sum(_refs(sandbox).values()) >= 3)
    elapsed, stderr = stop_and_time(proc, signal.SIGTERM, timeout=STOP_TIMEOUT)
    assert proc.returncode == 0, stderr
    assert elapsed < STOP_LIMIT_SECONDS
    pushes = [r for r in recorded_runs(cli) if r[0] == "push"]
    assert pushes[-1][1] == "interrupted"
    assert sum(_refs(sandbox).values()) < 12  # stopped between two rows, not at the end
    sandbox.state.faults.clear()
    assert cli("run", "--once").returncode == 0
    refs = _refs(sandbox)
    assert len(refs) == 12 and max(refs.values()) == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_http_side_runs_inside_and_a_second_daemon_is_refused(
    cli: Cli, sandbox: SandboxServer
) -> None:
    port = _free_port()
    cli.env["BREVO_SYNC_PULL_INTERVAL_SECONDS"] = "1"
    proc = cli.start("run", "--port", str(port))
    base = f"http://127.0.0.1:{port}"

    def metrics() -> str:
        try:
            with urllib.request.urlopen(f"{base}/metrics", timeout=2) as answer:
                return str(answer.read().decode())
        except OSError:
            return ""

    wait_for(lambda: 'brevo_sync_job_runs_total{job="pull",outcome="ok"}' in metrics())
    with urllib.request.urlopen(f"{base}/healthz", timeout=2) as answer:
        assert answer.status == 200
    assert 'brevo_sync_job_lag_seconds{job="pull"}' in metrics()
    second = cli("run", "--no-http")
    assert second.returncode == 1
    (line,) = second.stderr.strip().splitlines()
    assert "another brevo-sync daemon" in line and "SQLite" in line
    elapsed, stderr = stop_and_time(proc, signal.SIGINT, timeout=STOP_TIMEOUT)
    assert proc.returncode == 0, stderr
    assert elapsed < STOP_LIMIT_SECONDS
