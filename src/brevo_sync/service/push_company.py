"""A company after a won deal (seed 000): its annual spend grows by the deal's amount, its
last closed date is set, and its tier is re-evaluated (assigned to the deal's first contact
through the loyalty tier endpoint when tiers and the program are configured).

The new spend is read-modify-write, which a retry must not repeat: the first attempt reads
the company once, stores the absolute result in the row (committed), and every attempt writes
that value. A PATCH of an absolute value can be sent twice without harm.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from brevo_sync.domain.outbox import OutboxRow
from brevo_sync.domain.rules.loyalty import tier_for
from brevo_sync.domain.rules.money import Money
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.ports import BrevoGateway
from brevo_sync.service.push_loyalty import assign_tier
from brevo_sync.service.push_send import Outcomes, mark_done

SPEND = "annual_spend"
LAST_CLOSED = "last_deal_closed"


def send_company(ctx: ServiceContext, gateway: BrevoGateway, row: OutboxRow, out: Outcomes) -> None:
    payload = dict(row.payload)
    company = str(payload["company_id"])
    if "add_spend" in payload and "spend_after" not in payload:
        payload = _decide(ctx, gateway, company, payload)
        with ctx.uow() as uow:
            uow.outbox.update(row.id, {"payload": payload})
            uow.commit()
    attributes: dict[str, Any] = dict(payload.get("attributes") or {})
    if "spend_after" in payload:
        attributes = {SPEND: float(payload["spend_after"]), LAST_CLOSED: payload["closed_on"]}
    gateway.update_company(company, attributes)
    tier = payload.get("tier")
    if tier and ctx.push.features.tiers:
        assign_tier(ctx, gateway, row.deal_id, str(tier))
    mark_done(ctx, [row], out)


def _decide(
    ctx: ServiceContext, gateway: BrevoGateway, company: str, payload: dict[str, Any]
) -> dict[str, Any]:
    current = gateway.get_company(company).get("attributes") or {}
    try:
        before = Decimal(str(current.get(SPEND) or 0))
    except InvalidOperation:
        before = Decimal(0)
    after = before + Decimal(str(payload["add_spend"]))
    rules = ctx.rules()
    currency = payload.get("currency") or rules.default_currency
    tier = tier_for(rules.loyalty.tiers, Money(after, currency), rules.default_currency)
    return {**payload, "spend_before": str(before), "spend_after": str(after), "tier": tier}
