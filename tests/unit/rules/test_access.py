"""Seed 002 visibility by role and the Viewer projection without personal data."""

from __future__ import annotations

from dataclasses import replace

import pytest

from brevo_sync.domain.rules import Actor, Directory, RulesConfig, can_see, project_for

from .conftest import deal

OWN, TEAM, OTHER = "alice", "bob", "carol"  # from alice's / the team lead's view


@pytest.mark.parametrize(
    ("actor", "sees"),
    [
        (Actor("alice", "sales_rep"), {OWN, TEAM}),
        (Actor("lead", "team_lead"), {OWN, TEAM}),  # alice and bob are in the lead's team
        (Actor("mia", "sales_manager"), {OWN, TEAM, OTHER}),
        (Actor("root", "admin"), {OWN, TEAM, OTHER}),
        (Actor("vic", "viewer"), {OWN, TEAM, OTHER}),
        (Actor("gus", "intern"), set()),
    ],
)
def test_who_sees_which_deals(
    config: RulesConfig, directory: Directory, actor: Actor, sees: set[str]
) -> None:
    visible = {o for o in (OWN, TEAM, OTHER) if can_see(config, actor, deal(owner=o), directory)}
    assert visible == sees


def test_the_team_lead_sees_own_deals_too(config: RulesConfig, directory: Directory) -> None:
    assert can_see(config, Actor("lead", "team_lead"), deal(owner="lead"), directory)


def test_a_viewer_gets_no_personal_data(config: RulesConfig) -> None:
    original = deal(
        owner="alice@example.com",
        contact_email="max@kunde.de",
        phone_mobile="+49 170 1234567",
        contact_name="Max Mustermann",
        notes="call max@kunde.de",
        hotline="+49 30 123456",
        deal_stage="NEW_LEAD",
        close_date="2026-06-30",
        budget_range="50-80k",
    )
    seen = project_for(config, Actor("vic", "viewer"), original)
    assert seen.name == "Deal d1"  # seed 001 pre-fills titles with contact names
    assert seen.owner is None and seen.contact_ids == ()
    assert seen.attributes == {
        "deal_stage": "NEW_LEAD",
        "close_date": "2026-06-30",  # a date is not a phone number
        "budget_range": "50-80k",
        "number_of_contacts": 1,
    }
    assert (seen.amount, seen.company_ids) == (original.amount, original.company_ids)


def test_other_roles_see_everything(config: RulesConfig) -> None:
    original = deal(contact_email="max@kunde.de")
    assert project_for(config, Actor("mia", "sales_manager"), original) is original


def test_deal_names_can_be_kept_when_configured(config: RulesConfig) -> None:
    keep = config.model_copy(update={"privacy": config.privacy.model_copy(
        update={"redact_deal_name": False})})  # fmt: skip
    seen = project_for(keep, Actor("vic", "viewer"), replace(deal(), name="Acme - Order #1"))
    assert seen.name == "Acme - Order #1"
    leaky = project_for(keep, Actor("vic", "viewer"), replace(deal(), name="max@kunde.de"))
    assert leaky.name == "Deal d1"
