"""`plan`: what `push` would send, row by row, the exact requests and their cost against the
budget left, and how long the queue takes to drain. Reads the mirror only: no requests.

It is `push`'s own planning (`domain.push_plan.plan_units`) on the same rows, so the plan is
what push does, except for what only Brevo can tell: a lookup after an unclear outcome, a GET
when the mirror is too old for the conflict check (both counted here as at most one request
each), and a failure on the way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from brevo_sync.domain.outbox import OutboxRow
from brevo_sync.domain.push_plan import Cost, Unit, drain_seconds, plan_units, sendable
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.push_attributes import BUILT_IN


@dataclass
class PushPlan:
    database: str
    units: list[Unit]
    cost: Cost
    attributes_to_create: list[str] = field(default_factory=list)
    task_types_needed: bool = False
    lookups: int = 0  # unclear creations to look up first (at most one request each)
    conflict_gets: int = 0  # deals to GET for the conflict check (mirror older than allowed)
    waiting: int = 0  # rows waiting for a deal still being created
    later: int = 0  # rows not due yet (backoff)
    unconfirmed: int = 0  # imports waiting for a pull to confirm them
    budget_limit: int = 100
    budget_remaining: int | None = None
    budget_source: str = "unknown"
    reset_at: datetime | None = None
    now: datetime | None = None

    @property
    def crm_requests(self) -> int:
        extra = len(self.attributes_to_create) + int(self.task_types_needed)
        return self.cost.crm + extra + self.lookups + self.conflict_gets

    @property
    def drain_seconds(self) -> float:
        reset = (
            max(0.0, (self.reset_at - self.now).total_seconds())
            if self.reset_at is not None and self.now is not None
            else None
        )
        return drain_seconds(self.crm_requests, self.budget_limit, self.budget_remaining, reset)


def plan_push(ctx: ServiceContext) -> PushPlan:
    now = ctx.clock()
    with ctx.uow() as uow:
        pending = uow.outbox.in_state("pending")
        unclear = uow.outbox.in_state("sending")
        unconfirmed = uow.outbox.in_state("unconfirmed")
        known = uow.catalog.attribute_names()
        types = uow.outbox.task_types()
        status = uow.queries.status(now)
    due = [r for r in pending if r.due(now)]
    ready, waiting = sendable(due)
    units = plan_units(
        ready,
        import_threshold=ctx.push.import_threshold,
        batch_size=ctx.push.import_batch_size,
    )
    plan = PushPlan(
        database=ctx.database,
        units=units,
        cost=Cost.of(units),
        attributes_to_create=_missing_attributes(ctx, ready, known),
        task_types_needed=not types and any(u.kind == "task" for u in units),
        lookups=sum(1 for r in unclear if r.kind in ("create_deal", "create_task", "create_note")),
        waiting=len(waiting),
        later=len(pending) - len(due),
        unconfirmed=len(unconfirmed),
        now=now,
    )
    pulled = status.last_success_at
    if pulled is None or now - pulled > ctx.push.conflict_max_age:
        plan.conflict_gets = sum(1 for u in units if u.kind == "patch")
    _budget(ctx, plan, status, now)
    return plan


def _budget(ctx: ServiceContext, plan: PushPlan, status: object, now: datetime) -> None:
    budget = getattr(status, "budget", None)
    spent = int(getattr(status, "requests_last_hour", 0) or 0)
    limit = ctx.push.requests_per_hour
    if budget is not None and budget.limit:
        limit = budget.limit
        plan.budget_source = budget.source
    plan.budget_limit = limit
    if budget is not None and budget.reset_at is not None and budget.reset_at > now:
        plan.budget_remaining = budget.remaining
        plan.reset_at = budget.reset_at
    else:
        plan.budget_remaining = max(0, limit - spent)


def _missing_attributes(ctx: ServiceContext, rows: list[OutboxRow], known: set[str]) -> list[str]:
    if not known:
        return []
    wanted: set[str] = set()
    for row in rows:
        if row.kind in ("update_deal", "create_deal"):
            wanted.update(row.payload.get("attributes") or {})
        if row.kind == "create_deal":
            wanted.add(ctx.rules().attributes.reference)
    return sorted(n for n in wanted if n not in known and n not in BUILT_IN)
