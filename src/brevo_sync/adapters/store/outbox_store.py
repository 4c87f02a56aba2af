"""The outbox, the loyalty ledger, conflicts and task types, in SQL (see domain/outbox.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from brevo_sync.adapters.store.insert_new import insert_new
from brevo_sync.adapters.store.tables import conflicts, loyalty_ledger, outbox, task_types
from brevo_sync.domain.outbox import (
    MUTABLE_FIELDS,
    Conflict,
    Effect,
    LedgerEntry,
    OutboxFilter,
    OutboxRow,
    State,
)

# Built once: a repeated key (a decision made again) or a (deal, milestone) award already in
# the ledger inserts nothing.
_INSERT_ROW = insert_new(
    outbox,
    (
        "key",
        "kind",
        "deal_id",
        "deal_ref",
        "payload",
        "base",
        "state",
        "attempts",
        "next_attempt_at",
        "origin",
        "created_at",
    ),
    key=("key",),
)
_INSERT_AWARD = insert_new(
    loyalty_ledger,
    ("deal_id", "milestone", "contact_id", "points", "outbox_key", "state", "recorded_at"),
    key=("deal_id", "milestone"),
)


def row_of(r: Any) -> OutboxRow:
    return OutboxRow(
        id=r.id,
        key=r.key,
        kind=r.kind,
        deal_id=r.deal_id,
        deal_ref=r.deal_ref,
        payload=dict(r.payload),
        base=dict(r.base) if r.base is not None else None,
        state=r.state,
        attempts=r.attempts,
        next_attempt_at=r.next_attempt_at,
        last_error=r.last_error,
        origin=r.origin,
        created_at=r.created_at,
        sent_at=r.sent_at,
        done_at=r.done_at,
        result_id=r.result_id,
        via=r.via,
        process_id=r.process_id,
    )


class SqlOutboxRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # -- rows ------------------------------------------------------------------------------

    def add(self, effects: Sequence[Effect], *, origin: str, now: datetime) -> int:
        """Queue effects not queued before (by key); a loyalty award also needs its
        (deal, milestone) free in the ledger. Returns how many rows are new."""
        if not effects:
            return 0
        awards = [e for e in effects if e.kind == "loyalty_credit"]
        taken: set[str] = set()
        for effect in awards:
            result = self._conn.execute(
                _INSERT_AWARD,
                {
                    "deal_id": effect.deal_id or effect.deal_ref or "",
                    "milestone": effect.key,
                    "contact_id": str(effect.payload["contact_id"]),
                    "points": int(effect.payload["points"]),
                    "outbox_key": effect.key,
                    "state": "queued",
                    "recorded_at": now,
                },
                execution_options={"preserve_rowcount": True},
            )
            if result.rowcount == 0:
                taken.add(effect.key)
        rows = [
            {
                "key": e.key,
                "kind": e.kind,
                "deal_id": e.deal_id,
                "deal_ref": e.deal_ref,
                "payload": e.payload,
                "base": e.base,
                "state": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "origin": origin,
                "created_at": now,
            }
            for e in effects
            if e.key not in taken
        ]
        if not rows:
            return 0
        result = self._conn.execute(
            _INSERT_ROW, rows, execution_options={"preserve_rowcount": True}
        )
        return max(result.rowcount, 0)

    def get(self, row_id: int) -> OutboxRow | None:
        r = self._conn.execute(sa.select(outbox).where(outbox.c.id == row_id)).first()
        return None if r is None else row_of(r)

    def by_key(self, key: str) -> OutboxRow | None:
        r = self._conn.execute(sa.select(outbox).where(outbox.c.key == key)).first()
        return None if r is None else row_of(r)

    def find(self, query: OutboxFilter) -> list[OutboxRow]:
        statement = sa.select(outbox).where(outbox.c.state.in_(query.states))
        if query.kinds:
            statement = statement.where(outbox.c.kind.in_(query.kinds))
        if query.deal_id is not None:
            statement = statement.where(
                sa.or_(outbox.c.deal_id == query.deal_id, outbox.c.deal_ref == query.deal_id)
            )
        statement = statement.order_by(outbox.c.id)
        if query.limit is not None:
            statement = statement.limit(query.limit)
        return [row_of(r) for r in self._conn.execute(statement)]

    def due(self, now: datetime, limit: int | None = None) -> list[OutboxRow]:
        statement = (
            sa.select(outbox)
            .where(outbox.c.state == "pending", outbox.c.next_attempt_at <= now)
            .order_by(outbox.c.id)
        )
        if limit is not None:
            statement = statement.limit(limit)
        return [row_of(r) for r in self._conn.execute(statement)]

    def claim(
        self, now: datetime, *, owner: str, until: datetime, limit: int | None = None
    ) -> list[OutboxRow]:
        """Due pending rows nobody else holds, now held by `owner` until `until`. On
        PostgreSQL the ids come from SELECT ... FOR UPDATE SKIP LOCKED: two pushes claiming at
        once get disjoint rows; SQLite has one writer at a time, which gives the same."""
        c = outbox.c
        free = sa.or_(c.claimed_until.is_(None), c.claimed_until <= now, c.claimed_by == owner)
        due = (
            sa.select(c.id)
            .where(c.state == "pending", c.next_attempt_at <= now, free)
            .order_by(c.id)
        )
        if limit is not None:
            due = due.limit(limit)
        if self._conn.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        ids = [int(i) for i in self._conn.scalars(due)]
        if not ids:
            return []
        rows: list[OutboxRow] = []
        for start in range(0, len(ids), 500):  # bound the IN list
            chunk = ids[start : start + 500]
            self._conn.execute(
                sa.update(outbox)
                .where(c.id.in_(chunk))
                .values(claimed_by=owner, claimed_until=until)
            )
            rows += [
                row_of(r)
                for r in self._conn.execute(sa.select(outbox).where(c.id.in_(chunk)).order_by(c.id))
            ]
        return rows

    def release_claims(self, owner: str | None = None) -> int:
        """Let go of every row `owner` holds (the push is over); None: every claim."""
        held = outbox.c.claimed_by.is_not(None) if owner is None else outbox.c.claimed_by == owner
        result = self._conn.execute(
            sa.update(outbox).where(held).values(claimed_by=None, claimed_until=None),
            execution_options={"preserve_rowcount": True},
        )
        return max(result.rowcount, 0)

    def in_state(self, state: State, limit: int | None = None) -> list[OutboxRow]:
        statement = sa.select(outbox).where(outbox.c.state == state).order_by(outbox.c.id)
        if limit is not None:
            statement = statement.limit(limit)
        return [row_of(r) for r in self._conn.execute(statement)]

    def open_updates(self, deal_ids: Sequence[str]) -> dict[str, list[OutboxRow]]:
        if not deal_ids:
            return {}
        out: dict[str, list[OutboxRow]] = {}
        ids = sorted(set(deal_ids))
        for start in range(0, len(ids), 500):  # bound the IN list
            statement = (
                sa.select(outbox)
                .where(
                    outbox.c.deal_id.in_(ids[start : start + 500]),
                    outbox.c.kind == "update_deal",
                    outbox.c.state.in_(("pending", "sending", "unconfirmed")),
                )
                .order_by(outbox.c.id)
            )
            for r in self._conn.execute(statement):
                out.setdefault(r.deal_id, []).append(row_of(r))
        return out

    def update(self, row_id: int, changes: Mapping[str, Any]) -> None:
        unknown = set(changes) - MUTABLE_FIELDS
        if unknown:
            raise ValueError(f"outbox rows cannot change {sorted(unknown)}")
        self._conn.execute(sa.update(outbox).where(outbox.c.id == row_id).values(**changes))

    def resolve_ref(self, key: str, deal_id: str) -> int:
        result = self._conn.execute(
            sa.update(outbox)
            .where(outbox.c.deal_ref == key, outbox.c.deal_id.is_(None))
            .values(deal_id=deal_id),
            execution_options={"preserve_rowcount": True},
        )
        self._conn.execute(
            sa.update(loyalty_ledger).where(loyalty_ledger.c.deal_id == key).values(deal_id=deal_id)
        )
        return max(result.rowcount, 0)

    def counts(self) -> dict[str, int]:
        rows = self._conn.execute(
            sa.select(outbox.c.state, sa.func.count()).group_by(outbox.c.state)
        )
        return {state: int(n) for state, n in rows}

    # -- conflicts -------------------------------------------------------------------------

    def add_conflicts(self, found: Sequence[Conflict]) -> None:
        if not found:
            return
        self._conn.execute(
            sa.insert(conflicts),
            [
                {
                    "deal_id": c.deal_id,
                    "field": c.field,
                    "base": c.base,
                    "ours": c.ours,
                    "theirs": c.theirs,
                    "resolution": c.resolution,
                    "outbox_key": c.outbox_key,
                    "detected_at": c.detected_at,
                }
                for c in found
            ],
        )

    def conflicts(self, deal_id: str | None = None, limit: int | None = 50) -> list[Conflict]:
        statement = sa.select(conflicts).order_by(conflicts.c.id.desc())
        if deal_id is not None:
            statement = statement.where(conflicts.c.deal_id == deal_id)
        if limit is not None:
            statement = statement.limit(limit)
        return [
            Conflict(
                deal_id=r.deal_id,
                field=r.field,
                base=r.base,
                ours=r.ours,
                theirs=r.theirs,
                resolution=r.resolution,
                outbox_key=r.outbox_key,
                detected_at=r.detected_at,
                id=r.id,
            )
            for r in self._conn.execute(statement)
        ]

    # -- loyalty ledger --------------------------------------------------------------------

    def ledger(self, outbox_key: str) -> LedgerEntry | None:
        r = self._conn.execute(
            sa.select(loyalty_ledger).where(loyalty_ledger.c.outbox_key == outbox_key)
        ).first()
        if r is None:
            return None
        return LedgerEntry(
            deal_id=r.deal_id,
            milestone=r.milestone,
            contact_id=r.contact_id,
            points=r.points,
            outbox_key=r.outbox_key,
            state=r.state,
            transaction_id=r.transaction_id,
            completed_at=r.completed_at,
        )

    def enrolled(self, contact_id: str) -> bool:
        found = self._conn.execute(
            sa.select(loyalty_ledger.c.outbox_key)
            .where(
                loyalty_ledger.c.contact_id == contact_id,
                loyalty_ledger.c.state.in_(("begun", "completed")),
            )
            .limit(1)
        ).first()
        return found is not None

    def ledger_update(self, outbox_key: str, changes: Mapping[str, Any]) -> None:
        allowed = {"state", "transaction_id", "completed_at"}
        if set(changes) - allowed:
            raise ValueError(f"the ledger cannot change {sorted(set(changes) - allowed)}")
        self._conn.execute(
            sa.update(loyalty_ledger)
            .where(loyalty_ledger.c.outbox_key == outbox_key)
            .values(**changes)
        )

    def points_awarded(self) -> int:
        total = self._conn.execute(
            sa.select(sa.func.coalesce(sa.func.sum(loyalty_ledger.c.points), 0)).where(
                loyalty_ledger.c.state == "completed"
            )
        ).scalar_one()
        return int(total)

    # -- task types ------------------------------------------------------------------------

    def task_types(self) -> dict[str, str]:
        """Title (lower case) -> Brevo's task type id."""
        rows = self._conn.execute(sa.select(task_types.c.id, task_types.c.title))
        return {r.title.strip().lower(): r.id for r in rows}

    def save_task_types(self, types: Mapping[str, str], now: datetime) -> None:
        self._conn.execute(sa.delete(task_types))
        if types:
            self._conn.execute(
                sa.insert(task_types),
                [{"id": i, "title": t, "fetched_at": now} for t, i in types.items()],
            )
