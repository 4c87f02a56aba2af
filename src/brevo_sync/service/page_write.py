"""One page of a pull, written in one transaction: the deals that changed, the moves the
domain sees in them, the rules' decisions about those moves, quarantined records and the run
position. A crash at any point leaves all of it or none of it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from brevo_sync.domain.deal import Deal
from brevo_sync.domain.moves import StageMove, is_unchanged, latest_per_id, observed_move
from brevo_sync.domain.rules import Rulebook
from brevo_sync.domain.rules.events import DomainEvent
from brevo_sync.domain.sync import Quarantined, SyncState
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.moves import decide_observed_moves
from brevo_sync.service.outbox import queue_decisions
from brevo_sync.service.pending_changes import settle_pulled
from brevo_sync.service.ports import UnitOfWork
from brevo_sync.service.pull_triggers import pulled_news


@dataclass(frozen=True, slots=True)
class PageWritten:
    written: int  # inserted or changed
    unchanged: int  # already mirrored at this version (overlap re-reads)
    moves: int  # stage moves between two pulls (first sights are not moves)
    decisions: int  # rule decisions recorded for the first time


def write_page(
    ctx: ServiceContext,
    book: Rulebook,
    page: Sequence[Deal],
    bad: Sequence[Quarantined],
    state: SyncState | None,
    *,
    full_read: bool,
    rewrite: bool = False,
    also: Callable[[UnitOfWork], None] | None = None,
) -> PageWritten:
    """`state`: the sync state to save with the page (None: not touched, as by reconcile).
    `rewrite`: every deal is written, even at the version the mirror has (reconcile repairs
    drift that Brevo did not date). `also`: more writes for the page's own transaction."""
    now = ctx.clock()
    deals = latest_per_id(page)
    with ctx.uow() as uow:
        deals = settle_pulled(
            uow,
            deals,
            now,
            reference_attribute=book.config.attributes.reference,
            policy=ctx.push.conflict_policy,
            names=ctx.pull.attribute_names,
        )
        mirrored = uow.deals.mirrored([d.id for d in deals])
        changed = [
            d
            for d in deals
            if rewrite or not is_unchanged(mirrored.get(d.id), d, full_read=full_read)
        ]
        moves = [
            move for d in changed if (move := observed_move(mirrored.get(d.id), d, now)) is not None
        ]
        events = _decide(ctx, book, uow, moves, changed, now, full_read=full_read)
        uow.deals.upsert(changed, now)
        uow.history.add(moves, now)
        decisions = queue_decisions(ctx, uow, events, origin="pull").decisions
        uow.deals.quarantine(bad, now)
        if state is not None:
            uow.sync.save(state)
            if state.run is None:  # the read completed: the mirror's own indexes come back
                uow.deals.restore_indexes()
        if also is not None:
            also(uow)
        uow.commit()
    return PageWritten(
        written=len(changed),
        unchanged=len(deals) - len(changed),
        moves=sum(1 for m in moves if not m.first_sight),
        decisions=decisions,
    )


def _decide(
    ctx: ServiceContext,
    book: Rulebook,
    uow: UnitOfWork,
    moves: list[StageMove],
    changed: list[Deal],
    now: datetime,
    *,
    full_read: bool,
) -> list[DomainEvent]:
    """The rules' decisions about this page: its moves (never about first sights) and, on an
    incremental pull, the news that starts automations, conversion events and the duplicate
    lead rule (`pull_triggers`)."""
    real = [m for m in moves if not m.first_sight]
    wanted = [m.deal_id for m in real] if full_read else [d.id for d in changed]
    if not wanted:
        return []
    before = uow.deals.get(wanted)
    after = {d.id: d for d in changed}
    pairs = [(before[m.deal_id], after[m.deal_id]) for m in real if m.deal_id in before]
    events = decide_observed_moves(
        book, pairs, now, close_date_attribute=ctx.pull.attribute_names.close_date
    )
    if not full_read:
        events.extend(pulled_news(book, uow, changed, before, now))
    return events
