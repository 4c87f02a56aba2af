"""`deals list`, `alerts`, `alerts ack` and `stale` as an operator runs them, over a pulled
sandbox: names resolve or fail with suggestions, owners by e-mail cost one request once,
amounts never mix currencies, alerts read in words."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from brevo_sync.sandbox import SandboxServer
from tests.e2e.conftest import Cli

ALICE = "alice.martin@example.com"


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def _json(cli: Cli, *args: str) -> Any:
    return json.loads(_ok(cli(*args, "--json")))


def _refused(result: subprocess.CompletedProcess[str]) -> str:
    """Exit 2 with one line on stderr, no traceback."""
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


@pytest.fixture
def pulled(cli: Cli) -> Cli:
    _ok(cli("pull"))
    return cli


def test_deals_list_by_stage_owner_and_currency(pulled: Cli, sandbox: SandboxServer) -> None:
    cli, state = pulled, sandbox.state
    deals = state.deals_snapshot()

    won_ids = {
        s.id for p in state.pipelines for s in p.stages if s.name in ("Closed Won", "CLOSED_WON")
    }
    won = _json(cli, "deals", "list", "--stage", "closed won", "--limit", "0")
    assert {r["id"] for r in won} == {
        d["id"] for d in deals if d["attributes"].get("deal_stage") in won_ids
    }
    assert len({r["pipeline_name"] for r in won}) == len(state.pipelines)  # every pipeline

    typo = _refused(cli("deals", "list", "--stage", "clsoed won"))
    assert "'Closed Won'" in typo and "'CLOSED_WON'" in typo

    # Brevo stores owners as user ids; the e-mail costs one request, once.
    alice = state.user_id(ALICE)
    state.stats.reset()
    first = _json(cli, "deals", "list", "--owner", ALICE, "--limit", "0")
    assert state.stats.snapshot()["by_endpoint"] == {"GET /crm/deals": 1}
    assert {r["id"] for r in first} == {
        d["id"] for d in deals if d["attributes"]["deal_owner"] == alice
    }
    assert first and all(r["owner_email"] == ALICE for r in first)
    state.stats.reset()
    again = _ok(cli("deals", "list", "--owner", ALICE.upper(), "--limit", "3"))
    assert state.stats.snapshot()["total"] == 0
    assert ALICE in again and "Looked up" not in again

    mixed = _refused(cli("deals", "list", "--min-amount", "25000"))
    assert "EUR" in mixed and "USD" in mixed and "--currency" in mixed
    usd = _json(cli, "deals", "list", "--min-amount", "25000", "--currency", "usd", "--limit", "0")
    assert {r["id"] for r in usd} == {
        d["id"]
        for d in deals
        if d["attributes"]["deal_currency"] == "USD" and d["attributes"]["amount"] >= 25000
    }
    table = _ok(cli("deals", "list", "--currency", "USD", "--sort", "-amount", "--limit", "2"))
    assert table.count(" USD") == 2 and "2 deals in sqlite:///" in table and "limit" in table


def test_alerts_ack_and_stale(pulled: Cli, sandbox: SandboxServer) -> None:
    cli = pulled
    alerts = _json(cli, "alerts", "--open", "--limit", "0")
    assert alerts and all(a["reason"] and a["recipient"] for a in alerts)
    raised = [a["raised_at"] for a in alerts]
    assert raised == sorted(raised, reverse=True)
    kinds = {a["rule"].partition(":")[0] for a in alerts}
    assert {"stage_max_days", "inactivity", "stale_high_value"} <= kinds

    text = _ok(cli("alerts", "--open", "--rule", "stage_max_days:proposal", "--limit", "1"))
    assert "for more than 21 days" in text and "sales manager" in text

    target = alerts[0]["id"]
    assert f"Alert #{target} acknowledged" in _ok(cli("alerts", "ack", str(target)))
    assert "already acknowledged" in _ok(cli("alerts", "ack", str(target)))
    still_open = _json(cli, "alerts", "--open", "--limit", "0")
    assert target not in {a["id"] for a in still_open} and len(still_open) == len(alerts) - 1
    assert "#999999" in _refused(cli("alerts", "ack", "999999"))
    assert "'inactivity'" in _refused(cli("alerts", "--rule", "inactivty"))

    stale = _json(cli, "stale")
    assert stale and all(r["amount"] > 25000 and r["days_without_update"] >= 14 for r in stale)
    assert {r["currency"] for r in stale} <= {"EUR", None}
    assert [r["amount"] for r in stale] == sorted((r["amount"] for r in stale), reverse=True)
    assert f"{len(stale)} stale deals" in _ok(cli("stale"))


def test_reports_on_a_missing_mirror_name_it_and_create_nothing(
    offline_cli: Cli, tmp_path: Path
) -> None:
    for command in (["deals", "list"], ["alerts", "--open"], ["alerts", "ack", "1"], ["stale"]):
        line = _refused(offline_cli(*command))
        assert "mirror.db" in line and "brevo-sync pull" in line
    assert not (tmp_path / "mirror.db").exists()


def test_report_commands_teach_in_their_help(offline_cli: Cli) -> None:
    for command in (["deals", "list"], ["alerts"], ["alerts", "ack"], ["stale"]):
        out = _ok(offline_cli(*command, "--help"))
        assert "brevo-sync " + " ".join(command[:1]) in out  # an example
        assert "[/" not in out and "[bold" not in out and "**" not in out
