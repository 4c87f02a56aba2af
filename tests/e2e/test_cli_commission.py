"""`brevo-sync commission` as an operator runs it: on the hand-made mirror of
tests/commission_mirror.py (text, --json, --csv, --owner, --explain, refusals), and end to end
over the sandbox (a deal moved and taken over in Brevo, pulled, paid to the right sellers)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from brevo_sync.adapters.store.engine import create_mirror_engine
from brevo_sync.adapters.store.migrate import upgrade
from brevo_sync.adapters.store.uow import SqlUnitOfWork
from brevo_sync.sandbox import SandboxServer
from tests.commission_mirror import ANA, CAROL_ID, fill
from tests.e2e.conftest import Cli

OCTOBER = ("--month", "2026-10")


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def _refused(result: subprocess.CompletedProcess[str]) -> str:
    """Exit 2 with one line on stderr, no traceback."""
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


@pytest.fixture
def mirrored(offline_cli: Cli, tmp_path: Path) -> Cli:
    engine = create_mirror_engine(f"sqlite:///{tmp_path / 'mirror.db'}")
    upgrade(engine)
    fill(lambda: SqlUnitOfWork(engine))
    engine.dispose()
    return offline_cli


def test_the_statement_as_text_json_and_csv(mirrored: Cli) -> None:
    text = _ok(mirrored("commission", *OCTOBER))
    assert "Commission on deals won in 2026-10 (UTC)" in text
    for figure in ("3,000.00 EUR", "500.00 USD", "493.82 EUR", "8,234.56 EUR", "1,750.00 USD"):
        assert figure in text, figure
    assert "3 sellers, 5 won deals with commission rules in 2026-10" in text
    assert "1 won deal in Enterprise Sales: no commission rules there." in text
    assert "d-seen; --explain DEAL shows why" in text and "without an amount" in text

    doc = json.loads(_ok(mirrored("commission", *OCTOBER, "--json")))
    assert doc["month"] == "2026-10" and doc["from"].startswith("2026-10-01T00:00:00")
    assert doc["totals"] == {"EUR": 11234.56, "USD": 2250.0}
    assert {s["seller"]: s["totals"] for s in doc["sellers"]} == {
        ANA: {"EUR": 3000.0, "USD": 500.0},
        "b" * 24: {"EUR": 8234.56},  # Bob's e-mail is known to no one here: his user id
        CAROL_ID: {"USD": 1750.0},
    }
    assert len(doc["lines"]) == 12 and doc["without_shares"] == ["d-seen"]

    rows = list(csv.DictReader(io.StringIO(_ok(mirrored("commission", *OCTOBER, "--csv")))))
    assert len(rows) == 12
    sums: dict[str, Decimal] = {}
    for row in rows:
        if row["amount"]:
            sums[row["currency"]] = sums.get(row["currency"], Decimal(0)) + Decimal(row["amount"])
    assert sums == {"EUR": Decimal("11234.56"), "USD": Decimal("2250.00")}


def test_one_seller_and_one_deal_explained(mirrored: Cli) -> None:
    ana = json.loads(_ok(mirrored("commission", *OCTOBER, "--owner", "ANA@example.com", "--json")))
    assert ana["owner"] == ANA and ana["totals"] == {"EUR": 3000.0, "USD": 500.0}
    assert {line["deal_id"] for line in ana["lines"]} == {"d-acme", "d-globex"}

    text = _ok(mirrored("commission", "--explain", "d-acme"))
    assert "paid in the statement for 2026-10" in text
    assert "NEW_LEAD -> QUALIFICATION  owner ana@example.com (pull)  earns 10% NEW_LEAD" in text
    assert "40% PROPOSAL -> CLOSED_WON: " + "b" * 24 + " on 2026-10-10 = 4,000.00 EUR" in text
    globex: dict[str, Any] = json.loads(
        _ok(mirrored("commission", "--explain", "d-globex", "--json"))
    )
    assert globex["automatic_lead"] and "automatic lead" in globex["shares"][0]["reason"]


def test_mistakes_are_one_line_and_a_missing_mirror_is_never_created(
    mirrored: Cli, offline_cli: Cli, tmp_path: Path
) -> None:
    assert "did you mean 'ana@example.com'?" in _refused(
        mirrored("commission", "--owner", "ann@example.com")
    )
    assert "YYYY-MM" in _refused(mirrored("commission", "--month", "10/2026"))
    assert "no such deal" in _refused(mirrored("commission", "--explain", "nope"))
    assert "choose one" in _refused(mirrored("commission", "--json", "--csv"))
    (tmp_path / "mirror.db").unlink()
    line = _refused(offline_cli("commission"))
    assert "mirror.db" in line and "brevo-sync pull" in line
    assert not (tmp_path / "mirror.db").exists()
    help_text = _ok(offline_cli("commission", "--help"))
    assert "brevo-sync commission --explain" in help_text and "[/" not in help_text


def test_a_takeover_in_brevo_pays_both_sellers(cli: Cli, sandbox: SandboxServer) -> None:
    state = sandbox.state
    _ok(cli("pull"))
    pipeline = state.pipeline("Opportunity Pipeline")
    stage = {s.name: s.id for s in pipeline.stages}
    deal = next(
        d
        for d in state.deals_snapshot()
        if d["attributes"].get("deal_stage") == stage["NEEDS_ANALYSIS"]
        and d["attributes"].get("amount")
    )
    first, second = sorted(state.users_snapshot())[:2]
    moves = (("PROPOSAL", first), ("CLOSED_WON", second))
    for name, seller in moves:
        state.update_deal(deal["id"], attributes={"deal_stage": stage[name], "deal_owner": seller})
        _ok(cli("pull"))

    explained = json.loads(_ok(cli("commission", "--explain", deal["id"], "--json")))
    assert explained["payable"] and explained["month"]
    ids = state.users_snapshot()
    paid = [(s["percent"], s["seller"]) for s in explained["shares"] if s["seller"]]
    assert paid == [(30.0, ids[first]), (40.0, ids[second])]  # the takeover: each their own

    doc = json.loads(_ok(cli("commission", "--month", explained["month"], "--json")))
    lines = [line for line in doc["lines"] if line["deal_id"] == deal["id"]]
    amount = Decimal(str(deal["attributes"]["amount"]))
    assert {(line["seller_id"], line["percent"], line["amount"]) for line in lines} == {
        (ids[first], 30.0, float(round(amount * Decimal("0.3"), 2))),
        (ids[second], 40.0, float(round(amount * Decimal("0.4"), 2))),
    }
