"""`status`: what the mirror holds, what syncing has cost, which budget applies. Reads only."""

from __future__ import annotations

from dataclasses import dataclass, field

from brevo_sync.domain.reports import MirrorStatus
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.daemon_status import DaemonStatus, daemon_status


@dataclass(frozen=True, slots=True)
class StatusReport:
    database: str
    mirror: MirrorStatus
    requests_per_hour: int  # the local ceiling that applies when Brevo sends no headers
    outbox: dict[str, int] = field(default_factory=dict)  # rows by state
    loyalty: bool = False  # loyalty program configured: awards are sent
    conversions: bool = False  # Meta Conversions API configured
    daemon: DaemonStatus | None = None  # the shared budget, per-job spend, drain, delete check


def mirror_status(ctx: ServiceContext, requests_per_hour: int, reserve: int = 0) -> StatusReport:
    daemon = daemon_status(ctx, requests_per_hour=requests_per_hour, reserve=reserve)
    with ctx.uow() as uow:
        return StatusReport(
            ctx.database,
            uow.queries.status(ctx.clock()),
            requests_per_hour,
            outbox=uow.outbox.counts(),
            loyalty=ctx.push.features.loyalty,
            conversions=ctx.push.features.conversions,
            daemon=daemon,
        )


def upgrade_schema(ctx: ServiceContext) -> tuple[str | None, str]:
    """`db upgrade`: (revision before, revision after)."""
    return ctx.schema().upgrade()
