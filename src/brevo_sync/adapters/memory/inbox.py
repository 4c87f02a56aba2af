"""The webhook inbox in memory (as adapters/store/inbox_store.py).

Within one transaction it behaves as the SQL table. Across transactions the memory mirror has
no row locks: two transactions adding the same delivery at once could both succeed here, and
two claiming at once could take the same row; the concurrency tests run on SQLite and
PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from brevo_sync.adapters.memory.mirror import Transaction
from brevo_sync.adapters.memory.rows import json_copy, utc
from brevo_sync.domain.inbox import Delivery, InboxFilter, InboxKind, InboxRow


class MemoryInboxRepository:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def _rows(self) -> list[InboxRow]:
        return sorted(self._tx.tables.inbox.values(), key=lambda r: r.id)

    def add(self, delivery: Delivery, now: datetime) -> tuple[int, bool]:
        for row in self._rows():
            if (
                delivery.delivery_key is not None and row.delivery_key == delivery.delivery_key
            ) or (delivery.dedupe_key is not None and row.dedupe_key == delivery.dedupe_key):
                return row.id, False
        table = self._tx.tables.inbox
        row_id = table.new_id()
        table.put(
            row_id,
            InboxRow(
                id=row_id,
                route=delivery.route,
                kind=delivery.kind,
                delivery_key=delivery.delivery_key,
                dedupe_key=delivery.dedupe_key,
                payload=json_copy(delivery.payload),
                headers=json_copy(delivery.headers),
                state="pending",
                attempts=0,
                next_attempt_at=utc(now),
                last_error=None,
                received_at=utc(now),
            ),
        )
        return row_id, True

    def add_many(self, deliveries: Sequence[Delivery], now: datetime) -> list[tuple[int, bool]]:
        return [self.add(delivery, now) for delivery in deliveries]

    def get(self, row_id: int) -> InboxRow | None:
        return self._tx.tables.inbox.get(row_id)

    def find(self, query: InboxFilter) -> list[InboxRow]:
        rows = [
            r
            for r in reversed(self._rows())
            if (not query.states or r.state in query.states)
            and (not query.kinds or r.kind in query.kinds)
        ]
        return rows[: query.limit]

    def claim(
        self, kinds: Sequence[InboxKind], now: datetime, *, lease_until: datetime, limit: int
    ) -> list[InboxRow]:
        due = [
            r
            for r in self._rows()
            if r.state == "pending" and r.next_attempt_at <= now and r.kind in kinds
        ]
        due.sort(key=lambda r: (r.next_attempt_at, r.id))
        claimed = []
        for row in due[:limit]:
            taken = replace(row, attempts=row.attempts + 1, next_attempt_at=utc(lease_until))
            self._tx.tables.inbox.put(row.id, taken)
            claimed.append(taken)
        return sorted(claimed, key=lambda r: r.id)

    def _change(self, row_id: int, **changes: object) -> bool:
        row = self._tx.tables.inbox.get(row_id)
        if row is None:
            return False
        self._tx.tables.inbox.put(row_id, replace(row, **changes))  # type: ignore[arg-type]
        return True

    def finish(self, outcomes: Mapping[int, str], now: datetime) -> int:
        done = 0
        for row_id, outcome in outcomes.items():
            row = self._tx.tables.inbox.get(row_id)
            if row is not None and row.state == "pending":
                done += self._change(
                    row_id, state="done", processed_at=utc(now), outcome=outcome, last_error=None
                )
        return done

    def fail(
        self, row_id: int, *, error: str, retry_at: datetime | None, attempt: bool = False
    ) -> None:
        row = self._tx.tables.inbox.get(row_id)
        if row is None or row.state != "pending":
            return
        changes: dict[str, object] = {"last_error": error}
        if retry_at is None:
            changes["state"] = "dead"
        else:
            changes["next_attempt_at"] = utc(retry_at)
        if attempt:
            changes["attempts"] = row.attempts + 1
        self._change(row_id, **changes)

    def newest_pending(self, kind: InboxKind) -> int | None:
        ids = [r.id for r in self._rows() if r.state == "pending" and r.kind == kind]
        return max(ids, default=None)

    def finish_pending(self, kind: InboxKind, *, up_to: int, outcome: str, now: datetime) -> int:
        ids = [
            r.id for r in self._rows() if r.state == "pending" and r.kind == kind and r.id <= up_to
        ]
        return self.finish(dict.fromkeys(ids, outcome), now)

    def retry(self, row_ids: Sequence[int], now: datetime) -> int:
        changed = 0
        for row_id in row_ids:
            row = self._tx.tables.inbox.get(row_id)
            if row is not None and row.state in ("dead", "pending"):
                changed += self._change(
                    row_id, state="pending", attempts=0, next_attempt_at=utc(now)
                )
        return changed

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for row in self._rows():
            counts[row.state] = counts.get(row.state, 0) + 1
        return counts

    def prune_done(self, before: datetime) -> int:
        old = [
            r.id
            for r in self._rows()
            if r.state == "done" and r.processed_at is not None and r.processed_at < before
        ]
        for row_id in old:
            self._tx.tables.inbox.delete(row_id)
        return len(old)
