"""Seed 000 commerce (order -> deal, subscription -> renewal) and loyalty (milestones, tiers)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from brevo_sync.domain.rules import (
    CurrencyMismatchError,
    Money,
    Order,
    Rulebook,
    RulesConfig,
    Subscription,
    company_after_win,
    milestone_award,
    order_to_deal,
    renewal_deal,
    tier_for,
)
from brevo_sync.domain.rules.config import Tier

from .conftest import ENTERPRISE, NOW, OPPORTUNITY, deal


def eur(amount: str) -> Money:
    return Money(Decimal(amount), "EUR")


class TestOrders:
    def test_small_consumer_orders_make_no_deal(self, book: Rulebook) -> None:
        decision = order_to_deal(book, Order("1001", "Acme", eur("4999.99")), NOW)
        assert decision.deal is None and "below 5000" in decision.reason

    def test_an_order_of_5000_becomes_a_proposal_in_e_commerce_upsell(self, book: Rulebook) -> None:
        order = Order("1002", "Acme", eur("5000"), categories=("shoes", "bags"), contact_id=7)
        created = order_to_deal(book, order, NOW).deal
        assert created is not None
        assert (created.name, created.pipeline, created.stage) == (
            "Acme - Order #1002", "E-Commerce Upsell", "Proposal",
        )  # fmt: skip
        assert (created.pipeline_id, created.stage_id, created.probability) == (
            "E-Commerce Upsell", "Proposal", 60,
        )  # fmt: skip
        assert created.close_date == date(2026, 4, 1)  # now + 30 days
        assert created.amount == eur("5000") and created.contact_ids == (7,)
        assert created.attributes == {
            "deal_type": "new_business",
            "source": "ecommerce_order",
            "order_id": "1002",
            "product_categories": "shoes, bags",
            "loyalty_points_bonus": 500,  # floor(10%)
            "brevo_sync_ref": "order:default:1002",
        }
        assert created.key == "order:default:1002"

    def test_any_b2b_order_becomes_qualified_in_enterprise_sales(self, book: Rulebook) -> None:
        order = Order("1003", "Beta GmbH", eur("120.55"), is_b2b=True, company_id="c9")
        created = order_to_deal(book, order, NOW).deal
        assert created is not None
        assert (created.pipeline, created.stage, created.probability) == (
            ENTERPRISE,
            "Qualified",
            25,
        )
        assert created.attributes["loyalty_points_bonus"] == 12  # floor(12.055)
        assert created.company_ids == ("c9",)

    def test_thresholds_apply_in_their_own_currency_only(self, book: Rulebook) -> None:
        usd = order_to_deal(book, Order("1004", "Acme", Money(Decimal(9000), "USD")), NOW)
        assert usd.deal is None and "no order threshold for USD" in usd.reason
        b2b = order_to_deal(book, Order("1005", "Acme", Money(Decimal(1), "USD"), is_b2b=True), NOW)
        assert b2b.deal is not None and b2b.deal.amount == Money(Decimal(1), "USD")

    def test_the_key_names_the_shop_so_two_shops_orders_are_two_deals(self, book: Rulebook) -> None:
        keys = {
            shop: order_to_deal(book, Order("1001", "A", eur("9000"), shop=shop), NOW).deal
            for shop in ("eu", "us")
        }
        assert {k: d.key for k, d in keys.items() if d} == {
            "eu": "order:eu:1001",
            "us": "order:us:1001",
        }
        long = order_to_deal(book, Order("9" * 60, "A", eur("9000"), shop="s" * 40), NOW).deal
        assert long is not None and len(long.key) == 64 and long.key.startswith("order:#")
        assert long.attributes["brevo_sync_ref"] == long.key

    def test_the_customer_email_goes_on_the_deal(self, book: Rulebook) -> None:
        order = Order("1006", "Acme", eur("5000"), email="buyer@acme.test")
        created = order_to_deal(book, order, NOW).deal
        assert created is not None and created.attributes["email"] == "buyer@acme.test"


class TestRenewals:
    SUB = Subscription("s1", "Acme", eur("24000"), datetime(2026, 6, 30, tzinfo=UTC), 7, "c9")

    def test_not_before_90_days_before_expiry(self, book: Rulebook) -> None:
        early = renewal_deal(book, self.SUB, datetime(2026, 3, 31, 23, 59, tzinfo=UTC))
        assert early.deal is None and "2026-04-01" in early.reason

    def test_from_90_days_before_expiry(self, book: Rulebook) -> None:
        created = renewal_deal(book, self.SUB, datetime(2026, 4, 1, tzinfo=UTC)).deal
        assert created is not None
        assert (created.name, created.pipeline, created.stage, created.probability) == (
            "Acme - Renewal", "Renewals", "Qualified", 70,
        )  # fmt: skip
        assert created.close_date == date(2026, 6, 30)
        assert created.attributes["loyalty_points_bonus"] == 1200  # floor(5%)
        assert created.attributes["contract_length_months"] == 12
        # 70% is a deal-level override bound to Qualified: it lasts until the stage changes.
        assert (created.attributes["probability"], created.attributes["probability_stage"]) == (
            70, "Qualified",
        )  # fmt: skip
        assert created.key == "renewal:default:s1:2026-06-30"


class TestLoyalty:
    @pytest.mark.parametrize(("stage", "points"), [("Demo", 100), ("Proposal", 250),
                                                  ("Closed Won", 1000)])  # fmt: skip
    def test_milestones(self, book: Rulebook, stage: str, points: int) -> None:
        target = book.stages.named(ENTERPRISE, stage)
        assert target is not None
        award = milestone_award(book.config, deal("Qualified", ENTERPRISE), target)
        assert award is not None and award.points == points
        assert award.key == f"loyalty:d1:milestone:{stage.replace(' ', '').lower()}"

    def test_won_prefers_the_deal_bonus(self, book: Rulebook) -> None:
        target = book.stages.named(ENTERPRISE, "Closed Won")
        assert target is not None
        award = milestone_award(book.config, deal("Proposal", ENTERPRISE,
                                                  loyalty_points_bonus=5000), target)  # fmt: skip
        assert award is not None and award.points == 5000

    def test_no_contact_no_award_and_other_pipelines_none(self, book: Rulebook) -> None:
        target = book.stages.named(ENTERPRISE, "Demo")
        assert target is not None
        assert milestone_award(book.config, replace(deal("Qualified", ENTERPRISE),
                                                    contact_ids=()), target) is None  # fmt: skip
        proposal = book.stages.named(OPPORTUNITY, "PROPOSAL")
        assert proposal is not None
        assert milestone_award(book.config, deal("NEEDS_ANALYSIS"), proposal) is None

    def test_tiers_by_annual_spend(self) -> None:
        gold = {"EUR": Decimal(50000), "USD": Decimal(55000)}
        tiers = [
            Tier(name="Silver", min_annual_spend=Decimal(10000)),
            Tier(name="Gold", min_annual_spend=gold),
        ]
        assert tier_for(tiers, eur("9999.99"), "EUR") is None
        assert tier_for(tiers, eur("10000"), "EUR") == "Silver"
        assert tier_for(tiers, eur("50000"), "EUR") == "Gold"
        assert tier_for(tiers, Money(Decimal(54000), "USD"), "EUR") is None  # Silver is EUR-only
        assert tier_for(tiers, Money(Decimal(60000), "USD"), "EUR") == "Gold"

    def test_company_spend_after_a_win(self, config: RulesConfig) -> None:
        tiered = config.model_copy(update={"loyalty": config.loyalty.model_copy(
            update={"tiers": (Tier(name="Gold", min_annual_spend=Decimal(100000)),)})})  # fmt: skip
        won = deal("Closed Won", ENTERPRISE, amount="75000")
        update = company_after_win(tiered, won, "c9", eur("30000"), NOW)
        assert update is not None
        assert (update.annual_spend, update.tier, update.last_deal_closed) == (
            eur("105000"), "Gold", NOW,
        )  # fmt: skip
        with pytest.raises(CurrencyMismatchError):
            company_after_win(tiered, won, "c9", Money(Decimal(1), "USD"), NOW)


def test_money_never_adds_two_currencies() -> None:
    with pytest.raises(CurrencyMismatchError):
        _ = eur("1") + Money(Decimal(1), "USD")
    assert eur("1") + Money(Decimal(2), "eur") == eur("3")
    assert eur("10").percent(10) == eur("1")
