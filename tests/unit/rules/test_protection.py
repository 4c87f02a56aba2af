"""Seed 002 seller protection (3 days, 7 days then team pool, fixed, permanent) and duplicates."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from brevo_sync.domain.rules import (
    Actor,
    Directory,
    Rulebook,
    assign_duplicate_lead,
    protection_status,
    takeover_refusals,
)
from brevo_sync.domain.rules.events import DuplicateLeadAssigned, NotificationRequested

from .conftest import ENTERPRISE, deal

ENTERED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("stage", "days", "level", "before", "after"),
    [
        ("NEW_LEAD", 3, "low", "nobody", "anyone"),
        ("QUALIFICATION", 7, "medium", "nobody", "team"),
    ],
)
def test_exclusive_windows_anchor_on_stage_entry(
    book: Rulebook, stage: str, days: int, level: str, before: str, after: str
) -> None:
    d = replace(deal(stage), stage_updated_at=ENTERED)
    just_before = protection_status(book, d, ENTERED + timedelta(days=days, seconds=-1))
    assert (just_before.level, just_before.claimable_by) == (level, before)
    assert just_before.exclusive_until == ENTERED + timedelta(days=days)
    at_end = protection_status(book, d, ENTERED + timedelta(days=days))
    assert at_end.claimable_by == after


@pytest.mark.parametrize(
    ("stage", "level"),
    [("NEEDS_ANALYSIS", "high"), ("PROPOSAL", "high"), ("NEGOTIATION", "high"),
     ("CLOSED_WON", "permanent"), ("CLOSED_LOST", "permanent")],
)  # fmt: skip
def test_fixed_and_permanent_never_lapse(book: Rulebook, stage: str, level: str) -> None:
    status = protection_status(book, deal(stage), ENTERED + timedelta(days=3650))
    assert (status.level, status.claimable_by, status.exclusive_until) == (level, "nobody", None)


def test_pipelines_without_protection_are_open(book: Rulebook) -> None:
    assert protection_status(book, deal("Lead", ENTERPRISE), ENTERED).claimable_by == "anyone"


def test_who_may_take_a_deal_over(book: Rulebook, directory: Directory) -> None:
    qualification = replace(deal("QUALIFICATION", owner="alice"), stage_updated_at=ENTERED)
    bob, carol = Actor("bob", "sales_rep"), Actor("carol", "sales_rep")
    during = ENTERED + timedelta(days=2)
    assert takeover_refusals(book, qualification, bob, directory, during) == (
        "the deal is exclusive to alice until 2026-03-08 12:00 UTC",
    )
    pool = ENTERED + timedelta(days=7)
    assert takeover_refusals(book, qualification, bob, directory, pool) == ()
    assert takeover_refusals(book, qualification, carol, directory, pool) == (
        "the deal is in alice's team pool; carol is not in that team",
    )
    # Superiors decide: a team lead for the team, a manager for all, even in the window.
    assert (
        takeover_refusals(book, qualification, Actor("lead", "team_lead"), directory, during) == ()
    )
    assert (
        takeover_refusals(book, qualification, Actor("mia", "sales_manager"), directory, during)
        == ()
    )
    won = deal("CLOSED_WON", owner="alice")
    assert takeover_refusals(book, won, Actor("mia", "sales_manager"), directory, pool) == (
        "the deal is closed: its seller is permanently assigned",
    )
    fixed = deal("PROPOSAL", owner="alice")
    assert takeover_refusals(book, fixed, bob, directory, pool) == (
        "the deal is firmly assigned to alice (high protection)",
    )


def test_a_duplicate_lead_goes_to_the_first_seller_and_both_are_told() -> None:
    first = replace(deal("QUALIFICATION", id="old", owner="alice"),
                    created_at=datetime(2026, 1, 2, tzinfo=UTC))  # fmt: skip
    later = replace(
        deal("NEW_LEAD", id="mid", owner="carol"), created_at=datetime(2026, 2, 1, tzinfo=UTC)
    )
    unrelated = replace(deal(id="x", owner="dan"), company_ids=("other",), contact_ids=(1,),
                        created_at=datetime(2025, 1, 1, tzinfo=UTC))  # fmt: skip
    new = replace(deal("NEW_LEAD", id="new", owner="bob"), contact_ids=())
    decision = assign_duplicate_lead(new, [later, unrelated, first, new])
    assert decision is not None
    assert (decision.existing_deal_id, decision.owner) == ("old", "alice")
    assigned, to_first, to_second, to_lead = decision.events
    assert isinstance(assigned, DuplicateLeadAssigned)
    assert (assigned.first_seller, assigned.second_seller) == ("alice", "bob")
    assert isinstance(to_first, NotificationRequested) and to_first.recipient_id == "alice"
    assert isinstance(to_second, NotificationRequested) and to_second.recipient_id == "bob"
    assert isinstance(to_lead, NotificationRequested) and to_lead.recipient == "team_lead"


def test_no_duplicate_without_a_shared_customer() -> None:
    new = replace(deal(id="new"), company_ids=("c-new",), contact_ids=())
    other = replace(deal(id="old"), company_ids=("c-old",), contact_ids=(5,))
    assert assign_duplicate_lead(new, [other]) is None


def test_same_seller_duplicate_tells_only_them() -> None:
    old = deal(id="old", owner="alice")
    decision = assign_duplicate_lead(deal(id="new", owner="alice"), [old])
    assert decision is not None and len(decision.events) == 2
