"""Forecast and analytics in SQL: every question is one GROUP BY over the mirror, so a
million deals come back as a few hundred groups (`domain.forecast`, `domain.analytics_facts`
say what each group means; `domain` weighs and rolls them up).

Stage ids repeat across pipelines, so stages are always (pipeline id, stage id) pairs. A
deal's "closing time" is when it entered its stage (`stage_entry`: Brevo's
`stage_updated_at`, else its creation), as the time rules read it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from brevo_sync.adapters.store.sql_time import (
    days_between,
    json_text,
    month_start_of,
    whole_days,
    year_month,
)
from brevo_sync.adapters.store.tables import (
    LIVE,
    deals,
    rule_events,
    stage_entry,
    stage_history,
)
from brevo_sync.domain.analytics_facts import (
    AnalyticsScope,
    DealGroup,
    LossGroup,
    MonthStartGroup,
    StageStays,
    WonGroup,
)
from brevo_sync.domain.forecast import ForecastGroup, ForecastScope
from brevo_sync.domain.periods import day_start, next_month

LOYALTY_EVENT = "LoyaltyPointsAwarded"
PLACE = sa.tuple_(deals.c.pipeline_id, deals.c.stage_id)
AMOUNT = sa.func.coalesce(sa.func.sum(deals.c.amount), 0)
CURRENCY = sa.func.upper(deals.c.currency)


def _among(stages_: frozenset[tuple[str, str]]) -> sa.ColumnElement[bool]:
    """The deal is in one of `stages_` (false for a deal without a stage)."""
    return PLACE.in_(sorted(stages_))


def _outside(stages_: frozenset[tuple[str, str]]) -> sa.ColumnElement[bool]:
    """The deal is in none of `stages_` (true for a deal without a stage: NOT IN would give
    NULL there)."""
    if not stages_:
        return sa.true()
    return sa.or_(
        deals.c.pipeline_id.is_(None), deals.c.stage_id.is_(None), PLACE.not_in(sorted(stages_))
    )


def _pipelines(pipeline_ids: frozenset[str] | None) -> list[sa.ColumnElement[bool]]:
    return [] if pipeline_ids is None else [deals.c.pipeline_id.in_(sorted(pipeline_ids))]


def scope_conditions(scope: AnalyticsScope) -> list[sa.ColumnElement[bool]]:
    """Which deals an analytics request covers (`AnalyticsScope`)."""
    conditions = [LIVE, *_pipelines(scope.pipeline_ids)]
    period = scope.period
    if period is not None:
        closed = _among(scope.closed_stages)
        entered = stage_entry()
        conditions.append(
            sa.or_(
                sa.and_(closed, entered >= period.start_at, entered < period.end_before),
                sa.and_(
                    _outside(scope.closed_stages),
                    deals.c.created_at >= period.start_at,
                    deals.c.created_at < period.end_before,
                ),
            )
        )
    return conditions


def _money(value: Any) -> Decimal:
    return Decimal(str(value or 0))


# PostgreSQL, for the transaction of a report only: sorts and hash aggregates over a million
# deals in memory (the default 4 MB spills them to disk), and no JIT compilation (the
# planner's estimates cross `jit_above_cost`, and compiling the long CASE expressions took
# 1.8 s of a 20,000-deal query, to save nothing).
PG_REPORT_SETTINGS = ("SET LOCAL work_mem = '64MB'", "SET LOCAL jit = off")


class _Session:
    """The connection as these queries run on it (`PG_REPORT_SETTINGS` first)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._ready = conn.dialect.name != "postgresql"

    def execute(self, query: sa.Executable) -> Any:
        if not self._ready:
            for setting in PG_REPORT_SETTINGS:
                self._conn.exec_driver_sql(setting)
            self._ready = True
        return self._conn.execute(query)

    def scalar(self, query: sa.Executable) -> Any:
        return self.execute(query).scalar()


