"""What `status` says about the daemon: the shared budget window, what each job spent in the
last hour, its schedule, how long the outbox takes to drain, and when a complete delete check
(a reconcile walk and its suspects) will next fit in the budget. Reads the mirror only."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from brevo_sync.domain.budget_plan import BudgetView, budget_view, delete_check_eta, pull_reserve
from brevo_sync.domain.jobs import JobSlot
from brevo_sync.domain.reconcile import estimated_total
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.plan import plan_push

HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class DaemonStatus:
    budget: BudgetView
    spent_by_job: dict[str, int] = field(default_factory=dict)  # last hour, daemon runs
    jobs: list[JobSlot] = field(default_factory=list)
    queue_requests: int = 0  # what the outbox's due rows cost
    drain_seconds: float = 0.0
    delete_check_requests: int = 0  # what a complete delete check still needs
    delete_check_at: datetime | None = None  # when it will have fit (None: never, share 0)


def daemon_status(ctx: ServiceContext, *, requests_per_hour: int, reserve: int = 0) -> DaemonStatus:
    now = ctx.clock()
    with ctx.uow() as uow:
        spent = uow.runs.spent_since(now - HOUR)
        saved = uow.queries.status(now).budget
        runs = uow.jobs.runs_since(now - HOUR)
        slots = uow.jobs.slots()
        walk_state = uow.reconcile.get()
        live = uow.reconcile.live_deals()
        paging = uow.sync.get().paging
    view = budget_view(
        now=now, ceiling=requests_per_hour, reserve=reserve, spent=spent, saved=saved
    )
    by_job: dict[str, int] = {}
    for run in runs:
        by_job[run.job] = by_job.get(run.job, 0) + run.requests
    plan = plan_push(ctx)
    page = max(1, paging.ceiling or ctx.pull.wanted_page_size)
    walk = walk_state.walk
    total = estimated_total(walk, walk_state.last_total, live)
    needed = math.floor(total / page) + 2 - (walk.pages if walk is not None else 0)
    pull = next((s for s in slots if s.job == "pull"), None)
    poll = timedelta(seconds=pull.interval_seconds) if pull and pull.interval_seconds else HOUR
    reserved = min(view.limit, plan.crm_requests + pull_reserve(view, poll))
    reconcile = next((s for s in slots if s.job == "reconcile"), None)
    start = max(now, reconcile.next_due_at) if reconcile and reconcile.next_due_at else now
    eta = delete_check_eta(
        now=start,
        requests_needed=max(0, needed),
        view=view,
        share=ctx.reconcile_budget_share,
        reserved=reserved,
    )
    return DaemonStatus(
        budget=view,
        spent_by_job=by_job,
        jobs=sorted(slots, key=lambda s: s.job),
        queue_requests=plan.crm_requests,
        drain_seconds=plan.drain_seconds,
        delete_check_requests=max(0, needed),
        delete_check_at=eta,
    )
