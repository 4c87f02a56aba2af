"""What the HTML report shows, gathered from the mirror: the same on the in-memory twin, SQLite
and PostgreSQL, with the win rate month by month worked out by hand.

The mirror is tests/commission_mirror.py's plus one deal lost in October. Won and lost are
counted by when a deal entered its closed stage as analytics counts them (`stage_entry`:
Brevo's stage_updated_at, else creation), for the six months up to NOW (2026-11-15):
  2026-08  d-initech (no stage_updated_at: its creation, Aug 20)           1 won
  2026-10  d-acme, d-globex, d-ent, d-seen, d-noamt won; d-lost lost       5 won, 1 lost
  2026-11  d-nov (Nov 1 00:00)                                             1 won
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from brevo_sync.adapters.memory import MemoryMirror, MemoryUnitOfWork
from brevo_sync.adapters.store.engine import create_mirror_engine
from brevo_sync.adapters.store.migrate import upgrade
from brevo_sync.adapters.store.uow import SqlUnitOfWork
from brevo_sync.service.ports import UnitOfWorkFactory
from brevo_sync.service.report import ReportRequest, build_report
from tests.commission_mirror import DEALS, NOW, S, at, fill
from tests.unit.service.test_commission import commission_context

LOST = replace(DEALS[0], id="d-lost", stage_id=S["CLOSED_LOST"], stage_updated_at=at(10, 7))
EXPECTED_WIN_RATE = [
    ("2026-06", 0, 0, None),
    ("2026-07", 0, 0, None),
    ("2026-08", 1, 0, 100.0),
    ("2026-09", 0, 0, None),
    ("2026-10", 5, 1, 83.3),
    ("2026-11", 1, 0, 100.0),
]


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def uow(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[UnitOfWorkFactory]:
    if request.param == "memory":
        mirror = MemoryMirror()
        factory: UnitOfWorkFactory = lambda: MemoryUnitOfWork(mirror)  # noqa: E731
        engine = None
    else:
        if request.param == "sqlite":
            engine = create_mirror_engine(f"sqlite:///{tmp_path / 'mirror.db'}")
        else:
            url, kwargs = request.getfixturevalue("pg_schema_url")
            engine = create_mirror_engine(url, **kwargs)
        upgrade(engine)
        factory = lambda: SqlUnitOfWork(engine)  # noqa: E731
    fill(factory)
    with factory() as w:
        w.deals.upsert([LOST], NOW)
        w.commit()
    yield factory
    if engine is not None:
        engine.dispose()


def test_the_report_gathers_every_part_the_same_on_every_mirror(uow: UnitOfWorkFactory) -> None:
    ctx = commission_context(uow)
    data = build_report(ctx, ReportRequest())
    assert [(p.month, p.won, p.lost, p.rate) for p in data.win_rate] == EXPECTED_WIN_RATE
    # The forecast (today to the end of the quarter) counts every deal not lost (seed 000);
    # none has a close date, so all 8 are counted apart, never dropped: 10,000 + 1,234.56 +
    # 5,000 + 9,000 + 700 + 4,000 EUR (d-noamt adds 0) and 2,500 USD.
    assert data.forecast_period == "2026-11-15 to 2026-12-31"
    assert data.forecast_total is not None and data.forecast_total.count == 0
    assert data.forecast_undated is not None and data.forecast_undated.count == 8
    assert data.forecast_undated.total == {"EUR": Decimal("29934.56"), "USD": Decimal("2500")}
    assert data.stale == [] and data.stale_rule is not None  # no deal over 25,000
    assert data.alerts == [] and data.alerts_open == 0 and not data.missing
    funnels = {f.pipeline: dict(f.steps) for f in data.funnels}
    assert (
        funnels["Opportunity Pipeline"]["NEW_LEAD"] >= funnels["Opportunity Pipeline"]["CLOSED_WON"]
    )

    only = build_report(ctx, ReportRequest(pipeline="enterprise sales", months=3))
    assert [(p.month, p.won, p.lost) for p in only.win_rate] == [
        ("2026-09", 0, 0),
        ("2026-10", 1, 0),
        ("2026-11", 0, 0),
    ]
