"""Deal updates on the wire: one coalesced PATCH per deal, or bulk imports.

Before a PATCH, the three-way check (domain/outbox.py): when the last pull is older than
`conflict_max_age`, one GET tells what Brevo has now; otherwise the pull already settled
every pulled deal (`pending_changes`). A bulk import answers before it applies: its rows
become `unconfirmed` until a pull shows the change (`pending_changes` marks them done).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog

from brevo_sync.domain.outbox import Conflict, OutboxRow, coalesce_updates, three_way
from brevo_sync.domain.push_plan import Unit
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.ports import BrevoGateway
from brevo_sync.service.push_send import Outcomes, deal_body, mark_done, mark_sending

log = structlog.get_logger(__name__)


def send_patch(
    ctx: ServiceContext,
    gateway: BrevoGateway,
    unit: Unit,
    out: Outcomes,
    pulled_at: datetime | None,
) -> None:
    deal_id = unit.deal_id or ""
    attributes = coalesce_updates(unit.rows)
    stale = pulled_at is None or ctx.clock() - pulled_at > ctx.push.conflict_max_age
    if stale:
        theirs = dict(gateway.get_deal(deal_id).get("attributes") or {})
        attributes = _settle(ctx, unit.rows, attributes, theirs, out)
    if attributes:
        mark_sending(ctx, unit.rows)
        gateway.update_deal(deal_id, attributes=attributes)
    mark_done(ctx, unit.rows, out, mirror_attributes=attributes)


def _settle(
    ctx: ServiceContext,
    rows: tuple[OutboxRow, ...],
    ours: dict[str, Any],
    theirs: dict[str, Any],
    out: Outcomes,
) -> dict[str, Any]:
    """What to send after comparing with what Brevo has; conflicts are recorded."""
    base: dict[str, Any] = {}
    for row in sorted(rows, key=lambda r: r.id):
        for name, value in (row.base or {}).items():
            base.setdefault(name, value)  # the oldest decision saw the oldest value
    check = three_way(base, ours, theirs)
    send = dict(check.send)
    now = ctx.clock()
    found = []
    for name, before, mine, current in check.conflicts:
        policy = ctx.push.conflict_policy
        found.append(
            Conflict(rows[0].deal_id or "", name, before, mine, current, policy, rows[-1].key, now)
        )
        if policy == "ours":
            send[name] = mine
    if found:
        with ctx.uow() as uow:
            uow.outbox.add_conflicts(found)
            uow.commit()
        out.conflicts += len(found)
    return send


def send_import(ctx: ServiceContext, gateway: BrevoGateway, unit: Unit, out: Outcomes) -> None:
    """One bulk import: creations (with our reference) or updates (with `deal_id`)."""
    reference = ctx.rules().attributes.reference
    creating = unit.rows[0].kind == "create_deal"
    records: list[dict[str, Any]] = []
    if creating:
        for row in unit.rows:
            name, attributes, contacts, companies = deal_body(row)
            record = {"deal_name": name, **attributes, reference: row.key}
            if contacts:
                record["associated_contact"] = contacts[0]
            if companies:
                record["associated_company"] = companies[0]
            records.append(record)
    else:
        by_deal: dict[str, list[OutboxRow]] = {}
        for row in unit.rows:
            by_deal.setdefault(row.deal_id or "", []).append(row)
        for deal_id, rows in by_deal.items():
            records.append({"deal_id": deal_id, **coalesce_updates(rows)})
    mark_sending(ctx, unit.rows, via="import")
    process = gateway.import_deals(records, update_existing=not creating)
    now = ctx.clock()
    with ctx.uow() as uow:
        for row in unit.rows:
            uow.outbox.update(
                row.id, {"state": "unconfirmed", "process_id": process, "sent_at": now}
            )
        uow.commit()
    out.unconfirmed += len(unit.rows)
    log.info(
        "import sent; its rows wait for a pull to confirm them",
        process_id=process,
        rows=len(unit.rows),
        deal_ids=sorted({r.deal_id for r in unit.rows if r.deal_id})[:50],
    )
