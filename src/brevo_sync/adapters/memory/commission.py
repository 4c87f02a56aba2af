"""The commission statement's reads on the in-memory mirror (the SQL `store/commission.py`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from brevo_sync.adapters.memory.mirror import Transaction
from brevo_sync.adapters.memory.rows import DealRecord, HistoryRow, deal_of, utc
from brevo_sync.domain.deal import Deal
from brevo_sync.domain.moves import StageMove, recorded_move


def _won_at(record: DealRecord, history: Sequence[HistoryRow]) -> datetime | None:
    """As the SQL `won_at()`: stage_updated_at, the latest move into the stage, creation."""
    entered = [h.changed_at for h in history if h.to_stage_id == record["stage_id"]]
    return record["stage_updated_at"] or max(entered, default=None) or record["created_at"]


class MemoryCommissionSource:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def _history(self) -> dict[str, list[HistoryRow]]:
        by_deal: dict[str, list[HistoryRow]] = {}
        for row in self._tx.tables.history.values():
            by_deal.setdefault(row.deal_id, []).append(row)
        return by_deal

    def won_between(
        self, won_stages: frozenset[tuple[str, str]], start: datetime, end: datetime
    ) -> list[Deal]:
        start, end = utc(start), utc(end)
        history = self._history()
        found: list[tuple[datetime, str, DealRecord]] = []
        for record in self._tx.tables.deals.values():
            if record["deleted_at"] is not None:
                continue
            if (record["pipeline_id"], record["stage_id"]) not in won_stages:
                continue
            when = _won_at(record, history.get(record["id"], []))
            if when is not None and start <= when < end:
                found.append((when, record["id"], record))
        found.sort(key=lambda item: (item[0], item[1]))
        return [deal_of(record) for _, _, record in found]

    def histories(self, deal_ids: Sequence[str]) -> dict[str, list[StageMove]]:
        wanted = set(deal_ids)
        found: dict[str, list[HistoryRow]] = {deal_id: [] for deal_id in deal_ids}
        for row in self._tx.tables.history.values():
            if row.deal_id in wanted:
                found[row.deal_id].append(row)
        return {
            deal_id: [recorded_move(r) for r in sorted(rows, key=lambda r: (r.changed_at, r.id))]
            for deal_id, rows in found.items()
        }
