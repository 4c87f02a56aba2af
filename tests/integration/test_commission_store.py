"""The commission statement on SQLite and PostgreSQL: the SQL `CommissionSource` selects the
month's won deals exactly as the in-memory twin does (the won time from the history when Brevo
gave no stage_updated_at, the month's edges, tombstones left out), and the statement comes to
the figures worked out by hand in tests/commission_mirror.py."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from brevo_sync.adapters.memory import MemoryMirror, MemoryUnitOfWork
from brevo_sync.adapters.store.tables import deals
from brevo_sync.adapters.store.uow import SqlUnitOfWork
from brevo_sync.domain.rules import Rulebook
from brevo_sync.service.commission import CommissionRequest, commission_report, won_stages
from brevo_sync.service.commission_explain import explain_commission
from brevo_sync.service.ports import UnitOfWorkFactory
from tests.commission_mirror import NOW, PIPELINES, RULES, fill
from tests.unit.service.test_commission import assert_october, commission_context, lines_of

OCTOBER = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))


def _selected(uow: UnitOfWorkFactory, start: datetime, end: datetime) -> list[str]:
    with uow() as w:
        return [d.id for d in w.commission.won_between(won_stages(_book()), start, end)]


def _book() -> Rulebook:
    return Rulebook.build(RULES, PIPELINES)


def test_the_statement_on_the_database_is_the_one_worked_out_by_hand(
    mirror_engine: Engine,
) -> None:
    uow: UnitOfWorkFactory = lambda: SqlUnitOfWork(mirror_engine)  # noqa: E731
    fill(uow)
    ctx = commission_context(uow)
    assert_october(commission_report(ctx, CommissionRequest()))
    acme = explain_commission(ctx, "d-acme")
    assert [m.earned for m in acme.moves][1:4] == [
        ("10% NEW_LEAD -> QUALIFICATION",),
        ("20% QUALIFICATION -> NEEDS_ANALYSIS",),
        ("30% NEEDS_ANALYSIS -> PROPOSAL",),
    ]


def test_won_deals_of_a_period_match_the_memory_twin(mirror_engine: Engine) -> None:
    sql: UnitOfWorkFactory = lambda: SqlUnitOfWork(mirror_engine)  # noqa: E731
    memory = MemoryMirror()
    twin: UnitOfWorkFactory = lambda: MemoryUnitOfWork(memory)  # noqa: E731
    fill(sql)
    fill(twin)
    # By the won time; d-initech's (Oct 31 23:30) comes from its history alone, and
    # Enterprise Sales' Closed Won is a won stage too (d-ent; no commission rules there).
    october = ["d-seen", "d-ent", "d-acme", "d-noamt", "d-globex", "d-initech"]
    for uow in (sql, twin):
        assert _selected(uow, *OCTOBER) == october
        assert _selected(uow, OCTOBER[1], datetime(2026, 12, 1, tzinfo=UTC)) == ["d-nov"]
        with uow() as w:
            history = w.commission.histories(["d-acme", "d-missing"])
        assert [m.changed_at.day for m in history["d-acme"]] == [1, 3, 10, 20, 1, 10]
        assert history["d-missing"] == []

    with mirror_engine.begin() as conn:
        conn.execute(sa.update(deals).where(deals.c.id == "d-acme").values(deleted_at=NOW))
    assert "d-acme" not in _selected(sql, *OCTOBER)
    report = commission_report(commission_context(sql), CommissionRequest(month="2026-10"))
    assert "d-acme" not in {line[1] for line in lines_of(report)}
