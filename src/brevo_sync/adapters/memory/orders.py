"""Orders and subscriptions received, in memory (as adapters/store/orders_store.py).

Within one transaction it behaves as the SQL table; across transactions the memory mirror
has no row locks, so two transactions inserting the same order at once could both succeed
here: the exactly-once-under-concurrency tests run on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from brevo_sync.adapters.memory.mirror import Transaction
from brevo_sync.adapters.memory.rows import deal_of, json_copy, utc
from brevo_sync.domain.deal import Deal
from brevo_sync.domain.order_intake import OrderRecord, short_source
from brevo_sync.domain.rules.protection import customer_keys


def _stored(record: OrderRecord) -> OrderRecord:
    """As the SQL store keeps it: times in UTC, JSON copied, the source cut to its column."""
    source = short_source(record.source)
    return replace(
        record,
        payload=json_copy(record.payload),
        source=source,
        received_at=utc(record.received_at),
        expires_at=utc(record.expires_at),
        renewal_due_at=utc(record.renewal_due_at),
    )


def _soonest(records: list[OrderRecord]) -> list[OrderRecord]:
    return sorted(records, key=lambda r: (r.renewal_due_at, r.shop, r.order_id))


class MemoryOrderRepository:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def insert_if_new(self, record: OrderRecord) -> bool:
        table = self._tx.tables.orders
        key = (record.shop, record.order_id)
        if table.get(key) is not None:
            return False
        table.put(key, _stored(record))
        return True

    def get(self, shop: str, order_id: str) -> OrderRecord | None:
        return self._tx.tables.orders.get((shop, order_id))

    def extend_subscription(self, record: OrderRecord) -> bool:
        table = self._tx.tables.orders
        key = (record.shop, record.order_id)
        stored = table.get(key)
        if (
            stored is None
            or stored.kind != "subscription"
            or record.expires_at is None
            or stored.expires_at is None
            or not stored.expires_at < record.expires_at
        ):
            return False
        new = _stored(record)
        table.put(
            key,
            replace(
                stored,
                payload=new.payload,
                decision=new.decision,
                reason=new.reason,
                deal_key=new.deal_key,
                expires_at=new.expires_at,
                renewal_due_at=new.renewal_due_at,
            ),
        )
        return True

    def _waiting(self) -> list[OrderRecord]:
        return [
            r
            for r in self._tx.tables.orders.values()
            if r.kind == "subscription" and r.decision == "waiting" and r.renewal_due_at
        ]

    def due_renewals(self, now: datetime, limit: int | None = None) -> list[OrderRecord]:
        due = [r for r in self._waiting() if r.renewal_due_at and r.renewal_due_at <= now]
        return _soonest(due)[:limit]

    def upcoming_renewals(self, limit: int | None = 10) -> list[OrderRecord]:
        return _soonest(self._waiting())[:limit]

    def mark_renewed(self, shop: str, order_id: str, *, deal_key: str, reason: str) -> bool:
        table = self._tx.tables.orders
        stored = table.get((shop, order_id))
        if stored is None or stored.kind != "subscription" or stored.decision != "waiting":
            return False
        table.put(
            (shop, order_id), replace(stored, decision="deal", deal_key=deal_key, reason=reason)
        )
        return True

    def customer_deals(self, keys: Sequence[str]) -> list[Deal]:
        wanted = frozenset(keys)
        found = []
        for record in self._tx.tables.deals.values():
            if record["deleted_at"] is not None or not record["owner"]:
                continue
            deal = deal_of(record)
            if customer_keys(deal) & wanted:
                found.append(deal)
        return sorted(found, key=lambda d: d.id)
