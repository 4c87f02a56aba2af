"""The daemon's jobs: claim a job's shared slot, admit it against the one request budget, run
its use case, and release the slot with the time it is due again.

    jobs = DaemonJobs(ctx, job_context, options)
    jobs.run("pull")           # None when it is not due or another replica has it
    jobs.run_due()             # every due job once, in JOB_ORDER (`run --once`)

The scheduler (APScheduler, `entrypoints/daemon`) only decides when to *look*: whether a job
runs is decided here, from the database every replica shares, so each scheduled run happens
once across replicas, a replica that dies leaves a claim that expires, and one budget paces
them all (`domain/budget_plan.py`). Every use case is the one the CLI runs, recorded as a run
(`service/runs.py`); each job gets a context of its own (a fresh gateway, so the budget it
counts starts from what the database says every replica spent).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol

import structlog

from brevo_sync.domain.budget_plan import Admission, BudgetView, admit, budget_view, pull_reserve
from brevo_sync.domain.jobs import (
    JOB_ORDER,
    Finished,
    JobName,
    JobSlot,
    JobSpec,
    busy_retry,
    failure_backoff,
)
from brevo_sync.domain.polling import PollPolicy
from brevo_sync.domain.retention import DEFAULT_HISTORY_DAYS
from brevo_sync.errors import BrevoRateLimited, BrevoSyncError, Interrupted, MirrorBusy
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.daemon_steps import (
    JobResult,
    StepSettings,
    has_work,
    request_early_pull,
    run_step,
)

log = structlog.get_logger(__name__)

JobContexts = Callable[[], AbstractContextManager[ServiceContext]]
WINDOW = timedelta(hours=1)
FIRST_PULL_WAIT = timedelta(minutes=1)  # delete detection looks again this soon


class JobObserver(Protocol):
    """Told about every run (the entrypoint's metrics)."""

    def started(self, job: str, lag_seconds: float) -> None: ...

    def finished(self, job: str, finished: Finished, seconds: float) -> None: ...


@dataclass(frozen=True, slots=True)
class DaemonOptions:
    specs: dict[JobName, JobSpec]
    poll: PollPolicy
    replica: str  # who claims: host and pid
    claim_ttl: timedelta = timedelta(minutes=5)
    requests_per_hour: int = 100
    budget_reserve: int = 0
    reconcile_share: float = 0.5
    hint_debounce: timedelta = timedelta(seconds=2)
    inbox_max_attempts: int = 10
    history: timedelta = timedelta(days=DEFAULT_HISTORY_DAYS)  # the prune job keeps this
    # Cron jobs: the next fire time after a moment (the entrypoint's crontab parser).
    next_fire: Callable[[JobName, datetime], datetime | None] | None = None


@dataclass
class DaemonJobs:
    ctx: ServiceContext  # the daemon's own: the mirror, the clock, the stop token
    job_context: JobContexts  # one per run: a fresh gateway over the same mirror
    options: DaemonOptions
    observer: JobObserver | None = None
    _heartbeat_seconds: float = field(default=0.0, init=False)

    def __post_init__(self) -> None:
        self._heartbeat_seconds = max(0.2, self.options.claim_ttl.total_seconds() / 3)

    # -- one job -------------------------------------------------------------------------

    def run(self, name: JobName) -> Finished | None:
        """Run `name` if it is due and this replica claims it; how it ended, or None."""
        if self.ctx.stop.requested:
            return None
        spec = self.options.specs[name]
        now = self.ctx.clock()
        with self.ctx.uow() as uow:
            slot = uow.jobs.get(name)
        if slot is not None and not slot.claimable(now):
            return None  # not due, or another replica runs it
        if not has_work(name, self.ctx):
            return None
        with self.ctx.uow() as uow:
            slot = uow.jobs.claim(
                name, replica=self.options.replica, now=now, until=now + self.options.claim_ttl
            )
            uow.commit()
        if slot is None:
            return None
        lag = (now - slot.next_due_at).total_seconds() if slot.next_due_at else 0.0
        if self.observer is not None:
            self.observer.started(name, max(0.0, lag))
        started = time.monotonic()
        with structlog.contextvars.bound_contextvars(
            job=name, job_run=slot.runs, replica=self.options.replica
        ):
            stop_beat = self._heartbeat(name)
            try:
                finished = self._execute(spec, slot)
            finally:
                stop_beat.set()
            self._release(name, slot.runs, finished)
            log.info(
                "job finished",
                outcome=finished.outcome,
                requests=finished.requests,
                detail=finished.detail,
                next_due_at=finished.next_due_at.isoformat(),
                seconds=round(time.monotonic() - started, 3),
            )
        if self.observer is not None:
            self.observer.finished(name, finished, time.monotonic() - started)
        return finished

    def run_due(self) -> dict[JobName, Finished | None]:
        """Every configured job that is due, once, in JOB_ORDER (`run --once`)."""
        done: dict[JobName, Finished | None] = {}
        for name in JOB_ORDER:
            if name in self.options.specs and not self.ctx.stop.requested:
                done[name] = self.run(name)
        return done

    def request_early_pull(self) -> None:
        """A hint (a Brevo webhook): the pull is due after the debounce, on every replica."""
        request_early_pull(self.ctx, self.options.hint_debounce)

    @property
    def _steps(self) -> StepSettings:
        return StepSettings(
            inbox_max_attempts=self.options.inbox_max_attempts,
            hint_debounce=self.options.hint_debounce,
            history=self.options.history,
        )

    # -- inside a run --------------------------------------------------------------------

    def _execute(self, spec: JobSpec, slot: JobSlot) -> Finished:
        interval = self._interval(spec, slot)
        try:
            admission = self._admit(spec, interval)
            if not admission.go:
                due = admission.retry_at or self.ctx.clock() + interval
                return Finished("deferred", due, admission.reason, failures=slot.failures)
            with self.job_context() as jctx:
                if admission.share is not None:
                    jctx = replace(jctx, reconcile_budget_share=admission.share)
                result = run_step(spec.name, jctx, self._steps)
        except (Interrupted, KeyboardInterrupt) as exc:
            # The step stopped at a safe point: due at once, for whichever replica goes on.
            return Finished("interrupted", self.ctx.clock(), str(exc) or "stopped")
        except MirrorBusy as exc:
            return Finished("busy", self._later(busy_retry(interval)), str(exc))
        except BrevoRateLimited as exc:
            wait = timedelta(seconds=exc.reset_seconds or interval.total_seconds())
            return Finished("deferred", self._later(wait), str(exc), failures=slot.failures)
        except BrevoSyncError as exc:
            return self._failed(slot, interval, str(exc))
        except Exception as exc:  # a bug: the daemon goes on, the job backs off
            log.exception("job crashed")
            return self._failed(slot, interval, f"internal error: {type(exc).__name__}: {exc}")
        return self._succeeded(spec, slot, interval, result)

    def _succeeded(
        self, spec: JobSpec, slot: JobSlot, interval: timedelta, result: JobResult
    ) -> Finished:
        if spec.name == "pull":
            current = interval if slot.interval_seconds else None
            interval = self.options.poll.next_interval(current, result.changes)
        due = self._next_due(spec, interval)
        if result.retry_in is not None:  # stopped with work left: sooner than the interval
            due = min(due, self._later(result.retry_in))
        return Finished(
            result.outcome,
            due,
            result.detail,
            requests=result.requests,
            interval=interval,
        )

    def _failed(self, slot: JobSlot, interval: timedelta, detail: str) -> Finished:
        failures = slot.failures + 1
        log.warning("job failed", detail=detail, failures=failures)
        return Finished(
            "failed", self._later(failure_backoff(interval, failures)), detail, failures=failures
        )

    def _interval(self, spec: JobSpec, slot: JobSlot) -> timedelta:
        if spec.name == "pull":
            if slot.interval_seconds:  # as the settings now bound it (they may have changed)
                return self.options.poll.bounded(timedelta(seconds=slot.interval_seconds))
            return self.options.poll.first
        return spec.interval

    def _next_due(self, spec: JobSpec, interval: timedelta) -> datetime:
        now = self.ctx.clock()
        if spec.cron and self.options.next_fire is not None:
            fire = self.options.next_fire(spec.name, now)
            if fire is not None:
                return fire
        return now + interval

    def _later(self, wait: timedelta) -> datetime:
        return self.ctx.clock() + wait

    def _admit(self, spec: JobSpec, interval: timedelta) -> Admission:
        if not spec.spends_budget:
            return Admission(True)
        now = self.ctx.clock()
        view = self.budget(now)
        push_need = 0 if spec.name == "push" else self._push_need()
        reserve = 0
        if spec.name == "reconcile":
            with self.ctx.uow() as uow:
                pull = uow.jobs.get("pull")
                pulled = uow.sync.get().last_success_at
            if pulled is None:  # a walk compares with the mirror: after the first full read
                later = now + min(interval, FIRST_PULL_WAIT)
                return Admission(False, "waiting for the first complete pull", later)
            poll = (
                timedelta(seconds=pull.interval_seconds)
                if pull is not None and pull.interval_seconds
                else self.options.poll.first
            )
            reserve = pull_reserve(view, poll)
        return admit(
            spec.name,
            view,
            now=now,
            push_need=push_need,
            pull_reserve=reserve,
            reconcile_share=self.options.reconcile_share,
        )

    def budget(self, now: datetime) -> BudgetView:
        """The window every replica shares, from the database."""
        with self.ctx.uow() as uow:
            spent = uow.runs.spent_since(now - WINDOW)
            saved = uow.queries.status(now).budget
        return budget_view(
            now=now,
            ceiling=self.options.requests_per_hour,
            reserve=self.options.budget_reserve,
            spent=spent,
            saved=saved,
        )

    def _push_need(self) -> int:
        from brevo_sync.service.plan import plan_push  # reads the mirror only

        return plan_push(self.ctx).crm_requests

    def _release(self, name: JobName, seq: int, finished: Finished) -> None:
        with self.ctx.uow() as uow:
            ours = uow.jobs.release(
                name, seq, replica=self.options.replica, now=self.ctx.clock(), finished=finished
            )
            uow.commit()
        if not ours:
            log.warning(
                "the job's claim had expired before it finished; another replica may run it"
            )

    def _heartbeat(self, name: JobName) -> threading.Event:
        """Keep the claim alive while the run goes on (a replica that dies stops beating)."""
        done = threading.Event()

        def beat() -> None:
            while not done.wait(self._heartbeat_seconds):
                try:
                    with self.ctx.uow() as uow:
                        until = self.ctx.clock() + self.options.claim_ttl
                        uow.jobs.extend(name, replica=self.options.replica, until=until)
                        uow.commit()
                except Exception:  # the database is away for a moment: try on the next beat
                    log.warning("could not extend the job's claim", exc_info=True)

        threading.Thread(target=beat, name=f"claim-{name}", daemon=True).start()
        return done
