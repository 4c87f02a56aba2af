"""Seed 001 automations and conversion events; the time-rule thresholds handed to the sweep."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from brevo_sync.adapters.rules_file import default_rules_text, parse_rules_text
from brevo_sync.domain.deal import Pipeline, Stage
from brevo_sync.domain.rules import (
    Rulebook,
    RulesConfig,
    TriggerEvent,
    build_time_rules,
    conversion_events,
    run_automations,
)
from brevo_sync.domain.rules.events import CreateDealRequested, UpdateDealRequested
from brevo_sync.domain.rules.timing import (
    InactivityRule,
    StageFollowUp,
    StageTimeLimit,
    StaleRule,
    evaluate_time_rules,
)

from .conftest import ENTERPRISE, NOW, deal
from .test_rules_file import MINIMAL

AUTOMATIONS = """
automations:
  - name: renewal after a win
    trigger: stage_changed
    pipeline: Enterprise Sales
    to_stage: closed won
    action:
      type: create_deal
      name: "{deal.name} - Renewal"
      pipeline: Renewals
      stage: Qualified
      attributes: {origin: "{pipeline}/{stage}", amount_seen: "{deal.amount} {deal.currency}"}
  - name: mark contacts
    trigger: contact_added
    action:
      type: update_deal
      attributes: {last_contact: "{contact.id}", flagged: true}
      stage: Demo
