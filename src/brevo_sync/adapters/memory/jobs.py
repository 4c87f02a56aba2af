"""The daemon's job slots and run log in the in-memory mirror (the SQL `jobs_store`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from brevo_sync.adapters.memory.mirror import Transaction
from brevo_sync.adapters.memory.rows import utc
from brevo_sync.domain.jobs import Finished, JobRun, JobSlot


class MemoryJobRepository:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def slots(self) -> list[JobSlot]:
        return self._tx.tables.job_slots.values()

    def get(self, job: str) -> JobSlot | None:
        return self._tx.tables.job_slots.get(job)

    def claim(self, job: str, *, replica: str, now: datetime, until: datetime) -> JobSlot | None:
        slot = self._tx.tables.job_slots.get(job) or JobSlot(job=job)
        if not slot.claimable(now):
            return None
        claimed = replace(
            slot,
            claimed_by=replica,
            claim_expires_at=utc(until),
            runs=slot.runs + 1,
            last_started_at=utc(now),
        )
        self._tx.tables.job_slots.put(job, claimed)
        run = JobRun(job=job, seq=claimed.runs, replica=replica, started_at=utc(now) or now)
        self._tx.tables.job_runs.put((job, claimed.runs), run)
        return claimed

    def extend(self, job: str, *, replica: str, until: datetime) -> bool:
        slot = self._tx.tables.job_slots.get(job)
        if slot is None or slot.claimed_by != replica:
            return False
        self._tx.tables.job_slots.put(job, replace(slot, claim_expires_at=utc(until)))
        return True

    def release(
        self, job: str, seq: int, *, replica: str, now: datetime, finished: Finished
    ) -> bool:
        run = self._tx.tables.job_runs.get((job, seq))
        if run is not None:
            self._tx.tables.job_runs.put(
                (job, seq),
                replace(
                    run,
                    finished_at=utc(now),
                    outcome=finished.outcome,
                    requests=finished.requests,
                    detail=finished.detail,
                ),
            )
        slot = self._tx.tables.job_slots.get(job)
        if slot is None or slot.claimed_by != replica:
            return False
        interval = (
            finished.interval.total_seconds()
            if finished.interval is not None
            else slot.interval_seconds
        )
        self._tx.tables.job_slots.put(
            job,
            replace(
                slot,
                claimed_by=None,
                claim_expires_at=None,
                next_due_at=utc(finished.next_due_at),
                last_finished_at=utc(now),
                last_outcome=finished.outcome,
                last_detail=finished.detail,
                failures=finished.failures,
                interval_seconds=interval,
            ),
        )
        return True

    def hint(self, job: str, due_at: datetime) -> None:
        slot = self._tx.tables.job_slots.get(job) or JobSlot(job=job)
        if slot.next_due_at is None or slot.next_due_at > due_at:
            self._tx.tables.job_slots.put(job, replace(slot, next_due_at=utc(due_at)))

    def runs_since(self, since: datetime, job: str | None = None) -> list[JobRun]:
        runs = [
            r
            for r in self._tx.tables.job_runs.values()
            if r.started_at >= since and (job is None or r.job == job)
        ]
        return sorted(runs, key=lambda r: (r.job, r.seq))

    def prune_runs(self, before: datetime) -> int:
        table = self._tx.tables.job_runs
        old = [key for key, r in table.items() if (r.finished_at or r.started_at) < before]
        for key in old:
            table.delete(key)
        return len(old)
