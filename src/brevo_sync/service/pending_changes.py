"""What a pull does with deals that have changes of ours on their way to Brevo.

A pull reads Brevo's version of a deal; if we moved it locally and the PATCH has not landed
yet, writing Brevo's version over the mirror would undo our move (and look like a move back).
So, per field of each open update (the three-way check, `domain.outbox.three_way`):
- Brevo still has the value we last saw: ours is laid over the pulled deal (still on its way);
- Brevo has our value: nothing to do; when that holds for every field the row is done (this
  is how a bulk import, which answers before it applies, is confirmed);
- Brevo has another value: both sides changed it. The policy decides (default: Brevo wins, the
  field leaves the row and our value is kept in the conflict log).
A deal we created shows up carrying our reference: its creation row is done, and rows waiting
for its id get it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from brevo_sync.domain.deal import Deal
from brevo_sync.domain.outbox import OPEN_STATES, Conflict, OutboxRow, three_way
from brevo_sync.domain.parsing import TypedAttributeNames, with_attributes
from brevo_sync.domain.reports import Person
from brevo_sync.service.ports import UnitOfWork


def settle_pulled(
    uow: UnitOfWork,
    deals: Sequence[Deal],
    now: datetime,
    *,
    reference_attribute: str,
    policy: str,
    names: TypedAttributeNames,
) -> list[Deal]:
    """The deals to write: Brevo's, with our changes still on their way laid over."""
    _confirm_creations(uow, deals, now, reference_attribute)
    open_rows = uow.outbox.open_updates([d.id for d in deals])
    if not open_rows:
        return list(deals)
    out: list[Deal] = []
    for deal in deals:
        rows = open_rows.get(deal.id)
        overlay: dict[str, Any] = {}
        for row in rows or ():
            overlay.update(_settle(uow, row, deal, now, policy))
        out.append(with_attributes(deal, overlay, names) if overlay else deal)
    return out


def _settle(
    uow: UnitOfWork, row: OutboxRow, deal: Deal, now: datetime, policy: str
) -> dict[str, Any]:
    """Settle one open update against Brevo's deal; returns the fields still on their way."""
    ours = dict(row.payload.get("attributes", {}))
    _owner_as_id(uow, ours, row.base or {}, deal, now)
    check = three_way(row.base or {}, ours, deal.attributes)
    keep = dict(check.send)
    found: list[Conflict] = []
    for name, base, mine, theirs in check.conflicts:
        found.append(Conflict(deal.id, name, base, mine, theirs, policy, row.key, now))
        if policy == "ours":
            keep[name] = mine
    uow.outbox.add_conflicts(found)
    if not keep:
        uow.outbox.update(
            row.id,
            {
                "state": "done",
                "done_at": now,
                "last_error": None if not found else "Brevo changed every field first",
            },
        )
        return {}
    if keep != ours:
        uow.outbox.update(row.id, {"payload": {**row.payload, "attributes": keep}})
    return keep


def _owner_as_id(
    uow: UnitOfWork, ours: dict[str, Any], base: dict[str, Any], deal: Deal, now: datetime
) -> None:
    """Brevo takes an owner by e-mail and stores the user's id: compare ids. A person whose
    id we never learned (a seller with no deal yet) is learned here: the deal now has a new
    owner id where we asked for that person, and nothing else assigns owners behind our back
    in the moments between. (If something did, the next assignment shows it.)"""
    wanted = ours.get("deal_owner")
    if not isinstance(wanted, str) or "@" not in wanted:
        return
    person = uow.people.get(wanted)
    theirs = deal.attributes.get("deal_owner")
    if person is not None and person.user_id:
        ours["deal_owner"] = person.user_id
    elif theirs and theirs != base.get("deal_owner"):
        uow.people.put(Person(wanted.strip().lower(), str(theirs), "brevo", now))
        ours["deal_owner"] = theirs


def _confirm_creations(
    uow: UnitOfWork, deals: Sequence[Deal], now: datetime, reference_attribute: str
) -> None:
    for deal in deals:
        ref = deal.attributes.get(reference_attribute)
        if not ref:
            continue
        row = uow.outbox.by_key(str(ref))
        if row is None or row.kind != "create_deal":
            continue
        if row.state in OPEN_STATES or row.state == "dead":
            uow.outbox.update(
                row.id,
                {"state": "done", "done_at": now, "result_id": deal.id, "last_error": None},
            )
        if row.result_id in (None, deal.id):
            uow.outbox.resolve_ref(row.key, deal.id)
