"""Deal probabilities and weighted amounts (seed 000 pipeline, seed 001 fixed Won/Lost).

The probability of a deal is, in order: 100 in a Won stage and 0 in a Lost one (seed 001:
fixed, never overridden); else a deal-level override, but only while the deal is still in the
stage the override was set in; else the stage's default (seed 000: Lead 10 ... Negotiation 80).

An override is recognised by the deal's `probability` attribute together with the stage it was
set in (`probability_stage`): a probability written in an earlier stage is stale, not an
override, so it "stays until the stage changes" and no longer.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from brevo_sync.domain.deal import Deal
from brevo_sync.domain.rules.config import RuleAttributeNames, StageConfig
from brevo_sync.domain.rules.money import Money, deal_money
from brevo_sync.domain.rules.stages import Rulebook


@dataclass(frozen=True, slots=True)
class ProbabilityOverride:
    value: int
    stage_id: str  # the Brevo stage the override was set in


def clamp_probability(value: int) -> int:
    return max(0, min(100, value))


def read_override(deal: Deal, names: RuleAttributeNames) -> ProbabilityOverride | None:
    """The deal's override as stored in its attributes, or None if it has none (or a bad one)."""
    raw, stage = (
        deal.attributes.get(names.probability),
        deal.attributes.get(names.probability_stage),
    )
    if raw is None or raw == "" or stage in (None, "") or isinstance(raw, bool):
        return None
    try:
        number = Decimal(str(raw))
    except InvalidOperation:
        return None
    if not number.is_finite() or not 0 <= number <= 100:
        return None
    return ProbabilityOverride(int(number), str(stage))


def effective_probability(
    stage: StageConfig, stage_id: str, override: ProbabilityOverride | None = None
) -> int | None:
    """The probability of a deal in `stage` (Brevo id `stage_id`); None if nothing sets one."""
    if stage.closed:
        return stage.default_probability
    if override is not None and override.stage_id == stage_id:
        return clamp_probability(override.value)
    return stage.default_probability


def weighted_amount(amount: Money, probability: int | None) -> Money | None:
    """Seed 000 forecasting: `amount * (probability / 100)`, exact, in the amount's currency."""
    if probability is None:
        return None
    return amount.percent(clamp_probability(probability))


def override_attributes(names: RuleAttributeNames, stage_id: str, value: int) -> dict[str, Any]:
    """The attributes that give a deal its own probability while it stays in `stage_id`."""
    if not 0 <= value <= 100:
        raise ValueError(f"a probability is between 0 and 100, not {value}")
    return {names.probability: value, names.probability_stage: stage_id}


def deal_probability(book: Rulebook, deal: Deal) -> int | None:
    """The probability of the deal as it is: what forecasts weigh its amount with."""
    mapped = book.locate(deal)
    if mapped is None:
        return None
    override = read_override(deal, book.config.attributes)
    return effective_probability(mapped.stage, mapped.stage_id, override)


def deal_weighted_amount(book: Rulebook, deal: Deal) -> Money | None:
    amount = deal_money(deal, book.config.default_currency)
    return None if amount is None else weighted_amount(amount, deal_probability(book, deal))
