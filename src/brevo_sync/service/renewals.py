"""Renewal deals for subscriptions whose renewal is due (seed 000: 90 days before expiry).

A subscription is recorded `waiting` with the day its renewal is due (`orders import` and the
subscription webhook; one already due is queued as it arrives). `queue_renewals` (the
`renewals` command, the daemon's schedule) finds the waiting ones that are due and, for each
in one transaction, claims it (waiting -> deal, a conditional update: a second run at the
same moment claims nothing) and queues its renewal deal. Nothing here calls Brevo.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from brevo_sync.domain.order_intake import Intake, OrderRecord
from brevo_sync.domain.orders import OrderInvalid, parse_order
from brevo_sync.domain.rules import Rulebook
from brevo_sync.domain.rules.commerce import renewal_deal
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.orders import (
    ORDERS_PER_TRANSACTION,
    CustomerDeals,
    OrderOutcome,
    Outcome,
    ReceiveReport,
    queue_deal,
    refuse_unmapped,
    with_seller_emails,
)
from brevo_sync.service.runs import recorded_run

UPCOMING = 5  # waiting subscriptions a report names


@dataclass
class RenewalReport:
    queued: ReceiveReport  # one outcome per due subscription
    upcoming: list[OrderRecord] = field(default_factory=list)  # the next ones still waiting


def queue_renewals(
    ctx: ServiceContext, *, dry_run: bool = False, limit: int | None = None
) -> RenewalReport:
    """Queue the renewal deal of every subscription due now (at most `limit`), once.
    ConfigError, before anything is queued, when the renewal stage is not in the mirror."""
    if dry_run:
        return _queue(ctx, dry_run=True, limit=limit)
    with recorded_run(ctx, "renewals", exclusive=False):
        return _queue(ctx, dry_run=False, limit=limit)


def _queue(ctx: ServiceContext, *, dry_run: bool, limit: int | None) -> RenewalReport:
    now = ctx.clock()
    config = ctx.rules()
    with ctx.uow() as uow:
        book = Rulebook.build(config, uow.catalog.pipelines())
        due = uow.orders.due_renewals(now, limit)
    report = ReceiveReport(dry_run=dry_run)
    intakes: list[Intake] = []
    for record in due:
        try:
            subscription = parse_order(record.payload, default_currency=config.default_currency)
        except OrderInvalid as exc:
            report.add(_skipped(record, f"the recorded subscription cannot be read: {exc}"))
            continue
        decided = renewal_deal(book, subscription.as_subscription(), now)
        intakes.append(Intake(subscription, _decided(record, decided.reason), decided.deal))
    refuse_unmapped(ctx, [i.deal for i in intakes if i.deal is not None])
    sellers = CustomerDeals.read(ctx, [i.deal for i in intakes if i.deal is not None])
    for start in range(0, len(intakes), ORDERS_PER_TRANSACTION):
        with ctx.uow() as uow:
            for intake in intakes[start : start + ORDERS_PER_TRANSACTION]:
                record, deal = intake.record, intake.deal
                if deal is None:  # the rules file moved the renewal date since
                    report.add(_skipped(record, record.reason, "waiting"))
                    continue
                if not uow.orders.mark_renewed(
                    record.shop, record.order_id, deal_key=deal.key, reason=record.reason
                ):
                    report.add(_skipped(record, "queued by another run", "already_received"))
                    continue
                outcome, decisions = queue_deal(ctx, uow, book, intake, sellers)
                report.add(outcome, decisions)
            if not dry_run:
                uow.commit()
    report.outcomes = with_seller_emails(ctx, report.outcomes)
    with ctx.uow() as uow:
        upcoming = uow.orders.upcoming_renewals(UPCOMING)
    return RenewalReport(report, upcoming)


def _decided(record: OrderRecord, reason: str) -> OrderRecord:
    return replace(record, reason=reason)


def _skipped(record: OrderRecord, reason: str, outcome: Outcome = "no_deal") -> OrderOutcome:
    return OrderOutcome(record.shop, record.order_id, record.kind, outcome, reason)
