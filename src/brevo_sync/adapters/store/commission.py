"""The commission statement's reads in SQL: deals won in a period, and their stage history.

The period is selected in SQL (a month of a million-deal mirror is a few hundred won deals);
the shares themselves are the rules' (`domain.rules.commission`), computed per deal from its
history, so the statement and `--explain` can never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from brevo_sync.adapters.store.deal_store import deal_from_row
from brevo_sync.adapters.store.tables import deals, stage_history
from brevo_sync.domain.deal import Deal
from brevo_sync.domain.moves import StageMove, recorded_move

# Ids per IN list: far below SQLite's and PostgreSQL's limits on bound parameters.
CHUNK = 500


def won_at() -> sa.ColumnElement[Any]:
    """When a deal in a won stage was won (as `service.commission.won_at`)."""
    entered = (
        sa.select(sa.func.max(stage_history.c.changed_at))
        .where(
            stage_history.c.deal_id == deals.c.id,
            stage_history.c.to_stage_id == deals.c.stage_id,
        )
        .scalar_subquery()
    )
    return sa.func.coalesce(deals.c.stage_updated_at, entered, deals.c.created_at)


class SqlCommissionSource:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def won_between(
        self, won_stages: frozenset[tuple[str, str]], start: datetime, end: datetime
    ) -> list[Deal]:
        if not won_stages:
            return []
        when = won_at().label("won_at")
        inner = (
            sa.select(deals, when)
            .where(
                deals.c.deleted_at.is_(None),
                sa.tuple_(deals.c.pipeline_id, deals.c.stage_id).in_(sorted(won_stages)),
            )
            .subquery()
        )
        query = (
            sa.select(inner)
            .where(inner.c.won_at >= start, inner.c.won_at < end)
            .order_by(inner.c.won_at, inner.c.id)
        )
        return [deal_from_row(row) for row in self._conn.execute(query)]

    def histories(self, deal_ids: Sequence[str]) -> dict[str, list[StageMove]]:
        found: dict[str, list[StageMove]] = {deal_id: [] for deal_id in deal_ids}
        ids = list(found)
        for i in range(0, len(ids), CHUNK):
            rows = self._conn.execute(
                sa.select(stage_history)
                .where(stage_history.c.deal_id.in_(ids[i : i + CHUNK]))
                .order_by(stage_history.c.deal_id, stage_history.c.changed_at, stage_history.c.id)
            )
            for row in rows:
                found[row.deal_id].append(recorded_move(row))
        return found
