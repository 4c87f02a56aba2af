"""Read a named field off a deal, for conditions and required fields (seed 002).

Names the Deal types itself (`name`, `amount`, `contacts`...) read the typed value; every other
name is a Brevo deal attribute. `move_reason` is the text given with the move itself, which is
how seed 002's "Wenn Info fehlt" and "Neues Angebot nötig" are stated.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from brevo_sync.domain.deal import Deal
from brevo_sync.domain.rules.actions import Requirement

MOVE_REASON = "move_reason"


def field_value(deal: Deal, name: str, move_reason: str | None = None) -> Any:
    typed: dict[str, Any] = {
        "name": deal.name,
        "owner": deal.owner,
        "amount": deal.amount,
        "currency": deal.currency,
        "close_date": deal.close_date,
        "contacts": deal.contact_ids,
        "companies": deal.company_ids,
        MOVE_REASON: move_reason,
    }
    if name in typed:
        return typed[name]
    return deal.attributes.get(name)


def has_value(value: Any) -> bool:
    """Empty means None, blank text, an empty collection or False; 0 is a value (a budget of 0)."""
    if value is None or value is False:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | tuple | dict | set):
        return bool(value)
    return True


def unmet(
    deal: Deal, requirements: Iterable[Requirement], move_reason: str | None = None
) -> list[Requirement]:
    """The requirements none of whose fields has a value, in the order given."""
    return [
        r
        for r in requirements
        if not any(has_value(field_value(deal, f, move_reason)) for f in r.any_of)
    ]
