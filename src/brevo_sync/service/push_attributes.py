"""Custom deal attributes the worker writes (probability, reference, previous stage, lost
reason, ...): created in Brevo on first use, once, and then known to the mirror's catalogue.

Brevo derives an attribute's internal name from its label; we create each with its internal
name as the label, so the two agree."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import structlog

from brevo_sync.domain.deal import DealAttribute
from brevo_sync.domain.outbox import OutboxRow
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.ports import BrevoGateway

log = structlog.get_logger(__name__)

# Attributes every Brevo account has: never created.
BUILT_IN = frozenset(
    {
        "deal_name",
        "deal_owner",
        "amount",
        "pipeline",
        "deal_stage",
        "stage_updated_at",
        "created_at",
        "last_updated_date",
        "last_activity_date",
        "next_activity_date",
        "number_of_contacts",
        "number_of_activities",
        "close_date",
        "deal_currency",
    }
)


def ensure_attributes(ctx: ServiceContext, gateway: BrevoGateway, rows: Sequence[OutboxRow]) -> int:
    """Create the attributes `rows` write that the catalogue lacks; returns how many."""
    wanted: dict[str, Any] = {}
    reference = ctx.rules().attributes.reference
    for row in rows:
        if row.kind == "update_deal":
            wanted.update(row.payload.get("attributes") or {})
        elif row.kind == "create_deal":
            wanted.update(row.payload.get("attributes") or {})
            wanted[reference] = row.key
    with ctx.uow() as uow:
        known = uow.catalog.attribute_names()
    if not known:
        return 0  # no catalogue read yet (never pulled): nothing to compare with
    missing = sorted(n for n in wanted if n not in known and n not in BUILT_IN)
    for name in missing:
        ctx.stop.check()
        kind = _type_of(wanted[name])
        gateway.create_deal_attribute(label=name, attribute_type=kind)
        with ctx.uow() as uow:
            uow.catalog.add_attribute(DealAttribute(name, name, kind), ctx.clock())
            uow.commit()
        log.info("created a deal attribute in Brevo", attribute=name, type=kind)
    return len(missing)


def _type_of(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "text"
