"""What a stage move changes on the deal and which domain events it raises.

Seed 000 `advanceDealStage`: the new stage's probability, the time of the change and the
previous stage are written, then the stage's actions run. Seed 001: moving to Won or Lost sets
the close date when it is empty. Seed 002: the transition's automatic actions, and a notice to
the original seller when a team lead moves a team member's deal. A probability override is
dropped by the move: it "stays until the stage changes".

`decide_move` / `apply_move` are for moves brevo-sync makes (guarded); `observe_move` is for a
move already made in Brevo (seen by pull): it cannot be refused, so a breach is reported as an
event and the effects still follow.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from brevo_sync.domain.deal import Deal
from brevo_sync.domain.moves import move_time
from brevo_sync.domain.rules.actions import (
    Action,
    CommissionAction,
    ExternalAction,
    LossAnalysisAction,
    LoyaltyBonusAction,
    NotifyAction,
    OnboardingAction,
    TaskAction,
)
from brevo_sync.domain.rules.automations import TriggerEvent, conversion_events, run_automations
from brevo_sync.domain.rules.config import RuleAttributeNames
from brevo_sync.domain.rules.events import (
    CommissionComputationRequested,
    DomainEvent,
    ExternalActionRequested,
    LossAnalysisRequested,
    NotificationRequested,
    OnboardingRequested,
    RuleBreachObserved,
    StageChanged,
    TaskRequested,
    stamp,
)
from brevo_sync.domain.rules.loyalty import corporate_bonus, milestone_award
from brevo_sync.domain.rules.permissions import Directory
from brevo_sync.domain.rules.probability import effective_probability
from brevo_sync.domain.rules.stages import MappedStage, Rulebook
from brevo_sync.domain.rules.transitions import MoveDecision, MoveRequest, check_move
from brevo_sync.errors import RuleViolation


@dataclass(frozen=True, slots=True)
class DealChanges:
    pipeline_id: str
    stage_id: str
    previous_stage_id: str | None
    stage_changed_at: datetime
    probability: int | None
    close_date: date | None  # set only when this move filled an empty close date
    lost_reason: str | None

    def attributes(
        self, names: RuleAttributeNames, close_date_attribute: str = "close_date"
    ) -> dict[str, Any]:
        """The Brevo attributes to PATCH (Brevo wants `pipeline` with `deal_stage`)."""
        out: dict[str, Any] = {
            "pipeline": self.pipeline_id,
            "deal_stage": self.stage_id,
            names.probability: self.probability,
            names.probability_stage: None,  # the move ends any override
            names.previous_stage: self.previous_stage_id,
            names.stage_changed_at: self.stage_changed_at.isoformat(),
        }
        if self.close_date is not None:
            out[close_date_attribute] = self.close_date.isoformat()
        if self.lost_reason is not None:
            out[names.lost_reason] = self.lost_reason
        return out


@dataclass(frozen=True, slots=True)
class MoveOutcome:
    decision: MoveDecision
    changes: DealChanges | None  # None when the move was refused
    events: tuple[DomainEvent, ...]


def decide_move(
    book: Rulebook, request: MoveRequest, now: datetime, directory: Directory | None = None
) -> MoveOutcome:
    """Guard and, if allowed, effects; a refused move comes back with its reasons and no effects."""
    decision = check_move(book, request, directory)
    if not decision.allowed or decision.source is None or decision.target is None:
        return MoveOutcome(decision, None, ())
    changes, events = move_effects(
        book, request.deal, decision.source, decision.target, now,
        by=request.actor.id, origin="rules", lost_reason=request.lost_reason,
        reason=request.reason, notify_original_seller=decision.notify_original_seller,
    )  # fmt: skip
    return MoveOutcome(decision, changes, events)


def apply_move(
    book: Rulebook, request: MoveRequest, now: datetime, directory: Directory | None = None
) -> MoveOutcome:
    """Like `decide_move`, but a refused move raises RuleViolation carrying every reason."""
    outcome = decide_move(book, request, now, directory)
    if outcome.changes is None:
        raise RuleViolation(list(outcome.decision.reasons))
    return outcome


def observe_move(book: Rulebook, before: Deal, after: Deal, now: datetime) -> MoveOutcome | None:
    """A stage change seen in Brevo; None when the stage did not change or is not ours."""
    if (before.pipeline_id, before.stage_id) == (after.pipeline_id, after.stage_id):
        return None
    target = book.locate(after)
    request = MoveRequest(before, after.stage_id or "", lost_reason=_text(after, book))
    decision = check_move(book, request, check_permissions=False)
    if target is None:
        return MoveOutcome(decision, None, ())
    at = move_time(after, first_sight=False, noticed=now)
    source = book.locate(before) if before.pipeline_id == after.pipeline_id else None
    changes, events = move_effects(
        book, after, source, target, at, by=None, origin="observed",
        lost_reason=None, reason=None, notify_original_seller=False,
    )  # fmt: skip
    if decision.reasons:
        breach = RuleBreachObserved(
            key=f"breach:{after.id}:{target.stage_id}:{stamp(at)}",
            deal_id=after.id,
            from_stage=source.stage.name if source else before.stage_id,
            to_stage=target.stage.name,
            reasons=decision.reasons,
        )
        events = (breach, *events)
    return MoveOutcome(decision, changes, events)


def _text(deal: Deal, book: Rulebook) -> str | None:
    value = deal.attributes.get(book.config.attributes.lost_reason)
    return str(value) if value not in (None, "") else None


def move_effects(
    book: Rulebook,
    deal: Deal,
    from_stage: MappedStage | None,
    target: MappedStage,
    at: datetime,
    *,
    by: str | None,
    origin: str,
    lost_reason: str | None,
    reason: str | None,
    notify_original_seller: bool,
) -> tuple[DealChanges, tuple[DomainEvent, ...]]:
    """The changes and events of moving `deal` (as it was before) into `target` at `at`."""
    stage = target.stage
    previous = from_stage.stage.name if from_stage else deal.stage_id
    changes = DealChanges(
        pipeline_id=target.pipeline_id,
        stage_id=target.stage_id,
        previous_stage_id=from_stage.stage_id if from_stage else deal.stage_id,
        stage_changed_at=at,
        probability=effective_probability(stage, target.stage_id),
        close_date=at.date() if stage.closed and deal.close_date is None else None,
        lost_reason=lost_reason if stage.kind == "lost" else None,
    )
    base = f"move:{deal.id}:{target.stage_id}:{stamp(at)}"
    events: list[DomainEvent] = [
        StageChanged(
            key=base,
            deal_id=deal.id,
            pipeline=target.pipeline.name,
            from_stage=previous,
            to_stage=stage.name,
            at=at,
            by=by,
            source=origin,
        )
    ]
    transition = (
        target.pipeline.transition(from_stage.stage.name, stage.name) if from_stage else None
    )
    loss_reason = lost_reason or _text(deal, book)
    context = _ActionContext(book, deal, from_stage, at, loss_reason)
    for i, action in enumerate(transition.actions if transition else ()):
        events.extend(context.event(action, f"{base}:t{i}:{action.name}"))
    for i, action in enumerate(stage.actions):
        events.extend(context.event(action, f"{base}:s{i}:{action.name}"))
    if notify_original_seller and deal.owner:
        events.append(
            NotificationRequested(
                key=f"{base}:original_seller",
                deal_id=deal.id,
                recipient="original_seller",
                recipient_id=deal.owner,
                message=f"{by} moved your deal {deal.name or deal.id} from {previous} "
                f"to {stage.name}: {reason}",
            )
        )
    award = milestone_award(book.config, deal, target)
    if award is not None:
        events.append(award)
    trigger = TriggerEvent("stage_changed", deal, at, from_stage, target)
    events.extend(run_automations(book, trigger))
    events.extend(conversion_events(book, trigger))
    return changes, tuple(events)


@dataclass(frozen=True, slots=True)
class _ActionContext:
    book: Rulebook
    deal: Deal
    from_stage: MappedStage | None
    at: datetime
    lost_reason: str | None

    def event(self, action: Action, key: str) -> list[DomainEvent]:
        deal = self.deal
        if isinstance(action, TaskAction):
            due = add_months(self.at, action.due_in_months) + timedelta(days=action.due_in_days)
            return [TaskRequested(key, deal.id, action.name, action.title, due, action.assignee,
                                  action.kind)]  # fmt: skip
        if isinstance(action, NotifyAction):
            person = deal.owner if action.to == "seller" else None
            return [NotificationRequested(key, deal.id, action.to, action.message, person)]
        if isinstance(action, LossAnalysisAction):
            previous = self.from_stage.stage.name if self.from_stage else deal.stage_id
            return [LossAnalysisRequested(key, deal.id, action.name, self.lost_reason, previous)]
        if isinstance(action, OnboardingAction):
            return [OnboardingRequested(key, deal.id, action.name, deal.company_ids,
                                        deal.contact_ids)]  # fmt: skip
        if isinstance(action, LoyaltyBonusAction):
            award = corporate_bonus(self.book.config, deal)
            return [award] if award else []
        if isinstance(action, CommissionAction):
            return [CommissionComputationRequested(key, deal.id)]
        assert isinstance(action, ExternalAction)
        return [
            ExternalActionRequested(key, deal.id, action.name, tuple(sorted(action.params.items())))
        ]


def add_months(at: datetime, months: int) -> datetime:
    """Calendar months ("Follow-up in 6 Monaten"), the day clamped to the month's length."""
    if months == 0:
        return at
    index = at.month - 1 + months
    year, month = at.year + index // 12, index % 12 + 1
    day = min(at.day, calendar.monthrange(year, month)[1])
    return at.replace(year=year, month=month, day=day)


def apply_changes(deal: Deal, changes: DealChanges, names: RuleAttributeNames) -> Deal:
    """The deal as it is after the move (for chains of moves, and for tests)."""
    attributes = {**deal.attributes, **changes.attributes(names)}
    return replace(
        deal,
        pipeline_id=changes.pipeline_id,
        stage_id=changes.stage_id,
        stage_updated_at=changes.stage_changed_at,
        close_date=changes.close_date or deal.close_date,
        attributes=attributes,
    )
