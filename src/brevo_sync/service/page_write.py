"""One page of a pull, written in one transaction: the deals that changed, the moves the
domain sees in them, the rules' decisions about those moves, quarantined records and the run
position. A crash at any point leaves all of it or none of it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from brevo_sync.domain.deal import Deal
from brevo_sync.domain.moves import StageMove, is_unchanged, latest_per_id, observed_move
from brevo_sync.domain.rules import Rulebook
from brevo_sync.domain.rules.events import DomainEvent
from brevo_sync.domain.sync import Quarantined, SyncState
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.moves import decide_observed_moves
from brevo_sync.service.ports import UnitOfWork


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
    state: SyncState,
    *,
    full_read: bool,
) -> PageWritten:
    now = ctx.clock()
    deals = latest_per_id(page)
    with ctx.uow() as uow:
        mirrored = uow.deals.mirrored([d.id for d in deals])
        changed = [d for d in deals if not is_unchanged(mirrored.get(d.id), d, full_read=full_read)]
        moves = [
            move for d in changed if (move := observed_move(mirrored.get(d.id), d, now)) is not None
        ]
        events = _decide(ctx, book, uow, moves, changed, now)
        uow.deals.upsert(changed, now)
        uow.history.add(moves, now)
        decisions = uow.events.record(events, origin="pull", now=now)
        uow.deals.quarantine(bad, now)
        uow.sync.save(state)
        if state.run is None:  # the read completed: the mirror's own indexes come back
            uow.deals.restore_indexes()
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
) -> list[DomainEvent]:
    """The rules' decisions about the moves of this page (never about first sights)."""
    real = [m for m in moves if not m.first_sight]
    if not real:
        return []
    before = uow.deals.get([m.deal_id for m in real])
    after = {d.id: d for d in changed}
    pairs = [(before[m.deal_id], after[m.deal_id]) for m in real if m.deal_id in before]
    return decide_observed_moves(
        book, pairs, now, close_date_attribute=ctx.pull.attribute_names.close_date
    )
