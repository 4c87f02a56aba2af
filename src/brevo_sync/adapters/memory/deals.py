"""Deals, stage history and the catalogue of the in-memory mirror (the SQL `deal_store`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from brevo_sync.adapters.memory.mirror import Transaction
from brevo_sync.adapters.memory.rows import (
    HistoryRow,
    QuarantineRow,
    deal_of,
    deal_record,
    json_copy,
    utc,
)
from brevo_sync.domain.deal import Deal, DealAttribute, Pipeline
from brevo_sync.domain.moves import MirroredDeal, StageMove, recorded_move
from brevo_sync.domain.sync import Quarantined

DEALS = "deals"


class MemoryDealRepository:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def mirrored(self, ids: Sequence[str]) -> dict[str, MirroredDeal]:
        found: dict[str, MirroredDeal] = {}
        for deal_id in ids:
            r = self._tx.tables.deals.get(deal_id)
            if r is not None:
                found[deal_id] = MirroredDeal(
                    r["pipeline_id"], r["stage_id"], r["updated_at"], r["deleted_at"] is not None
                )
        return found

    def get(self, ids: Sequence[str]) -> dict[str, Deal]:
        records = (self._tx.tables.deals.get(deal_id) for deal_id in ids)
        return {r["id"]: deal_of(r) for r in records if r is not None}

    def upsert(self, deals: Sequence[Deal], now: datetime) -> None:
        table = self._tx.tables.deals
        for deal in deals:  # a repeated id: the last one wins, as in one SQL executemany
            table.put(deal.id, deal_record(deal, now))

    def quarantine(self, records: Sequence[Quarantined], now: datetime) -> None:
        table = self._tx.tables.quarantine
        for q in records:
            raw = json_copy(dict(q.raw) if isinstance(q.raw, Mapping) else q.raw)
            row_id = table.new_id()
            table.put(row_id, QuarantineRow(row_id, DEALS, q.record_id, q.reason, raw, utc(now)))

    def defer_indexes(self) -> bool:
        return False  # no indexes to build: nothing to defer

    def restore_indexes(self) -> None:
        pass


class MemoryStageHistory:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def add(self, moves: Sequence[StageMove], now: datetime) -> None:
        table = self._tx.tables.history
        for m in moves:
            row_id = table.new_id()
            table.put(
                row_id,
                HistoryRow(
                    id=row_id,
                    deal_id=m.deal_id,
                    pipeline_id=m.pipeline_id,
                    from_stage_id=m.from_stage_id,
                    to_stage_id=m.to_stage_id,
                    changed_at=utc(m.changed_at),
                    source=m.source,
                    owner=m.owner,
                    recorded_at=utc(now),
                ),
            )
        self._close_stays({m.deal_id for m in moves})

    def _close_stays(self, deal_ids: set[str]) -> None:
        """As `bulk.close_stays`: each row's left_at is its deal's next row's changed_at."""
        table = self._tx.tables.history
        rows = sorted(
            (r for r in table.values() if r.deal_id in deal_ids), key=lambda r: (r.changed_at, r.id)
        )
        following: dict[str, datetime | None] = {}
        for r in reversed(rows):
            left_at = following.get(r.deal_id)
            if r.left_at != left_at:
                table.put(r.id, replace(r, left_at=left_at))
            following[r.deal_id] = r.changed_at

    def of_deal(self, deal_id: str) -> list[StageMove]:
        rows = [r for r in self._tx.tables.history.values() if r.deal_id == deal_id]
        return [recorded_move(r) for r in sorted(rows, key=lambda r: (r.changed_at, r.id))]


class MemoryCatalogRepository:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def attribute_names(self) -> set[str]:
        return {a.internal_name for a in self._tx.tables.attributes.values()}

    def attributes(self) -> list[DealAttribute]:
        return sorted(self._tx.tables.attributes.values(), key=lambda a: a.internal_name)

    def add_attribute(self, attribute: DealAttribute, now: datetime) -> None:
        self._tx.tables.attributes.put(attribute.internal_name, attribute)

    def pipelines(self) -> list[Pipeline]:
        stored = sorted(self._tx.tables.pipelines.values(), key=lambda p: p.position)
        return [
            Pipeline(p.id, p.name, tuple(sorted(p.stages, key=lambda s: s.position)), p.position)
            for p in stored
        ]

    def replace(
        self,
        pipelines: Sequence[Pipeline],
        attributes: Sequence[DealAttribute] | None,
        now: datetime,
    ) -> None:
        # What vanished from Brevo goes (deals keep their ids), as in the SQL mirror.
        table = self._tx.tables.pipelines
        table.clear()
        for p in pipelines:
            table.put(p.id, p)
        if attributes is None:
            return  # the stored attribute catalogue is kept
        kept = self._tx.tables.attributes
        kept.clear()
        for a in attributes:
            kept.put(a.internal_name, a)
