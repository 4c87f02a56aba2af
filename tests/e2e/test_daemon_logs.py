"""The daemon's JSON log lines, as an operator's log pipeline reads them: every line of a
job names the job, its run and the replica; each outbox row sent names its deal; each
finished job gives its request count."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Cli, orders_file
from tests.e2e.process_support import mirrored, stop_and_time, wait_for
from tests.e2e.test_cli_orders import _rules

pytestmark = pytest.mark.slow


def _lines(stderr: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


def test_json_logs_carry_job_run_deal_and_request_counts(cli: Cli, tmp_path: Path) -> None:
    cli.env["BREVO_SYNC_RULES"] = str(_rules(tmp_path))
    cli.env["BREVO_SYNC_LOG_FORMAT"] = "json"
    assert cli("pull").returncode == 0
    assert (
        cli(
            "orders", "import", str(orders_file(tmp_path, 3, "L", shop="logs", amount=9000))
        ).returncode
        == 0
    )
    done = cli("run", "--once")
    assert done.returncode == 0, done.stderr
    lines = _lines(done.stderr)
    assert lines and all("event" in line and "level" in line for line in lines)
    sent = [line for line in lines if line["event"] == "outbox row sent"]
    assert len(sent) == 3, sent
    for line in sent:
        assert line["job"] == "push" and isinstance(line["job_run"], int)
        assert line["kind"] == "create_deal" and line["deal_id"] and line["replica"]
    finished = {line["job"]: line for line in lines if line["event"] == "job finished"}
    assert finished["push"]["requests"] >= 3 and finished["push"]["outcome"] == "ok"
    assert finished["pull"]["requests"] >= 1
    assert "BREVO_API_KEY" not in done.stderr and cli.env["BREVO_API_KEY"] not in done.stderr


def test_every_line_a_stopped_daemon_writes_is_json(cli: Cli) -> None:
    """The stop notice too (written from the signal handler): a log pipeline parses all."""
    cli.env["BREVO_SYNC_LOG_FORMAT"] = "json"
    cli.env["BREVO_SYNC_PULL_INTERVAL_SECONDS"] = "1"
    proc = cli.start("run", "--no-http")
    wait_for(lambda: mirrored(cli) > 0)
    elapsed, stderr = stop_and_time(proc, signal.SIGTERM, timeout=15)
    assert elapsed < 10
    assert proc.returncode == 0, stderr
    lines = [json.loads(line) for line in stderr.splitlines()]  # each one parses
    notice = [line for line in lines if line.get("signal") == "SIGTERM"]
    assert notice and "finishing the steps in hand" in notice[0]["event"]
    replicas = {line["replica"] for line in lines if "replica" in line}
    assert len(replicas) == 1 and replicas.pop().count(":") == 2  # host:pid:random
