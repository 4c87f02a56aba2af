"""Queue decisions for Brevo, and let operators see and steer the queue.

`queue_decisions` is the one way a use case hands effects to the write path: it records the
domain events (the decision log) and writes their outbox rows in the caller's unit of work, so
the decision and its effects commit together or not at all. `push` sends them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from brevo_sync.domain.outbox import (
    OPEN_STATES,
    Effect,
    OutboxFilter,
    OutboxRow,
    State,
    company_effects,
    effects_of,
)
from brevo_sync.domain.rules import Rulebook
from brevo_sync.domain.rules.events import CreateDealRequested, DomainEvent, StageChanged
from brevo_sync.errors import UsageError
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class Queued:
    decisions: int  # events recorded for the first time
    rows: int  # outbox rows written for the first time


def queue_decisions(
    ctx: ServiceContext,
    uow: UnitOfWork,
    events: Sequence[DomainEvent],
    *,
    origin: str,
) -> Queued:
    """Record `events` and queue what they mean for Brevo, inside `uow` (the caller commits).

    Call it before the mirror takes the change: an update's `base` (the three-way check's
    "what we last saw") is read from the mirror here."""
    if not events:
        return Queued(0, 0)
    now = ctx.clock()
    decisions = uow.events.record(events, origin=origin, now=now)
    created = [e.key for e in events if isinstance(e, CreateDealRequested)]
    effects: list[Effect] = []
    for event in events:
        effects.extend(effects_of(event, features=ctx.push.features, created=created))
    effects.extend(_won_companies(ctx, uow, events))
    effects = _with_bases(uow, effects)
    return Queued(decisions, uow.outbox.add(effects, origin=origin, now=now))


def _won_companies(
    ctx: ServiceContext, uow: UnitOfWork, events: Sequence[DomainEvent]
) -> list[Effect]:
    moves = [e for e in events if isinstance(e, StageChanged)]
    if not moves:
        return []
    book = Rulebook.build(ctx.rules(), uow.catalog.pipelines())
    won = [
        m
        for m in moves
        if (t := book.stages.named(m.pipeline, m.to_stage)) and t.stage.kind == "won"
    ]
    if not won:
        return []
    deals = uow.deals.get([m.deal_id for m in won])
    return [
        effect
        for moved in won
        if moved.deal_id in deals
        for effect in company_effects(moved, deals[moved.deal_id])
    ]


def _with_bases(uow: UnitOfWork, effects: list[Effect]) -> list[Effect]:
    ids = [e.deal_id for e in effects if e.kind == "update_deal" and e.deal_id is not None]
    if not ids:
        return effects
    mirrored = uow.deals.get(ids)
    out: list[Effect] = []
    for effect in effects:
        deal = mirrored.get(effect.deal_id or "") if effect.kind == "update_deal" else None
        if deal is None:
            out.append(effect)
            continue
        fields = effect.payload.get("attributes", {})
        base: dict[str, Any] = {name: deal.attributes.get(name) for name in fields}
        out.append(replace(effect, base=base))
    return out


# -- operators: outbox list | show | retry | drop ----------------------------------------------


def list_rows(ctx: ServiceContext, query: OutboxFilter) -> tuple[list[OutboxRow], dict[str, int]]:
    """Rows matching `query` and the count of rows in each state."""
    with ctx.uow() as uow:
        return uow.outbox.find(query), uow.outbox.counts()


def show_row(ctx: ServiceContext, ref: str) -> OutboxRow:
    with ctx.uow() as uow:
        return _row(uow, ref)


def retry_rows(ctx: ServiceContext, refs: Sequence[str], *, all_dead: bool = False) -> int:
    """Put dead (or waiting) rows back to pending, due now, attempts reset. Returns how many."""
    now = ctx.clock()
    with ctx.uow() as uow:
        rows = uow.outbox.in_state("dead") if all_dead else [_row(uow, ref) for ref in refs]
        for row in rows:
            if row.state not in ("dead", "pending", "dropped"):
                raise UsageError(
                    f"outbox row {row.id} is {row.state}: only dead, dropped or waiting rows "
                    "can be retried"
                )
        for row in rows:
            changes = {"state": "pending", "attempts": 0, "next_attempt_at": now}
            uow.outbox.update(row.id, changes)
        uow.commit()
    return len(rows)


def drop_rows(ctx: ServiceContext, refs: Sequence[str], *, reason: str) -> int:
    """Give rows up on purpose: kept as `dropped` with the operator's reason, never sent."""
    with ctx.uow() as uow:
        rows = [_row(uow, ref) for ref in refs]
        for row in rows:
            if row.state not in (*OPEN_STATES, "dead"):
                raise UsageError(f"outbox row {row.id} is {row.state}: nothing to drop")
        for row in rows:
            uow.outbox.update(row.id, {"state": "dropped", "last_error": f"dropped: {reason}"})
        uow.commit()
    return len(rows)


def _row(uow: UnitOfWork, ref: str) -> OutboxRow:
    """A row by id or key; UsageError naming what exists when nothing matches."""
    row = uow.outbox.get(int(ref)) if ref.isdigit() else uow.outbox.by_key(ref)
    if row is None:
        counts = uow.outbox.counts()
        total = sum(counts.values())
        raise UsageError(
            f"no outbox row {ref!r} (the outbox holds {total} rows; "
            "`brevo-sync outbox list --all` shows them)"
        )
    return row


STATE_NAMES: tuple[State, ...] = ("pending", "sending", "unconfirmed", "done", "dead", "dropped")
