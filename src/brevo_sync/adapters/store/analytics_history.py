"""Analytics read from stage history (`left_at`: when the deal left each stage): time in stage,
the stage lost deals left for Lost, and where deals stood when their close month began."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from brevo_sync.adapters.store.analytics_scope import (
    AMOUNT,
    CURRENCY,
    PLACE,
    ReportSession,
    in_pipelines,
    money,
    month_of,
    outside,
    scope_conditions,
    whole_mirror,
)
from brevo_sync.adapters.store.sql_time import json_text, millis_between, month_start_of, year_month
from brevo_sync.adapters.store.tables import LIVE, deals, stage_history
from brevo_sync.domain.analytics_facts import AnalyticsScope, LossGroup, MonthStartGroup, StageStays
from brevo_sync.domain.periods import day_start, next_month

MS_PER_DAY = 86_400_000


def stage_stays(conn: ReportSession, scope: AnalyticsScope) -> list[StageStays]:
    """Completed stays: history rows with a `left_at`, of the deals in scope. For the
    whole live mirror: every such row (one walk of ix_stage_history_stays, no join)
    less those of tombstoned deals, which holds because every history row is a mirrored
    deal's (a move is written with its deal; deals are tombstoned, never deleted).
    Counts and milliseconds are integers, so the difference is exact."""
    h = stage_history
    done = (h.c.left_at.is_not(None), h.c.pipeline_id.is_not(None))
    keys = (h.c.pipeline_id, h.c.to_stage_id)
    query = sa.select(
        *keys,
        sa.func.count(h.c.deal_id),
        sa.func.sum(millis_between(h.c.left_at, h.c.changed_at)),
    ).group_by(*keys)
    if whole_mirror(scope):
        every = query.where(*done)
        gone = sa.select(deals.c.id).where(deals.c.deleted_at.is_not(None))
        parts = [(every, 1), (every.where(h.c.deal_id.in_(gone)), -1)]
    else:
        # Deals first (as in `month_start_groups`): deals without a stay give a NULL group.
        on = sa.and_(h.c.deal_id == deals.c.id, *done)
        joined = deals.outerjoin(h, on) if conn.dialect == "sqlite" else deals.join(h, on)
        parts = [(query.select_from(joined).where(*scope_conditions(scope)), 1)]
    stays: dict[tuple[str, str], list[int]] = {}
    for part, sign in parts:
        for r in conn.execute(part):
            if r[0] is None:
                continue
            counted = stays.setdefault((r[0], r[1]), [0, 0])
            counted[0] += sign * int(r[2])
            counted[1] += sign * int(r[3] or 0)
    return [StageStays(p, s, n, Decimal(ms) / MS_PER_DAY) for (p, s), (n, ms) in stays.items() if n]


def losses(conn: ReportSession, scope: AnalyticsScope, reason_attribute: str) -> list[LossGroup]:
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
    rows = conn.execute(query).all()
    groups = [LossGroup(r[2], r[0], r[1], r[3], int(r[5]), money(r[6])) for r in rows if r[4]]
    if any(not r[4] for r in rows):
        apart = sa.select(1).select_from(h).where(last).exists()
        groups += _losses_apart(conn, [*lost, ~apart], reason)
    return groups


def _losses_apart(
    conn: ReportSession, where: list[sa.ColumnElement[bool]], reason: sa.ColumnElement[Any]
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
    return [LossGroup(r[2], r[0], r[1], r[3], int(r[4]), money(r[5])) for r in conn.execute(query)]


def month_start_groups(
    conn: ReportSession, scope: AnalyticsScope, months: Sequence[date]
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
    still_open = outside(scope.closed_stages, h.c.pipeline_id, h.c.to_stage_id)
    # On SQLite an outer join, so the deals are read first (it keeps the order of a LEFT
    # JOIN; without statistics it would walk the whole history and look each deal up); deals
    # with no history then are counted apart (`found`) and left out here. PostgreSQL 15
    # runs no outer join this way round in parallel: an inner join there.
    outer = conn.dialect == "sqlite"
    found = h.c.deal_id.is_not(None)
    keys = (year_month(deals.c.close_date), h.c.pipeline_id, h.c.to_stage_id, CURRENCY, found)
    query = (
        sa.select(*keys, sa.func.count(), AMOUNT)
        .select_from(deals.outerjoin(h, spans) if outer else deals.join(h, spans))
        .where(
            LIVE,
            *in_pipelines(scope.pipeline_ids),
            deals.c.close_date >= first,
            deals.c.close_date < end,
            still_open,
        )
        .group_by(*keys)
    )
    return [
        MonthStartGroup(month_of(r[0]), r[1], r[2], r[3], int(r[5]), money(r[6]))
        for r in conn.execute(query)
        if r[4]
    ]
