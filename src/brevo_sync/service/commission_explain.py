"""`commission --explain DEAL`: every move behind each figure of one deal's commission.

The same rules as the statement (`domain.rules.commission.trace_shares`) over the same stage
history, shown move by move: which move earned which share for whom, and for each share that
was not earned, why (an automatic lead; no move crossed into its stage, e.g. the mirror first
saw the deal past it). Whatever the deal's state: an open deal shows what it has earned so
far, payable once it is won.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from brevo_sync.domain.deal import Pipeline
from brevo_sync.domain.rules import Rulebook
from brevo_sync.domain.rules.commission import is_automatic_lead, trace_shares
from brevo_sync.domain.rules.money import Money, deal_money
from brevo_sync.errors import UsageError
from brevo_sync.service.commission import (
    cents,
    seller_name,
    seller_names,
    steps_of,
    won_at,
)
from brevo_sync.service.context import ServiceContext


@dataclass(frozen=True, slots=True)
class MoveLine:
    """One row of the deal's stage history, with the shares it earned."""

    at: datetime
    from_stage: str | None  # None: the mirror's first sight of the deal (no move)
    to_stage: str
    seller_name: str  # the deal's owner at the move
    source: str  # "pull" (seen in Brevo) or "local" (made by brevo-sync)
    earned: tuple[str, ...] = ()  # "10% NEW_LEAD -> QUALIFICATION" for each share it earned


@dataclass(frozen=True, slots=True)
class ShareExplained:
    from_stage: str
    to_stage: str
    percent: Decimal
    seller_name: str | None  # None: not earned
    at: datetime | None  # the move that earned it
    amount: Money | None  # payable amount (won deals with an amount), to the cent
    reason: str | None  # why it was not earned


@dataclass
class CommissionExplanation:
    database: str
    deal_id: str
    deal_name: str | None
    pipeline: str | None
    stage: str | None
    owner_name: str | None
    amount: Money | None
    won: bool
    won_at: datetime | None
    deleted: bool
    has_rules: bool  # the deal's pipeline has commission shares (and its stage is mapped)
    automatic_lead: bool
    source: str | None  # the deal's source attribute (what makes it automatic)
    moves: list[MoveLine] = field(default_factory=list)
    shares: list[ShareExplained] = field(default_factory=list)
    totals: list[tuple[str, Money]] = field(default_factory=list)  # per seller, when payable

    @property
    def month(self) -> str | None:
        """The statement that pays it (`--month`)."""
        return f"{self.won_at:%Y-%m}" if self.won and self.won_at else None

    @property
    def payable(self) -> bool:
        return self.won and not self.deleted and self.has_rules


def share_label(percent: Decimal, from_stage: str, to_stage: str) -> str:
    return f"{percent.normalize():f}% {from_stage} -> {to_stage}"


def explain_commission(ctx: ServiceContext, deal_id: str) -> CommissionExplanation:
    deal_id = deal_id.strip()
    rules = ctx.rules()
    with ctx.uow() as uow:
        deal = uow.deals.get([deal_id]).get(deal_id)
        if deal is None:
            raise UsageError(
                f"--explain '{deal_id}': no such deal in the mirror at {ctx.database} "
                "(`brevo-sync deals list` shows the ids)"
            )
        deleted = uow.deals.mirrored([deal_id])[deal_id].deleted
        pipelines = uow.catalog.pipelines()
        moves = uow.commission.histories([deal_id])[deal_id]
        owners = {m.owner for m in moves if m.owner} | ({deal.owner} if deal.owner else set())
        names = seller_names(uow, rules, owners)
    book = Rulebook.build(rules, pipelines)
    here = book.locate(deal)
    won = here is not None and here.stage.kind == "won"
    money = deal_money(deal, rules.default_currency)
    source = deal.attributes.get(rules.attributes.source)
    explained = CommissionExplanation(
        database=ctx.database,
        deal_id=deal.id,
        deal_name=deal.name,
        pipeline=_pipeline_name(pipelines, deal.pipeline_id),
        stage=_stage_name(pipelines, deal.pipeline_id, deal.stage_id),
        owner_name=seller_name(deal.owner, names) if deal.owner else None,
        amount=money,
        won=won,
        won_at=won_at(deal, moves) if won else None,
        deleted=deleted,
        has_rules=here is not None and here.pipeline.commission is not None,
        automatic_lead=here is not None and is_automatic_lead(book, deal, here.pipeline),
        source=None if source is None else str(source),
    )
    traces = trace_shares(book, deal, steps_of(moves))
    earned_by: dict[tuple[datetime, str | None, str], list[str]] = {}
    totals: dict[str, Money] = {}
    for trace in traces:
        share = trace.earned
        amount = None
        if share is not None and explained.payable and money is not None:
            amount = Money(cents(money.percent(share.percent).amount), money.currency)
            name = seller_name(share.seller, names)
            totals[name] = totals[name] + amount if name in totals else amount
        explained.shares.append(
            ShareExplained(
                trace.from_stage,
                trace.to_stage,
                trace.percent,
                seller_name(share.seller, names) if share else None,
                share.at if share else None,
                amount,
                trace.reason,
            )
        )
        if trace.step is not None:
            key = (trace.step.at, trace.step.from_stage_id, trace.step.to_stage_id)
            label = share_label(trace.percent, trace.from_stage, trace.to_stage)
            earned_by.setdefault(key, []).append(label)
    for move in moves:
        key = (move.changed_at, move.from_stage_id, move.to_stage_id)
        explained.moves.append(
            MoveLine(
                at=move.changed_at,
                from_stage=_stage_name(pipelines, move.pipeline_id, move.from_stage_id),
                to_stage=_stage_name(pipelines, move.pipeline_id, move.to_stage_id) or "?",
                seller_name=seller_name(move.owner, names),
                source=move.source,
                earned=tuple(earned_by.pop(key, ())),  # a move's shares are shown once
            )
        )
    explained.totals = list(totals.items())
    return explained


def _pipeline_name(pipelines: Sequence[Pipeline], pipeline_id: str | None) -> str | None:
    return next((p.name for p in pipelines if p.id == pipeline_id), pipeline_id)


def _stage_name(
    pipelines: Sequence[Pipeline], pipeline_id: str | None, stage_id: str | None
) -> str | None:
    """The stage's name in the given pipeline when it has it, else in the first that does."""
    if stage_id is None:
        return None
    for pipeline in sorted(pipelines, key=lambda p: p.id != pipeline_id):
        stage = pipeline.stage(stage_id)
        if stage is not None:
            return stage.name
    return stage_id
