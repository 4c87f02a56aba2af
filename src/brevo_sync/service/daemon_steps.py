"""What each daemon job does: one call of the use case the CLI runs, summed up as a
`JobResult` (requests spent, changes seen for the adaptive poll, whether work is left).

`has_work` lets a job that would find nothing (an empty outbox, an empty inbox) be skipped
without a claim or a recorded run, so a push looked for every 15 s leaves no trace while idle.
Brevo's webhook hints (inbox rows of kind `brevo_hint`) make the pull due early
(`request_early_pull`); the pull that follows marks the hints it covers done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from brevo_sync.domain.jobs import JobName, Outcome
from brevo_sync.domain.retention import DEFAULT_HISTORY_DAYS
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.hints import HINT
from brevo_sync.service.inbox import DEFAULT_BATCH, DEFAULT_MAX_ATTEMPTS, process_inbox
from brevo_sync.service.pull import pull_deals
from brevo_sync.service.push import push_outbox
from brevo_sync.service.reconcile import reconcile
from brevo_sync.service.renewals import queue_renewals
from brevo_sync.service.retention import prune_history
from brevo_sync.service.sweep import run_sweep

# A push stopped with rows left, a walk stopped at its budget share: when to look again.
PUSH_RETRY = timedelta(seconds=15)
WALK_RETRY = timedelta(minutes=15)
# Inbox batches one run drains at most (the rest: the next run, moments later).
INBOX_BATCHES = 20


@dataclass(frozen=True, slots=True)
class StepSettings:
    inbox_max_attempts: int = DEFAULT_MAX_ATTEMPTS
    hint_debounce: timedelta = timedelta(seconds=2)
    history: timedelta = timedelta(days=DEFAULT_HISTORY_DAYS)


@dataclass(frozen=True, slots=True)
class JobResult:
    outcome: Outcome = "ok"
    requests: int = 0
    changes: int = 0  # deals a pull found changed: the adaptive poll tightens on them
    detail: str | None = None
    # Stopped with work left (the budget, the run's share): due again this soon at most.
    retry_in: timedelta | None = None


def has_work(name: JobName, ctx: ServiceContext) -> bool:
    """False when the job would find nothing to do (checked before it is claimed)."""
    now = ctx.clock()
    with ctx.uow() as uow:
        if name == "push":
            stale = now - ctx.push.confirm_timeout
            return bool(
                uow.outbox.due(now, limit=1)
                or uow.outbox.in_state("sending", limit=1)
                or any(
                    r.sent_at is None or r.sent_at <= stale
                    for r in uow.outbox.in_state("unconfirmed")
                )
            )
        if name == "inbox":
            return uow.inbox.counts().get("pending", 0) > 0
    return True


def run_step(name: JobName, ctx: ServiceContext, settings: StepSettings) -> JobResult:
    return _STEPS[name](ctx, settings)


def _pull(ctx: ServiceContext, settings: StepSettings) -> JobResult:
    with ctx.uow() as uow:
        hinted = uow.inbox.newest_pending(HINT)
    report = pull_deals(ctx)
    alerts = report.sweep.total if report.sweep is not None else 0
    detail = (
        f"{report.deals_read} read, {report.deals_written} written, "
        f"{report.stage_changes} moves, {alerts} alerts"
    )
    if hinted is not None:  # the hints received before this pull began are covered by it
        with ctx.uow() as uow:
            covered = uow.inbox.finish_pending(
                HINT, up_to=hinted, outcome=f"pulled by the daemon: {detail}", now=ctx.clock()
            )
            uow.commit()
        detail += f", {covered} hints covered"
    return JobResult(
        requests=report.requests_total,
        changes=report.deals_written + report.stage_changes,
        detail=detail,
    )


def _push(ctx: ServiceContext, _: StepSettings) -> JobResult:
    report = push_outbox(ctx)
    detail = (
        f"{report.sent} sent, {report.failed} failed, {report.dead} dead, "
        f"{report.unclear} unclear, {report.unconfirmed} unconfirmed"
    )
    if report.stopped_early:
        detail += f"; stopped early: {report.stopped_early}"
    return JobResult(
        requests=report.requests_total,
        detail=detail,
        retry_in=PUSH_RETRY if report.stopped_early else None,
    )


def _sweep(ctx: ServiceContext, _: StepSettings) -> JobResult:
    report = run_sweep(ctx)
    return JobResult(detail=f"{report.total} alerts raised")


def _renewals(ctx: ServiceContext, _: StepSettings) -> JobResult:
    report = queue_renewals(ctx)
    queued = sum(1 for o in report.queued.outcomes if o.outcome == "deal")
    return JobResult(detail=f"{queued} renewal deals queued")


def _reconcile(ctx: ServiceContext, _: StepSettings) -> JobResult:
    report = reconcile(ctx, repair=True)
    return JobResult(
        requests=report.requests_total,
        detail=(
            f"{report.phase or 'walking'}: {report.pages} pages, {report.tombstoned} tombstoned, "
            f"{report.repaired} repaired"
        ),
        retry_in=None if report.phase == "complete" else WALK_RETRY,
    )


def _inbox(ctx: ServiceContext, settings: StepSettings) -> JobResult:
    done = dead = retrying = 0
    for _ in range(INBOX_BATCHES):
        # The rows' lease is the job's claim (BREVO_SYNC_JOB_CLAIM_SECONDS): a replica killed
        # mid-batch leaves its rows to the others when its job claim would expire too.
        report = process_inbox(
            ctx, max_attempts=settings.inbox_max_attempts, lease=ctx.push.claim_ttl
        )
        done, dead = done + report.done, dead + report.dead
        retrying += report.retrying
        if report.claimed < DEFAULT_BATCH or ctx.stop.requested:
            break
    with ctx.uow() as uow:
        hinted = uow.inbox.newest_pending(HINT) is not None
    if hinted:  # Brevo said deals changed: the pull is due after the debounce
        request_early_pull(ctx, settings.hint_debounce)
    detail = f"{done} processed, {retrying} to retry, {dead} dead"
    return JobResult(detail=detail + ("; a pull is due for Brevo's hints" if hinted else ""))


def _prune(ctx: ServiceContext, settings: StepSettings) -> JobResult:
    report = prune_history(ctx, settings.history)
    return JobResult(
        detail=f"{report.runs_folded} runs folded, {report.job_runs} job runs and "
        f"{report.inbox_rows} processed deliveries deleted"
    )


def request_early_pull(ctx: ServiceContext, debounce: timedelta) -> None:
    """Brevo told us (a webhook) that deals changed: the daemon's pull becomes due after
    `debounce` (a burst of events makes one pull), on whichever replica looks first."""
    due = ctx.clock() + debounce
    with ctx.uow() as uow:
        uow.jobs.hint("pull", due)
        uow.commit()


_STEPS = {
    "pull": _pull,
    "push": _push,
    "sweep": _sweep,
    "renewals": _renewals,
    "reconcile": _reconcile,
    "prune": _prune,
    "inbox": _inbox,
}
