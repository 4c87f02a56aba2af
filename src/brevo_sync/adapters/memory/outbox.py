"""The outbox, the loyalty ledger, conflicts and task types, in memory (as outbox_store.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from brevo_sync.adapters.memory.mirror import Transaction
from brevo_sync.adapters.memory.rows import json_copy, utc
from brevo_sync.domain.outbox import (
    MUTABLE_FIELDS,
    Conflict,
    Effect,
    LedgerEntry,
    OutboxFilter,
    OutboxRow,
    State,
)

_OPEN = ("pending", "sending", "unconfirmed")


class MemoryOutboxRepository:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def _rows(self) -> list[OutboxRow]:
        return sorted(self._tx.tables.outbox.values(), key=lambda r: r.id)

    def add(self, effects: Sequence[Effect], *, origin: str, now: datetime) -> int:
        table, ledger = self._tx.tables.outbox, self._tx.tables.ledger
        known = {r.key for r in table.values()}
        milestones = {(e.deal_id, e.milestone) for e in ledger.values()}
        added = 0
        for effect in effects:
            if effect.key in known:
                continue
            if effect.kind == "loyalty_credit":
                deal = effect.deal_id or effect.deal_ref or ""
                if (deal, effect.key) in milestones:
                    continue
                milestones.add((deal, effect.key))
                ledger.put(
                    effect.key,
                    LedgerEntry(
                        deal_id=deal,
                        milestone=effect.key,
                        contact_id=str(effect.payload["contact_id"]),
                        points=int(effect.payload["points"]),
                        outbox_key=effect.key,
                        state="queued",
                    ),
                )
            row_id = table.new_id()
            table.put(
                row_id,
                OutboxRow(
                    id=row_id,
                    key=effect.key,
                    kind=effect.kind,
                    deal_id=effect.deal_id,
                    deal_ref=effect.deal_ref,
                    payload=json_copy(effect.payload),
                    base=json_copy(effect.base) if effect.base is not None else None,
                    state="pending",
                    attempts=0,
                    next_attempt_at=utc(now),
                    last_error=None,
                    origin=origin,
                    created_at=utc(now),
                ),
            )
            known.add(effect.key)
            added += 1
        return added

    def get(self, row_id: int) -> OutboxRow | None:
        return self._tx.tables.outbox.get(row_id)

    def by_key(self, key: str) -> OutboxRow | None:
        return next((r for r in self._rows() if r.key == key), None)

    def find(self, query: OutboxFilter) -> list[OutboxRow]:
        rows = [
            r
            for r in self._rows()
            if r.state in query.states
            and (not query.kinds or r.kind in query.kinds)
            and (query.deal_id is None or query.deal_id in (r.deal_id, r.deal_ref))
        ]
        return rows if query.limit is None else rows[: query.limit]

    def due(self, now: datetime, limit: int | None = None) -> list[OutboxRow]:
        rows = [r for r in self._rows() if r.due(now)]
        return rows if limit is None else rows[:limit]

    def claim(
        self, now: datetime, *, owner: str, until: datetime, limit: int | None = None
    ) -> list[OutboxRow]:
        claims = self._tx.tables.outbox_claims
        rows = []
        for r in self._rows():
            held = claims.get(r.id)
            if r.due(now) and (held is None or held[1] <= now or held[0] == owner):
                rows.append(r)
        rows = rows if limit is None else rows[:limit]
        for r in rows:
            claims.put(r.id, (owner, until))
        return rows

    def release_claims(self, owner: str | None = None) -> int:
        claims = self._tx.tables.outbox_claims
        mine = [row_id for row_id, (holder, _) in claims.items() if owner in (None, holder)]
        for row_id in mine:
            claims.delete(row_id)
        return len(mine)

    def in_state(self, state: State, limit: int | None = None) -> list[OutboxRow]:
        rows = [r for r in self._rows() if r.state == state]
        return rows if limit is None else rows[:limit]

    def open_updates(self, deal_ids: Sequence[str]) -> dict[str, list[OutboxRow]]:
        wanted = set(deal_ids)
        out: dict[str, list[OutboxRow]] = {}
        for r in self._rows():
            if r.kind == "update_deal" and r.state in _OPEN and r.deal_id in wanted:
                out.setdefault(str(r.deal_id), []).append(r)
        return out

    def update(self, row_id: int, changes: Mapping[str, Any]) -> None:
        unknown = set(changes) - MUTABLE_FIELDS
        if unknown:
            raise ValueError(f"outbox rows cannot change {sorted(unknown)}")
        row = self._tx.tables.outbox.get(row_id)
        if row is None:
            return
        values: dict[str, Any] = {
            k: utc(v) if isinstance(v, datetime) else json_copy(v) if k == "payload" else v
            for k, v in changes.items()
        }
        self._tx.tables.outbox.put(row_id, replace(row, **values))

    def resolve_ref(self, key: str, deal_id: str) -> int:
        count = 0
        for r in self._rows():
            if r.deal_ref == key and r.deal_id is None:
                self._tx.tables.outbox.put(r.id, replace(r, deal_id=deal_id))
                count += 1
        ledger = self._tx.tables.ledger
        for entry in ledger.values():
            if entry.deal_id == key:
                ledger.put(entry.outbox_key, replace(entry, deal_id=deal_id))
        return count

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self._tx.tables.outbox.values():
            out[r.state] = out.get(r.state, 0) + 1
        return out

    def add_conflicts(self, found: Sequence[Conflict]) -> None:
        table = self._tx.tables.conflicts
        for c in found:
            row_id = table.new_id()
            table.put(row_id, replace(c, id=row_id, detected_at=utc(c.detected_at)))

    def conflicts(self, deal_id: str | None = None, limit: int | None = 50) -> list[Conflict]:
        rows = sorted(self._tx.tables.conflicts.values(), key=lambda c: -(c.id or 0))
        rows = [c for c in rows if deal_id is None or c.deal_id == deal_id]
        return rows if limit is None else rows[:limit]

    def ledger(self, outbox_key: str) -> LedgerEntry | None:
        return self._tx.tables.ledger.get(outbox_key)

    def enrolled(self, contact_id: str) -> bool:
        return any(
            e.contact_id == contact_id and e.state in ("begun", "completed")
            for e in self._tx.tables.ledger.values()
        )

    def ledger_update(self, outbox_key: str, changes: Mapping[str, Any]) -> None:
        allowed = {"state", "transaction_id", "completed_at"}
        if set(changes) - allowed:
            raise ValueError(f"the ledger cannot change {sorted(set(changes) - allowed)}")
        entry = self._tx.tables.ledger.get(outbox_key)
        if entry is not None:
            self._tx.tables.ledger.put(outbox_key, replace(entry, **changes))

    def points_awarded(self) -> int:
        return sum(e.points for e in self._tx.tables.ledger.values() if e.state == "completed")

    def task_types(self) -> dict[str, str]:
        return dict(self._tx.tables.task_types.items())

    def save_task_types(self, types: Mapping[str, str], now: datetime) -> None:
        table = self._tx.tables.task_types
        table.clear()
        for title, type_id in types.items():
            table.put(title.strip().lower(), type_id)
