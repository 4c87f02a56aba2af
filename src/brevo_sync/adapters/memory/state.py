"""Sync state and run records of the in-memory mirror (the SQL `state_store`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from brevo_sync.adapters.memory.mirror import SYNC_KEY, Transaction
from brevo_sync.adapters.memory.rows import SyncRow, utc
from brevo_sync.domain.budget import BudgetSnapshot
from brevo_sync.domain.retention import fold_runs
from brevo_sync.domain.runs import RunInfo, RunResult
from brevo_sync.domain.sync import RunPosition, SyncState


def stored_run(run: RunPosition | None) -> RunPosition | None:
    if run is None:
        return None
    return replace(
        run,
        since=utc(run.since),
        started_at=utc(run.started_at),
        max_seen=utc(run.max_seen),
        server_start=utc(run.server_start),
    )


class MemorySyncStateRepository:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def _row(self) -> SyncRow:
        return self._tx.tables.sync.get(SYNC_KEY) or SyncRow()

    def get(self) -> SyncState:
        row = self._row()
        return replace(row.state, catalog_fetched_at=row.catalog_fetched_at)

    def save(self, state: SyncState) -> None:
        # The catalogue stamp and the budget have writers of their own, as in SQL.
        kept = replace(
            state,
            cursor=utc(state.cursor),
            run=stored_run(state.run),
            last_success_at=utc(state.last_success_at),
            last_full_at=utc(state.last_full_at),
            catalog_fetched_at=None,
        )
        self._tx.tables.sync.put(SYNC_KEY, replace(self._row(), state=kept))

    def mark_catalog(self, now: datetime) -> None:
        self._tx.tables.sync.put(SYNC_KEY, replace(self._row(), catalog_fetched_at=utc(now)))

    def save_budget(self, budget: BudgetSnapshot) -> None:
        stored = replace(budget, reset_at=utc(budget.reset_at))
        self._tx.tables.sync.put(SYNC_KEY, replace(self._row(), budget=stored))


def run_copy(run: RunInfo) -> RunInfo:
    """A run handed out: its requests are the caller's to change."""
    return replace(run, requests=dict(run.requests))


class MemoryRunRepository:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def start(self, command: str, now: datetime, pid: int | None) -> int:
        runs = self._tx.tables.runs
        run_id = runs.new_id()
        runs.put(run_id, RunInfo(run_id, command, utc(now), "running", pid=pid, requests={}))
        return run_id

    def finish(self, run_id: int, result: RunResult) -> None:
        run = self._tx.tables.runs.get(run_id)
        if run is None:
            return  # as an UPDATE of no row
        self._tx.tables.runs.put(
            run_id,
            replace(
                run,
                finished_at=utc(result.finished_at),
                outcome=result.outcome,
                requests=dict(result.requests),
                deals_written=result.deals_written,
                detail=result.detail,
            ),
        )

    def running(self) -> list[RunInfo]:
        runs = [r for r in self._tx.tables.runs.values() if r.outcome == "running"]
        return [run_copy(r) for r in sorted(runs, key=lambda r: r.id, reverse=True)]

    def spent_since(self, since: datetime) -> list[tuple[datetime, int]]:
        spent = []
        for run in sorted(self._tx.tables.runs.values(), key=lambda r: r.id):
            at = run.finished_at or run.started_at
            if at >= since and run.requests_total > 0:
                spent.append((at, run.requests_total))
        return spent

    def compact_before(self, before: datetime) -> int:
        table = self._tx.tables.runs
        every = table.values()
        newest: dict[str, int] = {}
        for run in every:
            newest[run.command] = max(newest.get(run.command, run.id), run.id)
        gone = 0
        for fold in fold_runs(every, before, newest):
            table.put(fold.into.id, fold.into)
            for run_id in fold.drop:
                table.delete(run_id)
            gone += len(fold.drop)
        return gone
