"""The webhook inbox in SQL (`inbox`; see domain/inbox.py).

Once only is the database's job: a delivery is inserted with ON CONFLICT DO NOTHING over both
unique keys (delivery, dedupe), so of two requests carrying the same delivery or the same
order at the same moment one inserts and the other, once the first commits, inserts nothing
and is told which row it repeats. Claiming is one UPDATE ... RETURNING over the oldest due
rows: on PostgreSQL their ids come from SELECT ... FOR UPDATE SKIP LOCKED, so two workers
never take the same row; SQLite runs one writer at a time, which gives the same.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from brevo_sync.adapters.store.tables import inbox
from brevo_sync.domain.inbox import Delivery, InboxFilter, InboxKind, InboxRow

# INSERT ... VALUES (...), (...) ON CONFLICT DO NOTHING (either key: a repeat) RETURNING,
# as text with typed parameters: one round trip for a whole group commit, and compiled once
# per batch size (SQLAlchemy's dialect inserts, the ones with `on_conflict_do_nothing`, are
# compiled anew on every call here, which cost a webhook 0.3 ms). SQLite (3.35+) and
# PostgreSQL both take this very statement.
_COLUMNS = "route, kind, delivery_key, dedupe_key, payload, headers"
_TYPED = {"payload": inbox.c.payload.type, "headers": inbox.c.headers.type}
_INSERTS: dict[int, Any] = {}


def _insert_statement(rows: int) -> Any:
    statement = _INSERTS.get(rows)
    if statement is None:
        values = ", ".join(
            f"(:route_{i}, :kind_{i}, :delivery_key_{i}, :dedupe_key_{i}, :payload_{i}, "
            f":headers_{i}, 'pending', 0, :now, :now)"
            for i in range(rows)
        )
        typed = [
            sa.bindparam(f"{name}_{i}", type_=kind)
            for i in range(rows)
            for name, kind in _TYPED.items()
        ]
        statement = (
            sa.text(
                f"INSERT INTO inbox ({_COLUMNS}, state, attempts, next_attempt_at, received_at) "
                f"VALUES {values} ON CONFLICT DO NOTHING RETURNING id, delivery_key, dedupe_key"
            )
            .bindparams(*typed, sa.bindparam("now", type_=inbox.c.received_at.type))
            .columns(inbox.c.id, inbox.c.delivery_key, inbox.c.dedupe_key)
        )
        if rows <= MAX_CACHED_ROWS:
            _INSERTS[rows] = statement
    return statement


MAX_CACHED_ROWS = 512


# One statement for a batch's outcomes (executemany), compiled once.
_FINISH = (
    sa.update(inbox)
    .where(inbox.c.id == sa.bindparam("row_id"), inbox.c.state == "pending")
    .values(
        state="done",
        processed_at=sa.bindparam("now"),
        outcome=sa.bindparam("outcome"),
        last_error=None,
    )
)


def inbox_row(r: Any) -> InboxRow:
    return InboxRow(
        id=r.id,
        route=r.route,
        kind=r.kind,
        delivery_key=r.delivery_key,
        dedupe_key=r.dedupe_key,
        payload=dict(r.payload),
        headers=dict(r.headers),
        state=r.state,
        attempts=r.attempts,
        next_attempt_at=r.next_attempt_at,
        last_error=r.last_error,
        received_at=r.received_at,
        processed_at=r.processed_at,
        outcome=r.outcome,
    )


def _row_keys(delivery_key: str | None, dedupe_key: str | None) -> set[tuple[str, str]]:
    keys = set()
    if delivery_key is not None:
        keys.add(("delivery", delivery_key))
    if dedupe_key is not None:
        keys.add(("dedupe", dedupe_key))
    return keys


def _keys(delivery: Delivery) -> set[tuple[str, str]]:
    return _row_keys(delivery.delivery_key, delivery.dedupe_key)


class SqlInboxRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, delivery: Delivery, now: datetime) -> tuple[int, bool]:
        return self.add_many([delivery], now)[0]

    def add_many(self, deliveries: Sequence[Delivery], now: datetime) -> list[tuple[int, bool]]:
        """One INSERT for the batch; then one SELECT for the repeats (of rows already there,
        or of an earlier delivery of the batch), each naming the oldest row that has one of
        its keys, as `add` one at a time would."""
        seen: set[tuple[str, str]] = set()
        fresh: list[int] = []
        repeats: list[int] = []
        for i, delivery in enumerate(deliveries):
            keys = _keys(delivery)
            if keys & seen:
                repeats.append(i)
            else:
                fresh.append(i)
            seen |= keys
        results: dict[int, tuple[int, bool]] = {}
        inserted = self._insert([deliveries[i] for i in fresh], now)
        keyed = {key: row_id for row_id, keys in inserted for key in keys}
        unkeyed = iter(sorted(row_id for row_id, keys in inserted if not keys))
        for i in fresh:
            keys = _keys(deliveries[i])
            if not keys:  # nothing to conflict with: inserted, ids in the order of VALUES
                results[i] = (next(unkeyed), True)
            else:
                found = next((keyed[k] for k in keys if k in keyed), None)
                if found is not None:
                    results[i] = (found, True)
                else:  # it conflicted with a row of another transaction
                    repeats.append(i)
        if repeats:
            oldest = self._oldest([deliveries[i] for i in repeats])
            for i in repeats:
                matches = [oldest[k] for k in _keys(deliveries[i]) if k in oldest]
                if not matches:  # cannot be: it conflicted on one of these keys
                    raise RuntimeError("inbox insert conflicted, but no row has its keys")
                results[i] = (min(matches), False)
        return [results[i] for i in range(len(deliveries))]

    def _insert(
        self, deliveries: Sequence[Delivery], now: datetime
    ) -> list[tuple[int, set[tuple[str, str]]]]:
        if not deliveries:
            return []
        values: dict[str, Any] = {"now": now}
        for i, d in enumerate(deliveries):
            values[f"route_{i}"] = d.route
            values[f"kind_{i}"] = d.kind
            values[f"delivery_key_{i}"] = d.delivery_key
            values[f"dedupe_key_{i}"] = d.dedupe_key
            values[f"payload_{i}"] = d.payload
            values[f"headers_{i}"] = d.headers
        rows = self._conn.execute(_insert_statement(len(deliveries)), values).all()
        return [(int(r.id), _row_keys(r.delivery_key, r.dedupe_key)) for r in rows]

    def _oldest(self, deliveries: Sequence[Delivery]) -> dict[tuple[str, str], int]:
        """The oldest row holding each key of these deliveries."""
        wanted_delivery = {d.delivery_key for d in deliveries if d.delivery_key is not None}
        wanted_dedupe = {d.dedupe_key for d in deliveries if d.dedupe_key is not None}
        query = (
            sa.select(inbox.c.id, inbox.c.delivery_key, inbox.c.dedupe_key)
            .where(
                sa.or_(
                    inbox.c.delivery_key.in_(sorted(wanted_delivery)),
                    inbox.c.dedupe_key.in_(sorted(wanted_dedupe)),
                )
            )
            .order_by(inbox.c.id.desc())
        )
        oldest: dict[tuple[str, str], int] = {}
        for row in self._conn.execute(query):
            for key in _row_keys(row.delivery_key, row.dedupe_key):
                oldest[key] = int(row.id)  # newest first: the oldest is written last
        return oldest

    def get(self, row_id: int) -> InboxRow | None:
        row = self._conn.execute(sa.select(inbox).where(inbox.c.id == row_id)).first()
        return None if row is None else inbox_row(row)

    def find(self, query: InboxFilter) -> list[InboxRow]:
        statement = sa.select(inbox).order_by(inbox.c.id.desc()).limit(query.limit)
        if query.states:
            statement = statement.where(inbox.c.state.in_(query.states))
        if query.kinds:
            statement = statement.where(inbox.c.kind.in_(query.kinds))
        return [inbox_row(r) for r in self._conn.execute(statement)]

    def claim(
        self, kinds: Sequence[InboxKind], now: datetime, *, lease_until: datetime, limit: int
    ) -> list[InboxRow]:
        due = (
            sa.select(inbox.c.id)
            .where(
                inbox.c.state == "pending",
                inbox.c.next_attempt_at <= now,
                inbox.c.kind.in_(list(kinds)),
            )
            .order_by(inbox.c.next_attempt_at, inbox.c.id)
            .limit(limit)
        )
        if self._conn.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        statement = (
            sa.update(inbox)
            .where(
                inbox.c.id.in_(due.scalar_subquery()),
                inbox.c.state == "pending",  # re-checked on the row PostgreSQL locks
                inbox.c.next_attempt_at <= now,
            )
            .values(attempts=inbox.c.attempts + 1, next_attempt_at=lease_until)
            .returning(*inbox.c)
        )
        rows = [inbox_row(r) for r in self._conn.execute(statement)]
        return sorted(rows, key=lambda r: r.id)

    def finish(self, outcomes: Mapping[int, str], now: datetime) -> int:
        if not outcomes:
            return 0
        result = self._conn.execute(
            _FINISH,
            [{"row_id": i, "outcome": o, "now": now} for i, o in outcomes.items()],
            execution_options={"preserve_rowcount": True},
        )
        return int(result.rowcount)

    def fail(
        self, row_id: int, *, error: str, retry_at: datetime | None, attempt: bool = False
    ) -> None:
        values: dict[str, Any] = {"last_error": error}
        if retry_at is None:
            values["state"] = "dead"
        else:
            values["next_attempt_at"] = retry_at
        if attempt:
            values["attempts"] = inbox.c.attempts + 1
        self._conn.execute(
            sa.update(inbox)
            .where(inbox.c.id == row_id, inbox.c.state == "pending")
            .values(**values)
        )

    def newest_pending(self, kind: InboxKind) -> int | None:
        found = self._conn.execute(
            sa.select(sa.func.max(inbox.c.id)).where(
                inbox.c.state == "pending", inbox.c.kind == kind
            )
        ).scalar()
        return None if found is None else int(found)

    def finish_pending(self, kind: InboxKind, *, up_to: int, outcome: str, now: datetime) -> int:
        result = self._conn.execute(
            sa.update(inbox)
            .where(inbox.c.state == "pending", inbox.c.kind == kind, inbox.c.id <= up_to)
            .values(state="done", processed_at=now, outcome=outcome, last_error=None),
            execution_options={"preserve_rowcount": True},
        )
        return int(result.rowcount)

    def retry(self, row_ids: Sequence[int], now: datetime) -> int:
        if not row_ids:
            return 0
        result = self._conn.execute(
            sa.update(inbox)
            .where(inbox.c.id.in_(list(row_ids)), inbox.c.state.in_(("dead", "pending")))
            .values(state="pending", attempts=0, next_attempt_at=now),
            execution_options={"preserve_rowcount": True},
        )
        return int(result.rowcount)

    def counts(self) -> dict[str, int]:
        rows = self._conn.execute(
            sa.select(inbox.c.state, sa.func.count()).group_by(inbox.c.state)
        ).all()
        return {state: int(n) for state, n in rows}

    def prune_done(self, before: datetime) -> int:
        result = self._conn.execute(
            sa.delete(inbox).where(inbox.c.state == "done", inbox.c.processed_at < before),
            execution_options={"preserve_rowcount": True},
        )
        return max(int(result.rowcount), 0)
