"""Stage moves seen by a pull: one rule for what counts as a move and when it happened.

A pull compares what Brevo shows now with what the mirror had. The deal moved when its
(pipeline, stage) differs; the move happened at Brevo's `stage_updated_at` when Brevo gives
one, else (for a deal seen for the first time) at its creation, else at its last update,
else when we noticed. The rules engine (`rules.effects.observe_move`) uses the same time, so
the stage history row and the events of a move always agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from brevo_sync.domain.deal import Deal


@dataclass(frozen=True, slots=True)
class MirroredDeal:
    """What the mirror holds of a deal that a pull compares with: placement and version."""

    pipeline_id: str | None
    stage_id: str | None
    updated_at: datetime | None
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class StageMove:
    """One row of stage history. `from_stage_id` is None the first time a deal is seen."""

    deal_id: str
    pipeline_id: str | None
    from_pipeline_id: str | None
    from_stage_id: str | None
    to_stage_id: str
    changed_at: datetime
    owner: str | None
    source: str  # "pull" for moves seen in Brevo, "local" for moves brevo-sync made
    first_sight: bool = False  # the mirror did not have the deal: an entry, not a move


def recorded_move(row: Any) -> StageMove:
    """A stage history row (anything with its columns as attributes) as a StageMove. The row
    names the pipeline moved into, not the one moved from."""
    return StageMove(
        deal_id=row.deal_id,
        pipeline_id=row.pipeline_id,
        from_pipeline_id=None,
        from_stage_id=row.from_stage_id,
        to_stage_id=row.to_stage_id,
        changed_at=row.changed_at,
        owner=row.owner,
        source=row.source,
        first_sight=row.from_stage_id is None,
    )


def latest_per_id(batch: Sequence[Deal]) -> list[Deal]:
    """One record per id, the newest: a page can repeat a deal when the list moved."""
    newest: dict[str, Deal] = {}
    for deal in batch:
        seen = newest.get(deal.id)
        if seen is None or _not_older(deal, seen):
            newest[deal.id] = deal
    return list(newest.values())


def _not_older(a: Deal, b: Deal) -> bool:
    if a.updated_at is None or b.updated_at is None:
        return True
    return a.updated_at >= b.updated_at


def is_unchanged(mirrored: MirroredDeal | None, seen: Deal, *, full_read: bool = False) -> bool:
    """Already mirrored at this version: an overlap re-read writes nothing.

    An incremental read also skips a record older than the mirror's (the mirror cannot be
    behind a record it has already seen newer). A full read is Brevo's word on everything:
    a mirror that holds a version Brevo no longer has (restored data, another account behind
    the same mirror) is brought back to what Brevo says."""
    if mirrored is None or mirrored.deleted or seen.updated_at is None:
        return False
    if mirrored.updated_at is None:
        return False
    if full_read:
        return mirrored.updated_at == seen.updated_at
    return mirrored.updated_at >= seen.updated_at


def move_time(seen: Deal, *, first_sight: bool, noticed: datetime) -> datetime:
    """When a move seen in `seen` happened (see the module docstring)."""
    return (
        seen.stage_updated_at
        or (seen.created_at if first_sight else None)
        or seen.updated_at
        or noticed
    )


def observed_move(mirrored: MirroredDeal | None, seen: Deal, noticed: datetime) -> StageMove | None:
    """The move a pull sees between the mirror and Brevo, or None when the deal did not move.

    A deal without a stage has no place to move to; a deal the mirror never had "moves" into
    its first stage (a history row with no source stage, and no effects: it was not moved now).
    """
    if seen.stage_id is None:
        return None
    if mirrored is not None and (mirrored.pipeline_id, mirrored.stage_id) == (
        seen.pipeline_id,
        seen.stage_id,
    ):
        return None
    first = mirrored is None
    return StageMove(
        deal_id=seen.id,
        pipeline_id=seen.pipeline_id,
        from_pipeline_id=None if mirrored is None else mirrored.pipeline_id,
        from_stage_id=None if mirrored is None else mirrored.stage_id,
        to_stage_id=seen.stage_id,
        changed_at=move_time(seen, first_sight=first, noticed=noticed),
        owner=seen.owner,
        source="pull",
        first_sight=first,
    )
