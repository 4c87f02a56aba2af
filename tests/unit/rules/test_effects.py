"""Effects of a move: probability, stage time, previous stage, close date, and the stage's and
transition's actions as domain events (seeds 000, 001, 002)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from brevo_sync.domain.rules import (
    Actor,
    Directory,
    MoveRequest,
    Rulebook,
    apply_changes,
    apply_move,
    decide_move,
    observe_move,
)
from brevo_sync.domain.rules.effects import add_months
from brevo_sync.domain.rules.events import (
    CommissionComputationRequested,
    ExternalActionRequested,
    LossAnalysisRequested,
    LoyaltyPointsAwarded,
    NotificationRequested,
    OnboardingRequested,
    RuleBreachObserved,
    StageChanged,
    TaskRequested,
)
from brevo_sync.errors import RuleViolation

from .conftest import ENTERPRISE, NOW, REP, deal


def kinds(events: tuple[object, ...]) -> list[str]:
    return [type(e).__name__ for e in events]


def test_seed_000_advance_sets_probability_time_and_previous_stage(book: Rulebook) -> None:
    outcome = apply_move(book, MoveRequest(deal("Qualified", ENTERPRISE), "Demo", REP), NOW)
    changes = outcome.changes
    assert changes is not None
    assert (changes.probability, changes.stage_changed_at, changes.previous_stage_id) == (
        40, NOW, "Qualified",
    )  # fmt: skip
    assert changes.close_date is None  # still open
    names = book.config.attributes
    assert changes.attributes(names) == {
        "pipeline": ENTERPRISE,
        "deal_stage": "Demo",
        "probability": 40,
        "probability_stage": None,  # any override ends with the move
        "previous_stage": "Qualified",
        "stage_changed_at": NOW.isoformat(),
    }
    stage_changed, task, points = outcome.events
    assert isinstance(stage_changed, StageChanged) and stage_changed.to_stage == "Demo"
    assert isinstance(task, TaskRequested)
    assert (task.name, task.title, task.due_at, task.assignee) == (
        "send_proposal", "Send proposal", NOW, "seller",
    )  # fmt: skip
    # Seed 000 loyalty milestone: Demo 100 points to the deal's contact.
    assert isinstance(points, LoyaltyPointsAwarded)
    assert (points.recipient_kind, points.recipient_id, points.points) == (
        "contact",
        "987654321",
        100,
    )


def test_won_sets_the_close_date_if_empty_and_runs_the_won_actions(book: Rulebook) -> None:
    d = deal("Negotiation", ENTERPRISE, loyalty_points_bonus=5000)
    outcome = apply_move(book, MoveRequest(d, "Closed Won", REP), NOW)
    assert outcome.changes is not None
    assert outcome.changes.probability == 100
    assert outcome.changes.close_date == NOW.date()  # seed 001
    assert kinds(outcome.events) == [
        "StageChanged", "OnboardingRequested", "LoyaltyPointsAwarded", "LoyaltyPointsAwarded",
    ]  # fmt: skip
    corporate, milestone = outcome.events[2:]
    assert isinstance(corporate, LoyaltyPointsAwarded) and isinstance(
        milestone, LoyaltyPointsAwarded
    )
    # Seed 000 award_loyalty_points: the bonus to the company; milestone: bonus || 1000.
    assert (corporate.recipient_kind, corporate.recipient_id, corporate.points) == (
        "company", "comp_123456789", 5000,
    )  # fmt: skip
    assert (milestone.recipient_kind, milestone.points) == ("contact", 5000)
    kept = replace(d, close_date=date(2026, 6, 30))
    again = apply_move(book, MoveRequest(kept, "Closed Won", REP), NOW)
    assert again.changes is not None and again.changes.close_date is None  # not overwritten


def test_won_without_bonus_awards_1000_and_no_corporate_points(book: Rulebook) -> None:
    outcome = apply_move(book, MoveRequest(deal("Negotiation", ENTERPRISE), "Closed Won", REP), NOW)
    awards = [e for e in outcome.events if isinstance(e, LoyaltyPointsAwarded)]
    assert [(a.recipient_kind, a.points) for a in awards] == [("contact", 1000)]


def test_lost_runs_loss_analysis_and_a_follow_up(book: Rulebook) -> None:
    request = MoveRequest(deal("Proposal", ENTERPRISE), "Closed Lost", REP, lost_reason="price")
    outcome = apply_move(book, request, NOW)
    assert outcome.changes is not None
    assert (outcome.changes.probability, outcome.changes.lost_reason) == (0, "price")
    assert outcome.changes.close_date == NOW.date()
    _, analysis, follow_up = outcome.events
    assert isinstance(analysis, LossAnalysisRequested)
    assert (analysis.lost_reason, analysis.from_stage) == ("price", "Proposal")
    assert isinstance(follow_up, TaskRequested) and follow_up.name == "schedule_followup"
    assert follow_up.due_at == datetime(2026, 9, 2, 9, 0, tzinfo=UTC)  # 6 months


@pytest.mark.parametrize(
    ("src", "dst", "expected"),
    [
        ("NEW_LEAD", "QUALIFICATION", [("NotificationRequested", "email_seller")]),
        ("NEW_LEAD", "CLOSED_LOST", [("ExternalActionRequested", "archive")]),
        ("QUALIFICATION", "NEEDS_ANALYSIS", [("TaskRequested", "calendar_entry")]),
        ("QUALIFICATION", "CLOSED_LOST", [("TaskRequested", "follow_up_6_months")]),
        ("NEEDS_ANALYSIS", "PROPOSAL", [("ExternalActionRequested", "open_calculator")]),
        ("NEEDS_ANALYSIS", "QUALIFICATION", [("NotificationRequested", "notify_seller")]),
        ("PROPOSAL", "NEGOTIATION", [("TaskRequested", "review_7_days")]),
        ("PROPOSAL", "CLOSED_WON", [("OnboardingRequested", "create_customer"),
                                    ("CommissionComputationRequested", "compute_commission")]),
        ("PROPOSAL", "CLOSED_LOST", [("LossAnalysisRequested", "analysis_dashboard")]),
        ("NEGOTIATION", "CLOSED_WON", [("ExternalActionRequested", "xentral_order"),
                                       ("NotificationRequested", "team_notification"),
                                       ("CommissionComputationRequested", "compute_commission")]),
        ("NEGOTIATION", "CLOSED_LOST", [("LossAnalysisRequested", "win_loss_analysis")]),
        ("NEGOTIATION", "PROPOSAL", [("ExternalActionRequested", "open_calculator")]),
    ],
)  # fmt: skip
def test_seed_002_automatic_actions(
    book: Rulebook, src: str, dst: str, expected: list[tuple[str, str]]
) -> None:
    request = MoveRequest(deal(src, complete=True), dst, REP, reason="why", lost_reason="price")
    outcome = apply_move(book, request, NOW)
    found = [(type(e).__name__, e.key.rsplit(":", 1)[-1]) for e in outcome.events[1:]]
    assert found == expected


def test_seed_002_task_delays(book: Rulebook) -> None:
    review = apply_move(book, MoveRequest(deal("PROPOSAL", complete=True), "NEGOTIATION", REP), NOW)
    [task] = [e for e in review.events if isinstance(e, TaskRequested)]
    assert task.due_at == NOW + timedelta(days=7)  # "Wiedervorlage in 7 Tagen"
    request = MoveRequest(deal("QUALIFICATION"), "CLOSED_LOST", REP, lost_reason="no budget")
    [later] = [e for e in apply_move(book, request, NOW).events if isinstance(e, TaskRequested)]
    assert later.due_at == add_months(NOW, 6)  # "Follow-up in 6 Monaten"


def test_notifications_name_the_seller(book: Rulebook) -> None:
    outcome = apply_move(
        book, MoveRequest(deal("NEW_LEAD", complete=True), "QUALIFICATION", REP), NOW
    )
    [note] = [e for e in outcome.events if isinstance(e, NotificationRequested)]
    assert (note.recipient, note.recipient_id) == ("seller", "alice")


def test_a_team_lead_move_notifies_the_original_seller(
    book: Rulebook, directory: Directory
) -> None:
    lead = Actor("lead", "team_lead")
    request = MoveRequest(deal("NEW_LEAD", owner="bob", complete=True), "QUALIFICATION", lead,
                          reason="bob is on holiday")  # fmt: skip
    outcome = apply_move(book, request, NOW, directory)
    notice = outcome.events[-1]
    assert isinstance(notice, NotificationRequested)
    assert (notice.recipient, notice.recipient_id) == ("original_seller", "bob")
    assert notice.message.endswith("from NEW_LEAD to QUALIFICATION: bob is on holiday")


def test_a_refused_move_raises_with_every_reason(book: Rulebook) -> None:
    with pytest.raises(RuleViolation) as caught:
        apply_move(book, MoveRequest(deal("NEW_LEAD", owner="bob"), "PROPOSAL", REP), NOW)
    found = caught.value.reasons
    assert found[0].startswith("alice (sales_rep) may change the stage only of deals they own")
    assert found[1].startswith("NEW_LEAD -> PROPOSAL jumps over 2 stages")
    assert found[2].startswith("NEW_LEAD -> PROPOSAL is not an allowed move")
    # ... and the required fields of every stage the move would pass over.
    assert found[3:] == [
        "NEW_LEAD requires source to be filled in",
        "QUALIFICATION requires budget range (fill in budget_range)",
        "QUALIFICATION requires decision maker identified (fill in decision_maker)",
        "QUALIFICATION requires need roughly captured (fill in need_summary)",
        "NEEDS_ANALYSIS requires detailed requirements (fill in requirements)",
        "NEEDS_ANALYSIS requires project timeline (fill in project_timeline)",
        "NEEDS_ANALYSIS requires decision criteria (fill in decision_criteria)",
    ]
    refused = decide_move(book, MoveRequest(deal("NEW_LEAD"), "PROPOSAL", REP), NOW)
    assert refused.changes is None and refused.events == ()


def test_apply_changes_gives_the_deal_after_the_move(book: Rulebook) -> None:
    d = deal("Qualified", ENTERPRISE, probability=30, probability_stage="Qualified")
    outcome = apply_move(book, MoveRequest(d, "Demo", REP), NOW)
    assert outcome.changes is not None
    after = apply_changes(d, outcome.changes, book.config.attributes)
    assert (after.stage_id, after.stage_updated_at) == ("Demo", NOW)
    assert after.attributes["probability"] == 40 and after.attributes["probability_stage"] is None


def test_an_observed_move_out_of_won_is_reported_and_still_has_effects(book: Rulebook) -> None:
    before = deal("CLOSED_WON", complete=True)
    moved_at = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    after = replace(before, stage_id="NEGOTIATION", stage_updated_at=moved_at)
    outcome = observe_move(book, before, after, NOW)
    assert outcome is not None and outcome.changes is not None
    breach = outcome.events[0]
    assert isinstance(breach, RuleBreachObserved)
    assert breach.reasons == ("CLOSED_WON is a closed stage: a deal never leaves it",)
    assert outcome.changes.stage_changed_at == moved_at  # Brevo's time, not ours
    assert observe_move(book, before, before, NOW) is None


def test_an_observed_legal_move_only_has_its_effects(book: Rulebook) -> None:
    before = deal("Proposal", ENTERPRISE)
    after = replace(before, stage_id="Negotiation", stage_updated_at=NOW)
    outcome = observe_move(book, before, after, NOW)
    assert outcome is not None
    assert kinds(outcome.events) == ["StageChanged", "TaskRequested"]
    assert outcome.changes is not None and outcome.changes.probability == 80


def test_event_kinds_cover_the_issue(book: Rulebook) -> None:
    # Follow-up tasks, notifications, loss analysis, onboarding, loyalty, commission.
    seen = set()
    for src, dst in [("PROPOSAL", "CLOSED_WON"), ("NEGOTIATION", "CLOSED_WON"),
                     ("NEGOTIATION", "CLOSED_LOST"), ("QUALIFICATION", "CLOSED_LOST")]:  # fmt: skip
        request = MoveRequest(deal(src, complete=True), dst, REP, reason="ok", lost_reason="price")
        seen |= {type(e) for e in apply_move(book, request, NOW).events}
    expected = {CommissionComputationRequested, ExternalActionRequested, LossAnalysisRequested,
                NotificationRequested, OnboardingRequested, TaskRequested}  # fmt: skip
    assert expected <= seen


def test_add_months_clamps_the_day() -> None:
    assert add_months(datetime(2026, 8, 31, tzinfo=UTC), 6) == datetime(2027, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2026, 1, 15, tzinfo=UTC), 0) == datetime(2026, 1, 15, tzinfo=UTC)
