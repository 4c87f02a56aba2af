"""The mirror's write side for pulls (`MirrorStore`), on SQLAlchemy Core.

Every public method is one transaction. `commit_page` is the hot path of a pull: one SELECT
of the page's ids, one multi-row upsert, one insert of stage moves, one state update.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from brevo_sync.adapters.store.alerts import SWEEP_INDEXES
from brevo_sync.adapters.store.bulk import (
    KnownDeal,
    insert_stage_moves,
    known_deals,
    upsert_deals,
    upsert_row,
    version_stamper,
)
from brevo_sync.adapters.store.tables import (
    deal_attributes,
    deals,
    pipelines,
    quarantine,
    runs,
    stages,
    sync_state,
)
from brevo_sync.domain.budget import BudgetSnapshot
from brevo_sync.domain.deal import Deal, DealAttribute, Pipeline
from brevo_sync.domain.sync import PageOutcome, Quarantined, RunPosition, SyncState

DEALS = "deals"


def _is_unchanged(known: KnownDeal | None, version: Any) -> bool:
    """Already mirrored at this version (or newer): overlap re-reads write nothing."""
    if known is None or known.deleted or version is None:
        return False
    return known.updated is not None and known.updated >= version


def _newest_per_id(batch: Sequence[Deal]) -> list[Deal]:
    """One record per id (the newest): a page can repeat a deal when the list moved."""
    newest: dict[str, Deal] = {}
    for deal in batch:
        seen = newest.get(deal.id)
        if seen is None or _later(deal, seen):
            newest[deal.id] = deal
    return list(newest.values())


def _later(a: Deal, b: Deal) -> bool:
    if a.updated_at is None or b.updated_at is None:
        return True
    return a.updated_at >= b.updated_at


class SqlMirror:
    """`MirrorStore` on a SQLAlchemy engine (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- state ---------------------------------------------------------------------------
    def sync_state(self) -> SyncState:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(sync_state).where(sync_state.c.resource == DEALS)).first()
        if row is None:
            return SyncState()
        run = None
        if row.run_started_at is not None:
            run = RunPosition(
                since=row.run_since,
                offset=row.run_offset or 0,
                full=bool(row.run_full),
                started_at=row.run_started_at,
                max_seen=row.run_max_seen,
                server_start=row.run_server_start,
            )
        return SyncState(
            cursor=row.cursor,
            run=run,
            last_success_at=row.last_success_at,
            last_full_at=row.last_full_at,
            catalog_fetched_at=row.catalog_fetched_at,
        )

    def _save_state(self, conn: Connection, state: SyncState) -> None:
        run = state.run
        row = {
            "resource": DEALS,
            "cursor": state.cursor,
            "run_since": run.since if run else None,
            "run_offset": run.offset if run else None,
            "run_full": run.full if run else None,
            "run_max_seen": run.max_seen if run else None,
            "run_server_start": run.server_start if run else None,
            "run_started_at": run.started_at if run else None,
            "last_success_at": state.last_success_at,
            "last_full_at": state.last_full_at,
        }
        upsert_row(conn, "sync_state", row, key="resource")

    def save_budget(self, budget: BudgetSnapshot) -> None:
        with self.engine.begin() as conn:
            row = {
                "resource": DEALS,
                "budget_limit": budget.limit,
                "budget_remaining": budget.remaining,
                "budget_reset_at": budget.reset_at,
            }
            upsert_row(conn, "sync_state", row, key="resource")

    # -- catalogue -----------------------------------------------------------------------
    def known_stage_ids(self) -> set[str]:
        with self.engine.connect() as conn:
            return set(conn.execute(sa.select(stages.c.id)).scalars())

    def replace_catalog(
        self,
        pipeline_list: Sequence[Pipeline],
        attributes: Sequence[DealAttribute] | None,
        now: datetime,
    ) -> None:
        with self.engine.begin() as conn:
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
            if attributes is not None:
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
            row = {"resource": DEALS, "catalog_fetched_at": now}
            upsert_row(conn, "sync_state", row, key="resource")

    # -- deals ---------------------------------------------------------------------------
    def prepare_full_read(self) -> bool:
        """Before the first page of a full read: if the mirror has no deals yet, drop the deal
        table's secondary indexes, to be built once, sorted, when the read completes (see
        `commit_page`). Maintaining them page by page cost more than half of a first pull's
        writes; building them at the end costs a fraction. Returns whether it deferred."""
        with self.engine.begin() as conn:
            if conn.execute(sa.select(deals.c.id).limit(1)).first() is not None:
                return False
            for index in deals.indexes:
                conn.execute(sa.schema.DropIndex(index, if_exists=True))
        return True

    def commit_page(
        self,
        batch: Sequence[Deal],
        quarantined: Sequence[Quarantined],
        state: SyncState,
        now: datetime,
    ) -> PageOutcome:
        batch = _newest_per_id(batch)
        with self.engine.begin() as conn:
            known = known_deals(conn, [d.id for d in batch])
            version = version_stamper(conn)
            changed = [
                d for d in batch if not _is_unchanged(known.get(d.id), version(d.updated_at))
            ]
            moves = [
                _stage_move(d, known.get(d.id), now)
                for d in changed
                if d.stage_id is not None
                and (known.get(d.id) is None or known[d.id].stage_id != d.stage_id)
            ]
            upsert_deals(conn, changed, now)
            insert_stage_moves(conn, moves)
            if quarantined:
                conn.execute(
                    sa.insert(quarantine),
                    [
                        {
                            "resource": DEALS,
                            "record_id": q.record_id,
                            "reason": q.reason,
                            "raw": dict(q.raw) if isinstance(q.raw, Mapping) else q.raw,
                            "seen_at": now,
                        }
                        for q in quarantined
                    ],
                )
            self._save_state(conn, state)
            if state.run is None:  # the read completed: the mirror's own indexes come back
                ensure_deal_indexes(conn, include_sweep=False)
        return PageOutcome(
            written=len(changed),
            unchanged=len(batch) - len(changed),
            stage_changes=sum(1 for m in moves if m["from_stage_id"] is not None),
        )

    # -- runs ----------------------------------------------------------------------------
    def start_run(self, command: str, now: datetime) -> int:
        with self.engine.begin() as conn:
            result = conn.execute(
                sa.insert(runs).values(
                    command=command,
                    started_at=now,
                    outcome="running",
                    requests={},
                    requests_total=0,
                    deals_written=0,
                )
            )
            key = result.inserted_primary_key
            assert key is not None  # an autoincrement insert always returns its key
            return int(key[0])

    def finish_run(
        self,
        run_id: int,
        *,
        outcome: str,
        requests: Mapping[str, int],
        deals_written: int,
        detail: str | None,
        now: datetime,
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                sa.update(runs)
                .where(runs.c.id == run_id)
                .values(
                    finished_at=now,
                    outcome=outcome,
                    requests=dict(requests),
                    requests_total=sum(requests.values()),
                    deals_written=deals_written,
                    detail=detail,
                )
            )


