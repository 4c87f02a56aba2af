"""Seed 002 commission: 10/20/30/40% by transition, from the stage history."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from brevo_sync.domain.rules import Money, Rulebook, StageStep, commission_statement
from brevo_sync.domain.rules.commission import earned_shares

from .conftest import ENTERPRISE, deal

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def history(*moves: tuple[str | None, str, str]) -> list[StageStep]:
    return [StageStep(src, dst, T0 + timedelta(days=i), owner) for i, (src, dst, owner) in
            enumerate(moves)]  # fmt: skip


FULL = history(
    (None, "NEW_LEAD", "alice"),
    ("NEW_LEAD", "QUALIFICATION", "alice"),
    ("QUALIFICATION", "NEEDS_ANALYSIS", "alice"),
    ("NEEDS_ANALYSIS", "PROPOSAL", "alice"),
    ("PROPOSAL", "CLOSED_WON", "alice"),
)


def test_the_four_shares_add_up_to_100_percent(book: Rulebook) -> None:
    statement = commission_statement(book, deal("CLOSED_WON", amount="75000"), FULL)
    assert [(s.from_stage, s.to_stage, int(s.percent)) for s in statement.shares] == [
        ("NEW_LEAD", "QUALIFICATION", 10), ("QUALIFICATION", "NEEDS_ANALYSIS", 20),
        ("NEEDS_ANALYSIS", "PROPOSAL", 30), ("PROPOSAL", "CLOSED_WON", 40),
    ]  # fmt: skip
    assert statement.payable and statement.total_percent == 100
    assert statement.amounts == (("alice", Money(Decimal(75000), "EUR")),)


def test_on_a_takeover_the_earlier_seller_keeps_what_they_earned(book: Rulebook) -> None:
    moves = history(
        ("NEW_LEAD", "QUALIFICATION", "alice"),
        ("QUALIFICATION", "NEEDS_ANALYSIS", "alice"),
        ("NEEDS_ANALYSIS", "PROPOSAL", "bob"),  # bob took over
        ("PROPOSAL", "CLOSED_WON", "bob"),
    )
    statement = commission_statement(book, deal("CLOSED_WON", amount="10000"), moves)
    assert statement.amounts == (
        ("alice", Money(Decimal(3000), "EUR")),  # 10% + 20%
        ("bob", Money(Decimal(7000), "EUR")),  # 30% + 40%
    )


def test_automatic_leads_earn_nothing_for_new_lead(book: Rulebook) -> None:
    won = deal("CLOSED_WON", amount="10000", source="ecommerce_order")
    statement = commission_statement(book, won, FULL)
    assert statement.total_percent == 90
    assert statement.shares[0].from_stage == "QUALIFICATION"


def test_winning_from_negotiation_earns_the_closing_share(book: Rulebook) -> None:
    moves = [*FULL[:4], *history(("PROPOSAL", "NEGOTIATION", "alice"))[:1],
             StageStep("NEGOTIATION", "CLOSED_WON", T0 + timedelta(days=30), "alice")]  # fmt: skip
    shares = earned_shares(book, deal("CLOSED_WON"), moves)
    assert [s.percent for s in shares] == [10, 20, 30, 40]


def test_back_and_forth_pays_each_share_once(book: Rulebook) -> None:
    moves = history(
        ("NEW_LEAD", "QUALIFICATION", "alice"),
        ("QUALIFICATION", "NEEDS_ANALYSIS", "alice"),
        ("NEEDS_ANALYSIS", "QUALIFICATION", "alice"),
        ("QUALIFICATION", "NEEDS_ANALYSIS", "bob"),
    )
    shares = earned_shares(book, deal("NEEDS_ANALYSIS"), moves)
    assert [(int(s.percent), s.seller) for s in shares] == [(10, "alice"), (20, "alice")]


def test_a_skip_earns_every_share_it_crosses(book: Rulebook) -> None:
    moves = history(("NEW_LEAD", "NEEDS_ANALYSIS", "alice"))
    assert [s.percent for s in earned_shares(book, deal("NEEDS_ANALYSIS"), moves)] == [10, 20]


def test_only_won_deals_pay(book: Rulebook) -> None:
    lost = replace(deal("CLOSED_LOST"))
    statement = commission_statement(book, lost, FULL[:3])
    assert not statement.payable and statement.amounts == ()
    assert statement.total_percent == 30  # earned, but nothing to pay


def test_pipelines_without_commission_rules_have_none(book: Rulebook) -> None:
    assert earned_shares(book, deal("Closed Won", ENTERPRISE), FULL) == ()
