"""The read side of the mirror in SQL: status, deal lists, alerts, stale deals. Reads only.

Queries go straight to the tables (no domain objects in between): these are reports, and the
mirror's typed columns exist so that they can be answered in SQL.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from brevo_sync.adapters.store.event_store import ALERTS_WITH_DEALS, alert_columns, alert_from_row
from brevo_sync.adapters.store.state_store import budget_from_row, run_from_row, state_from_row
from brevo_sync.adapters.store.sweep_sql import open_deal, stale_conditions
from brevo_sync.adapters.store.tables import (
    alerts,
    deals,
    last_update,
    people,
    pipelines,
    quarantine,
    rule_events,
    runs,
    stages,
    sync_state,
)
from brevo_sync.domain.reports import AlertQuery, AlertView, DealQuery, DealRow, MirrorStatus
from brevo_sync.domain.rules.timing import StaleRule

SORT_COLUMNS: dict[str, sa.ColumnElement[Any]] = {
    "id": deals.c.id,
    "name": deals.c.name,
    "amount": deals.c.amount,
    "owner": deals.c.owner,
    "stage": deals.c.stage_id,
    "pipeline": deals.c.pipeline_id,
    "created": deals.c.created_at,
    "updated": deals.c.updated_at,
    "close": deals.c.close_date,
}
_ONE_DAY = timedelta(days=1)
_ONE_HOUR = timedelta(hours=1)


def _day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _count(conn: Connection, table: sa.Table, *where: sa.ColumnElement[bool]) -> int:
    return int(conn.scalar(sa.select(sa.func.count()).select_from(table).where(*where)) or 0)


# One e-mail per Brevo user id (two addresses of one person must not list a deal twice).
OWNER_EMAILS = (
    sa.select(people.c.user_id, sa.func.min(people.c.email).label("email"))
    .where(people.c.user_id.is_not(None))
    .group_by(people.c.user_id)
    .subquery("owner_emails")
)
# Deals with their stage, pipeline and owner names: every deal row a report shows.
DEALS_NAMED = (
    deals.outerjoin(
        stages,
        sa.and_(stages.c.id == deals.c.stage_id, stages.c.pipeline_id == deals.c.pipeline_id),
    )
    .outerjoin(pipelines, pipelines.c.id == deals.c.pipeline_id)
    .outerjoin(OWNER_EMAILS, OWNER_EMAILS.c.user_id == deals.c.owner)
)
NAMED_COLUMNS = (
    *deals.c,
    stages.c.name.label("stage_name"),
    pipelines.c.name.label("pipeline_name"),
    OWNER_EMAILS.c.email.label("owner_email"),
)


def deal_conditions(q: DealQuery, *, with_amounts: bool = True) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if not q.include_deleted:
        conditions.append(deals.c.deleted_at.is_(None))
    if q.pipeline_ids is not None:
        conditions.append(deals.c.pipeline_id.in_(sorted(q.pipeline_ids)))
    if q.stage_keys is not None:
        conditions.append(
            sa.tuple_(deals.c.pipeline_id, deals.c.stage_id).in_(sorted(q.stage_keys))
        )
    if q.owner_ids is not None:
        conditions.append(deals.c.owner.in_(sorted(q.owner_ids)))
    if q.currency is not None:
        same = sa.func.upper(deals.c.currency) == q.currency.upper()
        # A deal without a currency is in the rules' default one (DealQuery.currency_default).
        conditions.append(sa.or_(same, deals.c.currency.is_(None)) if q.currency_default else same)
    if with_amounts and q.min_amount is not None:
        conditions.append(deals.c.amount >= q.min_amount)
    if with_amounts and q.max_amount is not None:
        conditions.append(deals.c.amount <= q.max_amount)
    if q.created_from:
        conditions.append(deals.c.created_at >= _day_start(q.created_from))
    if q.created_to:  # inclusive of the whole day
        conditions.append(deals.c.created_at < _day_start(q.created_to) + _ONE_DAY)
    if q.close_from:
        conditions.append(deals.c.close_date >= q.close_from)
    if q.close_to:
        conditions.append(deals.c.close_date <= q.close_to)
    return conditions


class SqlMirrorQueries:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def find_deals(self, q: DealQuery) -> list[DealRow]:
        key = q.sort.lstrip("-")
        column = SORT_COLUMNS[key]
        order = column.desc() if q.sort.startswith("-") else column.asc()
        query = (
            sa.select(*NAMED_COLUMNS)
            .select_from(DEALS_NAMED)
            .where(*deal_conditions(q))
            .order_by(order.nulls_last(), deals.c.id)
        )
        if q.limit is not None:
            query = query.limit(q.limit)
        return [dict(row._mapping) for row in self._conn.execute(query)]

    def currencies(self, q: DealQuery) -> set[str | None]:
        query = sa.select(sa.func.upper(deals.c.currency)).distinct()
        query = query.where(*deal_conditions(q, with_amounts=False))
        return set(self._conn.execute(query).scalars())

    def owner_ids(self) -> set[str]:
        query = sa.select(deals.c.owner).distinct().where(deals.c.owner.is_not(None))
        return set(self._conn.execute(query).scalars())

    def alerts(self, q: AlertQuery) -> list[AlertView]:
        # Alerts about deals since deleted in Brevo (tombstones) are not listed.
        query = (
            sa.select(*alert_columns())
            .select_from(ALERTS_WITH_DEALS)
            .where(deals.c.deleted_at.is_(None))
        )
        if q.rules:
            # A prefix compared with substr, not LIKE: LIKE ignores case on SQLite only, and
            # the "_" of every rule key (stage_max_days) would match any character.
            query = query.where(
                sa.or_(
                    *(
                        sa.or_(
                            alerts.c.rule == r,
                            sa.func.substr(alerts.c.rule, 1, len(r) + 1) == f"{r}:",
                        )
                        for r in q.rules
                    )
                )
            )
        if q.owner_ids is not None:
            query = query.where(deals.c.owner.in_(sorted(q.owner_ids)))
        if q.deal_ids is not None:
            query = query.where(alerts.c.deal_id.in_(sorted(q.deal_ids)))
        if q.open_only:
            query = query.where(alerts.c.acknowledged_at.is_(None))
        query = query.order_by(alerts.c.raised_at.desc(), alerts.c.id.desc())
        if q.limit is not None:
            query = query.limit(q.limit)
        return [alert_from_row(row) for row in self._conn.execute(query)]

    def stale(
        self, rule: StaleRule, closed_stage_ids: frozenset[str], now: datetime
    ) -> list[DealRow]:
        cutoff = now - timedelta(days=rule.days_without_update)
        query = (
            sa.select(*NAMED_COLUMNS)
            .select_from(DEALS_NAMED)
            .where(open_deal(closed_stage_ids), *stale_conditions(rule), last_update() <= cutoff)
            .order_by(deals.c.amount.desc(), deals.c.id)
        )
        return [dict(row._mapping) for row in self._conn.execute(query)]

    def status(self, now: datetime) -> MirrorStatus:
        conn = self._conn
        state_row = conn.execute(sa.select(sync_state).where(sync_state.c.resource == "deals"))
        row = state_row.first()
        state = state_from_row(row)
        last = conn.execute(
            sa.select(runs).where(runs.c.outcome != "running").order_by(runs.c.id.desc()).limit(1)
        ).first()
        spent = conn.scalar(sa.select(sa.func.coalesce(sa.func.sum(runs.c.requests_total), 0)))
        since = now - _ONE_HOUR
        recent = conn.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(runs.c.requests_total), 0)).where(
                sa.func.coalesce(runs.c.finished_at, runs.c.started_at) >= since
            )
        )
        return MirrorStatus(
            deals=_count(conn, deals, deals.c.deleted_at.is_(None)),
            tombstones=_count(conn, deals, deals.c.deleted_at.is_not(None)),
            quarantined=_count(conn, quarantine),
            pipelines=_count(conn, pipelines),
            cursor=state.cursor,
            last_success_at=state.last_success_at,
            last_full_at=state.last_full_at,
            unfinished_run=state.run,
            last_run=run_from_row(last) if last is not None else None,
            requests_total=int(spent or 0),
            requests_last_hour=int(recent or 0),
            budget=budget_from_row(row),
            paging=state.paging,
            alerts_open=int(
                conn.scalar(
                    sa.select(sa.func.count())
                    .select_from(ALERTS_WITH_DEALS)
                    .where(alerts.c.acknowledged_at.is_(None), deals.c.deleted_at.is_(None))
                )
                or 0
            ),
            events_pending=_count(conn, rule_events, rule_events.c.state == "pending"),
            people=_count(conn, people),
        )
