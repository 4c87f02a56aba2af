"""A `ServiceContext` on the in-memory mirror, and what the service tests read it with.

The context is the one the CLI builds, with its outside world replaced: the mirror is a
`MemoryMirror`, Brevo is `FakeBrevo` (whose clock is the context's), the rules are the
packaged ones. The parity test builds the same context to run its scenario in memory.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from brevo_sync.adapters.memory import MemoryLock, MemoryMirror, MemorySchemaAdmin, MemoryUnitOfWork
from brevo_sync.adapters.rules_file import load_default_rules
from brevo_sync.domain.reports import DealQuery
from brevo_sync.domain.rules.config import RulesConfig
from brevo_sync.service.context import PullOptions, PushOptions, ServiceContext
from brevo_sync.service.pull import PullReport, pull_deals
from brevo_sync.service.stop import StopToken
from tests.fakes import FakeBrevo

RULES = load_default_rules()
PAGE = 10
OVERLAP_SECONDS = 5
PIPELINES = "GET /crm/pipeline/details/all"
ATTRIBUTES = "GET /crm/attributes/deals"


def memory_context(
    mirror: MemoryMirror,
    brevo: FakeBrevo,
    *,
    page: int | None = PAGE,
    rules: RulesConfig = RULES,
    lock_wait: float = 0.2,
    push: PushOptions | None = None,
) -> ServiceContext:
    return ServiceContext(
        uow=lambda: MemoryUnitOfWork(mirror),
        gateway=lambda: brevo,
        rules=lambda: rules,
        lock=lambda: MemoryLock(mirror, lock_wait),
        schema=lambda: MemorySchemaAdmin(mirror),
        clock=lambda: brevo.now,
        database=mirror.name,
        stop=StopToken(),
        pull=PullOptions(page_size=page, overlap=timedelta(seconds=OVERLAP_SECONDS)),
        brevo_configured=True,
        push=push or PushOptions(),
    )


def pull(ctx: ServiceContext, *, full: bool = False, sweep: bool = False) -> PullReport:
    return pull_deals(ctx, full=full, sweep=sweep)


def mirrored(ctx: ServiceContext) -> dict[str, tuple[str | None, float | None]]:
    """(stage, amount) of every live mirrored deal, read through the port."""
    with ctx.uow() as uow:
        rows = uow.queries.find_deals(DealQuery(limit=None))
    return {r["id"]: (r["stage_id"], r["amount"]) for r in rows}


def remote(brevo: FakeBrevo) -> dict[str, tuple[Any, Any]]:
    return {
        d["id"]: (d["attributes"]["deal_stage"], d["attributes"]["amount"]) for d in brevo.deals
    }
