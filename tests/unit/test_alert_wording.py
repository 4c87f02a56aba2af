"""Alerts in words: the reason from the rule and its anchor, the recipient from the action."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from brevo_sync.adapters.rules_file import load_default_rules
from brevo_sync.domain.reports import AlertView
from brevo_sync.domain.rules import Rulebook, build_time_rules
from brevo_sync.domain.rules.alerting import (
    AlertFacts,
    alert_recipient,
    describe_alert,
    money,
    rule_kind,
    rule_stage_id,
    team_of,
)

ANCHOR = datetime(2026, 10, 2, 8, 30, tzinfo=UTC)
ANA = "ana@example.com"
FACTS = AlertFacts(
    stage="PROPOSAL (Opportunity Pipeline)", owner=ANA, team="North", default_currency="EUR"
)


def _alert(rule: str, action: str, days: int, **deal: object) -> AlertView:
    return AlertView(
        id=1,
        deal_id="d1",
        rule=rule,
        action=action,
        anchor_at=ANCHOR,
        due_at=ANCHOR + timedelta(days=days),
        raised_at=ANCHOR + timedelta(days=days, hours=1),
        acknowledged_at=None,
        **deal,  # type: ignore[arg-type]
    )


def test_stage_limit_names_the_stage_its_days_and_since_when() -> None:
    words = describe_alert(_alert("stage_max_days:s-prop", "escalation:manager", 21), FACTS)
    assert (
        words.reason == "in PROPOSAL (Opportunity Pipeline) for more than 21 days, since 2026-10-02"
    )
    assert words.recipient == "sales manager (escalation)"


def test_stage_limit_without_a_known_stage_names_its_id() -> None:
    alert = _alert("stage_max_days:s-prop", "alert:seller", 3)
    assert describe_alert(alert, AlertFacts()).reason.startswith("in stage s-prop for more")


def test_follow_up_says_when_the_task_is_due() -> None:
    words = describe_alert(_alert("stage_follow_up:s-prop", "create_follow_up_task", 3), FACTS)
    assert words.reason == (
        "entered PROPOSAL (Opportunity Pipeline) on 2026-10-02: follow-up task due 2026-10-05"
    )
    assert words.recipient == f"{ANA} (follow-up task)"


def test_inactivity_gives_the_last_activity() -> None:
    words = describe_alert(_alert("inactivity:14", "alert_team_lead", 14), FACTS)
    assert words.reason == "no activity for 14 days (last 2026-10-02)"
    assert words.recipient == "team lead of North"


def test_stale_shows_the_amount_in_its_currency_or_the_default() -> None:
    usd = _alert("stale_high_value", "flag_stale", 14, amount=125000.0, currency="USD")
    assert describe_alert(usd, FACTS).reason == (
        "125,000.00 USD open, no update for 14 days (since 2026-10-02)"
    )
    none = _alert("stale_high_value", "flag_stale", 14, amount=30000.5, currency=None)
    assert describe_alert(none, FACTS).reason.startswith("30,000.50 EUR open")
    gone = _alert("stale_high_value", "flag_stale", 1)  # the deal left the mirror
    assert describe_alert(gone, FACTS).reason == "open, no update for 1 day (since 2026-10-02)"


@pytest.mark.parametrize(
    ("action", "facts", "recipient"),
    [
        ("alert:seller", FACTS, ANA),
        ("alert:seller", AlertFacts(), "the deal owner"),
        ("remind_seller", AlertFacts(owner="65f0c1a2b3c4d5e6f7a8b9c0"), "65f0c1a2b3c4d5e6f7a8b9c0"),
        ("alert:team_lead", FACTS, "team lead of North"),
        ("alert:team_lead", AlertFacts(owner=ANA), "team lead"),
        ("alert_team_lead", AlertFacts(), "team lead"),
        ("review_meeting:team_lead", FACTS, "team lead of North (review meeting)"),
        ("strategic_review:manager", FACTS, "sales manager (strategic review)"),
        ("alert:team", FACTS, "team North"),
        ("alert:original_seller", FACTS, "the original seller"),
        ("mark_dormant", FACTS, "nobody: the deal is marked dormant"),
    ],
)
def test_recipients(action: str, facts: AlertFacts, recipient: str) -> None:
    assert alert_recipient(action, facts) == recipient


def test_every_action_of_the_packaged_rules_reads_as_words() -> None:
    rules = build_time_rules(Rulebook.build(load_default_rules()))
    actions = {limit.escalation for limit in rules.stage_limits}
    actions |= {step.action for step in rules.inactivity}
    actions |= {follow_up.action for follow_up in rules.follow_ups}
    actions.add("flag_stale")
    assert len(actions) >= 8
    for action in actions:
        said = alert_recipient(action, FACTS)
        assert "_" not in said and action not in said, (action, said)


def test_rule_keys_split_into_kind_and_stage() -> None:
    assert rule_kind("stage_max_days:s1") == "stage_max_days"
    assert rule_stage_id("stage_follow_up:s1") == "s1"
    assert rule_stage_id("inactivity:14") is None
    assert rule_stage_id("stale_high_value") is None


def test_team_of_finds_the_owner_by_id_or_email_in_any_case() -> None:
    teams = {"South": ("bob@example.com",), "North": ("Ana@Example.com", "65f0")}
    assert team_of(["65f0", None], teams) == "North"
    assert team_of(["zzz", ANA], teams) == "North"
    assert team_of(["zzz"], teams) is None


def test_money() -> None:
    assert money(1234567.5, "EUR") == "1,234,567.50 EUR"
    assert money(10, None) == "10.00"
    assert money(None, "EUR") == ""
