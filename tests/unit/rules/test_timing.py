"""Time rules (seed 002's dwell limits and inactivity ladder, seed 000's stale high-value deals)
as the pure reference semantics the SQL sweep is held to."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brevo_sync.domain.deal import Deal
from brevo_sync.domain.rules.timing import (
    ALERT_TEAM_LEAD,
    MARK_DORMANT,
    REMIND_SELLER,
    Alert,
    InactivityRule,
    StageFollowUp,
    StageTimeLimit,
    StaleRule,
    TimeRules,
    evaluate_time_rules,
)

T0 = datetime(2025, 7, 1, 9, 0, tzinfo=UTC)
MICRO = timedelta(microseconds=1)
DAY = timedelta(days=1)

# Seed 002's table, stage ids as Brevo would have them after the name mapping.
SEED_LIMITS = {
    "NEW_LEAD": (3, "alert:seller"),
    "QUALIFICATION": (7, "alert:team_lead"),
    "NEEDS_ANALYSIS": (14, "review_meeting:team"),
    "PROPOSAL": (21, "escalation:manager"),
    "NEGOTIATION": (30, "strategic_review:manager"),
}
CLOSED = frozenset({"CLOSED_WON", "CLOSED_LOST"})
SEED_RULES = TimeRules(
    stage_limits=tuple(StageTimeLimit(s, d, e) for s, (d, e) in SEED_LIMITS.items()),
    inactivity=(
        InactivityRule(7, REMIND_SELLER),
        InactivityRule(14, ALERT_TEAM_LEAD),
        InactivityRule(30, MARK_DORMANT),
    ),
    stale=StaleRule(Decimal(25000), 14),
    closed_stage_ids=CLOSED,
    follow_ups=(StageFollowUp("PROPOSAL", 3),),
)


def a_deal(stage: str | None = "QUALIFICATION", at: datetime = T0, **changes: object) -> Deal:
    """A deal that entered `stage`, was updated and last active at `at`, created 10 days before."""
    deal = Deal(
        id="d1",
        stage_id=stage,
        amount=Decimal(1000),
        created_at=at - 10 * DAY,
        updated_at=at,
        stage_updated_at=at,
        last_activity_at=at,
    )
    return replace(deal, **changes)  # type: ignore[arg-type]


def rules_at(deal: Deal, now: datetime, rules: TimeRules = SEED_RULES) -> list[str]:
    return [alert.rule for alert in evaluate_time_rules(deal, rules, now)]


@pytest.mark.parametrize(("stage", "limit"), [(s, d) for s, (d, _) in SEED_LIMITS.items()])
def test_stage_limit_is_crossed_exactly_at_max_days(stage: str, limit: int) -> None:
    deal = a_deal(stage, last_activity_at=T0 + 100 * DAY, updated_at=T0 + 100 * DAY)
    crossed = T0 + limit * DAY
    assert f"stage_max_days:{stage}" not in rules_at(deal, crossed - MICRO)
    [alert] = [a for a in evaluate_time_rules(deal, SEED_RULES, crossed) if "max_days" in a.rule]
    assert alert == Alert("d1", f"stage_max_days:{stage}", SEED_LIMITS[stage][1], T0, crossed)


def test_a_deal_never_moved_has_been_in_its_stage_since_creation() -> None:
    deal = a_deal("NEW_LEAD", stage_updated_at=None)  # created T0 - 10 days
    [alert] = [a for a in evaluate_time_rules(deal, SEED_RULES, T0) if "max_days" in a.rule]
    assert alert.anchor_at == T0 - 10 * DAY
    assert alert.due_at == T0 - 7 * DAY


def test_inactivity_ladder_reminds_then_alerts_then_marks_dormant() -> None:
    deal = a_deal("NEGOTIATION", stage_updated_at=T0 - 60 * DAY, updated_at=T0 + 100 * DAY)
    ladder = {"inactivity:7": REMIND_SELLER, "inactivity:14": ALERT_TEAM_LEAD,
              "inactivity:30": MARK_DORMANT}  # fmt: skip
    for days, expected in ((6, []), (7, ["inactivity:7"]), (14, ["inactivity:7", "inactivity:14"]),
                           (30, list(ladder))):  # fmt: skip
        alerts = [a for a in evaluate_time_rules(deal, SEED_RULES, T0 + days * DAY)
                  if a.rule.startswith("inactivity")]  # fmt: skip
        assert [a.rule for a in alerts] == expected
        assert all(a.action == ladder[a.rule] and a.anchor_at == T0 for a in alerts)


def test_inactivity_falls_back_to_the_last_update_then_creation() -> None:
    no_activity = a_deal(last_activity_at=None, updated_at=T0 - 5 * DAY)
    [idle] = [a for a in evaluate_time_rules(no_activity, SEED_RULES, T0 + 2 * DAY)
              if a.rule == "inactivity:7"]  # fmt: skip
    assert idle.anchor_at == T0 - 5 * DAY
    bare = a_deal(last_activity_at=None, updated_at=None)
    [idle] = [a for a in evaluate_time_rules(bare, SEED_RULES, T0) if a.rule == "inactivity:7"]
    assert idle.anchor_at == T0 - 10 * DAY


def test_a_deal_without_any_timestamp_raises_nothing() -> None:
    deal = Deal(id="d", stage_id="NEW_LEAD", amount=Decimal(10**6))
    assert rules_at(deal, T0 + 1000 * DAY) == []


def test_stale_high_value_is_strictly_over_the_amount_after_days_without_update() -> None:
    busy = T0 + 100 * DAY  # activity keeps inactivity quiet; only the last update matters
    big = a_deal("NEGOTIATION", amount=Decimal("25000.01"), last_activity_at=busy)
    assert "stale_high_value" not in rules_at(big, T0 + 14 * DAY - MICRO)
    [stale] = [a for a in evaluate_time_rules(big, SEED_RULES, T0 + 14 * DAY)
               if a.rule == "stale_high_value"]  # fmt: skip
    assert (stale.anchor_at, stale.due_at) == (T0, T0 + 14 * DAY)
    at_limit = replace(big, amount=Decimal(25000))
    assert "stale_high_value" not in rules_at(at_limit, T0 + 60 * DAY)
    unknown = replace(big, amount=None)
    assert "stale_high_value" not in rules_at(unknown, T0 + 60 * DAY)


def test_entering_proposal_schedules_a_follow_up_due_three_days_later() -> None:
    deal = a_deal("PROPOSAL")
    assert rules_at(deal, T0 - MICRO) == []  # not entered yet (clock skew)
    [task] = [a for a in evaluate_time_rules(deal, SEED_RULES, T0) if "follow_up" in a.rule]
    assert task == Alert(
        "d1", "stage_follow_up:PROPOSAL", "create_follow_up_task", T0, T0 + 3 * DAY
    )
    assert [a.rule for a in evaluate_time_rules(a_deal("NEGOTIATION"), SEED_RULES, T0)] == []


@pytest.mark.parametrize("stage", sorted(CLOSED))
def test_closed_deals_raise_nothing(stage: str) -> None:
    deal = a_deal(stage, amount=Decimal(10**6))
    assert rules_at(deal, T0 + 365 * DAY) == []


def test_tombstones_raise_nothing_and_stageless_deals_count_as_open() -> None:
    old = a_deal(None, amount=Decimal(10**6))
    later = T0 + 365 * DAY
    assert evaluate_time_rules(old, SEED_RULES, later, tombstoned=True) == []
    assert rules_at(old, later) == [
        "inactivity:7",
        "inactivity:14",
        "inactivity:30",
        "stale_high_value",
    ]


def test_a_moved_anchor_is_a_new_crossing() -> None:
    deal = a_deal("QUALIFICATION")
    first = evaluate_time_rules(deal, SEED_RULES, T0 + 8 * DAY)
    # Seen again later: the same identities, so the ledger drops them.
    assert {a.key for a in first} <= {
        a.key for a in evaluate_time_rules(deal, SEED_RULES, T0 + 9 * DAY)
    }
    # Back to QUALIFICATION after a detour, with new activity: new anchors, new crossings.
    back = replace(deal, stage_updated_at=T0 + 20 * DAY, last_activity_at=T0 + 20 * DAY,
                   updated_at=T0 + 20 * DAY)  # fmt: skip
    again = evaluate_time_rules(back, SEED_RULES, T0 + 28 * DAY)
    assert {a.rule for a in again} == {a.rule for a in first}
    assert not {a.key for a in again} & {a.key for a in first}


def test_rule_keys_and_validation() -> None:
    assert SEED_RULES.rule_keys == (
        *(f"stage_max_days:{s}" for s in SEED_LIMITS), "stage_follow_up:PROPOSAL",
        "inactivity:7", "inactivity:14", "inactivity:30", "stale_high_value",
    )  # fmt: skip
    with pytest.raises(ValueError, match="duplicate"):
        TimeRules(inactivity=(InactivityRule(7, REMIND_SELLER), InactivityRule(7, MARK_DORMANT)))
    with pytest.raises(ValueError, match="unknown action"):
        InactivityRule(7, "remind_everyone")
    with pytest.raises(ValueError, match="max_days"):
        StageTimeLimit("NEW_LEAD", 0, "alert:seller")
    with pytest.raises(ValueError, match="days_without_update"):
        StaleRule(Decimal(1), 0)


# --- properties ----------------------------------------------------------------------------

STAGES = [*SEED_LIMITS, *sorted(CLOSED), None, "SOMEWHERE_ELSE"]
moments = st.integers(-60 * 24 * 3600, 60 * 24 * 3600).map(lambda s: T0 + timedelta(seconds=s))
stamps = st.one_of(st.none(), moments, st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2025, 12, 31), timezones=st.just(UTC)
))  # fmt: skip


@st.composite
def deals(draw: st.DrawFn) -> Deal:
    return Deal(
        id=draw(st.sampled_from(["a", "b", "c"])),
        stage_id=draw(st.sampled_from(STAGES)),
        amount=draw(st.one_of(st.none(), st.decimals(0, 100_000, places=2))),
        created_at=draw(stamps), updated_at=draw(stamps),
        stage_updated_at=draw(stamps), last_activity_at=draw(stamps),
    )  # fmt: skip


@given(deals(), moments)
def test_the_same_deal_at_the_same_now_gives_the_same_alerts(deal: Deal, now: datetime) -> None:
    assert evaluate_time_rules(deal, SEED_RULES, now) == evaluate_time_rules(deal, SEED_RULES, now)


@given(deals(), moments, st.integers(0, 90 * 24 * 3600))
def test_a_crossing_keeps_its_identity_as_time_passes(
    deal: Deal, now: datetime, later_by: int
) -> None:
    """What makes "once per crossing" work: at most one alert per rule, and an alert raised
    at `now` is the very same alert (same key, action, due) at any later sweep."""
    before = evaluate_time_rules(deal, SEED_RULES, now)
    after = evaluate_time_rules(deal, SEED_RULES, now + timedelta(seconds=later_by))
    assert len({a.rule for a in before}) == len(before)
    assert set(before) <= set(after)
    assert all(a.due_at <= now or a.rule.startswith("stage_follow_up") for a in before)


@given(deals(), moments)
def test_closed_and_tombstoned_deals_never_raise(deal: Deal, now: datetime) -> None:
    assert evaluate_time_rules(deal, SEED_RULES, now, tombstoned=True) == []
    for stage in CLOSED:
        assert evaluate_time_rules(replace(deal, stage_id=stage), SEED_RULES, now) == []


# One step of a deal's life between two sweeps: time passes, maybe something happens.
steps = st.tuples(
    st.integers(0, 10 * 24 * 3600),
    st.sampled_from(["nothing", "activity", "update", "move"]),
    st.sampled_from([*SEED_LIMITS, *sorted(CLOSED)]),
)


@settings(max_examples=200)
@given(st.lists(steps, min_size=1, max_size=30))
def test_sweeps_over_a_deals_life_raise_each_crossing_once(
    life: list[tuple[int, str, str]],
) -> None:
    """Sweep after every step with a ledger playing the unique key: every raised alert was
    due, no (rule, anchor) is raised twice, and a crossing whose anchor stayed put for its
    whole threshold is never missed."""
    deal, now = a_deal("NEW_LEAD"), T0
    ledger: dict[tuple[str, str, datetime], Alert] = {}
    for seconds, event, stage in life:
        now += timedelta(seconds=seconds)
        if event == "activity":
            deal = replace(deal, last_activity_at=now, updated_at=now)
        elif event == "update":
            deal = replace(deal, updated_at=now)
        elif event == "move" and deal.stage_id not in CLOSED and stage != deal.stage_id:
            deal = replace(deal, stage_id=stage, stage_updated_at=now, updated_at=now)
        raised = [a for a in evaluate_time_rules(deal, SEED_RULES, now) if a.key not in ledger]
        for alert in raised:
            assert alert.due_at <= now or alert.rule.startswith("stage_follow_up")
            ledger[alert.key] = alert
        assert len(raised) == len({a.key for a in raised})
    raised_pairs = [(rule, anchor) for _, rule, anchor in ledger]
    assert len(raised_pairs) == len(set(raised_pairs))
    # The final state, swept once more, holds nothing the ledger has not seen.
    assert all(a.key in ledger for a in evaluate_time_rules(deal, SEED_RULES, now))


def test_stale_threshold_is_never_held_against_another_currency() -> None:
    rules = TimeRules(stale=StaleRule(Decimal(25000), 14, currency="EUR"))
    now = T0 + 20 * DAY

    def raised(currency: str | None) -> list[str]:
        deal = Deal(
            id="d", stage_id="NEGOTIATION", amount=Decimal(30000), currency=currency,
            created_at=T0, updated_at=T0,
        )  # fmt: skip
        return [a.rule for a in evaluate_time_rules(deal, rules, now)]

    assert raised("EUR") == raised("eur") == raised(None) == ["stale_high_value"]
    assert raised("USD") == []
