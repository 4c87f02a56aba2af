"""Orders and subscriptions in: each recorded once, the deal it makes queued once.

`receive_orders` is the one way in, for the file import (`orders import`) and the order
webhooks alike (a webhook hands it the one order it parsed). For each order, in one
transaction: the `orders` row (shop, id) is inserted if new, and only then is its deal queued
(`queue_decisions`: the decision recorded, its outbox rows written). Both commit together or
not at all, and the row's insert is the database's ON CONFLICT DO NOTHING, so the same order
received twice, from two files, two routes or two processes at once, makes one deal.

Nothing here calls Brevo: `push` sends what was queued. A deal the rules send to a pipeline
or stage the mirror does not know (no pull yet, or the rules file names one Brevo lacks)
could never be created: such a batch is refused whole (ConfigError, nothing recorded).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from brevo_sync.domain.deal import Deal
from brevo_sync.domain.order_intake import (
    Intake,
    deal_events,
    duplicate_lead,
    lead_keys,
    take_in,
    unmapped_stages,
)
from brevo_sync.domain.orders import ParsedLines, ReceivedOrder, parse_lines
from brevo_sync.domain.rules import Rulebook
from brevo_sync.domain.rules.events import CreateDealRequested
from brevo_sync.domain.rules.protection import customer_keys
from brevo_sync.errors import ConfigError
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.outbox import queue_decisions
from brevo_sync.service.ports import UnitOfWork
from brevo_sync.service.runs import recorded_run

ORIGIN = "orders"  # the origin of the decisions and outbox rows queued here
# Orders per transaction: a crash loses at most this many (redone by the next import), and a
# concurrent webhook waits at most this long for the mirror's write lock on SQLite.
ORDERS_PER_TRANSACTION = 100

Outcome = Literal["deal", "no_deal", "waiting", "already_received", "extended"]


@dataclass(frozen=True, slots=True)
class OrderOutcome:
    """What became of one order: `deal` (queued), `no_deal` (and why), `waiting` (a
    subscription before its renewal date), `already_received` (nothing queued again),
    `extended` (a subscription received again with a later expiry)."""

    shop: str
    order_id: str
    kind: str
    outcome: Outcome
    reason: str
    deal_key: str | None = None
    pipeline: str | None = None
    stage: str | None = None
    first_seller: str | None = None  # a duplicate lead: the seller (Brevo user id) it goes to
    existing_deal_id: str | None = None  # ... because of this deal of theirs
    first_seller_email: str | None = None  # the seller's e-mail, when the mirror knows it
    rows: int = 0  # outbox rows queued for it


@dataclass
class ReceiveReport:
    outcomes: list[OrderOutcome] = field(default_factory=list)  # in the order received
    decisions: int = 0
    rows: int = 0  # outbox rows queued
    dry_run: bool = False

    def count(self, outcome: Outcome) -> int:
        return sum(1 for o in self.outcomes if o.outcome == outcome)

    def add(self, outcome: OrderOutcome, decisions: int = 0) -> None:
        self.outcomes.append(outcome)
        self.rows += outcome.rows
        self.decisions += decisions


def receive_orders(
    ctx: ServiceContext,
    orders: Sequence[ReceivedOrder],
    *,
    source: str,
    dry_run: bool = False,
) -> ReceiveReport:
    """Record `orders` (from `source`: `file:<name>`, a webhook route) and queue their deals.

    One outcome per order, in order. `dry_run`: everything is decided and counted exactly as
    it would be, then rolled back. ConfigError when a new deal needs a stage the mirror's
    pipelines lack (`brevo-sync pull` first); nothing is recorded then."""
    now = ctx.clock()
    with ctx.uow() as uow:
        book = Rulebook.build(ctx.rules(), uow.catalog.pipelines())
    intakes = [take_in(book, order, source=source, now=now) for order in orders]
    refuse_unmapped(ctx, _needing_stages(ctx, intakes))
    sellers = CustomerDeals.read(ctx, [i.deal for i in intakes if i.deal is not None])
    # Written in (shop, id) order: two imports of overlapping files lock the same rows in the
    # same order, so on PostgreSQL neither can wait for the other in a cycle (a deadlock).
    ordered = sorted(
        range(len(intakes)), key=lambda i: (intakes[i].record.shop, intakes[i].record.order_id)
    )
    outcomes: dict[int, OrderOutcome] = {}
    report = ReceiveReport(dry_run=dry_run)
    seen: set[str] = set()
    for start in range(0, len(ordered), ORDERS_PER_TRANSACTION):
        with ctx.uow() as uow:
            for index in ordered[start : start + ORDERS_PER_TRANSACTION]:
                intake = intakes[index]
                outcome, decisions = _receive(ctx, uow, book, intake, sellers)
                if outcome.outcome == "already_received" and intake.record.ref in seen:
                    outcome = replace(outcome, reason="already received earlier in this batch")
                seen.add(intake.record.ref)
                outcomes[index] = outcome
                report.decisions += decisions
            if not dry_run:
                uow.commit()
    for index in range(len(intakes)):
        report.add(outcomes[index])
    report.outcomes = with_seller_emails(ctx, report.outcomes)
    return report


def with_seller_emails(ctx: ServiceContext, outcomes: list[OrderOutcome]) -> list[OrderOutcome]:
    """The first sellers' e-mails, for reports (as far as the mirror knows its people)."""
    ids = sorted({o.first_seller for o in outcomes if o.first_seller})
    if not ids:
        return outcomes
    with ctx.uow() as uow:
        emails = uow.people.by_user_id(ids)
    return [
        replace(o, first_seller_email=emails.get(o.first_seller)) if o.first_seller else o
        for o in outcomes
    ]


