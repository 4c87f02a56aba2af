"""The reconcile walk's state and seen ids in SQL (`ReconcileRepository`), and tombstones.

Suspects are found in one anti-join: live deals created before the walk began that have no
row in `reconcile_seen` (its primary key makes each probe an index lookup).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from brevo_sync.adapters.store.bulk import upsert_row
from brevo_sync.adapters.store.tables import deals, reconcile_seen, reconcile_state
from brevo_sync.domain.reconcile import ReconcileState, Walk, WalkTally

DEALS = "deals"
# Ids written per statement (PostgreSQL and SQLite both take this many parameters easily).
_CHUNK = 500


def _walk_of(row: Any) -> Walk | None:
    if row is None or row.walk_started_at is None:
        return None
    return Walk(
        started_at=row.walk_started_at,
        offset=row.walk_offset or 0,
        pages=row.walk_pages or 0,
        deals=row.walk_deals or 0,
        phase="confirm" if row.walk_phase == "confirm" else "walk",
        runs=row.walk_runs or 0,
        tally=WalkTally(
            missing=row.walk_missing or 0,
            drifted=row.walk_drifted or 0,
            gone=row.walk_gone or 0,
            repaired=row.walk_repaired or 0,
            tombstoned=row.walk_tombstoned or 0,
        ),
    )


def _suspect_conditions(created_before: datetime) -> list[sa.ColumnElement[bool]]:
    seen = sa.select(reconcile_seen.c.deal_id).where(reconcile_seen.c.deal_id == deals.c.id)
    return [
        deals.c.deleted_at.is_(None),
        sa.or_(deals.c.created_at.is_(None), deals.c.created_at < created_before),
        ~seen.exists(),
    ]


class SqlReconcileRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get(self) -> ReconcileState:
        row = self._conn.execute(
            sa.select(reconcile_state).where(reconcile_state.c.resource == DEALS)
        ).first()
        if row is None:
            return ReconcileState()
        return ReconcileState(
            walk=_walk_of(row),
            last_completed_at=row.last_completed_at,
            last_total=row.last_total,
            walks_completed=row.walks_completed or 0,
        )

    def save(self, state: ReconcileState) -> None:
        walk = state.walk
        tally = walk.tally if walk is not None else WalkTally()
        row: dict[str, Any] = {
            "resource": DEALS,
            "walk_started_at": walk.started_at if walk else None,
            "walk_offset": walk.offset if walk else None,
            "walk_pages": walk.pages if walk else None,
            "walk_deals": walk.deals if walk else None,
            "walk_phase": walk.phase if walk else None,
            "walk_runs": walk.runs if walk else None,
            "walk_missing": tally.missing if walk else None,
            "walk_drifted": tally.drifted if walk else None,
            "walk_gone": tally.gone if walk else None,
            "walk_repaired": tally.repaired if walk else None,
            "walk_tombstoned": tally.tombstoned if walk else None,
            "last_completed_at": state.last_completed_at,
            "last_total": state.last_total,
            "walks_completed": state.walks_completed,
        }
        upsert_row(self._conn, "reconcile_state", row, key="resource")

    def mark_seen(self, ids: Sequence[str], *, gone: bool = False) -> None:
        unique = list(dict.fromkeys(ids))
        if not unique:
            return
        insert = postgresql.insert if self._conn.dialect.name == "postgresql" else sqlite.insert
        statement = insert(reconcile_seen).on_conflict_do_nothing(index_elements=["deal_id"])
        for start in range(0, len(unique), _CHUNK):
            chunk = unique[start : start + _CHUNK]
            self._conn.execute(statement, [{"deal_id": i, "gone": gone} for i in chunk])

    def clear_seen(self) -> None:
        self._conn.execute(sa.delete(reconcile_seen))

    def suspects(self, created_before: datetime, limit: int | None = None) -> list[str]:
        query = (
            sa.select(deals.c.id)
            .where(*_suspect_conditions(created_before))
            .order_by(deals.c.id)
            .limit(limit)
        )
        return list(self._conn.execute(query).scalars())

    def count_suspects(self, created_before: datetime) -> int:
        query = sa.select(sa.func.count()).where(*_suspect_conditions(created_before))
        return int(self._conn.scalar(query.select_from(deals)) or 0)

    def live_deals(self) -> int:
        query = sa.select(sa.func.count()).select_from(deals).where(deals.c.deleted_at.is_(None))
        return int(self._conn.scalar(query) or 0)

    def tombstone(self, ids: Sequence[str], now: datetime) -> int:
        if not ids:
            return 0
        result = self._conn.execute(
            sa.update(deals)
            .where(deals.c.id.in_(list(ids)), deals.c.deleted_at.is_(None))
            .values(deleted_at=now)
        )
        return int(result.rowcount or 0)