def ensure_deal_indexes(conn: Connection, *, include_sweep: bool = True) -> None:
    """Create any index of the deals table that is missing (a no-op when none is).

    After a bulk load the pull rebuilds only the mirror's own indexes; the rules sweep's
    covering indexes are built by the first sweep that needs them (it calls this with
    `include_sweep=True`), so a mirror whose rules are never swept never pays for them."""
    sweep = {ix.name for ix in SWEEP_INDEXES}
    # IF NOT EXISTS rather than reflection: SQLite cannot reflect expression indexes.
    for index in deals.indexes:
        if include_sweep or index.name not in sweep:
            conn.execute(sa.schema.CreateIndex(index, if_not_exists=True))


def _stage_move(deal: Deal, known: KnownDeal | None, now: datetime) -> dict[str, Any]:
    """A stage history row. The time is Brevo's stage_updated_at when it gives one; for a
    deal seen for the first time, its creation; otherwise the moment we noticed."""
    changed_at = deal.stage_updated_at or (deal.created_at if known is None else None)
    return {
        "deal_id": deal.id,
        "pipeline_id": deal.pipeline_id,
        "from_stage_id": known.stage_id if known is not None else None,
        "to_stage_id": deal.stage_id,
        "changed_at": changed_at or deal.updated_at or now,
        "source": "pull",
        "owner": deal.owner,
        "recorded_at": now,
    }
