"""The daemon's job slots and run log in SQL (`job_slots`, `job_runs`; see domain/jobs.py).

A claim is one conditional UPDATE: the row must be due and unclaimed (or its claim expired).
On PostgreSQL the row lock makes a second replica's UPDATE wait for the first to commit and
then re-check the condition, which no longer holds: one replica wins; SQLite has one writer
at a time, which gives the same. The winner logs the run under the slot's new sequence
number, unique per job, so a run that happened twice could not even be recorded.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from brevo_sync.adapters.store.tables import job_runs, job_slots
from brevo_sync.domain.jobs import Finished, JobRun, JobSlot


def slot_of(r: Any) -> JobSlot:
    return JobSlot(
        job=r.job,
        next_due_at=r.next_due_at,
        claimed_by=r.claimed_by,
        claim_expires_at=r.claim_expires_at,
        runs=r.runs,
        last_started_at=r.last_started_at,
        last_finished_at=r.last_finished_at,
        last_outcome=r.last_outcome,
        last_detail=r.last_detail,
        interval_seconds=r.interval_seconds,
        failures=r.failures,
    )


def run_of(r: Any) -> JobRun:
    return JobRun(
        job=r.job,
        seq=r.seq,
        replica=r.replica,
        started_at=r.started_at,
        finished_at=r.finished_at,
        outcome=r.outcome,
        requests=r.requests,
        detail=r.detail,
    )


class SqlJobRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def slots(self) -> list[JobSlot]:
        return [slot_of(r) for r in self._conn.execute(sa.select(job_slots))]

    def get(self, job: str) -> JobSlot | None:
        r = self._conn.execute(sa.select(job_slots).where(job_slots.c.job == job)).first()
        return None if r is None else slot_of(r)

    def _ensure(self, job: str) -> None:
        insert = (sqlite if self._conn.dialect.name == "sqlite" else postgresql).insert
        self._conn.execute(
            insert(job_slots)
            .values(job=job, runs=0, failures=0)
            .on_conflict_do_nothing(index_elements=["job"])
        )

    def claim(self, job: str, *, replica: str, now: datetime, until: datetime) -> JobSlot | None:
        self._ensure(job)
        c = job_slots.c
        claimed = self._conn.execute(
            sa.update(job_slots)
            .where(
                c.job == job,
                sa.or_(c.next_due_at.is_(None), c.next_due_at <= now),
                sa.or_(c.claimed_by.is_(None), c.claim_expires_at <= now),
            )
            .values(
                claimed_by=replica,
                claim_expires_at=until,
                runs=c.runs + 1,
                last_started_at=now,
            )
            .returning(*job_slots.c)
        ).first()
        if claimed is None:
            return None
        self._conn.execute(
            sa.insert(job_runs).values(
                job=job, seq=claimed.runs, replica=replica, started_at=now, requests=0
            )
        )
        return slot_of(claimed)

    def extend(self, job: str, *, replica: str, until: datetime) -> bool:
        result = self._conn.execute(
            sa.update(job_slots)
            .where(job_slots.c.job == job, job_slots.c.claimed_by == replica)
            .values(claim_expires_at=until),
            execution_options={"preserve_rowcount": True},
        )
        return result.rowcount > 0

    def release(
        self, job: str, seq: int, *, replica: str, now: datetime, finished: Finished
    ) -> bool:
        c = job_slots.c
        interval = finished.interval.total_seconds() if finished.interval is not None else None
        values: dict[str, Any] = {
            "claimed_by": None,
            "claim_expires_at": None,
            "next_due_at": finished.next_due_at,
            "last_finished_at": now,
            "last_outcome": finished.outcome,
            "last_detail": finished.detail,
            "failures": finished.failures,
        }
        if interval is not None:
            values["interval_seconds"] = interval
        result = self._conn.execute(
            sa.update(job_slots).where(c.job == job, c.claimed_by == replica).values(**values),
            execution_options={"preserve_rowcount": True},
        )
        self._conn.execute(
            sa.update(job_runs)
            .where(job_runs.c.job == job, job_runs.c.seq == seq)
            .values(
                finished_at=now,
                outcome=finished.outcome,
                requests=finished.requests,
                detail=finished.detail,
            )
        )
        return result.rowcount > 0

    def hint(self, job: str, due_at: datetime) -> None:
        self._ensure(job)
        c = job_slots.c
        self._conn.execute(
            sa.update(job_slots)
            .where(c.job == job, sa.or_(c.next_due_at.is_(None), c.next_due_at > due_at))
            .values(next_due_at=due_at)
        )

    def runs_since(self, since: datetime, job: str | None = None) -> list[JobRun]:
        statement = sa.select(job_runs).where(job_runs.c.started_at >= since)
        if job is not None:
            statement = statement.where(job_runs.c.job == job)
        statement = statement.order_by(job_runs.c.job, job_runs.c.seq)
        return [run_of(r) for r in self._conn.execute(statement)]

    def prune_runs(self, before: datetime) -> int:
        ended = sa.func.coalesce(job_runs.c.finished_at, job_runs.c.started_at)
        result = self._conn.execute(
            # started_at < before follows from ended < before; said too, it lets the
            # started_at index find the rows instead of a scan of the whole run log.
            sa.delete(job_runs).where(job_runs.c.started_at < before, ended < before),
            execution_options={"preserve_rowcount": True},
        )
        return max(int(result.rowcount), 0)
