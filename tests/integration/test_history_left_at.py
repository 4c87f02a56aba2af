"""`stage_history.left_at` (when the deal left the stage: its next row's changed_at) as the
history writers keep it (SQL and in memory) and as migration 0008 fills it; the analytics that
read it where history and deals disagree; months on PostgreSQL whatever the session's zone."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from brevo_sync.adapters.memory import MemoryMirror, MemoryUnitOfWork
from brevo_sync.adapters.store.engine import create_mirror_engine
from brevo_sync.adapters.store.migrate import upgrade
from brevo_sync.adapters.store.sql_time import month_start_of, year_month
from brevo_sync.adapters.store.tables import deals, stage_history
from brevo_sync.adapters.store.uow import SqlUnitOfWork
from brevo_sync.domain.moves import StageMove
from brevo_sync.service.analytics import AnalyticsRequest, analytics
from brevo_sync.service.forecast import ForecastRequest, forecast
from brevo_sync.service.ports import UnitOfWorkFactory
from tests.analytics_mirror import ANALYTICS, FORECAST, NOW, PIPELINES, context, deal, fill

T0 = datetime(2026, 9, 1, 12, tzinfo=UTC)


def at(hours: int) -> datetime:
    return T0 + timedelta(hours=hours)


def move(deal_id: str, before: str | None, to: str, when: datetime) -> StageMove:
    return StageMove(deal_id, "p3", "p3", before, to, when, None, "pull")


# Batches as writers send them: d1 in order; d2 with a move older than its rows (a Brevo time
# behind a local one) and two rows at the same instant; d3 a single row; d4 every move at once.
BATCHES = [
    [move("d1", None, "lead", at(0)), move("d2", None, "lead", at(0)),
     move("d3", None, "qual", at(5))],
    [move("d1", "lead", "qual", at(10)), move("d2", "lead", "prop", at(30))],
    [move("d2", "lead", "demo", at(20)), move("d1", "qual", "won", at(40))],
    [move("d2", "demo", "nego", at(20)), move("d4", "qual", "lost", at(9)),
     move("d4", None, "qual", at(1)), move("d4", "lost", "lead", at(9))],
]  # fmt: skip


def expected(rows: Iterable[Any]) -> dict[int, datetime | None]:
    """id -> the changed_at of the deal's next row by (changed_at, id)."""
    ordered = sorted(rows, key=lambda r: (r.deal_id, r.changed_at, r.id))
    found: dict[int, datetime | None] = {}
    for here, after in zip(ordered, [*ordered[1:], None], strict=True):
        same = after is not None and after.deal_id == here.deal_id
        found[here.id] = after.changed_at if same else None
    return found


def _write(uow: UnitOfWorkFactory) -> None:
    for batch in BATCHES:
        with uow() as u:
            u.history.add(batch, NOW)
            u.commit()


def test_sql_writer_keeps_left_at(mirror_engine: Engine) -> None:
    _write(lambda: SqlUnitOfWork(mirror_engine))
    with mirror_engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                stage_history.c.id,
                stage_history.c.deal_id,
                stage_history.c.changed_at,
                stage_history.c.left_at,
            )
        ).all()
    assert len(rows) == 11
    assert {r.id: r.left_at for r in rows} == expected(rows)
    by_deal = {r.deal_id: r for r in rows if r.left_at is None}
    assert by_deal["d2"].changed_at == at(30)  # the move that came late is not the last


