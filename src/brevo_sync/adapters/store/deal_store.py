"""Deals, stage history and the catalogue on one SQL connection (a unit of work's).

The pull's hot path is `mirrored` + `upsert` + `StageHistory.add`: one SELECT of a page's ids
and two driver-level executemany statements (`bulk.py`), all in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from brevo_sync.adapters.store.bulk import (
    insert_stage_moves,
    mirrored_deals,
    upsert_deals,
)
from brevo_sync.adapters.store.tables import (
    SWEEP_INDEXES,
    deal_attributes,
    deals,
    pipelines,
    quarantine,
    stage_history,
    stages,
)
from brevo_sync.domain.deal import Deal, DealAttribute, Pipeline, Stage
from brevo_sync.domain.moves import MirroredDeal, StageMove, recorded_move
from brevo_sync.domain.sync import Quarantined

DEALS = "deals"


def deal_from_row(row: Any) -> Deal:
    """A Deal from a `deals` row read through SQLAlchemy (typed columns converted)."""
    return Deal(
        id=row.id,
        name=row.name,
        pipeline_id=row.pipeline_id,
        stage_id=row.stage_id,
        owner=row.owner,
        amount=None if row.amount is None else Decimal(str(row.amount)),
        currency=row.currency,
        close_date=row.close_date,
        created_at=row.created_at,
        updated_at=row.updated_at,
        stage_updated_at=row.stage_updated_at,
        last_activity_at=row.last_activity_at,
        attributes=dict(row.attributes or {}),
        contact_ids=tuple(int(c) for c in row.contact_ids or ()),
        company_ids=tuple(str(c) for c in row.company_ids or ()),
    )


class SqlDealRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def mirrored(self, ids: Sequence[str]) -> dict[str, MirroredDeal]:
        return mirrored_deals(self._conn, ids)

    def get(self, ids: Sequence[str]) -> dict[str, Deal]:
        if not ids:
            return {}
        rows = self._conn.execute(sa.select(deals).where(deals.c.id.in_(list(ids))))
        return {row.id: deal_from_row(row) for row in rows}

    def upsert(self, batch: Sequence[Deal], now: datetime) -> None:
        upsert_deals(self._conn, batch, now)

    def quarantine(self, records: Sequence[Quarantined], now: datetime) -> None:
        if not records:
            return
        self._conn.execute(
            sa.insert(quarantine),
            [
                {
                    "resource": DEALS,
                    "record_id": q.record_id,
                    "reason": q.reason,
                    "raw": dict(q.raw) if isinstance(q.raw, Mapping) else q.raw,
                    "seen_at": now,
                }
                for q in records
            ],
        )

    def defer_indexes(self) -> bool:
        """Drop the deal table's secondary indexes while it is still empty, to be built once,
        sorted, when the first full read completes: maintaining them page by page cost more
        than half of a first pull's writes; building them at the end costs a fraction."""
        if self._conn.execute(sa.select(deals.c.id).limit(1)).first() is not None:
            return False
        for index in deals.indexes:
            self._conn.execute(sa.schema.DropIndex(index, if_exists=True))
        return True

    def restore_indexes(self) -> None:
        ensure_deal_indexes(self._conn, include_sweep=False)


def ensure_deal_indexes(conn: Connection, *, include_sweep: bool = True) -> None:
    """Create any index of the deals table that is missing (a no-op when none is).

    After a bulk load the pull rebuilds only the mirror's own indexes; the rules sweep's
    covering indexes are built by the first sweep that needs them, so a mirror whose rules
    are never swept never pays for them."""
    sweep = {ix.name for ix in SWEEP_INDEXES}
    # IF NOT EXISTS rather than reflection: SQLite cannot reflect expression indexes.
    for index in deals.indexes:
        if include_sweep or index.name not in sweep:
            conn.execute(sa.schema.CreateIndex(index, if_not_exists=True))


class SqlStageHistory:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, moves: Sequence[StageMove], now: datetime) -> None:
        insert_stage_moves(self._conn, moves, now)

    def of_deal(self, deal_id: str) -> list[StageMove]:
        rows = self._conn.execute(
            sa.select(stage_history)
            .where(stage_history.c.deal_id == deal_id)
            .order_by(stage_history.c.changed_at, stage_history.c.id)
        )
        return [recorded_move(r) for r in rows]


class SqlCatalogRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def attribute_names(self) -> set[str]:
        rows = self._conn.execute(sa.select(deal_attributes.c.internal_name))
        return {r.internal_name for r in rows}

    def attributes(self) -> list[DealAttribute]:
        rows = self._conn.execute(
            sa.select(deal_attributes).order_by(deal_attributes.c.internal_name)
        )
        return [
            DealAttribute(
                r.internal_name,
                r.label,
                r.type,
                tuple((str(k), str(v)) for k, v in r.options or ()),
                bool(r.is_required),
                bool(r.is_readonly),
            )
            for r in rows
        ]

    def add_attribute(self, attribute: DealAttribute, now: datetime) -> None:
        self._conn.execute(
            sa.delete(deal_attributes).where(
                deal_attributes.c.internal_name == attribute.internal_name
            )
        )
        self._conn.execute(
            sa.insert(deal_attributes).values(
                internal_name=attribute.internal_name,
                label=attribute.label,
                type=attribute.type,
                options=[list(o) for o in attribute.options],
                is_required=attribute.is_required,
                is_readonly=attribute.is_readonly,
                fetched_at=now,
            )
        )

    def pipelines(self) -> list[Pipeline]:
        stage_rows = self._conn.execute(sa.select(stages).order_by(stages.c.position)).all()
        pipeline_rows = self._conn.execute(
            sa.select(pipelines).order_by(pipelines.c.position)
        ).all()
        by_pipeline: dict[str, list[Stage]] = {}
        for s in stage_rows:
            by_pipeline.setdefault(s.pipeline_id, []).append(Stage(s.id, s.name, s.position))
        return [
            Pipeline(p.id, p.name, tuple(by_pipeline.get(p.id, ())), p.position)
            for p in pipeline_rows
        ]

    def replace(
        self,
        pipeline_list: Sequence[Pipeline],
        attributes: Sequence[DealAttribute] | None,
        now: datetime,
    ) -> None:
        conn = self._conn
        # Stages and pipelines that vanished from Brevo are removed: deals keep their ids,
        # and the mirror shows the catalogue Brevo has now.
        conn.execute(sa.delete(stages))
        conn.execute(sa.delete(pipelines))
        if pipeline_list:
            conn.execute(
                sa.insert(pipelines),
                [
                    {"id": p.id, "name": p.name, "position": p.position, "fetched_at": now}
                    for p in pipeline_list
                ],
            )
        stage_rows = [
            {"id": s.id, "pipeline_id": p.id, "name": s.name, "position": s.position}
            for p in pipeline_list
            for s in p.stages
        ]
        if stage_rows:
            conn.execute(sa.insert(stages), stage_rows)
        if attributes is None:
            return
        conn.execute(sa.delete(deal_attributes))
        if attributes:
            conn.execute(
                sa.insert(deal_attributes),
                [
                    {
                        "internal_name": a.internal_name,
                        "label": a.label,
                        "type": a.type,
                        "options": [list(o) for o in a.options],
                        "is_required": a.is_required,
                        "is_readonly": a.is_readonly,
                        "fetched_at": now,
                    }
                    for a in attributes
                ],
            )
