"""Deals from commerce events (seed 000 EcommerceDealAutomation).

- An order becomes a deal when its total is 5,000 or more, or it is a B2B order. B2B orders go
  to Qualified in Enterprise Sales, the others to Proposal in E-Commerce Upsell; close date in
  30 days; loyalty bonus floor(10% of the total); name "<customer> - Order #<id>".
- A subscription gets a renewal deal from 90 days before it expires: Renewals, Qualified, 70%
  (a deal-level override that lasts while the deal stays in Qualified), bonus floor(5% of the
  annual value), 12-month contract, close date = expiry.
Each deal's key is its reference (`order:<shop>:<id>`, `renewal:<shop>:<id>:<expiry>`), so
the push path creates it once however often the order or subscription is seen; two shops'
order 1001 are two deals. A key longer than `MAX_KEY` (it also names the new deal in decisions,
whose deal ids hold 64 characters) keeps its prefix and ends in a digest of shop and id.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from brevo_sync.domain.rules.events import CreateDealRequested
from brevo_sync.domain.rules.money import Money, floor_points, threshold_for
from brevo_sync.domain.rules.stages import Rulebook
from brevo_sync.domain.rules.template import render

DEFAULT_SHOP = "default"  # the shop of an order that names none
MAX_KEY = 64


@dataclass(frozen=True, slots=True)
class Order:
    id: str
    customer_name: str
    total: Money
    is_b2b: bool = False
    categories: tuple[str, ...] = ()
    contact_id: int | None = None
    company_id: str | None = None
    shop: str = DEFAULT_SHOP
    email: str | None = None  # the customer's: on the deal, so a later lead can be matched


@dataclass(frozen=True, slots=True)
class Subscription:
    id: str
    customer_name: str
    annual_value: Money
    expires_at: datetime
    contact_id: int | None = None
    company_id: str | None = None
    shop: str = DEFAULT_SHOP
    email: str | None = None


def commerce_key(prefix: str, shop: str, object_id: str, suffix: str = "") -> str:
    """`<prefix>:<shop>:<id>[:<suffix>]`, or, beyond `MAX_KEY`, the prefix and a digest."""
    key = ":".join(p for p in (prefix, shop, object_id, suffix) if p)
    if len(key) <= MAX_KEY:
        return key
    digest = hashlib.sha256(f"{shop}\x00{object_id}\x00{suffix}".encode()).hexdigest()
    return f"{prefix}:#{digest[: MAX_KEY - len(prefix) - 2]}"


@dataclass(frozen=True, slots=True)
class CommerceDecision:
    deal: CreateDealRequested | None
    reason: str  # why a deal is made or not, for logs and operators


def order_to_deal(book: Rulebook, order: Order, now: datetime) -> CommerceDecision:
    config = book.config
    rule = config.commerce.order_deal
    if rule is None:
        return CommerceDecision(None, "no order rule is configured")
    if not order.is_b2b:
        limit = threshold_for(rule.min_total, order.total.currency, config.default_currency)
        if limit is None:
            return CommerceDecision(
                None, f"no order threshold for {order.total.currency}: not a B2B order, no deal"
            )
        if order.total.amount < limit:
            return CommerceDecision(None, f"{order.total} is below {limit} and not B2B: no deal")
    pipeline, stage = (
        (rule.b2b_pipeline, rule.b2b_stage)
        if order.is_b2b
        else (rule.other_pipeline, rule.other_stage)
    )
    names = config.attributes
    attributes: dict[str, Any] = {
        names.deal_type: rule.deal_type,
        names.source: rule.source,
        "order_id": order.id,
        "product_categories": ", ".join(order.categories),
        names.loyalty_points_bonus: floor_points(order.total.amount, rule.loyalty_bonus_percent),
    }
    if order.email:
        attributes["email"] = order.email
    key = commerce_key("order", order.shop, order.id)
    attributes[names.reference] = key
    mapped = book.stages.named(pipeline, stage)
    deal = CreateDealRequested(
        key=key,
        name=render(rule.name, {"customer": order.customer_name, "order_id": order.id}),
        pipeline=pipeline,
        stage=stage,
        pipeline_id=mapped.pipeline_id if mapped else None,
        stage_id=mapped.stage_id if mapped else None,
        amount=order.total,
        close_date=(now + timedelta(days=rule.close_in_days)).date(),
        probability=mapped.stage.default_probability if mapped else None,
        attributes=attributes,
        contact_ids=(order.contact_id,) if order.contact_id is not None else (),
        company_ids=(order.company_id,) if order.company_id else (),
    )
    why = "B2B order" if order.is_b2b else f"order of {order.total}"
    return CommerceDecision(deal, f"{why}: deal in {pipeline} / {stage}")


def renewal_deal(book: Rulebook, subscription: Subscription, now: datetime) -> CommerceDecision:
    config = book.config
    rule = config.commerce.renewal
    if rule is None:
        return CommerceDecision(None, "no renewal rule is configured")
    opens_at = subscription.expires_at - timedelta(days=rule.days_before_expiry)
    if now < opens_at:
        return CommerceDecision(None, f"renewal deal is due from {opens_at.date().isoformat()}")
    names = config.attributes
    expiry = subscription.expires_at.date().isoformat()
    key = commerce_key("renewal", subscription.shop, subscription.id, expiry)
    mapped = book.stages.named(rule.pipeline, rule.stage)
    attributes: dict[str, Any] = {
        names.deal_type: rule.deal_type,
        names.source: rule.source,
        "subscription_id": subscription.id,
        "contract_length_months": rule.contract_length_months,
        names.loyalty_points_bonus: floor_points(
            subscription.annual_value.amount, rule.loyalty_bonus_percent
        ),
        names.reference: key,
        # 70% is the deal's own probability, not Qualified's 25%: an override bound to the stage.
        names.probability: rule.probability,
        names.probability_stage: mapped.stage_id if mapped else None,
    }
    if subscription.email:
        attributes["email"] = subscription.email
    deal = CreateDealRequested(
        key=key,
        name=render(
            rule.name, {"customer": subscription.customer_name, "subscription_id": subscription.id}
        ),
        pipeline=rule.pipeline,
        stage=rule.stage,
        pipeline_id=mapped.pipeline_id if mapped else None,
        stage_id=mapped.stage_id if mapped else None,
        amount=subscription.annual_value,
        close_date=subscription.expires_at.date(),
        probability=rule.probability,
        attributes=attributes,
        contact_ids=(subscription.contact_id,) if subscription.contact_id is not None else (),
        company_ids=(subscription.company_id,) if subscription.company_id else (),
    )
    return CommerceDecision(deal, f"subscription expires {subscription.expires_at.date()}: renewal")
