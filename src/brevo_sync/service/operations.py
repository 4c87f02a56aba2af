"""What the platform asks of a running worker (issue 9, point 6): is it ready, and the
figures `/metrics` exports. Reads the mirror only, never Brevo.

    readiness(ctx, timedelta(hours=1)) -> Readiness   # database, migrations, last pull
    ops_figures(ctx) -> OpsFigures                     # queues, budget, pull age, alerts

A probe must answer whatever state the database is in, so these report failures as values
(a failing check, `mirror_up` false) instead of raising them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog

from brevo_sync.domain.reports import MirrorStatus
from brevo_sync.errors import BrevoSyncError
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.status import mirror_status

log = structlog.get_logger(__name__)

NOT_CHECKED = "not checked: the database is not ready"


@dataclass(frozen=True, slots=True)
class Check:
    name: str  # database, migrations, last_pull
    ok: bool
    detail: str


@dataclass(frozen=True, slots=True)
class Readiness:
    checks: tuple[Check, ...]

    @property
    def ready(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def failing(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.ok)


def _reason(exc: Exception) -> str:
    """One line: a driver's message goes on for lines (and may quote SQL)."""
    text = str(exc).strip().splitlines()
    return text[0] if text and isinstance(exc, BrevoSyncError) else exc.__class__.__name__


def readiness(ctx: ServiceContext, max_pull_age: timedelta | None) -> Readiness:
    """The database answers, its schema is this version's, and the last successful pull is
    at most `max_pull_age` old (None: not checked)."""
    try:
        current, head = ctx.schema().revisions()
    except Exception as exc:  # a probe reports every failure; it never raises one
        return Readiness(
            (
                Check("database", False, f"unreachable: {_reason(exc)}"),
                Check("migrations", False, NOT_CHECKED),
                Check("last_pull", False, NOT_CHECKED),
            )
        )
    database = Check("database", True, "reachable")
    if current != head:
        detail = (
            f"no schema yet (this version needs {head}): `brevo-sync db upgrade` or a pull"
            if current is None
            else f"at revision {current}, this version needs {head}: `brevo-sync db upgrade`"
        )
        last = Check("last_pull", False, NOT_CHECKED)
        return Readiness((database, Check("migrations", False, detail), last))
    schema = Check("migrations", True, f"at {head}")
    return Readiness((database, schema, _last_pull(ctx, max_pull_age)))


def _last_pull(ctx: ServiceContext, max_age: timedelta | None) -> Check:
    try:
        with ctx.uow() as uow:
            last = uow.sync.get().last_success_at
    except Exception as exc:  # a probe reports every failure; it never raises one
        return Check("last_pull", False, f"cannot read the sync state: {_reason(exc)}")
    if max_age is None:
        return Check("last_pull", True, "not checked (no maximum age set)")
    if last is None:
        return Check("last_pull", False, "no successful pull yet: `brevo-sync pull`")
    age = ctx.clock() - last
    limit = int(max_age.total_seconds())
    detail = f"{int(age.total_seconds())} s ago ({last:%Y-%m-%d %H:%M:%S} UTC; at most {limit} s)"
    return Check("last_pull", age <= max_age, detail)


@dataclass(frozen=True, slots=True)
class OpsFigures:
    """What `/metrics` exports, read in one go; `mirror_up` false when it could not be read."""

    now: datetime
    mirror_up: bool
    mirror: MirrorStatus | None = None
    outbox: dict[str, int] = field(default_factory=dict)  # rows by state
    inbox: dict[str, int] = field(default_factory=dict)  # rows by state

    @property
    def seconds_since_pull(self) -> float | None:
        last = self.mirror.last_success_at if self.mirror else None
        return None if last is None else max((self.now - last).total_seconds(), 0.0)

    @property
    def budget_left(self) -> int | None:
        """Brevo requests left in the window as last known (all of them once it has reset)."""
        budget = self.mirror.budget if self.mirror else None
        if budget is None or budget.source == "unknown" or budget.remaining is None:
            return None
        if budget.reset_at is not None and budget.reset_at <= self.now and budget.limit:
            return budget.limit
        return budget.remaining


def ops_figures(ctx: ServiceContext) -> OpsFigures:
    now = ctx.clock()
    try:
        report = mirror_status(ctx, ctx.push.requests_per_hour)
        with ctx.uow() as uow:
            inbox = uow.inbox.counts()
    except Exception as exc:  # /metrics says the mirror is down rather than fail
        log.warning("metrics: the mirror could not be read", reason=_reason(exc))
        return OpsFigures(now, False)
    return OpsFigures(now, True, report.mirror, dict(report.outbox), dict(inbox))
