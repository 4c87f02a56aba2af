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
    json_text,
    millis_between,
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

MS_PER_DAY = 86_400_000

LOYALTY_EVENT = "LoyaltyPointsAwarded"
PLACE = sa.tuple_(deals.c.pipeline_id, deals.c.stage_id)
AMOUNT = sa.func.coalesce(sa.func.sum(deals.c.amount), 0)
CURRENCY = sa.func.upper(deals.c.currency)


def _among(stages_: frozenset[tuple[str, str]]) -> sa.ColumnElement[bool]:
    """The deal is in one of `stages_` (false for a deal without a stage). The pair test is
    exact; the two column tests before it let SQLite search the (pipeline, stage) index
    instead of scanning it."""
    return sa.and_(
        deals.c.pipeline_id.in_(sorted({p for p, _ in stages_})),
        deals.c.stage_id.in_(sorted({s for _, s in stages_})),
        PLACE.in_(sorted(stages_)),
    )


def _outside(
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


def _whole_mirror(scope: AnalyticsScope) -> bool:
    """Every live deal: no pipeline chosen, no period."""
    return scope.pipeline_ids is None and scope.period is None


def _money(value: Any) -> Decimal:
    return Decimal(str(value or 0))


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


class _Session:
    """The connection as these queries run on it (`REPORT_SETTINGS` first)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._settings = REPORT_SETTINGS.get(conn.dialect.name, ())

    def execute(self, query: sa.Executable) -> Any:
        for setting in self._settings:
            self._conn.exec_driver_sql(setting)
        self._settings = ()
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
        """Two GROUP BYs in the order of ix_deals_by_stage, which SQLite streams off the index
        instead of sorting a million rows: every deal in scope, then the sales cycles of the
        won ones (a range of the index; computed for those rows only). Currency codes are
        upper-cased here, after."""
        keys = (deals.c.pipeline_id, deals.c.stage_id, deals.c.owner, deals.c.currency)
        where = scope_conditions(scope)
        counted = sa.select(*keys, sa.func.count(), AMOUNT).where(*where).group_by(*keys)
        days = whole_days(stage_entry(), deals.c.created_at)
        cycles = (
            sa.select(*keys, sa.func.sum(days), sa.func.count())
            .where(*where, _among(scope.won_stages), deals.c.created_at.is_not(None))
            .group_by(*keys)
        )
        groups: dict[tuple[Any, ...], list[Any]] = {}

        def group(r: Any) -> list[Any]:
            key = (r[0], r[1], r[2], None if r[3] is None else r[3].upper())
            return groups.setdefault(key, [0, Decimal(0), 0, 0])

        for r in self._conn.execute(counted):
            g = group(r)
            g[0], g[1] = g[0] + int(r[4]), g[1] + _money(r[5])
        if scope.won_stages:
            for r in self._conn.execute(cycles):
                g = group(r)
                g[2], g[3] = g[2] + int(r[4] or 0), g[3] + int(r[5])
        return [DealGroup(*k, *g) for k, g in groups.items()]

    def stage_stays(self, scope: AnalyticsScope) -> list[StageStays]:
        """Completed stays: history rows with a `left_at`, of the deals in scope. For the
        whole live mirror: every such row (one walk of ix_stage_history_stays, no join)
        less those of tombstoned deals, which holds because every history row is a mirrored
        deal's (a move is written with its deal; deals are tombstoned, never deleted).
        Counts and milliseconds are integers, so the difference is exact."""
        h = stage_history
        keys = (h.c.pipeline_id, h.c.to_stage_id)
        query = (
            sa.select(
                *keys, sa.func.count(), sa.func.sum(millis_between(h.c.left_at, h.c.changed_at))
            )
            .where(h.c.left_at.is_not(None), h.c.pipeline_id.is_not(None))
            .group_by(*keys)
        )
        stays: dict[tuple[str, str], list[int]] = {}
        if _whole_mirror(scope):
            gone = sa.select(deals.c.id).where(deals.c.deleted_at.is_not(None))
            parts = [(query, 1), (query.where(h.c.deal_id.in_(gone)), -1)]
        else:
            joined = query.select_from(h.join(deals, deals.c.id == h.c.deal_id))
            parts = [(joined.where(*scope_conditions(scope)), 1)]
        for part, sign in parts:
            for r in self._conn.execute(part):
                counted = stays.setdefault((r[0], r[1]), [0, 0])
                counted[0] += sign * int(r[2])
                counted[1] += sign * int(r[3] or 0)
        return [
            StageStays(p, s, n, Decimal(ms) / MS_PER_DAY) for (p, s), (n, ms) in stays.items() if n
        ]

    def losses(self, scope: AnalyticsScope, reason_attribute: str) -> list[LossGroup]:
        """The stage a lost deal left for Lost: the `from` of its latest move into the stage
        it is in. Nearly always that is its last history row (no `left_at`), going there: one
        join. The deals for which it is not (no history, or history and deal disagree) are
        counted apart and, when there are any, looked up move by move (`_losses_apart`): a
        correlated subquery in the main query would keep PostgreSQL from aggregating in its
        parallel workers."""
        h = stage_history
        lost = [*scope_conditions(scope), PLACE.in_(sorted(scope.lost_stages))]
        last = sa.and_(
            h.c.deal_id == deals.c.id,
            h.c.left_at.is_(None),
            h.c.to_stage_id == deals.c.stage_id,
            h.c.to_stage_id.in_(sorted({s for _, s in scope.lost_stages})),
        )
        reason = json_text(deals.c.attributes, reason_attribute)
        # Keys led by the reason, and the lost deals found by the pair test alone: SQLite then
        # reads the deals in table order (deal rows and their history rows near each other)
        # rather than by ix_deals_by_stage, which would visit them at random.
        found = h.c.deal_id.is_not(None)
        keys = (reason, h.c.from_stage_id, deals.c.pipeline_id, CURRENCY, found)
        query = (
            sa.select(*keys, sa.func.count(), AMOUNT)
            .select_from(deals.outerjoin(h, last))
            .where(*lost)
            .group_by(*keys)
        )
        rows = self._conn.execute(query).all()
        groups = [LossGroup(r[2], r[0], r[1], r[3], int(r[5]), _money(r[6])) for r in rows if r[4]]
        if any(not r[4] for r in rows):
            apart = sa.select(1).select_from(h).where(last).exists()
            groups += self._losses_apart([*lost, ~apart], reason)
        return groups

    def _losses_apart(
        self, where: list[sa.ColumnElement[bool]], reason: sa.ColumnElement[Any]
    ) -> list[LossGroup]:
        x = stage_history.alias("x")
        latest_into = (
            sa.select(x.c.from_stage_id)
            .where(x.c.deal_id == deals.c.id, x.c.to_stage_id == deals.c.stage_id)
            .order_by(x.c.changed_at.desc(), x.c.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        keys = (reason, latest_into, deals.c.pipeline_id, CURRENCY)
        query = sa.select(*keys, sa.func.count(), AMOUNT).where(*where).group_by(*keys)
        return [
            LossGroup(r[2], r[0], r[1], r[3], int(r[4]), _money(r[5]))
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
        first, end = min(months), next_month(max(months))
        began = month_start_of(deals.c.close_date)
        # The history row whose stay spans the month's start: where the deal stood then. The
        # bounds on the history alone let a hash join skip rows outside every month.
        spans = sa.and_(
            h.c.deal_id == deals.c.id,
            h.c.changed_at < began,
            sa.or_(h.c.left_at.is_(None), h.c.left_at >= began),
            h.c.changed_at < day_start(max(months)),
            sa.or_(h.c.left_at.is_(None), h.c.left_at >= day_start(first)),
        )
        still_open = _outside(scope.closed_stages, h.c.pipeline_id, h.c.to_stage_id)
        keys = (year_month(deals.c.close_date), h.c.pipeline_id, h.c.to_stage_id, CURRENCY)
        query = (
            sa.select(*keys, sa.func.count(), AMOUNT)
            .select_from(deals.join(h, spans))
            .where(
                LIVE,
                *_pipelines(scope.pipeline_ids),
                deals.c.close_date >= first,
                deals.c.close_date < end,
                still_open,
            )
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


def _month(key: str) -> date:
    year, month = key.split("-")
    return date(int(year), int(month), 1)
