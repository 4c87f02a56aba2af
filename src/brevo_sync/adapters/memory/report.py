"""The HTML report's own question on the in-memory mirror (the SQL `store/report_sql.py`)."""

from __future__ import annotations

from datetime import datetime

from brevo_sync.adapters.memory.mirror import Transaction
from brevo_sync.adapters.memory.rows import utc


class MemoryReportQueries:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def closed_by_month(
        self,
        won_stages: frozenset[tuple[str, str]],
        lost_stages: frozenset[tuple[str, str]],
        pipeline_ids: frozenset[str] | None,
        start: datetime,
        end: datetime,
    ) -> list[tuple[str, int, int]]:
        start, end = utc(start), utc(end)
        counts: dict[str, list[int]] = {}
        for r in self._tx.tables.deals.values():
            place = (r["pipeline_id"], r["stage_id"])
            if r["deleted_at"] is not None or place not in won_stages | lost_stages:
                continue
            if pipeline_ids is not None and r["pipeline_id"] not in pipeline_ids:
                continue
            entered = r["stage_updated_at"] or r["created_at"]  # `stage_entry`
            if entered is None or not start <= entered < end:
                continue
            won_lost = counts.setdefault(f"{entered:%Y-%m}", [0, 0])
            won_lost[0 if place in won_stages else 1] += 1
        return sorted((month, won, lost) for month, (won, lost) in counts.items())