def test_memory_writer_keeps_left_at() -> None:
    mirror = MemoryMirror()
    _write(lambda: MemoryUnitOfWork(mirror))
    rows = list(mirror.tables.history.rows.values())
    assert len(rows) == 11
    assert {r.id: r.left_at for r in rows} == expected(rows)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def unmigrated(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = create_mirror_engine(f"sqlite:///{tmp_path / 'old.db'}")
    else:
        url, kwargs = request.getfixturevalue("pg_schema_url")
        engine = create_mirror_engine(url, **kwargs)
    try:
        yield engine
    finally:
        engine.dispose()


def test_migration_fills_left_at(unmigrated: Engine) -> None:
    upgrade(unmigrated, "0007_daemon")
    columns = ("deal_id", "pipeline_id", "from_stage_id", "to_stage_id", "changed_at", "source")
    values = [
        dict(zip(columns, (m.deal_id, m.pipeline_id, m.from_stage_id, m.to_stage_id,
                           m.changed_at, m.source), strict=True), recorded_at=NOW)
        for batch in BATCHES for m in batch
    ]  # fmt: skip
    old = sa.Table("stage_history", sa.MetaData(), *(sa.Column(c) for c in columns),
                   sa.Column("recorded_at"))  # fmt: skip
    with unmigrated.begin() as conn:
        conn.execute(sa.insert(old), [_bound(v, unmigrated) for v in values])
    upgrade(unmigrated)
    with unmigrated.connect() as conn:
        rows = conn.execute(
            sa.select(
                stage_history.c.id,
                stage_history.c.deal_id,
                stage_history.c.changed_at,
                stage_history.c.left_at,
            )
        ).all()
    assert {r.id: r.left_at for r in rows} == expected(rows)


def _bound(row: dict[str, Any], engine: Engine) -> dict[str, Any]:
    """Stamps as the mirror stores them (naive UTC text on SQLite)."""
    if engine.dialect.name != "sqlite":
        return row
    return {k: v.replace(tzinfo=None) if isinstance(v, datetime) else v for k, v in row.items()}


# -- losses where history and the deal disagree -------------------------------------------
# p3 deals, all lost now: l1 moved lead -> lost (consistent); l2 has no history at all; l3 went
# qual -> lost, then its history shows a later move lost -> demo that the deal row does not
# (a local move overtaken by Brevo): the stage it left for Lost is still Qualified.
LOST_DEALS = [
    deal("l1", "p3/lost", 100, "EUR", None, date(2026, 10, 2), entered=at(2)),
    deal("l2", "p3/lost", 200, "EUR", None, date(2026, 10, 3)),
    deal("l3", "p3/lost", 300, "EUR", None, date(2026, 10, 4), entered=at(3)),
]
LOST_MOVES = [
    move("l1", None, "lead", at(0)), move("l1", "lead", "lost", at(2)),
    move("l3", None, "qual", at(1)), move("l3", "qual", "lost", at(3)),
    move("l3", "lost", "demo", at(4)),
]  # fmt: skip


def _fill_lost(uow: UnitOfWorkFactory) -> None:
    with uow() as u:
        u.catalog.replace(PIPELINES, None, NOW)
        u.deals.upsert(LOST_DEALS, NOW)
        u.history.add(LOST_MOVES, NOW)
        u.commit()


def _losses(uow: UnitOfWorkFactory) -> dict[str, Any]:
    got: dict[str, Any] = analytics(context(uow), AnalyticsRequest("e-commerce upsell")).to_json()
    return got


def _check_losses(uow: UnitOfWorkFactory) -> None:
    _fill_lost(uow)
    got = _losses(uow)
    assert got["losses"]["by_stage"] == [
        {"stage": "(unknown)", "count": 1, "value": {"EUR": 200.0}},
        {"stage": "Lead (E-Commerce Upsell)", "count": 1, "value": {"EUR": 100.0}},
        {"stage": "Qualified (E-Commerce Upsell)", "count": 1, "value": {"EUR": 300.0}},
    ]
    # Stays: l1 Lead 2 h; l3 Qualified 2 h and Closed Lost 1 h (left for Demo).
    assert [(t["stage"], t["stays"]) for t in got["time_in_stage"]] == [
        ("Lead", 1), ("Qualified", 1), ("Closed Lost", 1),
    ]  # fmt: skip


def test_losses_when_history_and_deal_disagree_in_memory() -> None:
    mirror = MemoryMirror()
    _check_losses(lambda: MemoryUnitOfWork(mirror))


def test_losses_when_history_and_deal_disagree_in_sql(mirror_engine: Engine) -> None:
    _check_losses(lambda: SqlUnitOfWork(mirror_engine))


@pytest.mark.postgres
def test_months_do_not_depend_on_the_session_time_zone(
    pg_schema_url: tuple[str, dict[str, Any]],
) -> None:
    """A close date's month is the date's own in a session east of UTC too (Paris: 1
    December 00:00 there is still 30 November in UTC), and the figures by hand hold there."""
    url, kwargs = pg_schema_url
    options = kwargs["connect_args"]["options"] + " -ctimezone=Europe/Paris"
    engine = create_mirror_engine(url, connect_args={"options": options})
    try:
        upgrade(engine)
        first = sa.literal(date(2026, 12, 1), sa.Date)
        with engine.connect() as conn:
            month, began = conn.execute(sa.select(year_month(first), month_start_of(first))).one()
        assert (month, began) == ("2026-12", datetime(2026, 12, 1, tzinfo=UTC))
        fill(lambda: SqlUnitOfWork(engine), _tombstone(engine))
        ctx = context(lambda: SqlUnitOfWork(engine))
        assert forecast(ctx, ForecastRequest()).to_json() == FORECAST
        assert analytics(ctx, AnalyticsRequest("e-commerce upsell")).to_json() == ANALYTICS
    finally:
        engine.dispose()


def _tombstone(engine: Engine) -> Callable[[str, datetime], None]:
    def mark(deal_id: str, when: datetime) -> None:
        with engine.begin() as conn:
            conn.execute(sa.update(deals).where(deals.c.id == deal_id).values(deleted_at=when))

    return mark
