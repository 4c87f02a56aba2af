"""`brevo-sync db prune` and the daemon's prune job, end to end on SQLite: history older
than the kept days (aged here by moving its timestamps back, as months of running would)
is folded or deleted, `status` keeps its totals, and a read-only look never creates a
database."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli

pytestmark = pytest.mark.slow


def _age(cli: Cli, days: int) -> None:
    """Move every recorded run and delivery `days` into the past."""
    shift = f"-{days} days"
    with sqlite3.connect(Path(cli.database_url.removeprefix("sqlite:///"))) as conn:
        for table, columns in (
            ("runs", ("started_at", "finished_at")),
            ("job_runs", ("started_at", "finished_at")),
            ("job_slots", ("next_due_at",)),
        ):
            for column in columns:
                conn.execute(
                    f"UPDATE {table} SET {column} = datetime({column}, ?) "
                    f"WHERE {column} IS NOT NULL",
                    (shift,),
                )


def _count(cli: Cli, sql: str) -> int:
    with sqlite3.connect(Path(cli.database_url.removeprefix("sqlite:///"))) as conn:
        return int(conn.execute(sql).fetchone()[0])


def _total_requests(cli: Cli) -> int:
    return _count(cli, "SELECT coalesce(sum(requests_total), 0) FROM runs")


def test_db_prune_folds_old_runs_keeps_totals_and_the_daemon_prunes_daily(cli: Cli) -> None:
    missing = cli("db", "prune")
    assert missing.returncode == 2 and "no mirror" in missing.stderr
    assert not Path(cli.database_url.removeprefix("sqlite:///")).exists()

    assert cli("pull").returncode == 0
    assert cli("pull").returncode == 0
    assert cli("run", "--once").returncode == 0  # the daemon's jobs, once: job_runs rows
    spent = _total_requests(cli)
    runs_before = _count(cli, "SELECT count(*) FROM runs")
    job_runs_before = _count(cli, "SELECT count(*) FROM job_runs")
    assert runs_before >= 4 and job_runs_before >= 3

    fresh = json.loads(cli("db", "prune", "--json").stdout)
    assert (fresh["runs_folded"], fresh["job_runs_deleted"]) == (0, 0)  # nothing is old

    _age(cli, 100)
    dry = cli("db", "prune", "--older-than", "30", "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    would = json.loads(dry.stdout)
    assert would["dry_run"] and would["job_runs_deleted"] == job_runs_before
    assert would["runs_folded"] > 0
    assert _count(cli, "SELECT count(*) FROM runs") == runs_before  # nothing changed

    done = cli("db", "prune", "--older-than", "30")
    assert done.returncode == 0, done.stderr
    assert f"{would['runs_folded']} run record" in done.stdout and "folded" in done.stdout
    assert _count(cli, "SELECT count(*) FROM job_runs") == 0
    # one folded row per command, plus each command's newest run, kept as it was
    commands = _count(cli, "SELECT count(DISTINCT command) FROM runs")
    assert _count(cli, "SELECT count(*) FROM runs") <= 2 * commands
    assert _count(cli, "SELECT count(*) FROM runs WHERE outcome = 'compacted'") >= 1
    assert _total_requests(cli) == spent  # status's lifetime total survives

    # The daemon prunes too: its prune job runs with the others (due once a day).
    _age(cli, 100)
    cli.env["BREVO_SYNC_HISTORY_DAYS"] = "30"
    once = cli("run", "--once", "--json")
    assert once.returncode == 0, once.stderr
    jobs = {j["job"]: j for j in json.loads(once.stdout)["jobs"]}
    assert jobs["prune"]["outcome"] == "ok", jobs
    assert "job runs" in jobs["prune"]["detail"], jobs["prune"]
    old = "SELECT count(*) FROM job_runs WHERE started_at < datetime('now', '-30 days')"
    assert _count(cli, old) == 0  # the aged run log went; this run's own rows stay
    assert _count(cli, "SELECT count(*) FROM job_runs WHERE job = 'prune'") == 1
    assert _total_requests(cli) == spent + _count(
        cli,
        "SELECT coalesce(sum(requests_total), 0) FROM runs WHERE started_at > "
        "datetime('now', '-1 day')",
    )