def _receive(
    ctx: ServiceContext, uow: UnitOfWork, book: Rulebook, intake: Intake, sellers: CustomerDeals
) -> tuple[OrderOutcome, int]:
    record = intake.record
    if uow.orders.insert_if_new(record):  # first: it takes the write lock (SQLite)
        return queue_deal(ctx, uow, book, intake, sellers)
    if intake.order.kind == "subscription" and uow.orders.extend_subscription(record):
        outcome, decisions = queue_deal(ctx, uow, book, intake, sellers)
        extended = replace(outcome, outcome="extended", reason=f"renewed: {outcome.reason}")
        return extended, decisions
    stored = uow.orders.get(record.shop, record.order_id)
    when = f" {stored.received_at:%Y-%m-%d %H:%M} UTC from {stored.source}" if stored else ""
    decided = f": {stored.reason}" if stored else ""
    return OrderOutcome(
        record.shop,
        record.order_id,
        record.kind,
        "already_received",
        f"already received{when}{decided}",
        deal_key=stored.deal_key if stored else None,
    ), 0


def queue_deal(
    ctx: ServiceContext, uow: UnitOfWork, book: Rulebook, intake: Intake, sellers: CustomerDeals
) -> tuple[OrderOutcome, int]:
    """Queue the deal an order (or a due renewal) makes, in `uow`: to the customer's first
    seller when they already have an open deal, that seller told."""
    record, deal = intake.record, intake.deal
    if deal is None:
        kind: Outcome = "waiting" if record.decision == "waiting" else "no_deal"
        return OrderOutcome(record.shop, record.order_id, record.kind, kind, record.reason), 0
    duplicate = duplicate_lead(book, deal, sellers.of(deal))
    queued_deal, events = deal_events(deal, duplicate)
    queued = queue_decisions(ctx, uow, events, origin=ORIGIN)
    reason = record.reason
    if duplicate is not None and duplicate.owner is not None:
        reason += (
            f"; the customer has open deal {duplicate.existing_deal_id}: the new deal goes "
            "to its seller, who is told"
        )
    return OrderOutcome(
        record.shop,
        record.order_id,
        record.kind,
        "deal",
        reason,
        deal_key=queued_deal.key,
        pipeline=queued_deal.pipeline,
        stage=queued_deal.stage,
        first_seller=duplicate.owner if duplicate else None,
        existing_deal_id=duplicate.existing_deal_id if duplicate else None,
        rows=queued.rows,
    ), queued.decisions


