"""Commission shares from a deal's stage history (seed 002 "Provisions-Regeln").

A share `from A to B, p%` is earned by the first move in the history that crosses into B from
an earlier open stage, i.e. from a stage ranked below B into one ranked B or later (Won ranks
after every open stage; Lost and unknown stages never earn). So:
- NEGOTIATION -> CLOSED_WON earns the PROPOSAL -> CLOSED_WON share (NEGOTIATION sits between);
- a skip (NEW_LEAD -> NEEDS_ANALYSIS) earns both shares it crosses;
- going back and forward again earns nothing twice: each share is paid once, so the shares of
  a deal never exceed the configured total (at most 100%, checked by `rules check`).
The seller of a share is the deal's owner at that move, so after a takeover the earlier seller
keeps what they earned ("Übernahme"). Automatic leads get no share marked
`paid_for_automatic_leads: false` (the NEW_LEAD one). Shares turn into money only once the deal
is Won, in the deal's own currency.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from brevo_sync.domain.deal import Deal
from brevo_sync.domain.rules.config import PipelineConfig, StageConfig, normalise
from brevo_sync.domain.rules.money import Money, deal_money
from brevo_sync.domain.rules.stages import Rulebook


@dataclass(frozen=True, slots=True)
class StageStep:
    """One row of the stage history: a move and the deal's owner when it was made."""

    from_stage_id: str | None
    to_stage_id: str
    at: datetime
    owner: str | None


@dataclass(frozen=True, slots=True)
class EarnedShare:
    seller: str | None
    percent: Decimal
    from_stage: str
    to_stage: str
    at: datetime


@dataclass(frozen=True, slots=True)
class CommissionStatement:
    deal_id: str
    shares: tuple[EarnedShare, ...]
    payable: bool  # only a won deal pays
    amounts: tuple[tuple[str | None, Money], ...]  # per seller, in order of first share

    @property
    def total_percent(self) -> Decimal:
        return sum((s.percent for s in self.shares), Decimal(0))


def is_automatic_lead(book: Rulebook, deal: Deal, pipeline: PipelineConfig) -> bool:
    sources = pipeline.commission.automatic_lead_sources if pipeline.commission else ()
    source = deal.attributes.get(book.config.attributes.source)
    return isinstance(source, str) and source.casefold() in {s.casefold() for s in sources}


def _rank(pipeline: PipelineConfig, stage: StageConfig | None) -> int | None:
    if stage is None or stage.kind == "lost":
        return None
    opens = pipeline.open_stages
    return len(opens) if stage.kind == "won" else opens.index(stage)


@dataclass(frozen=True, slots=True)
class ShareTrace:
    """One configured share of a deal's pipeline: the move that earned it, or why none did.

    What `--explain` shows: every figure of a statement traced to the move behind it."""

    from_stage: str
    to_stage: str
    percent: Decimal
    step: StageStep | None  # the move that earned it; None: not earned
    reason: str | None = None  # why not earned (None when earned)

    @property
    def earned(self) -> EarnedShare | None:
        if self.step is None:
            return None
        return EarnedShare(
            self.step.owner, self.percent, self.from_stage, self.to_stage, self.step.at
        )


def trace_shares(
    book: Rulebook, deal: Deal, history: Sequence[StageStep]
) -> tuple[ShareTrace, ...]:
    """Every configured share of the deal's pipeline with the move that earned it (the first
    move that crossed into its stage, see the module docstring) or the reason none did.
    Empty when the deal's stage is unmapped or its pipeline has no commission rules."""
    here = book.locate(deal)
    if here is None or here.pipeline.commission is None:
        return ()
    pipeline, commission = here.pipeline, here.pipeline.commission
    automatic = is_automatic_lead(book, deal, pipeline)
    steps = sorted(history, key=lambda s: s.at)
    traces = []
    for share in commission.shares:
        trace = ShareTrace(share.from_, share.to, share.percent, None)
        if automatic and not share.paid_for_automatic_leads:
            source = deal.attributes.get(book.config.attributes.source)
            lead = f"automatic lead (source {source!r}): no share for {share.from_}"
            traces.append(replace(trace, reason=lead))
            continue
        goal = _rank(pipeline, pipeline.stage(share.to))
        if goal is None:
            traces.append(replace(trace, reason=f"{share.to} is no open or won stage here"))
            continue
        step = next((s for s in steps if _crosses(book, deal, pipeline, s, goal)), None)
        why = None if step else f"no move in the stage history crossed into {share.to}"
        traces.append(replace(trace, step=step, reason=why))
    return tuple(traces)


def _crosses(
    book: Rulebook, deal: Deal, pipeline: PipelineConfig, step: StageStep, goal: int
) -> bool:
    src = _rank(pipeline, _stage(book, deal, step.from_stage_id))
    dst = _rank(pipeline, _stage(book, deal, step.to_stage_id))
    return src is not None and dst is not None and src < goal <= dst


def earned_shares(
    book: Rulebook, deal: Deal, history: Sequence[StageStep]
) -> tuple[EarnedShare, ...]:
    return tuple(t.earned for t in trace_shares(book, deal, history) if t.earned is not None)


def _stage(book: Rulebook, deal: Deal, stage_id: str | None) -> StageConfig | None:
    mapped = book.stages.find(deal.pipeline_id, stage_id)
    return mapped.stage if mapped else None


def commission_statement(
    book: Rulebook, deal: Deal, history: Sequence[StageStep]
) -> CommissionStatement:
    shares = earned_shares(book, deal, history)
    here = book.locate(deal)
    payable = here is not None and here.stage.kind == "won"
    money = deal_money(deal, book.config.default_currency)
    amounts: dict[str | None, Money] = {}
    if payable and money is not None:
        for share in shares:
            part = money.percent(share.percent)
            amounts[share.seller] = (
                amounts[share.seller] + part if share.seller in amounts else part
            )
    return CommissionStatement(deal.id, shares, payable, tuple(amounts.items()))


def share_table(pipeline: PipelineConfig) -> dict[tuple[str, str], Decimal]:
    """The configured shares by (from, to), names normalised: for reports."""
    shares = pipeline.commission.shares if pipeline.commission else ()
    return {(normalise(s.from_), normalise(s.to)): s.percent for s in shares}
