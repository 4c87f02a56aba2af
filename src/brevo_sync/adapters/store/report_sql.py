"""The HTML report's own question in SQL: deals won and lost per month, one GROUP BY."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from brevo_sync.adapters.store.sql_time import year_month
from brevo_sync.adapters.store.tables import LIVE, deals, stage_entry

PLACE = sa.tuple_(deals.c.pipeline_id, deals.c.stage_id)


class SqlReportQueries:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def closed_by_month(
        self,
        won_stages: frozenset[tuple[str, str]],
        lost_stages: frozenset[tuple[str, str]],
        pipeline_ids: frozenset[str] | None,
        start: datetime,
        end: datetime,
    ) -> list[tuple[str, int, int]]:
        closed = won_stages | lost_stages
        if not closed:
            return []
        entered = stage_entry()
        month = year_month(entered)
        won: Any = sa.literal(0)
        if won_stages:
            won = sa.func.sum(sa.case((PLACE.in_(sorted(won_stages)), 1), else_=0))
        conditions = [LIVE, PLACE.in_(sorted(closed)), entered >= start, entered < end]
        if pipeline_ids is not None:
            conditions.append(deals.c.pipeline_id.in_(sorted(pipeline_ids)))
        query = sa.select(month, sa.func.count(), won).where(*conditions).group_by(month)
        rows = [
            (str(m), int(w or 0), int(n) - int(w or 0)) for m, n, w in self._conn.execute(query)
        ]
        return sorted(rows)
