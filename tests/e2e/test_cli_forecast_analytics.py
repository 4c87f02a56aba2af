"""`forecast`, `analytics` and `deals list --closing` as an operator runs them, over the
hand-made mirror of tests/analytics_mirror.py (written to a SQLite file): the JSON shapes,
CSV, text that never adds currencies, names resolved or refused with suggestions, and no
database created by a read."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from brevo_sync.adapters.store.engine import create_mirror_engine
from brevo_sync.adapters.store.migrate import upgrade
from brevo_sync.adapters.store.tables import deals
from brevo_sync.adapters.store.uow import SqlUnitOfWork
from tests.analytics_mirror import ANALYTICS, FORECAST, fill
from tests.e2e.conftest import Cli

PERIOD = ("--from", "2026-11-16", "--to", "2026-12-31")


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def _refused(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


@pytest.fixture
def mirrored(offline_cli: Cli) -> Cli:
    engine = create_mirror_engine(offline_cli.database_url)
    upgrade(engine)

    def tombstone(deal_id: str, at: Any) -> None:
        with engine.begin() as conn:
            conn.execute(sa.update(deals).where(deals.c.id == deal_id).values(deleted_at=at))

    fill(lambda: SqlUnitOfWork(engine), tombstone)
    engine.dispose()
    return offline_cli


def test_forecast_json_is_the_documented_document(mirrored: Cli) -> None:
    got = json.loads(_ok(mirrored("forecast", *PERIOD, "--json")))
    assert got == FORECAST
    assert list(got)[:10] == ["from", "to", "pipeline", "count", "total", "weighted", "undated",
                              "by_stage", "by_owner", "by_month"]  # fmt: skip


def test_forecast_text_never_adds_currencies(mirrored: Cli) -> None:
    text = _ok(mirrored("forecast", *PERIOD))
    assert "7 deals closing in the period: total 18,000.00 EUR + 3,000.00 USD" in text
    assert "weighted 11,300.00 EUR + 2,400.00 USD" in text
    assert "21,000" not in text and "13,700" not in text  # EUR and USD never summed
    assert "Undated (no close date, counted apart): 1 deal, total 8,000.00 EUR" in text
    by_owner = _ok(mirrored("forecast", *PERIOD, "--by", "owner"))
    assert "ana@example.com" in by_owner and "11,000.00 EUR + 3,000.00 USD" in by_owner


def test_forecast_csv_has_a_column_per_currency(mirrored: Cli) -> None:
    out = _ok(mirrored("forecast", *PERIOD, "--by", "month", "--csv"))
    rows = list(csv.reader(io.StringIO(out)))
    assert rows == [
        ["month", "count", "total_EUR", "weighted_EUR", "total_USD", "weighted_USD"],
        ["2026-11", "3", "11000.00", "8100.00", "", ""],
        ["2026-12", "4", "7000.00", "3200.00", "3000.00", "2400.00"],
    ]
    stages = list(csv.reader(io.StringIO(_ok(mirrored("forecast", *PERIOD, "--csv")))))
    assert stages[0][:5] == ["pipeline", "stage", "probability", "category", "count"]
    assert ["Enterprise Sales", "Negotiation", "80", "commit", "1", "", "", "3000.00",
            "2400.00"] in stages  # fmt: skip


def test_analytics_json(mirrored: Cli) -> None:
    got = json.loads(_ok(mirrored("analytics", "--pipeline", "e-commerce upsell", "--json")))
    # Forecast accuracy covers the six months before today's, which the clock decides.
    assert {k: v for k, v in got.items() if k != "forecast_accuracy"} == {
        k: v for k, v in ANALYTICS.items() if k != "forecast_accuracy"
    }
    october_only = ("--from", "2026-10-01", "--to", "2026-10-31", "--json")
    october = json.loads(
        _ok(mirrored("analytics", "--pipeline", "e-commerce upsell", *october_only))
    )
    assert october["forecast_accuracy"] == [ANALYTICS["forecast_accuracy"][-1]]  # type: ignore[index]
    text = _ok(mirrored("analytics", "--pipeline", "e-commerce upsell"))
    assert "8 deals: 4 open, 2 won, 2 lost; win rate 50.0 %" in text
    assert "3,000.00 EUR + 2,000.00 USD" in text  # losses by reason, never summed


def test_unknown_names_and_bad_periods_are_refused(mirrored: Cli) -> None:
    line = _refused(mirrored("forecast", "--pipeline", "entrprise sales"))
    assert "did you mean 'Enterprise Sales'" in line
    assert "matches no pipeline" in _refused(mirrored("analytics", "--pipeline", "nope"))
    assert "before --from" in _refused(mirrored("forecast", "--from", "2026-12-01", "--to",
                                                "2026-11-01"))  # fmt: skip
    assert "use one of" in _refused(mirrored("deals", "list", "--closing", "next-year"))


def test_deals_closing(mirrored: Cli) -> None:
    rows = json.loads(_ok(mirrored("deals", "list", "--closing", "next-quarter", "--json")))
    # The clock decides which quarter is next: every row is open and closes in it.
    assert all(r["stage_id"] not in ("won", "lost") and r["close_date"] for r in rows)


def test_reads_on_a_missing_mirror_create_nothing(offline_cli: Cli, tmp_path: Path) -> None:
    for command in (["forecast"], ["analytics"], ["deals", "list", "--closing", "this-month"]):
        line = _refused(offline_cli(*command))
        assert "mirror.db" in line and "brevo-sync pull" in line
    assert not (tmp_path / "mirror.db").exists()


def test_help_teaches(offline_cli: Cli) -> None:
    for command in ("forecast", "analytics"):
        out = _ok(offline_cli(command, "--help"))
        assert f"brevo-sync {command}" in out
        assert "[/" not in out and "[bold" not in out and "**" not in out


def test_dates_outside_what_the_mirror_can_hold_are_exit_2(mirrored: Cli) -> None:
    """9999-12-31 overflowed the SQL date arithmetic and 1969 the UTC timestamps: both are
    refused with the range, in one line, instead of an internal error."""
    for args in (
        ("deals", "list", "--created-to", "9999-12-31"),
        ("analytics", "--from", "1969-01-01", "--to", "1969-12-31"),
        ("forecast", "--from", "3000-01-01", "--to", "3000-02-01"),
    ):
        assert "outside 1970-01-01 to 2999-12-31" in _refused(mirrored(*args))
