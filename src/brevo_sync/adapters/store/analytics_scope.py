"""What the analytics queries share: which deals a request covers, in SQL (`AnalyticsScope`),
the connection they run on with its report settings, and small conversions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from brevo_sync.adapters.store.tables import LIVE, deals, stage_entry
from brevo_sync.domain.analytics_facts import AnalyticsScope

PLACE = sa.tuple_(deals.c.pipeline_id, deals.c.stage_id)
AMOUNT = sa.func.coalesce(sa.func.sum(deals.c.amount), 0)
CURRENCY = sa.func.upper(deals.c.currency)


def among(stages_: frozenset[tuple[str, str]]) -> sa.ColumnElement[bool]:
    """The deal is in one of `stages_` (false for a deal without a stage). The pair test is
    exact; the two column tests before it let SQLite search the (pipeline, stage) index
    instead of scanning it."""
    return sa.and_(
        deals.c.pipeline_id.in_(sorted({p for p, _ in stages_})),
        deals.c.stage_id.in_(sorted({s for _, s in stages_})),
        PLACE.in_(sorted(stages_)),
    )


def outside(
    stages_: frozenset[tuple[str, str]],
    pipeline: sa.ColumnElement[Any] = deals.c.pipeline_id,
    stage: sa.ColumnElement[Any] = deals.c.stage_id,
) -> sa.ColumnElement[bool]:
    """The deal (or history row) is in none of `stages_` (true without a stage: NOT IN would
    give NULL there)."""
    if not stages_:
        return sa.true()
    return sa.or_(
        pipeline.is_(None), stage.is_(None), sa.tuple_(pipeline, stage).not_in(sorted(stages_))
    )


def in_pipelines(pipeline_ids: frozenset[str] | None) -> list[sa.ColumnElement[bool]]:
    return [] if pipeline_ids is None else [deals.c.pipeline_id.in_(sorted(pipeline_ids))]


def scope_conditions(scope: AnalyticsScope) -> list[sa.ColumnElement[bool]]:
    """Which deals an analytics request covers (`AnalyticsScope`)."""
    conditions = [LIVE, *in_pipelines(scope.pipeline_ids)]
    period = scope.period
    if period is not None:
        closed = among(scope.closed_stages)
        entered = stage_entry()
        conditions.append(
            sa.or_(
                sa.and_(closed, entered >= period.start_at, entered < period.end_before),
                sa.and_(
                    outside(scope.closed_stages),
                    deals.c.created_at >= period.start_at,
                    deals.c.created_at < period.end_before,
                ),
            )
        )
    return conditions


def whole_mirror(scope: AnalyticsScope) -> bool:
    """Every live deal: no pipeline chosen, no period."""
    return scope.pipeline_ids is None and scope.period is None


def money(value: Any) -> Decimal:
    return Decimal(str(value or 0))


def month_of(key: str) -> date:
    """The first day of a `YYYY-MM` key."""
    year, month = key.split("-")
    return date(int(year), int(month), 1)


# PostgreSQL, for the transaction of a report only: sorts and hash aggregates over a million
# deals in memory (the default 4 MB spills them to disk), and no JIT compilation (the
# planner's estimates cross `jit_above_cost`, and compiling the long CASE expressions took
# 1.8 s of a 20,000-deal query, to save nothing).
PG_REPORT_SETTINGS = ("SET LOCAL work_mem = '64MB'", "SET LOCAL jit = off")
# SQLite: the sorter of a GROUP BY may use two helper threads (measured on 2 cores: a
# million-deal analytics 2.7 -> 2.4 s). A connection setting, not a transaction's; it stays
# on the pooled connection, where it only ever speeds up sorts that spill.
SQLITE_REPORT_SETTINGS = ("PRAGMA threads = 2",)
REPORT_SETTINGS = {"postgresql": PG_REPORT_SETTINGS, "sqlite": SQLITE_REPORT_SETTINGS}


class ReportSession:
    """The connection as these queries run on it (`REPORT_SETTINGS` first)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.dialect: str = conn.dialect.name
        self._settings = REPORT_SETTINGS.get(self.dialect, ())

    def execute(self, query: sa.Executable) -> Any:
        for setting in self._settings:
            self._conn.exec_driver_sql(setting)
        self._settings = ()
        return self._conn.execute(query)

    def scalar(self, query: sa.Executable) -> Any:
        return self.execute(query).scalar()
