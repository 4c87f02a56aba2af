"""The reconcile walk's state, seen ids and tombstones in memory (the SQL `reconcile_store`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from brevo_sync.adapters.memory.mirror import Transaction
from brevo_sync.adapters.memory.rows import utc
from brevo_sync.domain.reconcile import ReconcileState

KEY = "deals"  # the one resource, as the SQL row's key


class MemoryReconcileRepository:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def get(self) -> ReconcileState:
        return self._tx.tables.reconcile.get(KEY) or ReconcileState()

    def save(self, state: ReconcileState) -> None:
        walk = state.walk
        stored = replace(
            state,
            walk=None if walk is None else replace(walk, started_at=utc(walk.started_at)),
            last_completed_at=utc(state.last_completed_at),
        )
        self._tx.tables.reconcile.put(KEY, stored)

    def mark_seen(self, ids: Sequence[str], *, gone: bool = False) -> None:
        seen = self._tx.tables.reconcile_seen
        for deal_id in ids:
            if seen.get(deal_id) is None:  # a repeat is ignored, as ON CONFLICT DO NOTHING
                seen.put(deal_id, gone)

    def clear_seen(self) -> None:
        self._tx.tables.reconcile_seen.clear()

    def _suspects(self, created_before: datetime) -> list[str]:
        before = utc(created_before)
        seen = self._tx.tables.reconcile_seen
        return sorted(
            r["id"]
            for r in self._tx.tables.deals.values()
            if r["deleted_at"] is None
            and (r["created_at"] is None or r["created_at"] < before)
            and seen.get(r["id"]) is None
        )

    def suspects(self, created_before: datetime, limit: int | None = None) -> list[str]:
        return self._suspects(created_before)[:limit]

    def count_suspects(self, created_before: datetime) -> int:
        return len(self._suspects(created_before))

    def live_deals(self) -> int:
        return sum(1 for r in self._tx.tables.deals.values() if r["deleted_at"] is None)

    def tombstone(self, ids: Sequence[str], now: datetime) -> int:
        table = self._tx.tables.deals
        marked = 0
        for deal_id in dict.fromkeys(ids):
            record = table.get(deal_id)
            if record is not None and record["deleted_at"] is None:
                table.put(deal_id, {**record, "deleted_at": utc(now)})
                marked += 1
        return marked
