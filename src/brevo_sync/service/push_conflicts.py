"""The conflict log, for `brevo-sync conflicts` and the ops API."""

from __future__ import annotations

from brevo_sync.domain.outbox import Conflict
from brevo_sync.service.context import ServiceContext


def list_conflicts(
    ctx: ServiceContext, *, deal_id: str | None = None, limit: int | None = 50
) -> list[Conflict]:
    with ctx.uow() as uow:
        return uow.outbox.conflicts(deal_id, limit)
