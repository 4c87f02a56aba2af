"""The daemon's jobs as values: what each does to the budget, when it is due again, and the
shared slot that lets one replica (of several on one database) run each scheduled run once.

Nothing here knows about APScheduler or threads: `service/daemon.py` claims a `JobSlot`,
runs the use case and releases the slot with the next due time these rules give.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

JobName = Literal["inbox", "renewals", "push", "pull", "sweep", "reconcile", "prune"]

# The order `run --once` (and a tick where several are due) takes them in: what turns events
# into outbox rows first, then the budget's priority (push, pull, reconcile), the sweep
# (no requests) between pull and reconcile so its alerts are fresh, the history's pruning last.
JOB_ORDER: tuple[JobName, ...] = (
    "inbox",
    "renewals",
    "push",
    "pull",
    "sweep",
    "reconcile",
    "prune",
)
# Jobs that spend Brevo's request budget, first served first.
BUDGET_PRIORITY: tuple[JobName, ...] = ("push", "pull", "reconcile")

Outcome = Literal["ok", "failed", "deferred", "busy", "interrupted", "skipped"]

# A failing job waits interval x 2^failures, at most this long.
MAX_FAILURE_BACKOFF = timedelta(hours=1)
# A job that found the mirror held by another run tries again this soon (or its interval).
BUSY_RETRY = timedelta(seconds=15)


@dataclass(frozen=True, slots=True)
class JobSpec:
    """One job as configured: every `interval` (or at the times of `cron`, a crontab line
    the entrypoint turns into fire times)."""

    name: JobName
    interval: timedelta
    cron: str | None = None

    @property
    def spends_budget(self) -> bool:
        return self.name in BUDGET_PRIORITY


@dataclass(frozen=True, slots=True)
class JobSlot:
    """A job's shared row: when it is due, who runs it now and until when that claim holds
    (a replica that dies leaves a claim that expires), and how its last run ended."""

    job: str
    next_due_at: datetime | None = None  # None: never ran, due now
    claimed_by: str | None = None
    claim_expires_at: datetime | None = None
    runs: int = 0  # claims made so far: the sequence number of the last run
    last_started_at: datetime | None = None
    last_finished_at: datetime | None = None
    last_outcome: str | None = None
    last_detail: str | None = None
    interval_seconds: float | None = None  # the interval in force (the adaptive poll's)
    failures: int = 0  # failed runs in a row

    def due(self, now: datetime) -> bool:
        return self.next_due_at is None or self.next_due_at <= now

    def claimable(self, now: datetime) -> bool:
        free = self.claimed_by is None or (
            self.claim_expires_at is not None and self.claim_expires_at <= now
        )
        return free and self.due(now)


@dataclass(frozen=True, slots=True)
class JobRun:
    """One claimed run of a job, as the `job_runs` log keeps it (unique by job and seq)."""

    job: str
    seq: int
    replica: str
    started_at: datetime
    finished_at: datetime | None = None
    outcome: str | None = None
    requests: int = 0
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class Finished:
    """How a run ended, and when its job is due next."""

    outcome: Outcome
    next_due_at: datetime
    detail: str | None = None
    requests: int = 0
    interval: timedelta | None = None  # the interval in force after this run
    failures: int = 0


def failure_backoff(interval: timedelta, failures: int) -> timedelta:
    """The wait after the `failures`-th failure in a row: the interval, doubling, capped."""
    doubled: timedelta = interval * (2 ** max(0, min(failures - 1, 16)))
    return min(max(doubled, interval), max(MAX_FAILURE_BACKOFF, interval))


def busy_retry(interval: timedelta) -> timedelta:
    return min(interval, BUSY_RETRY)
