"""The rules act on every pull: moves made in Brevo (the sandbox) come back as stage history,
as the rules' decisions for the write path and as time-rule alerts, each exactly once, also
after a second identical pull."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

from brevo_sync.sandbox import SandboxServer, SandboxState
from tests.e2e.conftest import Cli


def _query(cli: Cli, sql: str, *args: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(Path(cli.database_url.removeprefix("sqlite:///"))) as conn:
        return conn.execute(sql, args).fetchall()


def _pull(cli: Cli) -> dict[str, Any]:
    result = cli("pull", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def _move(state: SandboxState, pipeline: str, from_stage: str, to_stage: str) -> str:
    """Move the first deal of `pipeline` in `from_stage` to `to_stage`, as a rep in Brevo."""
    p = state.pipeline(pipeline)
    source, target = state.stage_id(pipeline, from_stage), state.stage_id(pipeline, to_stage)
    deal = next(
        d
        for d in state.deals_snapshot()
        if d["attributes"]["pipeline"] == p.id
        and d["attributes"]["deal_stage"] == source
        and d["linkedContactsIds"]
    )
    state.update_deal(deal["id"], attributes={"pipeline": p.id, "deal_stage": target})
    return str(deal["id"])


def _events(cli: Cli, deal_id: str) -> Counter[str]:
    rows = _query(cli, "SELECT kind FROM rule_events WHERE deal_id = ?", deal_id)
    return Counter(kind for (kind,) in rows)


def test_moves_in_brevo_are_decided_recorded_and_alerted_once(
    cli: Cli, sandbox: SandboxServer
) -> None:
    state = sandbox.state
    first = _pull(cli)
    assert first["stage_changes"] == 0 and first["decisions"] == 0  # first sight only
    assert first["sweep"]["total"] > 0

    qualified = _move(state, "Opportunity Pipeline", "NEW_LEAD", "QUALIFICATION")
    won = _move(state, "Enterprise Sales", "Negotiation", "Closed Won")
    proposed = _move(state, "Opportunity Pipeline", "NEEDS_ANALYSIS", "PROPOSAL")
    second = _pull(cli)
    assert second["stage_changes"] == 3 and second["deals_written"] == 3
    assert second["requests"] == {"GET /crm/deals": 1}

    # The seed-002 transition NEW_LEAD -> QUALIFICATION: the seller is told; the move is
    # written back (probability, previous stage, time of the change).
    assert _events(cli, qualified)["StageChanged"] == 1
    assert _events(cli, qualified)["NotificationRequested"] == 1
    assert _events(cli, qualified)["UpdateDealRequested"] == 1
    # Seed 000's Closed Won: onboarding, the loyalty milestone (a contact is linked).
    assert {"StageChanged", "OnboardingRequested", "LoyaltyPointsAwarded"} <= set(_events(cli, won))
    assert all(n == 1 for n in _events(cli, won).values())
    # Seed 002: entering PROPOSAL raises the 3-day follow-up, from the sweep after the pull.
    follow_ups = _query(
        cli, "SELECT rule FROM alerts WHERE deal_id = ? AND rule LIKE 'stage_follow_up:%'", proposed
    )
    assert len(follow_ups) == 1
    history = _query(
        cli,
        "SELECT deal_id, from_stage_id, to_stage_id FROM stage_history "
        "WHERE from_stage_id IS NOT NULL ORDER BY id",
    )
    assert {h[0] for h in history} == {qualified, won, proposed} and len(history) == 3

    recorded = _query(cli, "SELECT count(*) FROM rule_events")[0][0]
    raised = _query(cli, "SELECT count(*) FROM alerts")[0][0]
    for _ in range(2):  # the same mirror pulled again: nothing is decided or raised twice
        again = _pull(cli)
        assert (again["stage_changes"], again["decisions"], again["sweep"]["total"]) == (0, 0, 0)
    assert _query(cli, "SELECT count(*) FROM rule_events")[0][0] == recorded
    assert _query(cli, "SELECT count(*) FROM alerts")[0][0] == raised
    assert len(_query(cli, "SELECT id FROM stage_history WHERE from_stage_id IS NOT NULL")) == 3

    status = json.loads(cli("status", "--json").stdout)
    assert status["events_pending"] == recorded and status["alerts_open"] == raised
