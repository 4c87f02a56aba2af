"""Seller protection and duplicate leads (seed 002 "Verkäuferschutz-Integration").

Protection is anchored on stage entry: NEW_LEAD 3 days exclusive (then open to anyone: the
seed calls it "Niedrig"), QUALIFICATION 7 days then the team pool ("Mittel"), NEEDS_ANALYSIS
onwards fixed to the seller ("Hoch"), closed deals permanent ("Unveränderlich").

Duplicates ("Doppel-Anlage"): a new lead for a customer who already has a deal goes to the
first seller (the owner of the customer's earliest deal); both sellers are notified and, when
they differ, the team lead is told, since seed 002 has the team lead decide conflicts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from brevo_sync.domain.deal import Deal
from brevo_sync.domain.rules.events import DomainEvent, DuplicateLeadAssigned, NotificationRequested
from brevo_sync.domain.rules.permissions import Actor, Directory, relation
from brevo_sync.domain.rules.stages import Rulebook

Claimable = Literal["nobody", "team", "anyone"]


@dataclass(frozen=True, slots=True)
class ProtectionStatus:
    level: str | None  # None: the stage has no protection rule
    holder: str | None  # the protected seller (the deal's owner)
    exclusive_until: datetime | None  # end of the exclusive window, if the level has one
    claimable_by: Claimable  # who besides the holder may take the deal now


def protection_status(book: Rulebook, deal: Deal, now: datetime) -> ProtectionStatus:
    mapped = book.locate(deal)
    rule = mapped.stage.protection if mapped else None
    if rule is None:
        return ProtectionStatus(None, deal.owner, None, "anyone")
    if rule.exclusive_days is None:  # high, permanent: never lapses
        return ProtectionStatus(rule.level, deal.owner, None, "nobody")
    entered = deal.stage_updated_at or deal.created_at
    until = entered + timedelta(days=rule.exclusive_days) if entered else None
    if until is None or now < until:
        return ProtectionStatus(rule.level, deal.owner, until, "nobody")
    after: Claimable = "team" if rule.then == "team_pool" else "anyone"
    return ProtectionStatus(rule.level, deal.owner, until, after)


def takeover_refusals(
    book: Rulebook, deal: Deal, actor: Actor, directory: Directory, now: datetime
) -> tuple[str, ...]:
    """Why `actor` may not take `deal` over for themselves now (empty: they may)."""
    status = protection_status(book, deal, now)
    if deal.owner == actor.id:
        return (f"{actor.id} already owns the deal",)
    if status.level == "permanent":
        return ("the deal is closed: its seller is permanently assigned",)
    rel = relation(actor, deal.owner, directory)
    role = book.config.roles.get(actor.role)
    # A superior reassigning is a decision, not a claim ("Team Lead entscheidet bei Konflikt").
    if role is not None and ("all" in role.move or (rel == "team" and "team" in role.move)):
        return ()
    if status.claimable_by == "anyone" or (status.claimable_by == "team" and rel == "team"):
        return ()
    if status.claimable_by == "team":
        return (f"the deal is in {deal.owner}'s team pool; {actor.id} is not in that team",)
    if status.exclusive_until is not None:
        return (
            f"the deal is exclusive to {deal.owner} until "
            f"{status.exclusive_until.astimezone(UTC):%Y-%m-%d %H:%M} UTC",
        )
    return (f"the deal is firmly assigned to {deal.owner} ({status.level} protection)",)


def customer_keys(deal: Deal) -> frozenset[str]:
    """What identifies the customer of a deal: linked companies, linked contacts, an email."""
    keys = {f"company:{c}" for c in deal.company_ids} | {f"contact:{c}" for c in deal.contact_ids}
    email = deal.attributes.get("email")
    if isinstance(email, str) and email.strip():
        keys.add(f"email:{email.strip().casefold()}")
    return frozenset(keys)


@dataclass(frozen=True, slots=True)
class DuplicateDecision:
    existing_deal_id: str
    owner: str | None  # the first seller: the new lead's owner from now on
    events: tuple[DomainEvent, ...]


def assign_duplicate_lead(new: Deal, existing: Iterable[Deal]) -> DuplicateDecision | None:
    """None when the customer has no other deal; else who owns the new lead and who is told."""
    keys = customer_keys(new)
    matches = [d for d in existing if d.id != new.id and keys & customer_keys(d)]
    if not keys or not matches:
        return None
    far_future = datetime.max.replace(tzinfo=UTC)
    first = min(matches, key=lambda d: (d.created_at or far_future, d.id))
    base = f"duplicate:{new.id}:{first.id}"
    events: list[DomainEvent] = [
        DuplicateLeadAssigned(base, new.id, first.id, first.owner, new.owner),
        NotificationRequested(
            f"{base}:first", new.id, "first_seller",
            f"A new lead for your customer was assigned to you (existing deal {first.id})",
            first.owner,
        ),
    ]  # fmt: skip
    if new.owner and new.owner != first.owner:
        events.append(
            NotificationRequested(
                f"{base}:second", new.id, "seller",
                f"The customer already has a deal ({first.id}) with {first.owner}: "
                "the lead was assigned to them",
                new.owner,
            )
        )  # fmt: skip
        events.append(
            NotificationRequested(
                f"{base}:team_lead", new.id, "team_lead",
                f"Duplicate lead: {new.owner} and {first.owner} both have the customer; "
                "assigned to the first seller, decide if they disagree",
            )
        )  # fmt: skip
    return DuplicateDecision(first.id, first.owner, tuple(events))
