"""Probabilities (seed 000 defaults, seed 001 fixed Won/Lost, deal overrides) and weighting."""

from __future__ import annotations

from decimal import Decimal

import pytest

from brevo_sync.domain.rules import (
    Money,
    Rulebook,
    deal_probability,
    deal_weighted_amount,
    effective_probability,
    override_attributes,
    read_override,
)
from brevo_sync.domain.rules.probability import ProbabilityOverride, weighted_amount

from .conftest import ENTERPRISE, deal


@pytest.mark.parametrize(
    ("stage", "expected"),
    [("Lead", 10), ("Qualified", 25), ("Demo", 40), ("Proposal", 60), ("Negotiation", 80),
     ("Closed Won", 100), ("Closed Lost", 0)],
)  # fmt: skip
def test_seed_000_stage_defaults(book: Rulebook, stage: str, expected: int) -> None:
    mapped = book.stages.named(ENTERPRISE, stage)
    assert mapped is not None
    assert effective_probability(mapped.stage, mapped.stage_id) == expected


def test_an_override_holds_in_its_own_stage_only(book: Rulebook) -> None:
    negotiation = book.stages.named(ENTERPRISE, "Negotiation")
    proposal = book.stages.named(ENTERPRISE, "Proposal")
    assert negotiation is not None and proposal is not None
    override = ProbabilityOverride(75, negotiation.stage_id)  # seed 000's PATCH example: 75
    assert effective_probability(negotiation.stage, negotiation.stage_id, override) == 75
    # The stage changed since: the override is stale and the default applies again.
    assert effective_probability(proposal.stage, proposal.stage_id, override) == 60


def test_won_and_lost_ignore_overrides(book: Rulebook) -> None:
    for name, fixed in (("Closed Won", 100), ("Closed Lost", 0)):
        mapped = book.stages.named(ENTERPRISE, name)
        assert mapped is not None
        override = ProbabilityOverride(50, mapped.stage_id)
        assert effective_probability(mapped.stage, mapped.stage_id, override) == fixed


def test_seed_002_stages_have_no_default(book: Rulebook) -> None:
    mapped = book.stages.named("Opportunity Pipeline", "PROPOSAL")
    assert mapped is not None
    assert effective_probability(mapped.stage, mapped.stage_id) is None


def test_read_override_from_attributes(book: Rulebook) -> None:
    names = book.config.attributes
    d = deal("Negotiation", ENTERPRISE, probability=75, probability_stage="Negotiation")
    assert read_override(d, names) == ProbabilityOverride(75, "Negotiation")
    for bad in ({"probability": "n/a", "probability_stage": "x"}, {"probability": 120,
                "probability_stage": "x"}, {"probability": 75}, {"probability": True,
                "probability_stage": "x"}):  # fmt: skip
        assert read_override(deal("Negotiation", ENTERPRISE, **bad), names) is None


def test_weighted_amount_keeps_the_currency() -> None:
    # Seed 000: weighted = amount * probability / 100.
    assert weighted_amount(Money(Decimal(75000), "eur"), 60) == Money(Decimal(45000), "EUR")
    assert weighted_amount(Money(Decimal("999.99"), "USD"), 25) == Money(Decimal("249.9975"), "USD")
    assert weighted_amount(Money(Decimal(100), "EUR"), None) is None


def test_a_deals_probability_and_weighted_amount(book: Rulebook) -> None:
    names = book.config.attributes
    d = deal("Negotiation", ENTERPRISE, amount="82000")
    assert deal_probability(book, d) == 80
    assert deal_weighted_amount(book, d) == Money(Decimal(65600), "EUR")
    own = deal("Negotiation", ENTERPRISE, **override_attributes(names, "Negotiation", 75))
    assert deal_probability(book, own) == 75  # seed 000's PATCH: Negotiation at 75
    stale = deal("Proposal", ENTERPRISE, **override_attributes(names, "Negotiation", 75))
    assert deal_probability(book, stale) == 60
    assert deal_probability(book, deal("NOWHERE")) is None
    with pytest.raises(ValueError, match="between 0 and 100"):
        override_attributes(names, "Negotiation", 101)
