"""The webhook inbox in SQL (`inbox`; see domain/inbox.py).

Once only is the database's job: a delivery is inserted with ON CONFLICT DO NOTHING over both
unique keys (delivery, dedupe), so of two requests carrying the same delivery or the same
order at the same moment one inserts and the other, once the first commits, inserts nothing
and is told which row it repeats. Claiming is one UPDATE ... RETURNING over the oldest due
rows: on PostgreSQL their ids come from SELECT ... FOR UPDATE SKIP LOCKED, so two workers
never take the same row; SQLite runs one writer at a time, which gives the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from brevo_sync.adapters.store.tables import inbox
from brevo_sync.domain.inbox import Delivery, InboxFilter, InboxKind, InboxRow

# INSERT ... ON CONFLICT DO NOTHING (either key: a repeat) RETURNING id, as text with typed
# parameters: SQLAlchemy compiles it once (its dialect inserts, the ones with
# `on_conflict_do_nothing`, are compiled anew on every call, which cost a webhook 0.3 ms).
# Both SQLite (3.35+) and PostgreSQL take this very statement.
_ADD = (
    sa.text(
        "INSERT INTO inbox (route, kind, delivery_key, dedupe_key, payload, headers, state, "
        "attempts, next_attempt_at, received_at) VALUES (:route, :kind, :delivery_key, "
        ":dedupe_key, :payload, :headers, 'pending', 0, :now, :now) "
        "ON CONFLICT DO NOTHING RETURNING id"
    )
    .bindparams(
        sa.bindparam("payload", type_=inbox.c.payload.type),
        sa.bindparam("headers", type_=inbox.c.headers.type),
        sa.bindparam("now", type_=inbox.c.received_at.type),
    )
    .columns(inbox.c.id)
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


class SqlInboxRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, delivery: Delivery, now: datetime) -> tuple[int, bool]:
        values = {
            "route": delivery.route,
            "kind": delivery.kind,
            "delivery_key": delivery.delivery_key,
            "dedupe_key": delivery.dedupe_key,
            "payload": delivery.payload,
            "headers": delivery.headers,
            "now": now,
        }
        new_id = self._conn.execute(_ADD, values).scalar()
        if new_id is not None:
            return int(new_id), True
        return self._repeated(delivery), False

    def _repeated(self, delivery: Delivery) -> int:
        keys = []
        if delivery.delivery_key is not None:
            keys.append(inbox.c.delivery_key == delivery.delivery_key)
        if delivery.dedupe_key is not None:
            keys.append(inbox.c.dedupe_key == delivery.dedupe_key)
        found = self._conn.execute(
            sa.select(inbox.c.id).where(sa.or_(*keys)).order_by(inbox.c.id).limit(1)
        ).scalar()
        if found is None:  # cannot be: the insert conflicted on one of these keys
            raise RuntimeError("inbox insert conflicted, but no row has its keys")
        return int(found)

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

    def finish(self, row_ids: Sequence[int], *, outcome: str, now: datetime) -> int:
        if not row_ids:
            return 0
        result = self._conn.execute(
            sa.update(inbox)
            .where(inbox.c.id.in_(list(row_ids)), inbox.c.state == "pending")
            .values(state="done", processed_at=now, outcome=outcome, last_error=None),
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
