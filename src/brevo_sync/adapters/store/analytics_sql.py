"""Forecast and analytics in SQL: every question is one GROUP BY (or two) over the mirror, so
a million deals come back as a few hundred groups (`domain.forecast`, `domain.analytics_facts`
say what each group means; `domain` weighs and rolls them up). Deals here; what stage history
answers in `analytics_history`; the scope and report settings in `analytics_scope`.

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

from brevo_sync.adapters.store import analytics_history as history
from brevo_sync.adapters.store.analytics_scope import (
    AMOUNT,
    CURRENCY,
    ReportSession,
    among,
    in_pipelines,
    money,
    month_of,
    outside,
    scope_conditions,
)
from brevo_sync.adapters.store.sql_time import json_text, whole_days, year_month
from brevo_sync.adapters.store.tables import LIVE, deals, rule_events, stage_entry
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


class SqlAnalyticsQueries:
    def __init__(self, conn: Connection) -> None:
        self._conn = ReportSession(conn)

    def stage_stays(self, scope: AnalyticsScope) -> list[StageStays]:
        return history.stage_stays(self._conn, scope)

    def losses(self, scope: AnalyticsScope, reason_attribute: str) -> list[LossGroup]:
        return history.losses(self._conn, scope, reason_attribute)

    def month_start_groups(
        self, scope: AnalyticsScope, months: Sequence[date]
    ) -> list[MonthStartGroup]:
        return history.month_start_groups(self._conn, scope, months)

    def forecast_groups(self, scope: ForecastScope) -> list[ForecastGroup]:
        attrs = deals.c.attributes
        override = sa.case(
            (
                json_text(attrs, scope.probability_stage_attribute) == deals.c.stage_id,
                json_text(attrs, scope.probability_attribute),
            )
        )
        month = year_month(deals.c.close_date)
        # Led by the month, not the stage: SQLite then reads the table in its order, not by
        # ix_deals_by_stage, whose order no key here can use and which visits rows at random
        # (on a million deals 0.4 s against 1.3 s).
        keys = (month, deals.c.pipeline_id, deals.c.stage_id, deals.c.owner, CURRENCY, override)
        period = scope.period
        query = (
            sa.select(*keys, sa.func.count(), AMOUNT)
            .where(
                LIVE,
                *in_pipelines(scope.pipeline_ids),
                outside(scope.lost_stages),
                sa.or_(
                    deals.c.close_date.is_(None),
                    sa.and_(deals.c.close_date >= period.start, deals.c.close_date <= period.end),
                ),
            )
            .group_by(*keys)
        )
        return [
            ForecastGroup(r[1], r[2], r[3], r[4], r[0], r[5], int(r[6]), money(r[7]))
            for r in self._conn.execute(query)
        ]

    def deal_groups(self, scope: AnalyticsScope) -> list[DealGroup]:
        """Two GROUP BYs in the order of ix_deals_by_stage, which SQLite streams off the index
        instead of sorting a million rows: every deal in scope, then the sales cycles of the
        won ones (a range of the index; computed for those rows only). Grouped by the
        currency as stored, upper-cased (by the database, as everywhere) in the output and the
        groups that then coincide added up here."""
        keys = (deals.c.pipeline_id, deals.c.stage_id, deals.c.owner, deals.c.currency)
        where = scope_conditions(scope)
        shown = (deals.c.pipeline_id, deals.c.stage_id, deals.c.owner, CURRENCY)
        counted = sa.select(*shown, sa.func.count(), AMOUNT).where(*where).group_by(*keys)
        days = whole_days(stage_entry(), deals.c.created_at)
        cycles = (
            sa.select(*shown, sa.func.sum(days), sa.func.count())
            .where(*where, among(scope.won_stages), deals.c.created_at.is_not(None))
            .group_by(*keys)
        )
        groups: dict[tuple[Any, ...], list[Any]] = {}

        def group(r: Any) -> list[Any]:
            return groups.setdefault((r[0], r[1], r[2], r[3]), [0, Decimal(0), 0, 0])

        for r in self._conn.execute(counted):
            g = group(r)
            g[0], g[1] = g[0] + int(r[4]), g[1] + money(r[5])
        if scope.won_stages:
            for r in self._conn.execute(cycles):
                g = group(r)
                g[2], g[3] = g[2] + int(r[4] or 0), g[3] + int(r[5])
        return [DealGroup(*k, *g) for k, g in groups.items()]

    def loyalty_points(self, scope: AnalyticsScope) -> int:
        """From the rules' recorded decisions (`rule_events`), until a ledger holds them."""
        points = rule_events.c.payload["points"].as_integer()
        query = (
            sa.select(sa.func.coalesce(sa.func.sum(points), 0))
            .select_from(rule_events.join(deals, deals.c.id == rule_events.c.deal_id))
            .where(rule_events.c.kind == LOYALTY_EVENT, *scope_conditions(scope))
        )
        return int(self._conn.scalar(query) or 0)

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
                *in_pipelines(scope.pipeline_ids),
                among(scope.won_stages),
                entered >= day_start(start),
                entered < day_start(end),
            )
            .group_by(*keys)
        )
        return [
            WonGroup(month_of(r[0]), r[1], int(r[2]), money(r[3]))
            for r in self._conn.execute(query)
        ]
