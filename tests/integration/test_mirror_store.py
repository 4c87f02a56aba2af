"""The SQL repositories write exactly what SQLAlchemy reads back, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from brevo_sync.adapters.store.tables import deals, quarantine, stage_history, sync_state
from brevo_sync.adapters.store.uow import SqlUnitOfWork
from brevo_sync.domain.deal import Deal, Pipeline, Stage
from brevo_sync.domain.moves import MirroredDeal, StageMove
from brevo_sync.domain.reports import Person
from brevo_sync.domain.rules.events import StageChanged
from brevo_sync.domain.sync import PageSizeFacts, Quarantined, RunPosition, SyncState


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
        "owner": "5f0c0ffee0c0ffee0c0ffee0",
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


def test_upsert_round_trips_every_column(mirror_engine: Engine) -> None:
    written = [_deal("a"), _deal("b", amount=None, close_date=None, contact_ids=())]
    with SqlUnitOfWork(mirror_engine) as uow:
        uow.deals.upsert(written, NOW)
        uow.commit()
    with mirror_engine.connect() as conn:
        rows = {r.id: dict(r._mapping) for r in conn.execute(sa.select(deals))}
    for deal in written:
        assert rows[deal.id] == deal_row(deal, NOW)
    assert rows["a"]["stage_updated_at"] == datetime(2026, 1, 30, 7, 0, tzinfo=UTC)
    with SqlUnitOfWork(mirror_engine) as uow:
        assert uow.deals.get(["a", "b", "zz"]) == {d.id: d for d in written}
        assert uow.deals.mirrored(["a", "zz"]) == {
            "a": MirroredDeal("p1", "s1", written[0].updated_at, deleted=False)
        }


def test_history_rows_keep_brevos_time(mirror_engine: Engine) -> None:
    moves = [
        StageMove("a", "p1", None, None, "s1", NOW - timedelta(days=3), "u1", "pull", True),
        StageMove("a", "p1", "p1", "s1", "s2", NOW - timedelta(seconds=5), "u1", "pull"),
    ]
    with SqlUnitOfWork(mirror_engine) as uow:
        uow.history.add(moves, NOW)
        uow.commit()
    with mirror_engine.connect() as conn:
        history = conn.execute(
            sa.select(
                stage_history.c.from_stage_id,
                stage_history.c.to_stage_id,
                stage_history.c.changed_at,
                stage_history.c.recorded_at,
            ).order_by(stage_history.c.id)
        ).all()
    assert [tuple(h) for h in history] == [
        (None, "s1", NOW - timedelta(days=3), NOW),
        ("s1", "s2", NOW - timedelta(seconds=5), NOW),
    ]
    with SqlUnitOfWork(mirror_engine) as uow:
        assert [m.to_stage_id for m in uow.history.of_deal("a")] == ["s1", "s2"]


def test_state_and_quarantine_commit_together_or_not_at_all(mirror_engine: Engine) -> None:
    run = RunPosition(since=NOW, offset=100, full=False, started_at=NOW, max_seen=NOW)
    state = SyncState(run=run, paging=PageSizeFacts(floor=50, ceiling=50, ceiling_reason="clamped"))
    bad = Quarantined("x", "amount: not a number", {"id": "x"})
    with SqlUnitOfWork(mirror_engine) as uow:
        uow.deals.quarantine([bad], NOW)
        uow.sync.save(state)  # no commit: both are gone
    with SqlUnitOfWork(mirror_engine) as uow:
        assert uow.sync.get() == SyncState()
        uow.deals.quarantine([bad], NOW)
        uow.sync.save(state)
        uow.commit()
    with SqlUnitOfWork(mirror_engine) as uow:
        assert uow.sync.get() == state
    with mirror_engine.connect() as conn:
        assert conn.execute(sa.select(sync_state.c.run_offset)).scalar() == 100
        assert conn.execute(sa.select(sa.func.count()).select_from(quarantine)).scalar() == 1


def test_a_stage_id_repeated_across_pipelines_is_stored(mirror_engine: Engine) -> None:
    shared = Stage("won", "Closed Won", 0)
    pipelines = [Pipeline("p1", "One", (shared,), 0), Pipeline("p2", "Two", (shared,), 1)]
    with SqlUnitOfWork(mirror_engine) as uow:
        uow.catalog.replace(pipelines, None, NOW)
        uow.commit()
    with SqlUnitOfWork(mirror_engine) as uow:
        assert uow.catalog.pipelines() == pipelines


def test_rule_events_are_recorded_once_by_key(mirror_engine: Engine) -> None:
    moved = StageChanged("move:a:s2:1", "a", "P", "s1", "s2", NOW, None, "observed")
    with SqlUnitOfWork(mirror_engine) as uow:
        assert uow.events.record([moved], origin="pull", now=NOW) == 1
        uow.commit()
    with SqlUnitOfWork(mirror_engine) as uow:
        assert uow.events.record([moved], origin="pull", now=NOW) == 0
        assert uow.events.pending() == [("move:a:s2:1", "StageChanged", "a")]


@pytest.mark.parametrize("user_id", ["5f0c0ffee0c0ffee0c0ffee0", None])
def test_people_are_kept_by_lower_case_email(mirror_engine: Engine, user_id: str | None) -> None:
    with SqlUnitOfWork(mirror_engine) as uow:
        uow.people.put(Person("Ana@Example.com", user_id, "brevo", NOW))
        uow.people.put(Person("ana@example.com", user_id, "rules", NOW))
        uow.commit()
    with SqlUnitOfWork(mirror_engine) as uow:
        assert uow.people.all() == [Person("ana@example.com", user_id, "rules", NOW)]
        assert uow.people.get("ANA@example.com") == Person("ana@example.com", user_id, "rules", NOW)
        expected = {user_id: "ana@example.com"} if user_id else {}
        assert uow.people.by_user_id(["5f0c0ffee0c0ffee0c0ffee0"]) == expected