class SqlAnalyticsQueries:
    def __init__(self, conn: Connection) -> None:
        self._conn = _Session(conn)

    def forecast_groups(self, scope: ForecastScope) -> list[ForecastGroup]:
        attrs = deals.c.attributes
        override = sa.case(
            (
                json_text(attrs, scope.probability_stage_attribute) == deals.c.stage_id,
                json_text(attrs, scope.probability_attribute),
            )
        )
        month = year_month(deals.c.close_date)
        keys = (deals.c.pipeline_id, deals.c.stage_id, deals.c.owner, CURRENCY, month, override)
        period = scope.period
        query = (
            sa.select(*keys, sa.func.count(), AMOUNT)
            .where(
                LIVE,
                *_pipelines(scope.pipeline_ids),
                _outside(scope.lost_stages),
                sa.or_(
                    deals.c.close_date.is_(None),
                    sa.and_(deals.c.close_date >= period.start, deals.c.close_date <= period.end),
                ),
            )
            .group_by(*keys)
        )
        return [
            ForecastGroup(r[0], r[1], r[2], r[3], r[4], r[5], int(r[6]), _money(r[7]))
            for r in self._conn.execute(query)
        ]

    def deal_groups(self, scope: AnalyticsScope) -> list[DealGroup]:
        won = sa.and_(_among(scope.won_stages), deals.c.created_at.is_not(None))
        cycle = sa.case((won, whole_days(stage_entry(), deals.c.created_at)))
        keys = (deals.c.pipeline_id, deals.c.stage_id, deals.c.owner, CURRENCY)
        query = (
            sa.select(
                *keys,
                sa.func.count(),
                AMOUNT,
                sa.func.coalesce(sa.func.sum(cycle), 0),
                sa.func.count(cycle),
            )
            .where(*scope_conditions(scope))
            .group_by(*keys)
        )
        return [
            DealGroup(r[0], r[1], r[2], r[3], int(r[4]), _money(r[5]), int(r[6]), int(r[7]))
            for r in self._conn.execute(query)
        ]

    def stage_stays(self, scope: AnalyticsScope) -> list[StageStays]:
        h = stage_history
        left_at = sa.func.lead(h.c.changed_at).over(
            partition_by=h.c.deal_id, order_by=(h.c.changed_at, h.c.id)
        )
        stays = (
            sa.select(
                h.c.pipeline_id.label("pipeline_id"),
                h.c.to_stage_id.label("stage_id"),
                h.c.changed_at.label("entered_at"),
                left_at.label("left_at"),
            )
            .where(h.c.deal_id.in_(sa.select(deals.c.id).where(*scope_conditions(scope))))
            .subquery("stays")
        )
        keys = (stays.c.pipeline_id, stays.c.stage_id)
        query = (
            sa.select(
                *keys,
                sa.func.count(),
                sa.func.sum(days_between(stays.c.left_at, stays.c.entered_at)),
            )
            .where(stays.c.left_at.is_not(None), stays.c.pipeline_id.is_not(None))
            .group_by(*keys)
        )
        return [
            StageStays(r[0], r[1], int(r[2]), Decimal(str(r[3] or 0)))
            for r in self._conn.execute(query)
        ]

    def losses(self, scope: AnalyticsScope, reason_attribute: str) -> list[LossGroup]:
        h = stage_history
        lost = (
            sa.select(
                deals.c.id,
                deals.c.stage_id,
                deals.c.pipeline_id,
                json_text(deals.c.attributes, reason_attribute).label("reason"),
                CURRENCY.label("currency"),
                deals.c.amount,
            )
            .where(*scope_conditions(scope), _among(scope.lost_stages))
            .subquery("lost")
        )
        # The latest move into the Lost stage says which stage the deal left for it.
        latest = _latest_first(h)
        moves = (
            sa.select(h.c.deal_id, h.c.from_stage_id, latest)
            .select_from(h.join(lost, sa.and_(lost.c.id == h.c.deal_id,
                                              h.c.to_stage_id == lost.c.stage_id)))
            .subquery("moves")
        )  # fmt: skip
        keys = (lost.c.pipeline_id, lost.c.reason, moves.c.from_stage_id, lost.c.currency)
        query = (
            sa.select(*keys, sa.func.count(), sa.func.coalesce(sa.func.sum(lost.c.amount), 0))
            .select_from(
                lost.outerjoin(moves, sa.and_(moves.c.deal_id == lost.c.id, moves.c.rank == 1))
            )
            .group_by(*keys)
        )
        return [
            LossGroup(r[0], r[1], r[2], r[3], int(r[4]), _money(r[5]))
            for r in self._conn.execute(query)
        ]

    def loyalty_points(self, scope: AnalyticsScope) -> int:
        """From the rules' recorded decisions (`rule_events`), until a ledger holds them."""
        points = rule_events.c.payload["points"].as_integer()
        query = (
            sa.select(sa.func.coalesce(sa.func.sum(points), 0))
            .select_from(rule_events.join(deals, deals.c.id == rule_events.c.deal_id))
            .where(rule_events.c.kind == LOYALTY_EVENT, *scope_conditions(scope))
        )
        return int(self._conn.scalar(query) or 0)

    def month_start_groups(
        self, scope: AnalyticsScope, months: Sequence[date]
    ) -> list[MonthStartGroup]:
        if not months:
            return []
        h = stage_history
        closing = (
            sa.select(
                deals.c.id,
                year_month(deals.c.close_date).label("month"),
                month_start_of(deals.c.close_date).label("began"),
                CURRENCY.label("currency"),
                deals.c.amount,
            )
            .where(
                LIVE,
                *_pipelines(scope.pipeline_ids),
                deals.c.close_date >= min(months),
                deals.c.close_date < next_month(max(months)),
            )
            .subquery("closing")
        )
        # Each deal's latest move before its close month began: where it stood then.
        then = (
            sa.select(
                closing.c.month, h.c.pipeline_id, h.c.to_stage_id, closing.c.currency,
                closing.c.amount, _latest_first(h),
            )
            .select_from(h.join(closing, sa.and_(h.c.deal_id == closing.c.id,
                                                 h.c.changed_at < closing.c.began)))
            .subquery("then")
        )  # fmt: skip
        keys = (then.c.month, then.c.pipeline_id, then.c.to_stage_id, then.c.currency)
        query = (
            sa.select(*keys, sa.func.count(), sa.func.coalesce(sa.func.sum(then.c.amount), 0))
            .where(then.c.rank == 1)
            .group_by(*keys)
        )
        return [
            MonthStartGroup(_month(r[0]), r[1], r[2], r[3], int(r[4]), _money(r[5]))
            for r in self._conn.execute(query)
        ]

    def won_groups(self, scope: AnalyticsScope, months: Sequence[date]) -> list[WonGroup]:
        if not months or not scope.won_stages:
            return []
        entered = stage_entry()
        month = year_month(entered)
        keys = (month, CURRENCY)
        start, end = min(months), next_month(max(months))
        query = (
            sa.select(*keys, sa.func.count(), AMOUNT)
            .where(
                LIVE,
                *_pipelines(scope.pipeline_ids),
                _among(scope.won_stages),
                entered >= day_start(start),
                entered < day_start(end),
            )
            .group_by(*keys)
        )
        return [
            WonGroup(_month(r[0]), r[1], int(r[2]), _money(r[3])) for r in self._conn.execute(query)
        ]


def _latest_first(h: sa.Table) -> sa.Label[int]:
    """1 for a deal's latest history row (of those selected), 2 for the one before, ..."""
    order = (h.c.changed_at.desc(), h.c.id.desc())
    return sa.func.row_number().over(partition_by=h.c.deal_id, order_by=order).label("rank")


def _month(key: str) -> date:
    year, month = key.split("-")
    return date(int(year), int(month), 1)
