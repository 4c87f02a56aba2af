"""What a received order or subscription means: its row in `orders` and the deal it makes.

- An order: seed 000's rule (`rules.commerce.order_to_deal`): a deal, or none and why.
- A subscription: recorded with its expiry and the day its renewal deal is due (90 days
  before, from the rules file); `waiting` until then, and the renewal deal once due
  (`rules.commerce.renewal_deal`). A subscription received again with a later expiry (it was
  renewed) waits for its next renewal.
- A duplicate lead (seed 002 "Doppel-Anlage"): when the customer already has an open deal
  owned by a seller, the new deal goes to the first of those sellers, who is told
  (`rules.protection.assign_duplicate_lead`). The customer is matched by the Brevo contact
  and company ids the order carries and by its e-mail against the deals' `email` attribute
  (which order deals carry), since the mirror holds no contacts or companies.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from brevo_sync.domain.deal import Deal
from brevo_sync.domain.orders import Kind, ReceivedOrder, order_payload
from brevo_sync.domain.rules.commerce import order_to_deal, renewal_deal
from brevo_sync.domain.rules.config import RulesConfig
from brevo_sync.domain.rules.events import CreateDealRequested, DomainEvent
from brevo_sync.domain.rules.protection import (
    DuplicateDecision,
    assign_duplicate_lead,
    customer_keys,
)
from brevo_sync.domain.rules.stages import Rulebook

Decision = Literal["deal", "none", "waiting"]
OWNER_ATTRIBUTE = "deal_owner"  # Brevo's built-in owner attribute (a user id)
MAX_SOURCE = 32  # `orders.source`: a longer source (a file name) keeps its start and end


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """One row of `orders`: an order or subscription received once, and what was decided."""

    shop: str
    order_id: str
    kind: Kind
    payload: dict[str, Any]  # the order in our own JSON shape (`orders.order_payload`)
    source: str  # where it came from: `file:<name>`, a webhook route
    received_at: datetime
    decision: Decision
    reason: str
    deal_key: str | None = None  # the outbox key (and Brevo reference) of its deal
    expires_at: datetime | None = None
    renewal_due_at: datetime | None = None

    @property
    def ref(self) -> str:
        return f"{self.shop}/{self.order_id}"


@dataclass(frozen=True, slots=True)
class Intake:
    """A received order decided: the row to record and the deal to create (if any)."""

    order: ReceivedOrder
    record: OrderRecord
    deal: CreateDealRequested | None


def short_source(source: str) -> str:
    """`source` as recorded: at most `MAX_SOURCE` characters, its start and end kept."""
    if len(source) <= MAX_SOURCE:
        return source
    head = MAX_SOURCE // 3
    return f"{source[:head]}…{source[-(MAX_SOURCE - head - 1) :]}"


def renewal_due(config: RulesConfig, expires_at: datetime) -> datetime | None:
    rule = config.commerce.renewal
    return None if rule is None else expires_at - timedelta(days=rule.days_before_expiry)


def take_in(book: Rulebook, order: ReceivedOrder, *, source: str, now: datetime) -> Intake:
    """Decide what `order` means at `now` (pure: nothing is recorded here)."""
    base = OrderRecord(
        shop=order.shop,
        order_id=order.id,
        kind=order.kind,
        payload=order_payload(order),
        source=short_source(source),
        received_at=now,
        decision="none",
        reason="",
    )
    if order.kind == "order":
        decided = order_to_deal(book, order.as_order(), now)
        deal = decided.deal
        decision: Decision = "deal" if deal else "none"
        record = replace(base, decision=decision, reason=decided.reason)
        return Intake(order, replace(record, deal_key=deal.key if deal else None), deal)
    subscription = order.as_subscription()
    due_at = renewal_due(book.config, subscription.expires_at)
    record = replace(base, expires_at=subscription.expires_at, renewal_due_at=due_at)
    if due_at is None:
        return Intake(order, replace(record, reason="no renewal rule is configured"), None)
    renewal = renewal_deal(book, subscription, now)
    if renewal.deal is None:
        return Intake(order, replace(record, decision="waiting", reason=renewal.reason), None)
    renewed = replace(record, decision="deal", reason=renewal.reason, deal_key=renewal.deal.key)
    return Intake(order, renewed, renewal.deal)


def unmapped_stages(deals: Iterable[CreateDealRequested | None]) -> list[tuple[str, str]]:
    """(pipeline, stage) names deals go to that the mirror's pipelines do not have."""
    found = {(d.pipeline, d.stage) for d in deals if d is not None and d.pipeline_id is None}
    return sorted(found)


def lead_keys(deal: CreateDealRequested) -> frozenset[str]:
    """What identifies the customer of a deal to be created (as `customer_keys` of a deal)."""
    return customer_keys(_as_lead(deal))


def _as_lead(deal: CreateDealRequested) -> Deal:
    email = deal.attributes.get("email")
    return Deal(
        id=deal.key,
        name=deal.name,
        contact_ids=deal.contact_ids,
        company_ids=deal.company_ids,
        attributes={"email": email} if email else {},
    )


def duplicate_lead(
    book: Rulebook, deal: CreateDealRequested, candidates: Sequence[Deal]
) -> DuplicateDecision | None:
    """The first seller of the customer's open, owned deals among `candidates`, and who is
    told; None when the customer has none."""
    open_owned = [
        d
        for d in candidates
        if d.owner and ((mapped := book.locate(d)) is None or not mapped.stage.closed)
    ]
    if not open_owned:
        return None
    return assign_duplicate_lead(_as_lead(deal), open_owned)


def deal_events(
    deal: CreateDealRequested, duplicate: DuplicateDecision | None
) -> tuple[CreateDealRequested, list[DomainEvent]]:
    """The decisions to queue for a new deal: its creation (owned by the first seller of a
    duplicate lead from the start) and the duplicate's assignment and notices."""
    if duplicate is None or duplicate.owner is None:
        return deal, [deal]
    owned = replace(deal, attributes={**deal.attributes, OWNER_ATTRIBUTE: duplicate.owner})
    return owned, [owned, *duplicate.events]