conversion_events: true
"""


def with_automations() -> Rulebook:
    base = default_rules_text().replace("automations: []", "")
    source = parse_rules_text(base.replace("conversion_events: false", "") + AUTOMATIONS, "r.yaml")
    assert source.report.ok, source.report.errors
    assert source.report.config is not None
    return Rulebook.build(source.report.config)


def test_stage_changed_creates_a_deal(config: RulesConfig) -> None:
    book = with_automations()
    won = book.stages.named(ENTERPRISE, "Closed Won")
    before = book.stages.named(ENTERPRISE, "Negotiation")
    event = TriggerEvent("stage_changed", deal("Negotiation", ENTERPRISE), NOW, before, won)
    [created] = run_automations(book, event)
    assert isinstance(created, CreateDealRequested)
    assert created.name == "Acme Corp - Enterprise Loyalty Package - Renewal"
    assert (created.pipeline_id, created.stage_id) == ("Renewals", "Qualified")
    assert created.attributes == {"origin": "Enterprise Sales/Closed Won",
                                  "amount_seen": "75000 EUR"}  # fmt: skip
    assert created.origin_deal_id == "d1" and created.contact_ids == (987654321,)
    lost = book.stages.named(ENTERPRISE, "Closed Lost")
    assert run_automations(book, TriggerEvent("stage_changed", deal(), NOW, before, lost)) == ()


def test_contact_added_updates_the_deal_and_automation_changes_start_nothing(
    config: RulesConfig,
) -> None:
    book = with_automations()
    event = TriggerEvent("contact_added", deal("Qualified", ENTERPRISE), NOW, contact_id=42)
    [update] = run_automations(book, event)
    assert isinstance(update, UpdateDealRequested)
    assert update.attributes == {"last_contact": "42", "flagged": True}
    assert update.stage_id == "Demo"
    looped = TriggerEvent("contact_added", event.deal, NOW, contact_id=42, origin="automation")
    assert run_automations(book, looped) == ()


def test_conversion_events(config: RulesConfig) -> None:
    book = with_automations()
    won = book.stages.named(ENTERPRISE, "Closed Won")
    lost = book.stages.named(ENTERPRISE, "Closed Lost")
    d = deal("Negotiation", ENTERPRISE)

    def names(event: TriggerEvent) -> list[str]:
        return [e.event for e in conversion_events(book, event)]

    assert names(TriggerEvent("contact_added", d, NOW)) == ["Lead"]
    assert names(TriggerEvent("stage_changed", d, NOW, None, won)) == ["Purchase"]
    assert names(TriggerEvent("stage_changed", d, NOW, None, lost)) == ["ViewContent"]
    assert names(TriggerEvent("deal_updated", d, NOW)) == ["ViewContent"]
    assert names(TriggerEvent("contact_removed", d, NOW)) == []
    assert conversion_events(Rulebook.build(config), TriggerEvent("contact_added", d, NOW)) == ()


def test_unknown_placeholders_are_warned() -> None:
    text = MINIMAL + (
        "automations:\n  - name: a\n    trigger: deal_created\n"
        "    action: {type: update_deal, attributes: {x: '{deal.colour}'}}\n"
    )
    source = parse_rules_text(text, "rules.yaml")
    assert source.report.ok
    [warning] = [p for p in source.report.problems if "placeholder" in p.message]
    assert warning.location == "automations[0].action.attributes.x" and warning.line == 11


def test_time_rules_for_the_sweep_carry_the_seed_numbers(book: Rulebook) -> None:
    rules = build_time_rules(book)
    assert rules.stage_limits == (
        StageTimeLimit("NEW_LEAD", 3, "alert:seller"),
        StageTimeLimit("QUALIFICATION", 7, "alert:team_lead"),
        StageTimeLimit("NEEDS_ANALYSIS", 14, "review_meeting:team_lead"),
        StageTimeLimit("PROPOSAL", 21, "escalation:manager"),
        StageTimeLimit("NEGOTIATION", 30, "strategic_review:manager"),
    )
    assert rules.inactivity == (
        InactivityRule(7, "remind_seller"),
        InactivityRule(14, "alert_team_lead"),
        InactivityRule(30, "mark_dormant"),
    )
    assert rules.stale == StaleRule(Decimal(25000), 14, currency="EUR")
    assert rules.follow_ups == (StageFollowUp("PROPOSAL", 3),)
    assert rules.closed_stage_ids == {"Closed Won", "Closed Lost", "CLOSED_WON", "CLOSED_LOST"}


def test_time_rules_use_the_brevo_ids_of_the_mirror(config: RulesConfig) -> None:
    names = ["NEW_LEAD", "QUALIFICATION", "NEEDS_ANALYSIS", "PROPOSAL", "NEGOTIATION",
             "Closed Won", "Closed Lost"]  # fmt: skip
    remote = Pipeline("p4", "opportunity pipeline",
                      tuple(Stage(f"id{i}", n, i) for i, n in enumerate(names)))  # fmt: skip
    # Brevo calls the fixed stages "Closed Won"/"Closed Lost" here: rename them in the file.
    text = default_rules_text()
    for old, new in (("CLOSED_WON", "Closed Won"), ("CLOSED_LOST", "Closed Lost")):
        text = text.replace(f"name: {old}", f"name: {new}").replace(f"to: {old}", f"to: {new}")
    source = parse_rules_text(text, "rules.yaml")
    assert source.report.config is not None, source.report.errors
    rules = build_time_rules(Rulebook.build(source.report.config, [remote]))
    assert [limit.stage_id for limit in rules.stage_limits] == ["id0", "id1", "id2", "id3", "id4"]
    assert rules.closed_stage_ids == {"id5", "id6"}


def test_the_sweep_semantics_on_seed_numbers(book: Rulebook) -> None:
    rules = build_time_rules(book)
    d = deal("Negotiation", ENTERPRISE, amount="25001")
    quiet = d.stage_updated_at
    assert quiet is not None
    d = replace(d, updated_at=quiet, last_activity_at=quiet)
    at14 = [a.rule for a in evaluate_time_rules(d, rules, quiet + timedelta(days=14))]
    assert at14 == ["inactivity:7", "inactivity:14", "stale_high_value"]
    small = replace(d, amount=Decimal(25000))  # seed 000: strictly over 25,000
    assert "stale_high_value" not in [
        a.rule for a in evaluate_time_rules(small, rules, quiet + timedelta(days=30))
    ]
