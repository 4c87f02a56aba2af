"""Orders and subscriptions received, in SQL (`orders`; see domain/order_intake.py).

Exactly once is the database's job: an order is inserted with ON CONFLICT DO NOTHING on its
(shop, id) key, so of two transactions recording the same order at the same moment one
inserts and the other, once the first commits, inserts nothing and learns it (rowcount 0).
A renewal is claimed by a conditional UPDATE (waiting -> deal) the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from brevo_sync.adapters.store.deal_store import deal_from_row
from brevo_sync.adapters.store.insert_new import insert_new
from brevo_sync.adapters.store.tables import deals, orders
from brevo_sync.domain.deal import Deal
from brevo_sync.domain.order_intake import OrderRecord, short_source
from brevo_sync.domain.rules.protection import customer_keys

# Keys per customer query: each is one LIKE or IN term of a single scan of the deals.
KEYS_PER_QUERY = 200


_COLUMNS = (
    "shop",
    "order_id",
    "kind",
    "payload",
    "source",
    "received_at",
    "decision",
    "reason",
    "deal_key",
    "expires_at",
    "renewal_due_at",
)
_INSERT = insert_new(orders, _COLUMNS, key=("shop", "order_id"))  # built once


def _values(record: OrderRecord) -> dict[str, Any]:
    source = short_source(record.source)
    return {
        "shop": record.shop,
        "order_id": record.order_id,
        "kind": record.kind,
        "payload": record.payload,
        "source": source,
        "received_at": record.received_at,
        "decision": record.decision,
        "reason": record.reason,
        "deal_key": record.deal_key,
        "expires_at": record.expires_at,
        "renewal_due_at": record.renewal_due_at,
    }


def record_of(row: Any) -> OrderRecord:
    return OrderRecord(
        shop=row.shop,
        order_id=row.order_id,
        kind=row.kind,
        payload=dict(row.payload),
        source=row.source,
        received_at=row.received_at,
        decision=row.decision,
        reason=row.reason,
        deal_key=row.deal_key,
        expires_at=row.expires_at,
        renewal_due_at=row.renewal_due_at,
    )


def _waiting() -> sa.ColumnElement[bool]:
    return sa.and_(orders.c.kind == "subscription", orders.c.decision == "waiting")


class SqlOrderRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def insert_if_new(self, record: OrderRecord) -> bool:
        result = self._conn.execute(
            _INSERT, _values(record), execution_options={"preserve_rowcount": True}
        )
        return result.rowcount == 1

    def get(self, shop: str, order_id: str) -> OrderRecord | None:
        row = self._conn.execute(
            sa.select(orders).where(orders.c.shop == shop, orders.c.order_id == order_id)
        ).first()
        return None if row is None else record_of(row)

    def extend_subscription(self, record: OrderRecord) -> bool:
        values = _values(record)
        changes = {
            k: values[k]
            for k in ("payload", "decision", "reason", "deal_key", "expires_at", "renewal_due_at")
        }
        result = self._conn.execute(
            sa.update(orders)
            .where(
                orders.c.shop == record.shop,
                orders.c.order_id == record.order_id,
                orders.c.kind == "subscription",
                orders.c.expires_at < record.expires_at,
            )
            .values(**changes),
            execution_options={"preserve_rowcount": True},
        )
        return result.rowcount == 1

    def due_renewals(self, now: datetime, limit: int | None = None) -> list[OrderRecord]:
        query = (
            sa.select(orders)
            .where(_waiting(), orders.c.renewal_due_at <= now)
            .order_by(orders.c.renewal_due_at, orders.c.shop, orders.c.order_id)
            .limit(limit)
        )
        return [record_of(r) for r in self._conn.execute(query)]

    def upcoming_renewals(self, limit: int | None = 10) -> list[OrderRecord]:
        query = (
            sa.select(orders)
            .where(_waiting(), orders.c.renewal_due_at.is_not(None))
            .order_by(orders.c.renewal_due_at, orders.c.shop, orders.c.order_id)
            .limit(limit)
        )
        return [record_of(r) for r in self._conn.execute(query)]

    def mark_renewed(self, shop: str, order_id: str, *, deal_key: str, reason: str) -> bool:
        result = self._conn.execute(
            sa.update(orders)
            .where(orders.c.shop == shop, orders.c.order_id == order_id, _waiting())
            .values(decision="deal", deal_key=deal_key, reason=reason),
            execution_options={"preserve_rowcount": True},
        )
        return result.rowcount == 1

    def customer_deals(self, keys: Sequence[str]) -> list[Deal]:
        """One scan per `KEYS_PER_QUERY` keys: SQL narrows by e-mail (the `email` attribute)
        and by the ids' text in the JSON lists; `customer_keys` then decides exactly."""
        wanted = frozenset(keys)
        found: dict[str, Deal] = {}
        ordered = sorted(wanted)
        for start in range(0, len(ordered), KEYS_PER_QUERY):
            chunk = ordered[start : start + KEYS_PER_QUERY]
            terms = _terms(chunk)
            if not terms:
                continue
            query = sa.select(deals).where(
                deals.c.deleted_at.is_(None), deals.c.owner.is_not(None), sa.or_(*terms)
            )
            for row in self._conn.execute(query):
                deal = deal_from_row(row)
                if customer_keys(deal) & wanted:
                    found[deal.id] = deal
        return sorted(found.values(), key=lambda d: d.id)


def _terms(keys: Sequence[str]) -> list[sa.ColumnElement[bool]]:
    emails = [k.removeprefix("email:") for k in keys if k.startswith("email:")]
    terms: list[sa.ColumnElement[bool]] = []
    if emails:
        email = sa.func.lower(sa.func.trim(deals.c.attributes["email"].as_string()))
        terms.append(email.in_(emails))
    for key in keys:
        kind, _, value = key.partition(":")
        if kind == "contact" and value.isdigit():
            terms.append(sa.cast(deals.c.contact_ids, sa.Text).like(f"%{value}%"))
        elif kind == "company" and value:
            escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            pattern = f'%"{escaped}"%'
            terms.append(sa.cast(deals.c.company_ids, sa.Text).like(pattern, escape="\\"))
    return terms
