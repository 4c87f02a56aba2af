"""`status`: what the mirror holds, what syncing has cost, which budget applies. Reads only."""

from __future__ import annotations

from dataclasses import dataclass

from brevo_sync.domain.reports import MirrorStatus
from brevo_sync.service.context import ServiceContext


@dataclass(frozen=True, slots=True)
class StatusReport:
    database: str
    mirror: MirrorStatus
    requests_per_hour: int  # the local ceiling that applies when Brevo sends no headers


def mirror_status(ctx: ServiceContext, requests_per_hour: int) -> StatusReport:
    with ctx.uow() as uow:
        return StatusReport(ctx.database, uow.queries.status(ctx.clock()), requests_per_hour)


def upgrade_schema(ctx: ServiceContext) -> tuple[str | None, str]:
    """`db upgrade`: (revision before, revision after)."""
    return ctx.schema().upgrade()
