"""The transition guard: may this deal move to that stage, and if not, every reason why.

Order of the checks does not matter: all of them run and every failure is reported in words an
operator can act on (seed 002 matrix, forbidden moves, conditions, required fields, lost
reason, roles). Precisely:

- Closed stages (Won, Lost) are final: no move leaves them (seed 002 "Finale Stage!").
- Stages are ordered as in the rules file; Won and Lost stand outside that order. A move
  between two open stages skips |i - j| - 1 stages, in either direction; more than the
  pipeline's `max_skipped_stages` (1: "Sprünge über 2+ Stages" are forbidden) is refused.
  A move into a closed stage is never a skip.
- A pipeline with `transitions` allows only the listed moves; without, every move that the
  rules above allow.
- A forward move (to a later open stage, or to Won) needs the required fields of the stage it
  leaves and of every open stage it passes over; backward moves and moves to Lost need none.
- A move to Lost needs a lost reason, in the request or already on the deal.
"""

from __future__ import annotations

from dataclasses import dataclass

from brevo_sync.domain.deal import Deal
from brevo_sync.domain.rules.actions import Requirement
from brevo_sync.domain.rules.config import PipelineConfig, StageConfig
from brevo_sync.domain.rules.fields import MOVE_REASON, has_value, unmet
from brevo_sync.domain.rules.permissions import SYSTEM, Actor, Directory, move_permission
from brevo_sync.domain.rules.stages import MappedStage, Rulebook


@dataclass(frozen=True, slots=True)
class MoveRequest:
    deal: Deal
    to_stage_id: str
    actor: Actor = SYSTEM
    reason: str | None = None  # why the move is made (team lead, "Wenn Info fehlt", ...)
    lost_reason: str | None = None


@dataclass(frozen=True, slots=True)
class MoveDecision:
    source: MappedStage | None
    target: MappedStage | None
    reasons: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    notify_original_seller: bool = False

    @property
    def allowed(self) -> bool:
        return not self.reasons and self.source is not None and self.target is not None


def check_move(
    book: Rulebook,
    request: MoveRequest,
    directory: Directory | None = None,
    *,
    check_permissions: bool = True,
) -> MoveDecision:
    deal = request.deal
    source = book.locate(deal)
    target = book.stages.find(deal.pipeline_id, request.to_stage_id)
    reasons: list[str] = []
    notify = False
    if check_permissions:
        permission = move_permission(
            book.config, request.actor, deal, directory or Directory(), request.reason
        )
        reasons.extend(permission.reasons)
        notify = permission.notify_original_seller
    if source is None:
        reasons.insert(
            0,
            f"deal {deal.id} is in stage {deal.stage_id!r} of pipeline "
            f"{deal.pipeline_id!r}, which the rules do not know",
        )
    if target is None:
        reasons.insert(
            0,
            f"{request.to_stage_id!r} is not a stage of the deal's pipeline "
            f"{source.pipeline.name if source else deal.pipeline_id!r}",
        )
    if source is None or target is None:
        return MoveDecision(source, target, tuple(reasons), (), notify)
    warnings: list[str] = []
    reasons.extend(_shape_reasons(source.pipeline, source.stage, target.stage))
    reasons.extend(_field_reasons(source.pipeline, source.stage, target.stage, request, warnings))
    if target.stage.kind == "lost" and not _lost_reason(request, book):
        reasons.append(f"a move to {target.stage.name} needs a lost reason")
    return MoveDecision(source, target, tuple(reasons), tuple(warnings), notify)


def skipped_stages(pipeline: PipelineConfig, a: StageConfig, b: StageConfig) -> int:
    """How many open stages a move from `a` to `b` jumps over; 0 into or out of closed ones."""
    if a.closed or b.closed:
        return 0
    opens = pipeline.open_stages
    return max(0, abs(opens.index(a) - opens.index(b)) - 1)


def is_forward(pipeline: PipelineConfig, a: StageConfig, b: StageConfig) -> bool:
    if b.kind == "won":
        return True
    if a.closed or b.closed:
        return False
    opens = pipeline.open_stages
    return opens.index(b) > opens.index(a)


def _shape_reasons(pipeline: PipelineConfig, a: StageConfig, b: StageConfig) -> list[str]:
    if a is b:
        return [f"the deal is already in {a.name}"]
    if a.closed:
        return [f"{a.name} is a closed stage: a deal never leaves it"]
    reasons = []
    skipped = skipped_stages(pipeline, a, b)
    limit = pipeline.max_skipped_stages
    if limit is not None and skipped > limit:
        opens = pipeline.open_stages
        low, high = sorted((opens.index(a), opens.index(b)))
        names = ", ".join(s.name for s in opens[low + 1 : high])
        reasons.append(
            f"{a.name} -> {b.name} jumps over {skipped} stages ({names}); at most {limit} may be "
            "skipped, except into a closed stage"
        )
    if pipeline.transitions is not None and pipeline.transition(a.name, b.name) is None:
        onward = [t.to for t in pipeline.transitions if pipeline.stage(t.from_) is a]
        allowed = ", ".join(onward) if onward else "nowhere"
        reasons.append(
            f"{a.name} -> {b.name} is not an allowed move in {pipeline.name} "
            f"(from {a.name} a deal may go to: {allowed})"
        )
    return reasons


def _field_reasons(
    pipeline: PipelineConfig,
    a: StageConfig,
    b: StageConfig,
    request: MoveRequest,
    warnings: list[str],
) -> list[str]:
    if a is b or a.closed:
        return []
    wanted: list[tuple[str, Requirement]] = []
    transition = pipeline.transition(a.name, b.name)
    if transition is not None:
        wanted.extend((f"{a.name} -> {b.name} needs", r) for r in transition.conditions)
    passed = _stages_passed(pipeline, a, b)
    for stage in passed:
        wanted.extend((f"{stage.name} requires", r) for r in stage.required)
    seen: set[tuple[str, ...]] = set()
    reasons = []
    for prefix, requirement in wanted:
        if requirement.any_of in seen:
            continue
        seen.add(requirement.any_of)
        if unmet(request.deal, [requirement], request.reason):
            reasons.append(f"{prefix} {_describe(requirement)}")
    for stage in passed:
        for requirement in unmet(request.deal, stage.recommended, request.reason):
            warnings.append(f"{stage.name} recommends {_describe(requirement)}")
    return reasons


def _stages_passed(pipeline: PipelineConfig, a: StageConfig, b: StageConfig) -> list[StageConfig]:
    """The open stages a forward move leaves behind: `a` and every one it jumps over."""
    if not is_forward(pipeline, a, b):
        return []
    opens = list(pipeline.open_stages)
    end = len(opens) if b.closed else opens.index(b)
    return opens[opens.index(a) : end]


def _describe(requirement: Requirement) -> str:
    fields = " or ".join(
        "a reason given with the move" if f == MOVE_REASON else f for f in requirement.any_of
    )
    if fields == requirement.label:
        return f"{fields} to be filled in"
    return f"{requirement.label} (fill in {fields})"


def _lost_reason(request: MoveRequest, book: Rulebook) -> bool:
    stored = request.deal.attributes.get(book.config.attributes.lost_reason)
    return has_value(request.lost_reason) or has_value(stored)
