"""Loyalty decisions of seed 000 (DealLoyaltyIntegration and `award_loyalty_points`).

- Milestone points to the deal's contact on entering Demo (100), Proposal (250) and Closed Won
  (the deal's `loyalty_points_bonus`, else 1,000), in the configured pipelines only.
- On Won the company gets the deal's bonus as corporate points (stage action), its annual spend
  grows by the deal amount and its tier is re-evaluated against configurable thresholds.
Every award's key names the deal and the milestone, not the time, so re-entering a stage
(Proposal -> Negotiation -> Proposal) never pays twice: "every award happens exactly once".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation

from brevo_sync.domain.deal import Deal
from brevo_sync.domain.rules.config import RulesConfig, Tier, normalise
from brevo_sync.domain.rules.events import CompanySpendUpdated, LoyaltyPointsAwarded
from brevo_sync.domain.rules.money import Money, deal_money, threshold_for
from brevo_sync.domain.rules.stages import MappedStage


def deal_bonus(deal: Deal, config: RulesConfig) -> int:
    """The deal's `loyalty_points_bonus` as whole points; 0 when missing or unreadable."""
    raw = deal.attributes.get(config.attributes.loyalty_points_bonus)
    if raw is None or isinstance(raw, bool):
        return 0
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        return 0
    return int(value) if value.is_finite() and value > 0 else 0


def deal_contact(deal: Deal) -> str | None:
    """The contact points go to: the first linked contact (seed 000 `contact_id`)."""
    if deal.contact_ids:
        return str(deal.contact_ids[0])
    raw = deal.attributes.get("contact_id")
    return str(raw) if raw not in (None, "") else None


def milestone_award(
    config: RulesConfig, deal: Deal, target: MappedStage
) -> LoyaltyPointsAwarded | None:
    loyalty = config.loyalty
    if normalise(target.pipeline.name) not in {normalise(p) for p in loyalty.pipelines}:
        return None
    key = normalise(target.stage.name)
    milestone = next((m for m in loyalty.milestones if normalise(m.stage) == key), None)
    contact = deal_contact(deal)
    if milestone is None or contact is None:
        return None
    bonus = deal_bonus(deal, config) if milestone.prefer_deal_bonus else 0
    points = bonus or milestone.points  # seed 000: `loyalty_points_bonus || 1000`
    if points <= 0:
        return None
    return LoyaltyPointsAwarded(
        key=f"loyalty:{deal.id}:milestone:{key}",
        deal_id=deal.id,
        recipient_kind="contact",
        recipient_id=contact,
        points=points,
        reason=f"Deal milestone: {target.stage.name}",
    )


def corporate_bonus(config: RulesConfig, deal: Deal) -> LoyaltyPointsAwarded | None:
    """Seed 000 `award_loyalty_points`: only when the bonus is above 0 and a company is linked."""
    bonus = deal_bonus(deal, config)
    company = deal.company_ids[0] if deal.company_ids else None
    if bonus <= 0 or company is None:
        return None
    return LoyaltyPointsAwarded(
        key=f"loyalty:{deal.id}:company:{company}",
        deal_id=deal.id,
        recipient_kind="company",
        recipient_id=company,
        points=bonus,
        reason="Deal closure bonus",
    )


def tier_for(tiers: Sequence[Tier], spend: Money, default_currency: str) -> str | None:
    """The highest tier whose threshold, in the spend's currency, the spend reaches."""
    reached = None
    best: Decimal | None = None
    for tier in tiers:
        limit = threshold_for(tier.min_annual_spend, spend.currency, default_currency)
        if limit is not None and spend.amount >= limit and (best is None or limit >= best):
            reached, best = tier.name, limit
    return reached


def company_after_win(
    config: RulesConfig,
    deal: Deal,
    company_id: str,
    annual_spend: Money | None,
    now: datetime,
) -> CompanySpendUpdated | None:
    """Seed 000 on Won: `annual_spend + amount`, `last_deal_closed = now`, tier re-evaluated.

    Raises CurrencyMismatchError when the company's spend is kept in another currency than the
    deal's: the caller records a conflict instead of adding two currencies.
    """
    amount = deal_money(deal, config.default_currency)
    if amount is None:
        return None
    total = amount if annual_spend is None else annual_spend + amount
    return CompanySpendUpdated(
        key=f"loyalty:{deal.id}:spend:{company_id}",
        deal_id=deal.id,
        company_id=company_id,
        annual_spend=total,
        last_deal_closed=now,
        tier=tier_for(config.loyalty.tiers, total, config.default_currency),
    )
