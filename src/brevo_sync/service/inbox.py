"""Webhook deliveries in: recorded once (`accept_delivery`), processed after the answer
(`process_inbox`), and looked after by operators (`inbox list|show|retry`).

`accept_delivery` is all a webhook does before it answers: one row, one commit. A repeat of a
delivery (the shop retrying it) or of an order (twice, or through two routes) is recorded as
nothing and answered as a duplicate. `process_inbox` claims due rows and hands their orders
to `receive_orders` (the same way in as `orders import`; exactly once per order by the
`orders` table, so a row processed twice still makes one deal). A row that fails is retried
with a growing delay and, after `max_attempts`, is a dead letter with its reason. Brevo's
hints are not processed here: `service/hints.py` settles them with an early pull.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import structlog

from brevo_sync.domain.inbox import (
    CLAIM_LEASE,
    ORDER_KINDS,
    Delivery,
    InboxFilter,
    InboxRow,
    retry_delay,
)
from brevo_sync.domain.orders import OrderInvalid, ReceivedOrder, parse_order
from brevo_sync.errors import BrevoSyncError, UsageError
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.orders import OrderOutcome, receive_orders

log = structlog.get_logger(__name__)

DEFAULT_BATCH = 100  # rows claimed at once (receive_orders writes 100 orders a transaction)
DEFAULT_MAX_ATTEMPTS = 10


@dataclass(frozen=True, slots=True)
class Accepted:
    row_id: int
    duplicate: bool  # a repeat: `row_id` is the row it repeats


def accept_delivery(ctx: ServiceContext, delivery: Delivery) -> Accepted:
    """Record a delivery (committed when this returns), or name the row it repeats."""
    with ctx.uow() as uow:
        row_id, new = uow.inbox.add(delivery, ctx.clock())
        uow.commit()
    return Accepted(row_id, duplicate=not new)


def accept_deliveries(ctx: ServiceContext, deliveries: Sequence[Delivery]) -> list[Accepted]:
    """Record many deliveries in one transaction (a group commit: one commit, one fsync, for
    every request that arrived meanwhile), in order; a repeat within the batch is a
    duplicate of the first. Raises when the transaction fails (nothing is recorded then)."""
    with ctx.uow() as uow:
        now = ctx.clock()
        added = uow.inbox.add_many(deliveries, now)
        uow.commit()
    return [Accepted(row_id, duplicate=not new) for row_id, new in added]


@dataclass
class InboxReport:
    claimed: int = 0
    done: int = 0
    retrying: int = 0
    dead: int = 0
    outcomes: list[tuple[int, str]] = field(default_factory=list)  # (row id, what came of it)
    # (row, outcome, error, dead) not yet written
    settled: list[tuple[InboxRow, str | None, str | None, bool]] = field(
        default_factory=list, repr=False
    )


def process_inbox(
    ctx: ServiceContext,
    *,
    limit: int = DEFAULT_BATCH,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    lease: timedelta = CLAIM_LEASE,
) -> InboxReport:
    """Process up to `limit` due order and subscription rows; nothing to do is a no-op.
    The caller loops while `claimed == limit` to drain a backlog. Claimed rows are not due
    again before `lease` is over: a worker that dies holding them delays them that long."""
    now = ctx.clock()
    with ctx.uow() as uow:
        rows = uow.inbox.claim(ORDER_KINDS, now, lease_until=now + lease, limit=limit)
        uow.commit()
    report = InboxReport(claimed=len(rows))
    if not rows:
        return report
    currency = ctx.rules().default_currency
    readable: list[tuple[InboxRow, ReceivedOrder]] = []
    for row in rows:
        try:
            readable.append((row, parse_order(row.payload, default_currency=currency)))
        except OrderInvalid as exc:  # cannot get better by waiting
            _settle(ctx, report, row, error=f"the recorded order cannot be read: {exc}", dead=True)
    by_route: dict[str, list[tuple[InboxRow, ReceivedOrder]]] = {}
    for row, order in readable:
        by_route.setdefault(row.route, []).append((row, order))
    for route, group in by_route.items():
        _receive(ctx, report, route, group, max_attempts)
    _write(ctx, report)
    return report


def _receive(
    ctx: ServiceContext,
    report: InboxReport,
    route: str,
    group: Sequence[tuple[InboxRow, ReceivedOrder]],
    max_attempts: int,
) -> None:
    """The group at once; when that fails, each on its own (one bad row fails alone)."""
    try:
        received = receive_orders(ctx, [o for _, o in group], source=f"webhook:{route}")
    except Exception as exc:
        if len(group) > 1:
            for one in group:
                _receive(ctx, report, route, [one], max_attempts)
            return
        row = group[0][0]
        if not isinstance(exc, BrevoSyncError):
            log.warning("inbox row failed", row_id=row.id, exc_info=True)
        error = str(exc) if isinstance(exc, BrevoSyncError) else f"{type(exc).__name__}: {exc}"
        _settle(ctx, report, row, error=error, dead=row.attempts >= max_attempts)
        return
    for (row, _), outcome in zip(group, received.outcomes, strict=True):
        _settle(ctx, report, row, outcome=describe(outcome))


def describe(outcome: OrderOutcome) -> str:
    """What came of an order, in one line (the row's `outcome`)."""
    words = outcome.outcome.replace("_", " ")
    if outcome.outcome == "deal":
        where = f" in {outcome.pipeline} / {outcome.stage}" if outcome.pipeline else ""
        return f"deal {outcome.deal_key} queued{where}: {outcome.reason}"
    return f"{words}: {outcome.reason}"


def _settle(
    ctx: ServiceContext,
    report: InboxReport,
    row: InboxRow,
    *,
    outcome: str | None = None,
    error: str | None = None,
    dead: bool = False,
) -> None:
    """Note what became of a row; `_write` records it (one transaction for the batch)."""
    if outcome is not None:
        report.done += 1
        report.settled.append((row, outcome, None, False))
        report.outcomes.append((row.id, outcome))
        return
    error = error or "failed"
    if dead:
        report.dead += 1
        log.warning("inbox row is a dead letter", row_id=row.id, reason=error)
    else:
        report.retrying += 1
    report.settled.append((row, None, error, dead))
    report.outcomes.append((row.id, f"{'dead' if dead else 'retrying'}: {error}"))


def _write(ctx: ServiceContext, report: InboxReport) -> None:
    now = ctx.clock()
    done = {row.id: outcome for row, outcome, _, _ in report.settled if outcome is not None}
    with ctx.uow() as uow:
        uow.inbox.finish(done, now)
        for row, outcome, error, dead in report.settled:
            if outcome is None:
                retry_at = None if dead else now + retry_delay(row.attempts)
                uow.inbox.fail(row.id, error=error or "failed", retry_at=retry_at)
        uow.commit()
    report.settled.clear()


# -- for operators (`brevo-sync inbox list|show|retry`) -----------------------------------------


def list_inbox(ctx: ServiceContext, query: InboxFilter) -> tuple[list[InboxRow], dict[str, int]]:
    """Rows matching `query`, newest first, and the count of rows in each state."""
    with ctx.uow() as uow:
        return uow.inbox.find(query), uow.inbox.counts()


def show_inbox(ctx: ServiceContext, row_id: int) -> InboxRow:
    with ctx.uow() as uow:
        row = uow.inbox.get(row_id)
    if row is None:
        raise UsageError(f"no inbox row {row_id}; `brevo-sync inbox list` shows them")
    return row


def retry_inbox(ctx: ServiceContext, row_ids: Sequence[int], *, all_dead: bool = False) -> int:
    """Dead (or waiting) rows pending again, due now, attempts reset; how many. A row that
    is done is refused (UsageError): it was processed, nothing would happen again."""
    now = ctx.clock()
    with ctx.uow() as uow:
        if all_dead:
            ids = [r.id for r in uow.inbox.find(InboxFilter(states=("dead",), limit=None))]
        else:
            ids = []
            for row_id in row_ids:
                row = uow.inbox.get(row_id)
                if row is None:
                    raise UsageError(f"no inbox row {row_id}; `brevo-sync inbox list` shows them")
                if row.state == "done":
                    raise UsageError(f"inbox row {row_id} is done: {row.outcome}")
                ids.append(row_id)
        changed = uow.inbox.retry(ids, now)
        uow.commit()
    return changed
