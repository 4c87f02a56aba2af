"""The rules' decisions about moves a pull saw: what must follow, recorded for the write path.

`rules.effects.observe_move` decides (the stage's probability, the close date on Won/Lost,
the stage's and the transition's actions, loyalty milestones, conversion events, a breach of
the transition matrix); this turns its outcome into the events to record, adding the one the
write path needs to bring Brevo's deal in line: the attributes to PATCH, minus the pipeline
and stage, which Brevo already has (the move was made there).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from brevo_sync.domain.deal import Deal
from brevo_sync.domain.rules import Rulebook, observe_move
from brevo_sync.domain.rules.events import DomainEvent, StageChanged, UpdateDealRequested

# What Brevo set itself when the move was made in its own UI.
_DONE_BY_BREVO = ("pipeline", "deal_stage")


def decide_observed_moves(
    book: Rulebook,
    moves: Sequence[tuple[Deal, Deal]],
    now: datetime,
    *,
    close_date_attribute: str,
) -> list[DomainEvent]:
    """Every decision about the (before, after) pairs of deals that moved in Brevo."""
    events: list[DomainEvent] = []
    for before, after in moves:
        outcome = observe_move(book, before, after, now)
        if outcome is None or outcome.changes is None:
            continue  # not a move, or a stage the rules do not cover: history only
        events.extend(outcome.events)
        moved = next(e for e in outcome.events if isinstance(e, StageChanged))
        attributes = outcome.changes.attributes(book.config.attributes, close_date_attribute)
        for name in _DONE_BY_BREVO:
            attributes.pop(name, None)
        events.append(UpdateDealRequested(f"{moved.key}:write_back", after.id, attributes))
    return events
