"""Loyalty points, tiers and conversion events on the wire.

A credit is two steps, because Brevo's loyalty API has no idempotency key: a pending
transaction (credits nothing) whose id goes into the ledger at once, then its completion.
A crash before the id is stored leaves at most a pending transaction that never counts; a
crash after it completes the stored one. So each (deal, milestone) is credited exactly once.
A contact is enrolled in the program before its first credit only: the ledger remembers
whom we credited, so later credits cost two requests, not three.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Any

from brevo_sync.domain.outbox import OutboxRow
from brevo_sync.errors import BrevoBadRequest, BrevoSyncError, BrevoUnavailable
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.ports import BrevoGateway
from brevo_sync.service.push_send import Outcomes, mark_done, mark_failed, mark_sending


def send_loyalty(ctx: ServiceContext, gateway: BrevoGateway, row: OutboxRow, out: Outcomes) -> None:
    program, balance = ctx.push.loyalty_program_id, ctx.push.loyalty_balance_id
    if not program or not balance:
        raise BrevoBadRequest(
            "loyalty is not configured (BREVO_SYNC_LOYALTY_PROGRAM_ID and "
            "BREVO_SYNC_LOYALTY_BALANCE_ID)"
        )
    contact = int(row.payload["contact_id"])
    with ctx.uow() as uow:
        entry = uow.outbox.ledger(row.key)
        # Only a credit still to begin needs to know: a begun or completed one asks nothing.
        to_begin = entry is None or entry.transaction_id is None
        enrolled = to_begin and uow.outbox.enrolled(str(contact))
    if entry is not None and entry.state == "completed":
        mark_done(ctx, [row], out, result_id=entry.transaction_id)
        return
    mark_sending(ctx, [row])
    transaction = entry.transaction_id if entry is not None else None
    if transaction is None:

        def begin() -> str:
            return gateway.loyalty_begin(
                program,
                balance_id=balance,
                contact_id=contact,
                amount=float(row.payload["points"]),
                meta={"deal_id": row.deal_id, "milestone": row.key, "source": "brevo-sync"},
            )

        if not enrolled:  # the contact's first credit: enrol it first (one request)
            gateway.loyalty_subscribe(program, contact)
        try:
            transaction = begin()
        except BrevoBadRequest:
            if not enrolled:
                raise
            # Enrolled in the ledger's eyes, not in Brevo's: the program setting changed, or
            # someone removed the contact. Enrol it, and begin once more.
            gateway.loyalty_subscribe(program, contact)
            transaction = begin()
        with ctx.uow() as uow:
            uow.outbox.ledger_update(row.key, {"transaction_id": transaction, "state": "begun"})
            uow.commit()
    gateway.loyalty_complete(program, transaction)
    with ctx.uow() as uow:
        uow.outbox.ledger_update(row.key, {"state": "completed", "completed_at": ctx.clock()})
        uow.commit()
    mark_done(ctx, [row], out, result_id=transaction)


def send_tier(ctx: ServiceContext, gateway: BrevoGateway, row: OutboxRow, out: Outcomes) -> None:
    assign_tier(ctx, gateway, row.deal_id, str(row.payload.get("tier") or ""))
    mark_done(ctx, [row], out)


def assign_tier(
    ctx: ServiceContext, gateway: BrevoGateway, deal_id: str | None, wanted_name: str
) -> None:
    """Give the deal's first contact the loyalty tier called `wanted_name` (any case)."""
    program = ctx.push.loyalty_program_id
    if not program:
        raise BrevoBadRequest("loyalty is not configured (BREVO_SYNC_LOYALTY_PROGRAM_ID)")
    wanted = _squash(wanted_name)
    tiers = gateway.loyalty_tiers(program)
    tier = next((t for t in tiers if _squash(str(t.get("name") or "")) == wanted), None)
    if tier is None:
        names = ", ".join(str(t.get("name")) for t in tiers) or "none"
        raise BrevoBadRequest(f"the loyalty program has no tier {wanted_name!r} ({names})")
    contact = _first_contact(ctx, deal_id)
    if contact is None:
        raise BrevoBadRequest("the deal has no linked contact to give the tier to")
    gateway.loyalty_assign_tier(program, contact, str(tier.get("id") or tier.get("tierId")))


def send_conversions(ctx: ServiceContext, rows: Sequence[OutboxRow], out: Outcomes) -> None:
    sink = ctx.conversions()
    if sink is None:
        mark_failed(
            ctx,
            rows,
            BrevoBadRequest("conversion events are not configured (BREVO_SYNC_META_PIXEL_ID)"),
            out,
        )
        return
    events = [_conversion(ctx, row) for row in rows]
    try:
        sink.send(events)
    except BrevoSyncError as exc:
        mark_failed(ctx, rows, BrevoUnavailable(f"Meta Conversions API: {exc}"), out)
        return
    mark_done(ctx, rows, out)


def _conversion(ctx: ServiceContext, row: OutboxRow) -> dict[str, Any]:
    """Meta's event; `event_id` (from our key) lets Meta drop a repeat after an unclear send.
    The adapter hashes `user_data` as Meta requires."""
    event: dict[str, Any] = {
        "event_name": row.payload.get("event"),
        "event_time": int(row.created_at.timestamp()),
        # Stable, so Meta drops a repeat; hashed, so our ids do not travel in the clear.
        "event_id": hashlib.sha256(row.key.encode()).hexdigest()[:32],
        "action_source": "system_generated",
        "user_data": {"external_id": [row.deal_id or row.deal_ref or row.key]},
    }
    with ctx.uow() as uow:
        deal = uow.deals.get([row.deal_id]).get(row.deal_id) if row.deal_id else None
    if deal is not None and deal.amount is not None:
        event["custom_data"] = {"value": float(deal.amount), "currency": deal.currency or "EUR"}
    return event


def _first_contact(ctx: ServiceContext, deal_id: str | None) -> int | None:
    if deal_id is None:
        return None
    with ctx.uow() as uow:
        deal = uow.deals.get([deal_id]).get(deal_id)
    return deal.contact_ids[0] if deal is not None and deal.contact_ids else None


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())
