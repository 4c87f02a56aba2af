"""Alerts (the sweep and their acknowledgement), rule events and people, in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from brevo_sync.adapters.store.deal_store import ensure_deal_indexes
from brevo_sync.adapters.store.sweep_sql import raise_alerts, sweep_cache
from brevo_sync.adapters.store.tables import alerts, deals, people, rule_events
from brevo_sync.domain.reports import AlertView, Person
from brevo_sync.domain.rules.events import DomainEvent, event_payload
from brevo_sync.domain.rules.timing import TimeRules


def _insert(conn: Connection, table: sa.Table) -> Any:
    """An INSERT that can say ON CONFLICT, for the connection's dialect."""
    return (sqlite if conn.dialect.name == "sqlite" else postgresql).insert(table)


def alert_columns() -> tuple[sa.ColumnElement[Any], ...]:
    """An alert and what it is about (the deal may be gone from the mirror: outer join)."""
    return (
        *alerts.c,
        deals.c.name.label("deal_name"),
        deals.c.owner,
        deals.c.pipeline_id,
        deals.c.stage_id,
        deals.c.amount,
        deals.c.currency,
    )


def alert_from_row(row: Any) -> AlertView:
    return AlertView(
        id=row.id,
        deal_id=row.deal_id,
        rule=row.rule,
        action=row.action,
        anchor_at=row.anchor_at,
        due_at=row.due_at,
        raised_at=row.raised_at,
        acknowledged_at=row.acknowledged_at,
        deal_name=row.deal_name,
        owner=row.owner,
        pipeline_id=row.pipeline_id,
        stage_id=row.stage_id,
        amount=row.amount,
        currency=row.currency,
    )


ALERTS_WITH_DEALS = alerts.outerjoin(deals, deals.c.id == alerts.c.deal_id)


class SqlAlertRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def sweep(self, rules: TimeRules, now: datetime) -> dict[str, int]:
        if now.tzinfo is None:
            raise ValueError(f"the sweep needs an aware `now`, got {now!r}")
        with sweep_cache(self._conn):
            # A first pull that stopped early leaves the sweep's indexes unbuilt; sweeping
            # without them would be right but a hundred times slower.
            ensure_deal_indexes(self._conn)
            return raise_alerts(self._conn, rules, now)

    def acknowledge(self, alert_id: int, now: datetime) -> AlertView | None:
        self._conn.execute(
            sa.update(alerts)
            .where(alerts.c.id == alert_id, alerts.c.acknowledged_at.is_(None))
            .values(acknowledged_at=now)
        )
        row = self._conn.execute(
            sa.select(*alert_columns())
            .select_from(ALERTS_WITH_DEALS)
            .where(alerts.c.id == alert_id)
        ).first()
        return None if row is None else alert_from_row(row)


class SqlEventRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def record(self, events: Sequence[DomainEvent], *, origin: str, now: datetime) -> int:
        if not events:
            return 0
        rows = [
            {
                "key": e.key,
                "deal_id": getattr(e, "deal_id", None),
                "kind": type(e).__name__,
                "payload": event_payload(e),
                "origin": origin,
                "state": "pending",
                "decided_at": now,
            }
            for e in events
        ]
        statement = _insert(self._conn, rule_events).on_conflict_do_nothing(index_elements=["key"])
        result = self._conn.execute(statement, rows, execution_options={"preserve_rowcount": True})
        return max(result.rowcount, 0)

    def pending(self, limit: int | None = None) -> list[tuple[str, str, str | None]]:
        query = (
            sa.select(rule_events.c.key, rule_events.c.kind, rule_events.c.deal_id)
            .where(rule_events.c.state == "pending")
            .order_by(rule_events.c.id)
        )
        if limit is not None:
            query = query.limit(limit)
        return [(r.key, r.kind, r.deal_id) for r in self._conn.execute(query)]


def person_from_row(row: Any) -> Person:
    return Person(row.email, row.user_id, row.source, row.learned_at)


class SqlPeopleRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get(self, email: str) -> Person | None:
        row = self._conn.execute(
            sa.select(people).where(people.c.email == email.strip().lower())
        ).first()
        return None if row is None else person_from_row(row)

    def by_user_id(self, user_ids: Sequence[str]) -> dict[str, str]:
        if not user_ids:
            return {}
        # One e-mail per user id, the first: a person may be known under two addresses.
        rows = self._conn.execute(
            sa.select(people.c.user_id, sa.func.min(people.c.email).label("email"))
            .where(people.c.user_id.in_(sorted(set(user_ids))))
            .group_by(people.c.user_id)
        )
        return {r.user_id: r.email for r in rows}

    def all(self) -> list[Person]:
        rows = self._conn.execute(sa.select(people).order_by(people.c.email))
        return [person_from_row(r) for r in rows]

    def put(self, person: Person) -> None:
        values = {
            "email": person.email.strip().lower(),
            "user_id": person.user_id,
            "source": person.source,
            "learned_at": person.learned_at,
        }
        statement = _insert(self._conn, people).values(**values)
        updates = {k: v for k, v in values.items() if k != "email"}
        self._conn.execute(statement.on_conflict_do_update(index_elements=["email"], set_=updates))