def _needing_stages(ctx: ServiceContext, intakes: Sequence[Intake]) -> list[CreateDealRequested]:
    """The deals to a stage the mirror lacks that would be queued: not those of orders
    already recorded (they queue nothing), unless a subscription comes with a later expiry."""
    unmapped = [i for i in intakes if i.deal is not None and unmapped_stages([i.deal])]
    if not unmapped:
        return []
    with ctx.uow() as uow:
        stored = {i.record.ref: uow.orders.get(i.record.shop, i.record.order_id) for i in unmapped}
    wanted = []
    for intake in unmapped:
        before = stored[intake.record.ref]
        later = intake.record.expires_at
        if before is None or (
            before.kind == "subscription"
            and before.expires_at is not None
            and later is not None
            and before.expires_at < later
        ):
            wanted.append(intake.deal)
    return [d for d in wanted if d is not None]


def refuse_unmapped(ctx: ServiceContext, deals: Sequence[CreateDealRequested]) -> None:
    """ConfigError naming the pipelines and stages `deals` go to that the mirror lacks."""
    stages = unmapped_stages(deals)
    if not stages:
        return
    with ctx.uow() as uow:
        known = len(uow.catalog.pipelines())
    names = ", ".join(f"{pipeline} / {stage}" for pipeline, stage in stages)
    why = (
        "the mirror has no pipelines yet"
        if known == 0
        else f"the mirror's {known} pipelines do not include them"
    )
    raise ConfigError(
        f"new deals go to {names} (the rules file's commerce section), but {why}: run "
        "`brevo-sync pull` first, or fix the rules file; nothing was recorded"
    )


class CustomerDeals:
    """The mirror's live, owned deals of the customers of some new deals, read at once."""

    def __init__(self, deals: Iterable[Deal]) -> None:
        self._by_key: dict[str, dict[str, Deal]] = {}
        for deal in deals:
            for key in customer_keys(deal):
                self._by_key.setdefault(key, {})[deal.id] = deal

    @classmethod
    def read(cls, ctx: ServiceContext, deals: Sequence[CreateDealRequested]) -> CustomerDeals:
        keys = sorted({key for deal in deals for key in lead_keys(deal)})
        if not keys:
            return cls(())
        with ctx.uow() as uow:
            return cls(uow.orders.customer_deals(keys))

    def of(self, deal: CreateDealRequested) -> list[Deal]:
        found: dict[str, Deal] = {}
        for key in lead_keys(deal):
            found.update(self._by_key.get(key, {}))
        return list(found.values())


# -- the file import -------------------------------------------------------------------------


@dataclass
class ImportReport:
    source: str
    parsed: ParsedLines
    received: ReceiveReport

    @property
    def lines(self) -> list[int]:
        """The line of each outcome (`received.outcomes[i]` came from `lines[i]`)."""
        return [line for line, _ in self.parsed.orders]


def import_orders(
    ctx: ServiceContext, lines: Iterable[str], *, source: str, dry_run: bool = False
) -> ImportReport:
    """`orders import`: read JSON lines (a refused line is reported with its number and
    field, and skipped), then `receive_orders` the rest, as a recorded run (not holding the
    mirror: webhooks and a pull may go on meanwhile)."""
    parsed = parse_lines(lines, default_currency=ctx.rules().default_currency)
    orders = [order for _, order in parsed.orders]
    if dry_run or not orders:
        dry = receive_orders(ctx, orders, source=source, dry_run=True)
        return ImportReport(source, parsed, dry)
    with recorded_run(ctx, "orders import", exclusive=False):
        received = receive_orders(ctx, orders, source=source)
    return ImportReport(source, parsed, received)
