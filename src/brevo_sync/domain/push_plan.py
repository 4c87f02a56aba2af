"""How due outbox rows become requests: the fewest that carry them, and what each costs.

Shared by `push` (which sends the units) and `plan` (which only shows them), so the plan an
operator reads is exactly what push will do.
- Updates of one deal are coalesced into one PATCH: k changes on m deals cost m requests.
- When more than `import_threshold` deals are to be created or updated, they go through
  Brevo's bulk import instead: one request per batch of `batch_size` rows.
- Tasks, notes, company updates: one request each. Loyalty credits: enrolment, a pending
  transaction and its completion (Brevo's loyalty bucket, not the CRM one). Conversion
  events: one request to Meta for all of them (not Brevo's budget at all).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from brevo_sync.domain.outbox import PRIORITY, OutboxRow

UnitKind = Literal[
    "patch",
    "create",
    "import",
    "task",
    "note",
    "loyalty",
    "company",
    "tier",
    "conversions",
]

# Requests per unit on Brevo's CRM bucket, and on its loyalty bucket.
_CRM_COST: dict[str, int] = {
    "patch": 1,
    "create": 1,
    "import": 1,
    "task": 1,
    "note": 1,
    "company": 2,  # read once (the spend grows by the deal), then PATCH
    "loyalty": 0,
    "tier": 0,
    "conversions": 0,
}
_LOYALTY_COST: dict[str, int] = {"loyalty": 3, "tier": 1}
ENDPOINTS: dict[str, str] = {
    "patch": "PATCH /crm/deals/{id}",
    "create": "POST /crm/deals",
    "import": "POST /crm/deals/import",
    "task": "POST /crm/tasks",
    "note": "POST /crm/notes",
    "company": "GET + PATCH /companies/{id}",
    "loyalty": "POST /loyalty/.../transactions (+ enrol, complete)",
    "tier": "POST /loyalty/tier/.../tiers/{tid}",
    "conversions": "POST Meta /{pixel}/events",
}


@dataclass(frozen=True, slots=True)
class Unit:
    """One request (or, for loyalty, one short sequence) and the rows it carries."""

    kind: UnitKind
    rows: tuple[OutboxRow, ...]
    deal_id: str | None = None

    @property
    def crm_requests(self) -> int:
        return _CRM_COST[self.kind]

    @property
    def loyalty_requests(self) -> int:
        return _LOYALTY_COST.get(self.kind, 0)

    @property
    def endpoint(self) -> str:
        return ENDPOINTS[self.kind]


def sendable(rows: Sequence[OutboxRow]) -> tuple[list[OutboxRow], list[OutboxRow]]:
    """(rows that can go now, rows waiting for a deal that is still being created)."""
    ready, waiting = [], []
    for row in rows:
        if row.kind != "create_deal" and row.deal_id is None and row.deal_ref is not None:
            waiting.append(row)
        else:
            ready.append(row)
    return ready, waiting


def plan_units(rows: Sequence[OutboxRow], *, import_threshold: int, batch_size: int) -> list[Unit]:
    """The units that carry `rows` (all sendable), in sending order."""
    ordered = sorted(rows, key=lambda r: (PRIORITY[r.kind], r.id))
    updates: dict[str, list[OutboxRow]] = {}
    creations: list[OutboxRow] = []
    others: list[Unit] = []
    conversions: list[OutboxRow] = []
    for row in ordered:
        if row.kind == "update_deal" and row.deal_id is not None:
            updates.setdefault(row.deal_id, []).append(row)
        elif row.kind == "create_deal":
            creations.append(row)
        elif row.kind == "conversion":
            conversions.append(row)
        else:
            others.append(Unit(_KIND[row.kind], (row,), row.deal_id))
    units: list[Unit] = []
    # Rows an import did not deliver in time go one by one from then on (`via` "single").
    single_creations = [r for r in creations if r.via == "single"]
    creations = [r for r in creations if r.via != "single"]
    single_updates = {d: rs for d, rs in updates.items() if any(r.via == "single" for r in rs)}
    updates = {d: rs for d, rs in updates.items() if d not in single_updates}
    units.extend(Unit("create", (row,)) for row in single_creations)
    units.extend(Unit("patch", tuple(r), deal) for deal, r in single_updates.items())
    if len(updates) + len(creations) > import_threshold:
        # One import for creations, another for updates: Brevo's `update_existing_records`
        # applies to a whole file.
        for start in range(0, len(creations), batch_size):
            units.append(Unit("import", tuple(creations[start : start + batch_size])))
        grouped = [row for rows_of_deal in updates.values() for row in rows_of_deal]
        deals = list(updates)
        for start in range(0, len(deals), batch_size):
            batch = set(deals[start : start + batch_size])
            units.append(Unit("import", tuple(r for r in grouped if r.deal_id in batch)))
    else:
        units.extend(Unit("create", (row,)) for row in creations)
        units.extend(Unit("patch", tuple(r), deal) for deal, r in updates.items())
    units.extend(others)
    if conversions:
        units.append(Unit("conversions", tuple(conversions)))
    return units


_KIND: dict[str, UnitKind] = {
    "create_task": "task",
    "create_note": "note",
    "loyalty_credit": "loyalty",
    "company_update": "company",
    "tier_assign": "tier",
    "update_deal": "patch",  # an update still without its deal id never gets here
}


@dataclass(frozen=True, slots=True)
class Cost:
    crm: int
    loyalty: int
    units: int

    @classmethod
    def of(cls, units: Sequence[Unit]) -> Cost:
        return cls(
            crm=sum(u.crm_requests for u in units),
            loyalty=sum(u.loyalty_requests for u in units),
            units=len(units),
        )


def drain_seconds(
    requests: int, per_hour: int, remaining_now: int | None, reset_seconds: float | None
) -> float:
    """Seconds until `requests` CRM requests are spent: what is left of this window first,
    then `per_hour` every hour after its reset."""
    if requests <= 0:
        return 0.0
    left = max(0, remaining_now if remaining_now is not None else per_hour)
    if requests <= left:
        return 0.0
    windows = -(-(requests - left) // max(1, per_hour))  # ceil
    first_reset = reset_seconds if reset_seconds is not None else 3600.0
    return first_reset + (windows - 1) * 3600.0
