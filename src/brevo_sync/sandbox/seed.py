"""Deterministic sample data: companies and deals that look like a real sales account.

Same seed and same anchor day give byte-identical JSON: everything comes from one
`random.Random(seed)` drawn in a fixed order, and ids come from the seed and the
timestamps. Categorical fields are cut from two 64-bit draws per deal through 256-entry
lookup tables (weights baked in), because seeding 200,000 deals has to take seconds and
per-field `random()`/`choice()` calls would dominate it.
"""

from __future__ import annotations

import gc
import random
from typing import TYPE_CHECKING, Any

from brevo_sync.sandbox.catalogue import (
    BUDGET_RANGES,
    DEAL_TYPES,
    LOST_REASONS,
    OWNERS,
    SOURCES,
)
from brevo_sync.sandbox.clock import format_day, format_ms
from brevo_sync.sandbox.index import DealRecord

if TYPE_CHECKING:
    from brevo_sync.sandbox.state import SandboxState

DAY_MS = 86_400_000
BIG_SEED = 10_000  # from this many deals, seeding manages the garbage collector
SPAN_DAYS = 120
PREFIXES = (
    "Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay",
    "Soylent", "Cyberdyne", "Tyrell", "Wonka", "Nakatomi", "Gringotts", "Monarch",
)  # fmt: skip
SUFFIXES = ("Industries", "Labs", "Retail", "Logistics", "Systems", "Foods", "Health", "Energy")
INDUSTRIES = ("Retail", "Manufacturing", "Software", "Healthcare", "Finance", "Logistics")
PRODUCTS = (
    "Annual licence", "Platform upgrade", "Support plan", "Onboarding package",
    "Data add-on", "Seat expansion", "Multi-year renewal", "Pilot",
)  # fmt: skip
DECISION_MAKERS = ("CFO", "CEO", "Head of Sales", "IT Director", "Procurement")
# Weights out of 256. Pipelines: Enterprise, E-Commerce, Renewals, Opportunity.
PIPELINE_WEIGHTS = (90, 64, 51, 51)
# Stages in board order: mostly early, a few won (index 5) and lost (index 6).
STAGE_WEIGHTS = (56, 46, 38, 38, 36, 21, 21)
STAGE_PROBABILITY = (10, 20, 35, 50, 70, 100, 0)
WON, LOST = 5, 6


def _table(weights: tuple[int, ...]) -> tuple[int, ...]:
    assert sum(weights) == 256
    return tuple(i for i, w in enumerate(weights) for _ in range(w))


PIPELINE_TABLE = _table(PIPELINE_WEIGHTS)
STAGE_TABLE = _table(STAGE_WEIGHTS)


def seed_state(state: SandboxState, *, seed: int, deals: int) -> None:
    """Fill an empty state with companies and `deals` deals, anchored on the clock's day."""
    rng = random.Random(seed)
    now_ms = state.now_ms()
    anchor = now_ms - now_ms % DAY_MS  # midnight UTC today: stable for the whole day
    if deals < BIG_SEED:
        _seed(state, rng, anchor, deals)
        return
    # The cyclic GC would rescan the growing heap of deal dicts over and over (and none of
    # them can be part of a cycle): it is paused while seeding, and what exists afterwards
    # is frozen (moved to the permanent generation) so later collections, which would land
    # on some unlucky request, never walk the million seeded objects again. Garbage is
    # collected first so no cyclic garbage gets frozen with them. Small seeds skip this.
    gc_was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        _seed(state, rng, anchor, deals)
    finally:
        gc.freeze()
        if gc_was_enabled:
            gc.enable()


