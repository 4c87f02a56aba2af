"""Sync state (cursor, run position, page-size facts, budget) and the run records, in SQL.

The sync state is one row per resource ("deals"), written at driver level because the pull
writes it with every page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from brevo_sync.adapters.store.bulk import upsert_row
from brevo_sync.adapters.store.tables import runs, sync_state
from brevo_sync.domain.budget import BudgetSnapshot
from brevo_sync.domain.retention import fold_runs
from brevo_sync.domain.runs import RunInfo, RunResult
from brevo_sync.domain.sync import PageSizeFacts, RunPosition, SyncState

DEALS = "deals"


def state_from_row(row: Any) -> SyncState:
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
        paging=PageSizeFacts(
            floor=row.page_floor or 0,
            ceiling=row.page_ceiling,
            ceiling_reason=row.page_ceiling_reason,
        ),
    )


def budget_from_row(row: Any) -> BudgetSnapshot | None:
    if row is None or (row.budget_limit is None and row.budget_source is None):
        return None
    return BudgetSnapshot(
        limit=row.budget_limit,
        remaining=row.budget_remaining,
        reset_at=row.budget_reset_at,
        source=row.budget_source or "brevo",
    )


class SqlSyncStateRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get(self) -> SyncState:
        row = self._conn.execute(
            sa.select(sync_state).where(sync_state.c.resource == DEALS)
        ).first()
        return state_from_row(row)

    def save(self, state: SyncState) -> None:
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
            "page_floor": state.paging.floor,
            "page_ceiling": state.paging.ceiling,
            "page_ceiling_reason": state.paging.ceiling_reason,
        }
        upsert_row(self._conn, "sync_state", row, key="resource")

    def mark_catalog(self, now: datetime) -> None:
        upsert_row(
            self._conn, "sync_state", {"resource": DEALS, "catalog_fetched_at": now}, key="resource"
        )

    def save_budget(self, budget: BudgetSnapshot) -> None:
        row = {
            "resource": DEALS,
            "budget_limit": budget.limit,
            "budget_remaining": budget.remaining,
            "budget_reset_at": budget.reset_at,
            "budget_source": budget.source,
        }
        upsert_row(self._conn, "sync_state", row, key="resource")


def run_from_row(row: Any) -> RunInfo:
    return RunInfo(
        id=row.id,
        command=row.command,
        started_at=row.started_at,
        outcome=row.outcome,
        pid=row.pid,
        finished_at=row.finished_at,
        requests=dict(row.requests or {}),
        deals_written=row.deals_written or 0,
        detail=row.detail,
    )


class SqlRunRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def start(self, command: str, now: datetime, pid: int | None) -> int:
        result = self._conn.execute(
            sa.insert(runs).values(
                command=command,
                started_at=now,
                outcome="running",
                requests={},
                requests_total=0,
                deals_written=0,
                pid=pid,
            )
        )
        key = result.inserted_primary_key
        assert key is not None  # an autoincrement insert always returns its key
        return int(key[0])

    def finish(self, run_id: int, result: RunResult) -> None:
        self._conn.execute(
            sa.update(runs)
            .where(runs.c.id == run_id)
            .values(
                finished_at=result.finished_at,
                outcome=result.outcome,
                requests=dict(result.requests),
                requests_total=result.requests_total,
                deals_written=result.deals_written,
                detail=result.detail,
            )
        )

    def running(self) -> list[RunInfo]:
        rows = self._conn.execute(
            sa.select(runs).where(runs.c.outcome == "running").order_by(runs.c.id.desc())
        )
        return [run_from_row(r) for r in rows]

    def spent_since(self, since: datetime) -> list[tuple[datetime, int]]:
        when = sa.func.coalesce(runs.c.finished_at, runs.c.started_at)
        rows = self._conn.execute(
            sa.select(when.label("at"), runs.c.requests_total).where(
                when >= since, runs.c.requests_total > 0
            )
        )
        return [(r.at, int(r.requests_total)) for r in rows]

    def compact_before(self, before: datetime) -> int:
        newest = {
            str(command): int(run_id)
            for command, run_id in self._conn.execute(
                sa.select(runs.c.command, sa.func.max(runs.c.id)).group_by(runs.c.command)
            )
        }
        ended = sa.func.coalesce(runs.c.finished_at, runs.c.started_at)
        old = self._conn.execute(
            sa.select(runs).where(runs.c.outcome != "running", ended < before).order_by(runs.c.id)
        )
        gone = 0
        for fold in fold_runs([run_from_row(r) for r in old], before, newest):
            run = fold.into
            self._conn.execute(
                sa.update(runs)
                .where(runs.c.id == run.id)
                .values(
                    started_at=run.started_at,
                    finished_at=run.finished_at,
                    outcome=run.outcome,
                    requests=dict(run.requests),
                    requests_total=run.requests_total,
                    deals_written=run.deals_written,
                    detail=run.detail,
                )
            )
            for start in range(0, len(fold.drop), 500):  # bound the IN list
                chunk = list(fold.drop[start : start + 500])
                self._conn.execute(sa.delete(runs).where(runs.c.id.in_(chunk)))
            gone += len(fold.drop)
        return gone
