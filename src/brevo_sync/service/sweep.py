"""The time-rules sweep: raise every newly crossed time rule over the whole mirror, once.

A sweep is idempotent for a given `now`: a second sweep at the same moment raises nothing,
and a crash mid-sweep leaves either all of its alerts or none (one transaction). It runs
after every pull and on its own (`brevo-sync rules sweep`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

from brevo_sync.domain.rules import Rulebook, build_time_rules
from brevo_sync.domain.rules.timing import TimeRules
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.ports import UnitOfWork
from brevo_sync.service.runs import recorded_run


@dataclass(frozen=True, slots=True)
class SweepReport:
    """New alerts per rule key (0 for rules that found nothing new) and how long it took."""

    now: datetime
    raised: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.raised.values())


def time_rules(ctx: ServiceContext, uow: UnitOfWork) -> tuple[Rulebook, TimeRules]:
    """The rules file mapped onto the mirror's pipelines, and its time rules."""
    book = Rulebook.build(ctx.rules(), uow.catalog.pipelines())
    return book, build_time_rules(book)


def sweep_mirror(ctx: ServiceContext) -> SweepReport:
    """Sweep now, in one transaction (the caller holds the mirror: a pull, or `run_sweep`)."""
    now = ctx.clock()
    started = time.perf_counter()
    with ctx.uow() as uow:
        _, rules = time_rules(ctx, uow)
        raised = uow.alerts.sweep(rules, now)
        uow.commit()
    return SweepReport(now=now, raised=raised, seconds=time.perf_counter() - started)


def run_sweep(ctx: ServiceContext) -> SweepReport:
    """The sweep on its own, as a recorded run."""
    with recorded_run(ctx, "sweep"):
        return sweep_mirror(ctx)
