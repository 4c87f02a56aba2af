"""Reconciliation as values: where a walk of Brevo's complete deal list stands, what a
comparison of one deal finds, and how much of the budget a run may spend.

A walk reads `GET /crm/deals` (creation order, ascending) from offset 0 to its last page,
possibly over many runs; the ids it saw are kept with it. Only once it is complete can a deal
be "gone": a mirrored deal the walk did not see is a suspect, and each suspect is asked for
once (`GET /crm/deals/{id}`): a 404 confirms it, a 200 shows it was skipped (offset paging
over a list that shrank while it was read). A deal created after the walk began cannot have
been seen by it, so it is never a suspect.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from datetime import datetime
from decimal import Decimal
from typing import Literal

from brevo_sync.domain.budget import BudgetSnapshot
from brevo_sync.domain.deal import Deal

Phase = Literal["walk", "confirm"]
FindingKind = Literal["missing", "behind", "differs"]
# The mirror keeps amounts to the cent (NUMERIC(18, 2)): finer digits are not drift.
_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class WalkTally:
    """What a walk (or one run of it) found and did."""

    missing: int = 0  # in Brevo, not in the mirror (or tombstoned there)
    drifted: int = 0  # in both, with different fields
    gone: int = 0  # confirmed deleted in Brevo (404)
    repaired: int = 0  # deals written from Brevo's answer
    tombstoned: int = 0

    def __add__(self, other: WalkTally) -> WalkTally:
        return WalkTally(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))


@dataclass(frozen=True, slots=True)
class Walk:
    """An unfinished walk, persisted with every page (its seen ids are stored beside it)."""

    started_at: datetime  # Brevo's clock at its first page: deals created later are no suspects
    offset: int = 0  # the next page starts here
    pages: int = 0  # list requests answered
    deals: int = 0  # records read
    phase: Phase = "walk"  # "confirm": every page read, suspects being asked for
    runs: int = 1
    tally: WalkTally = WalkTally()

    def page_read(self, items: int, tally: WalkTally) -> Walk:
        return replace(
            self,
            offset=self.offset + items,
            pages=self.pages + 1,
            deals=self.deals + items,
            tally=self.tally + tally,
        )


@dataclass(frozen=True, slots=True)
class ReconcileState:
    walk: Walk | None = None
    last_completed_at: datetime | None = None
    last_total: int | None = None  # deals the last complete walk read: the next estimate
    walks_completed: int = 0


@dataclass(frozen=True, slots=True)
class Finding:
    deal_id: str
    kind: FindingKind
    fields: tuple[str, ...] = ()  # what differs ("amount", "attributes.deal_stage", ...)


def _comparable(deal: Deal) -> dict[str, object]:
    values: dict[str, object] = {f.name: getattr(deal, f.name) for f in fields(deal)}
    if deal.amount is not None:
        values["amount"] = deal.amount.quantize(_CENT)
    del values["attributes"]
    return values


def differing_fields(mirrored: Deal, seen: Deal) -> tuple[str, ...]:
    """The typed fields and raw attributes in which the mirror's deal differs from Brevo's."""
    ours, theirs = _comparable(mirrored), _comparable(seen)
    names = [name for name in ours if ours[name] != theirs[name]]
    keys = set(mirrored.attributes) | set(seen.attributes)
    names += [
        f"attributes.{key}"
        for key in sorted(keys)
        if mirrored.attributes.get(key) != seen.attributes.get(key)
    ]
    return tuple(names)


def compare(mirrored: Deal | None, tombstoned: bool, seen: Deal) -> Finding | None:
    """What the mirror gets wrong about `seen` (Brevo's record), or None when it is exact.

    `behind`: Brevo has a newer `last_updated_date` (a pull would have caught up with it);
    `differs`: the same or an older version with other values (an edit Brevo did not date,
    or a mirror changed behind Brevo's back)."""
    if mirrored is None or tombstoned:
        return Finding(seen.id, "missing")
    changed = differing_fields(mirrored, seen)
    if not changed:
        return None
    newer = (
        seen.updated_at is not None
        and mirrored.updated_at is not None
        and seen.updated_at > mirrored.updated_at
    )
    return Finding(seen.id, "behind" if newer else "differs", changed)


@dataclass(frozen=True, slots=True)
class Allowance:
    """How many requests a run may spend: `share` of the window's limit, and never so many
    that the window drops below the part the share leaves to everything else.

    Known only from a budget snapshot with a limit; before the first answer (`unknown`), one
    request is allowed, which teaches the window."""

    share: float

    def cap(self, budget: BudgetSnapshot) -> int | None:
        """The most a run may spend, or None while the window is unknown."""
        if budget.limit is None:
            return None
        if self.share <= 0:
            return 0
        return max(1, math.floor(self.share * budget.limit))

    def left(self, budget: BudgetSnapshot, spent: int) -> int:
        """Requests this run may still spend, having spent `spent`."""
        if self.share <= 0:
            return 0
        cap = self.cap(budget)
        if cap is None or budget.limit is None:
            return 1 if spent == 0 else 0
        left = cap - spent
        if budget.remaining is not None:
            kept = budget.limit - cap  # what the window keeps for everything else
            left = min(left, budget.remaining - kept)
        return max(0, left)


def estimated_total(walk: Walk | None, last_total: int | None, mirrored: int) -> int:
    """The account's size as best known: the last complete walk, else the mirror's count,
    and never less than what this walk has read."""
    base = last_total if last_total is not None else mirrored
    return max(base, walk.deals if walk is not None else 0)
