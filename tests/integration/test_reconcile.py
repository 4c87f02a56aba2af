"""The reconcile use case on real databases (SQLite and PostgreSQL) against the in-memory Brevo,
through the services and the SQL unit of work, as the CLI runs it."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from brevo_sync.adapters.store.tables import deals, reconcile_seen, reconcile_state, runs
from brevo_sync.domain.reconcile import ReconcileState, Walk, WalkTally
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.pull import pull_deals
from brevo_sync.service.reconcile import expected_walk_requests
from tests.contexts import sql_context
from tests.reconcile_support import (
    WindowedBrevo,
    churn,
    live_mirror,
    remote_deals,
    run_until_complete,
    tombstones,
    tombstones_leave_every_figure,
)

PAGE = 10


@pytest.fixture
def brevo() -> WindowedBrevo:
    fake = WindowedBrevo(limit=1000)
    fake.add(60)
    return fake


@pytest.fixture
def ctx(mirror_engine: Engine, brevo: WindowedBrevo) -> ServiceContext:
    context = replace(sql_context(mirror_engine, brevo, page=PAGE), reconcile_budget_share=0.2)
    pull_deals(context, sweep=False)
    brevo.limit = 15  # 3 requests a run: half of a walk of 60 deals by pages of 10
    return context


def test_churn_is_repaired_exactly_and_runs_are_recorded(
    ctx: ServiceContext, brevo: WindowedBrevo, mirror_engine: Engine
) -> None:
    deleted, _, added = churn(brevo)
    result = run_until_complete(ctx, brevo)
    assert live_mirror(ctx) == remote_deals(brevo)
    assert tombstones(ctx) == deleted
    assert result.pages <= expected_walk_requests(len(brevo.deals), PAGE)
    assert result.gets == len(deleted)
    with mirror_engine.connect() as conn:
        recorded = conn.execute(
            sa.select(runs.c.requests_total).where(runs.c.command == "reconcile")
        ).scalars()
        assert list(recorded) == [r.requests_total for r in result.reports]
        assert conn.scalar(sa.select(sa.func.count()).select_from(reconcile_seen)) == 0
        row = conn.execute(sa.select(reconcile_state)).one()
        assert row.walk_started_at is None and row.walks_completed == 1
        assert row.last_total == len(brevo.deals)
        first_sight = conn.scalar(
            sa.select(sa.func.count()).where(
                deals.c.id.in_(sorted(added)), deals.c.deleted_at.is_(None)
            )
        )
        assert first_sight == len(added)


def test_without_repair_the_mirror_is_untouched(ctx: ServiceContext, brevo: WindowedBrevo) -> None:
    before = live_mirror(ctx)
    deleted, edited, added = churn(brevo)
    result = run_until_complete(ctx, brevo, repair=False)
    assert live_mirror(ctx) == before and not tombstones(ctx)
    assert sum(r.gone for r in result.reports) == len(deleted)
    assert sum(r.missing for r in result.reports) == len(added)
    assert sum(r.drifted for r in result.reports) == len(edited)


def test_state_and_seen_ids_round_trip(ctx: ServiceContext, brevo: WindowedBrevo) -> None:
    started = brevo.now - timedelta(days=1)
    tally = WalkTally(missing=1, drifted=2, gone=3, repaired=4, tombstoned=5)
    walk = Walk(started, offset=30, pages=3, deals=30, phase="confirm", runs=2, tally=tally)
    state = ReconcileState(walk=walk, last_completed_at=started, last_total=99, walks_completed=7)
    ids = [d["id"] for d in brevo.deals]
    with ctx.uow() as uow:
        uow.reconcile.save(state)
        uow.reconcile.mark_seen(ids[:50])
        uow.reconcile.mark_seen(ids[:2])  # repeats are ignored
        uow.reconcile.mark_seen([ids[50]], gone=True)
        uow.commit()
    with ctx.uow() as uow:
        assert uow.reconcile.get() == state
        # Every deal was created after `started`: none is a suspect of that walk.
        assert uow.reconcile.suspects(started) == []
        assert uow.reconcile.suspects(brevo.now + timedelta(seconds=1)) == ids[51:]
        assert uow.reconcile.count_suspects(brevo.now + timedelta(seconds=1)) == 9
        assert uow.reconcile.tombstone([ids[59], ids[59]], brevo.now) == 1
        assert uow.reconcile.tombstone([ids[59]], brevo.now) == 0
        assert uow.reconcile.live_deals() == 59
        uow.reconcile.clear_seen()
        assert uow.reconcile.count_suspects(brevo.now + timedelta(seconds=1)) == 59


def test_tombstones_leave_every_figure(ctx: ServiceContext, brevo: WindowedBrevo) -> None:
    tombstones_leave_every_figure(ctx, brevo)
