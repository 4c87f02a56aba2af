"""Changes operators make to a deal: `deals advance` (a stage move) and `deals assign` (a new
owner). Reused unchanged by the ops API.

Both decide in the domain (the transition matrix, required fields, permissions, seller
protection), and on success, in one transaction: the decisions and their outbox rows (the
PATCH, the stage's tasks and notes, loyalty, conversion events), then the mirror's new state
and, for a move, its stage history. Brevo learns of it on the next `push`. A refusal changes
nothing and names every reason (`ChangeRefused`, exit 2).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from brevo_sync.domain.deal import Deal
from brevo_sync.domain.moves import StageMove
from brevo_sync.domain.rules import Rulebook
from brevo_sync.domain.rules.effects import apply_changes, decide_move
from brevo_sync.domain.rules.events import (
    DomainEvent,
    NotificationRequested,
    StageChanged,
    UpdateDealRequested,
    stamp,
)
from brevo_sync.domain.rules.permissions import SYSTEM, Actor, Directory
from brevo_sync.domain.rules.protection import protection_status, takeover_refusals
from brevo_sync.domain.rules.transitions import MoveRequest
from brevo_sync.errors import UsageError
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.outbox import queue_decisions
from brevo_sync.service.ports import UnitOfWork
from brevo_sync.service.resolve import NO_PIPELINES, name_key, not_found
from brevo_sync.service.runs import recorded_run


class ChangeRefused(UsageError):
    """The rules refused the change; `reasons` holds every one."""

    def __init__(self, what: str, reasons: tuple[str, ...]) -> None:
        super().__init__(f"{what} refused: " + "; ".join(reasons))
        self.reasons = reasons


@dataclass
class ChangeResult:
    deal_id: str
    deal_name: str | None
    change: str  # "Proposal -> Negotiation", "owner ana@... -> ben@..."
    attributes: dict[str, Any] = field(default_factory=dict)  # what the PATCH will carry
    effects: list[str] = field(default_factory=list)  # outbox rows queued, by kind
    warnings: list[str] = field(default_factory=list)
    queued: int = 0


def actor_of(ctx: ServiceContext, email: str | None, role: str | None) -> Actor:
    """Who acts: a person by e-mail with a role of the rules file, or brevo-sync itself."""
    if email is None:
        return SYSTEM
    roles = ctx.rules().roles
    wanted = role or "sales_rep"
    if wanted not in roles:
        raise not_found("--role", wanted, "role", sorted(roles), " in the rules file")
    return Actor(email.strip().lower(), wanted)


def advance_deal(
    ctx: ServiceContext,
    deal_ref: str,
    stage: str,
    *,
    actor: Actor = SYSTEM,
    reason: str | None = None,
) -> ChangeResult:
    with recorded_run(ctx, "deals advance"), ctx.uow() as uow:
        book, deal, directory = _load(ctx, uow, deal_ref)
        target = _stage(book, uow, deal, stage)
        here = book.locate(deal)
        lost = target.stage.kind == "lost"
        request = MoveRequest(
            deal, target.stage_id, actor, reason=reason, lost_reason=reason if lost else None
        )
        now = ctx.clock()
        outcome = decide_move(book, request, now, directory)
        if outcome.changes is None:
            raise ChangeRefused(
                f"moving deal {deal.id} to {target.stage.name}", outcome.decision.reasons
            )
        moved = next(e for e in outcome.events if isinstance(e, StageChanged))
        attributes = outcome.changes.attributes(
            book.config.attributes, ctx.pull.attribute_names.close_date
        )
        write = UpdateDealRequested(f"{moved.key}:write", deal.id, attributes, target.stage_id)
        events: list[DomainEvent] = [*outcome.events, write]
        queued = queue_decisions(ctx, uow, events, origin="local")
        after = apply_changes(deal, outcome.changes, book.config.attributes)
        uow.deals.upsert([after], now)
        uow.history.add([_history(deal, after, now)], now)
        uow.commit()
    return ChangeResult(
        deal_id=deal.id,
        deal_name=deal.name,
        change=f"{here.stage.name if here else deal.stage_id} -> {target.stage.name}",
        attributes=attributes,
        effects=_kinds(events),
        warnings=list(outcome.decision.warnings),
        queued=queued.rows,
    )


def assign_deal(
    ctx: ServiceContext,
    deal_ref: str,
    new_owner: str,
    *,
    actor: Actor = SYSTEM,
    reason: str | None = None,
) -> ChangeResult:
    """Give the deal to `new_owner` (an e-mail) under seed 002's seller protection. The
    earlier seller keeps the commission shares already earned: those are computed from the
    stage history, which records the owner of every move."""
    owner_email = new_owner.strip().lower()
    with recorded_run(ctx, "deals assign"), ctx.uow() as uow:
        book, deal, directory = _load(ctx, uow, deal_ref)
        now = ctx.clock()
        taker = Actor(owner_email, actor.role) if actor is SYSTEM else actor
        refusals = () if actor is SYSTEM else takeover_refusals(book, deal, taker, directory, now)
        if refusals:
            status = protection_status(book, deal, now)
            opens = (
                f" (the protection window ends {status.exclusive_until:%Y-%m-%d %H:%M} UTC)"
                if status.exclusive_until is not None and status.exclusive_until > now
                else ""
            )
            raise ChangeRefused(f"giving deal {deal.id} to {owner_email}{opens}", refusals)
        person = uow.people.get(owner_email)
        value = person.user_id if person is not None and person.user_id else owner_email
        previous = directory.person(deal.owner) or "nobody"
        key = f"assign:{deal.id}:{owner_email}:{stamp(now)}"
        why = f" ({reason})" if reason else ""
        events: list[DomainEvent] = [
            UpdateDealRequested(f"{key}:write", deal.id, {"deal_owner": value}),
            NotificationRequested(
                f"{key}:notify",
                deal.id,
                "original_seller",
                f"Deal reassigned from {previous} to {owner_email}{why}.",
            ),
        ]
        queued = queue_decisions(ctx, uow, events, origin="local")
        uow.deals.upsert([_with_owner(deal, value)], now)
        uow.commit()
    return ChangeResult(
        deal_id=deal.id,
        deal_name=deal.name,
        change=f"owner {previous} -> {owner_email}",
        attributes={"deal_owner": value},
        effects=_kinds(events),
        queued=queued.rows,
    )


def _load(ctx: ServiceContext, uow: UnitOfWork, deal_ref: str) -> tuple[Rulebook, Deal, Directory]:
    pipelines = uow.catalog.pipelines()
    if not pipelines:
        raise UsageError(NO_PIPELINES)
    deal = uow.deals.get([deal_ref]).get(deal_ref)
    if deal is None:
        raise UsageError(
            f"no deal {deal_ref!r} in the mirror (`brevo-sync deals list` shows the ids; "
            "`brevo-sync pull` brings new deals in)"
        )
    book = Rulebook.build(ctx.rules(), pipelines)
    emails = uow.people.by_user_id([deal.owner] if deal.owner else [])
    return book, deal, Directory.from_config(book.config, emails)


def _stage(book: Rulebook, uow: UnitOfWork, deal: Deal, value: str) -> Any:
    pipeline = next((p for p in uow.catalog.pipelines() if p.id == deal.pipeline_id), None)
    names = [s.name for s in pipeline.stages] if pipeline else []
    for stage in pipeline.stages if pipeline else ():
        if stage.id == value or name_key(stage.name) == name_key(value):
            mapped = book.stages.find(deal.pipeline_id, stage.id)
            if mapped is None:
                raise UsageError(
                    f"stage '{stage.name}' is not in the rules file: `brevo-sync rules check` "
                    "shows what maps"
                )
            return mapped
    where = f" of pipeline '{pipeline.name}'" if pipeline else ""
    raise not_found("STAGE", value, "stage", names, where)


def _history(before: Deal, after: Deal, now: Any) -> StageMove:
    return StageMove(
        deal_id=after.id,
        pipeline_id=after.pipeline_id,
        from_pipeline_id=before.pipeline_id,
        from_stage_id=before.stage_id,
        to_stage_id=after.stage_id or "",
        changed_at=after.stage_updated_at or now,
        owner=after.owner,
        source="local",
    )


def _with_owner(deal: Deal, owner: str) -> Deal:
    return replace(deal, owner=owner, attributes={**deal.attributes, "deal_owner": owner})


def _kinds(events: list[DomainEvent]) -> list[str]:
    return [type(e).__name__ for e in events]
