"""The mirror store's hot path writes exactly what SQLAlchemy reads back, on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from brevo_sync.adapters.store.mirror import SqlMirror
from brevo_sync.adapters.store.tables import deals, stage_history, sync_state
from brevo_sync.domain.deal import Deal
from brevo_sync.domain.sync import Quarantined, RunPosition, SyncState


def deal_row(deal: Deal, now: datetime) -> dict[str, Any]:
    """Every column as SQLAlchemy reads it back: the reference the bulk writer must match."""
    return {
        "id": deal.id,
        "name": deal.name,
        "pipeline_id": deal.pipeline_id,
        "stage_id": deal.stage_id,
        "owner": deal.owner,
        "amount": float(deal.amount) if deal.amount is not None else None,
        "currency": deal.currency,
        "close_date": deal.close_date,
        "created_at": deal.created_at,
        "updated_at": deal.updated_at,
        "stage_updated_at": deal.stage_updated_at,
        "last_activity_at": deal.last_activity_at,
        "attributes": deal.attributes,
        "contact_ids": list(deal.contact_ids),
        "company_ids": list(deal.company_ids),
        "pulled_at": now,
        "deleted_at": None,
    }


NOW = datetime(2026, 11, 23, 12, 0, 0, 123456, tzinfo=UTC)


def _deal(deal_id: str, **kw: object) -> Deal:
    base: dict[str, object] = {
        "id": deal_id,
        "name": "Acme – Enterprise package ✓",
        "pipeline_id": "p1",
        "stage_id": "s1",
        "owner": "ana@example.com",
        "amount": Decimal("75000.50"),
        "currency": "EUR",
        "close_date": date(2026, 6, 30),
        "created_at": datetime(2026, 1, 25, 14, 30, tzinfo=UTC),
        "updated_at": datetime(2026, 2, 1, 10, 15, 0, 1000, tzinfo=UTC),
        "stage_updated_at": datetime(2026, 1, 30, 9, 0, tzinfo=timezone(timedelta(hours=2))),
        "last_activity_at": None,
        "attributes": {"deal_name": "Acme", "amount": 75000.5, "nested": {"a": [1, "ü"]}},
        "contact_ids": (1, 2),
        "company_ids": ("c1",),
    }
    base.update(kw)
    return Deal(**base)  # type: ignore[arg-type]


def test_page_round_trips_every_column(mirror_engine: Engine) -> None:
    mirror = SqlMirror(mirror_engine)
    written = [_deal("a"), _deal("b", amount=None, close_date=None, contact_ids=())]
    state = SyncState(run=RunPosition(since=None, offset=2, full=True, started_at=NOW))
    outcome = mirror.commit_page(written, [], state, NOW)
    assert outcome.written == 2
    with mirror_engine.connect() as conn:
        rows = {r.id: dict(r._mapping) for r in conn.execute(sa.select(deals))}
    for deal in written:
        expected = deal_row(deal, NOW)
        assert rows[deal.id] == expected
    assert rows["a"]["stage_updated_at"] == datetime(2026, 1, 30, 7, 0, tzinfo=UTC)


def test_unchanged_rows_are_not_rewritten_and_moves_are_recorded(mirror_engine: Engine) -> None:
    mirror = SqlMirror(mirror_engine)
    state = SyncState()
    mirror.commit_page([_deal("a")], [], state, NOW)
    again = mirror.commit_page([_deal("a")], [], state, NOW + timedelta(minutes=1))
    assert (again.written, again.unchanged) == (0, 1)
    moved = _deal(
        "a",
        stage_id="s2",
        updated_at=NOW,
        stage_updated_at=NOW - timedelta(seconds=5),
    )
    outcome = mirror.commit_page([moved], [], state, NOW + timedelta(minutes=2))
    assert (outcome.written, outcome.stage_changes) == (1, 1)
    with mirror_engine.connect() as conn:
        history = conn.execute(
            sa.select(
                stage_history.c.from_stage_id,
                stage_history.c.to_stage_id,
                stage_history.c.changed_at,
            ).order_by(stage_history.c.id)
        ).all()
    assert history == [
        (None, "s1", datetime(2026, 1, 30, 7, 0, tzinfo=UTC)),
        ("s1", "s2", NOW - timedelta(seconds=5)),
    ]


def test_state_and_quarantine_commit_with_the_page(mirror_engine: Engine) -> None:
    mirror = SqlMirror(mirror_engine)
    run = RunPosition(since=NOW, offset=100, full=False, started_at=NOW, max_seen=NOW)
    mirror.commit_page(
        [], [Quarantined("x", "amount: not a number", {"id": "x"})], SyncState(run=run), NOW
    )
    assert mirror.sync_state().run == run
    with mirror_engine.connect() as conn:
        assert conn.execute(sa.select(sync_state.c.run_offset)).scalar() == 100
