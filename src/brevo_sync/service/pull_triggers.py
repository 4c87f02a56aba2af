"""What a pull's news starts besides stage moves: seed 001's automations and conversion events
on deals created or updated in Brevo, and seed 002's duplicate leads.

Only incremental pulls bring news: a full read sees history, and a deal the mirror meets for
the first time there is not a new lead. Keys are built from the deal and the time of its
change, so a re-read decides nothing twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from brevo_sync.domain.deal import Deal
from brevo_sync.domain.rules import Rulebook
from brevo_sync.domain.rules.automations import TriggerEvent, conversion_events, run_automations
from brevo_sync.domain.rules.config import Trigger
from brevo_sync.domain.rules.events import DomainEvent
from brevo_sync.domain.rules.protection import assign_duplicate_lead, customer_keys
from brevo_sync.service.ports import UnitOfWork


def pulled_news(
    book: Rulebook,
    uow: UnitOfWork,
    changed: Sequence[Deal],
    before: Mapping[str, Deal],
    now: datetime,
) -> list[DomainEvent]:
    events: list[DomainEvent] = []
    new = [d for d in changed if d.id not in before]
    events.extend(_duplicates(book, uow, new))
    if not (book.config.automations or book.config.conversion_events):
        return events
    reference = book.config.attributes.reference
    for deal in changed:
        at = deal.updated_at or now
        # A deal an automation created starts no automation itself (no endless chains).
        origin = (
            "automation"
            if str(deal.attributes.get(reference) or "").startswith("auto:")
            else "user"
        )
        for trigger, contact in _triggers(deal, before.get(deal.id)):
            news = TriggerEvent(trigger, deal, at, contact_id=contact, origin=origin)
            events.extend(run_automations(book, news))
            events.extend(conversion_events(book, news))
    return events


def _triggers(deal: Deal, earlier: Deal | None) -> list[tuple[Trigger, int | None]]:
    if earlier is None:
        found: list[tuple[Trigger, int | None]] = [("deal_created", None)]
        return found + [("contact_added", c) for c in deal.contact_ids]
    # Our own PATCH coming back changes nothing the mirror did not already have (push writes
    # it into the mirror): only a change someone made in Brevo is news.
    found = [("deal_updated", None)] if _edited(earlier, deal) else []
    found += [("contact_added", c) for c in deal.contact_ids if c not in earlier.contact_ids]
    found += [("contact_removed", c) for c in earlier.contact_ids if c not in deal.contact_ids]
    return found


# Brevo stamps these on every write, ours included.
_STAMPS = frozenset({"last_updated_date", "stage_updated_at", "last_activity_date"})


def _edited(earlier: Deal, deal: Deal) -> bool:
    names = (set(earlier.attributes) | set(deal.attributes)) - _STAMPS
    return any(earlier.attributes.get(n) != deal.attributes.get(n) for n in names) or (
        earlier.contact_ids,
        earlier.company_ids,
    ) != (deal.contact_ids, deal.company_ids)


def _duplicates(book: Rulebook, uow: UnitOfWork, new: Sequence[Deal]) -> list[DomainEvent]:
    """A new deal whose customer already has an open deal goes to that deal's seller."""
    keys = sorted({key for deal in new for key in customer_keys(deal)})
    if not keys:
        return []
    known = [d for d in uow.orders.customer_deals(keys) if _open(book, d)]
    events: list[DomainEvent] = []
    for deal in new:
        decision = assign_duplicate_lead(deal, [d for d in known if d.id != deal.id])
        if decision is not None:
            events.extend(decision.events)
    return events


def _open(book: Rulebook, deal: Deal) -> bool:
    here = book.locate(deal)
    return here is None or not here.stage.closed