def _seed(state: SandboxState, rng: random.Random, anchor: int, deals: int) -> None:
    with state.lock:
        companies = _seed_companies(state, rng, anchor, max(5, min(2000, deals // 25)))
        factory = _DealFactory(state, rng, anchor, companies, deals)
        span = SPAN_DAYS * DAY_MS
        rnd = rng.random
        created_all = sorted(anchor - span + int(rnd() * (span - 1000)) for _ in range(deals))
        make = factory.make
        records: list[DealRecord] = []
        previous = -1
        for i, created in enumerate(created_all):
            if previous >= 0 and rnd() < 0.03:
                created = previous  # a tie: imported in the same millisecond
            previous = created
            records.append(make(i, created))
        state.deals.load(records)


def _seed_companies(
    state: SandboxState, rng: random.Random, anchor: int, count: int
) -> list[tuple[str, str, str]]:
    """Companies created before the deals; returns (id, name, customer id) in creation order."""
    rnd = rng.random
    first = anchor - (SPAN_DAYS + 60) * DAY_MS
    created = sorted(first + int(rnd() * 60 * DAY_MS) for _ in range(count))
    out = []
    for i, ms in enumerate(created):
        prefix = PREFIXES[int(rnd() * len(PREFIXES))]
        name = f"{prefix} {SUFFIXES[int(rnd() * len(SUFFIXES))]} {i + 1:04d}"
        attrs = {
            "name": name,
            "domain": f"{prefix.lower()}{i + 1}.example.com",
            "owner": OWNERS[int(rnd() * len(OWNERS))],
            "industry": INDUSTRIES[int(rnd() * len(INDUSTRIES))],
            "revenue": int(rnd() * 200) * 50_000,
        }
        contacts = sorted({1 + int(rnd() * 1000) for _ in range(1 + int(rnd() * 3))})
        rec = state.companies.add(attrs, contacts, ms)
        out.append((rec.id, name, f"CUST-{i + 1:05d}"))
    return out


class _DealFactory:
    """Builds one seeded deal per call; holds the tables so the hot loop does lookups only."""

    def __init__(
        self,
        state: SandboxState,
        rng: random.Random,
        anchor: int,
        companies: list[tuple[str, str, str]],
        deals: int,
    ) -> None:
        self.rng = rng
        self.anchor = anchor
        self.companies = companies
        self.contacts_pool = max(50, deals * 2)
        self.pipelines = [(p.id, p.stage_ids()) for p in state.pipelines]
        self.new_id = state.deals.new_id
        self.next_seq = state.deals.next_seq
        self.bulk_edits = sorted(anchor - int(rng.random() * SPAN_DAYS * DAY_MS) for _ in range(12))
        self.names = {(c[1], p): f"{c[1]} - {p}" for c in companies for p in PRODUCTS}
        # Brevo stores owners as user ids; with the switch off, the e-mails as written.
        self.owners = tuple(state.add_user(e) for e in OWNERS) if state.quirks.owner_ids else OWNERS

    def make(self, i: int, created: int) -> DealRecord:
        rnd, bits, more = self.rng.random, self.rng.getrandbits(64), self.rng.getrandbits(64)
        pipeline_id, stages = self.pipelines[PIPELINE_TABLE[bits & 255]]
        s = STAGE_TABLE[bits >> 8 & 255]
        amount = _amount(rnd(), rnd(), bits >> 16 & 255)
        updated = self._updated(created, rnd(), bits >> 24 & 255)
        company = (
            self.companies[int(rnd() * len(self.companies))] if bits >> 32 & 255 < 218 else None
        )
        product = PRODUCTS[bits >> 40 & 7]
        pool = self.contacts_pool
        k = more & 3
        if k == 0:
            contacts: list[int] = []
        elif k == 1:
            contacts = [1 + int(rnd() * pool)]
        else:
            contacts = sorted({1 + int(rnd() * pool) for _ in range(k)})
        attrs: dict[str, Any] = {
            "deal_name": self.names[(company[1], product)] if company else f"{product} #{i + 1}",
            "deal_owner": self.owners[(bits >> 43 & 255) % 6],
            "amount": amount,
            "deal_currency": "USD" if bits >> 51 & 255 < 77 else "EUR",
            "pipeline": pipeline_id,
            "deal_stage": stages[s],
            "close_date": format_day(created + (14 + (more >> 2 & 127)) * DAY_MS),
            "stage_updated_at": format_ms(created + int(rnd() * (updated - created))),
            "created_at": format_ms(created),
            "last_updated_date": format_ms(updated),
        }
        if more >> 9 & 1:
            attrs["last_activity_date"] = format_ms(created + int(rnd() * (updated - created)))
        if s < WON and more >> 10 & 3 == 0:
            attrs["next_activity_date"] = format_ms(self.anchor + int(rnd() * 30 * DAY_MS))
        attrs["number_of_contacts"] = len(contacts)
        attrs["number_of_activities"] = (more >> 12 & 15) % 12
        attrs["deal_type"] = DEAL_TYPES[more >> 16 & 3]
        attrs["source"] = SOURCES[(more >> 18 & 255) % len(SOURCES)]
        attrs["reference"] = f"D-{i + 1:06d}"
        if company:
            attrs["customer_id"] = company[2]
        if more >> 26 & 1:
            attrs["probability"] = STAGE_PROBABILITY[s]
        attrs["budget_range"] = BUDGET_RANGES[
            0 if amount < 10_000 else 1 if amount < 50_000 else 2 if amount < 100_000 else 3
        ]
        if more >> 27 & 255 < 102:
            attrs["decision_maker"] = DECISION_MAKERS[(more >> 35 & 255) % 5]
        if more >> 43 & 255 < 38:
            attrs["loyalty_points_bonus"] = 100 * (1 + (more >> 51 & 7))
        if s == LOST:
            attrs["lost_reason"] = LOST_REASONS[(more >> 54 & 255) % len(LOST_REASONS)]
        if amount >= 100_000:
            attrs["is_strategic"] = True
        return DealRecord(
            self.new_id(created),
            self.next_seq(),
            created,
            updated,
            attrs,
            contacts,
            [company[0]] if company else [],
        )

    def _updated(self, created: int, u: float, kind: int) -> int:
        """A quarter never touched, a few in shared bulk-edit stamps (ties), the rest spread."""
        if kind < 64:
            return created
        if kind < 77 and self.bulk_edits[-1] >= created:
            later = [b for b in self.bulk_edits if b >= created]
            return later[int(u * len(later))]
        return created + int(u * (self.anchor - 1 - created))


def _amount(u: float, v: float, cents: int) -> int | float:
    """Half small, a fifth above 25,000 and a few above 100,000; one in ten with cents."""
    if u < 0.5:
        low, high = 1_000, 10_000
    elif u < 0.8:
        low, high = 10_000, 25_000
    elif u < 0.95:
        low, high = 25_000, 100_000
    else:
        low, high = 100_000, 500_000
    value = low + int(v * (high - low)) // 50 * 50
    return value + 0.5 if cents < 26 else value
