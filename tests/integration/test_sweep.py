"""The set-based sweep raises exactly what `evaluate_time_rules` says, once, on SQLite and
PostgreSQL (`mirror_engine` runs every test on both, migrated through Alembic)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from brevo_sync.adapters.store.tables import alerts, deals
from brevo_sync.adapters.store.uow import SqlUnitOfWork
from brevo_sync.domain.deal import Deal
from brevo_sync.domain.rules.timing import (
    ALERT_TEAM_LEAD,
    MARK_DORMANT,
    REMIND_SELLER,
    InactivityRule,
    StageFollowUp,
    StageTimeLimit,
    StaleRule,
    TimeRules,
    evaluate_time_rules,
)

NOW = datetime(2025, 7, 12, 9, 0, tzinfo=UTC)
LIMITS = {"NEW_LEAD": 3, "QUALIFICATION": 7, "NEEDS_ANALYSIS": 14, "PROPOSAL": 21,
          "NEGOTIATION": 30}  # fmt: skip
SEED_RULES = TimeRules(
    stage_limits=tuple(StageTimeLimit(s, d, f"escalate:{s.lower()}") for s, d in LIMITS.items()),
    inactivity=(
        InactivityRule(7, REMIND_SELLER),
        InactivityRule(14, ALERT_TEAM_LEAD),
        InactivityRule(30, MARK_DORMANT),
    ),
    stale=StaleRule(Decimal(25000), 14, currency="EUR"),
    closed_stage_ids=frozenset({"CLOSED_WON", "CLOSED_LOST"}),
    follow_ups=(StageFollowUp("PROPOSAL", 3),),
)
# No closed stages and a zero-day follow-up: the statements' other shapes.
PLAIN_RULES = TimeRules(
    stage_limits=(StageTimeLimit("QUALIFICATION", 2, "alert:team_lead"),),
    inactivity=(InactivityRule(1, REMIND_SELLER),),
    stale=StaleRule(Decimal(0), 1),
    follow_ups=(StageFollowUp("NEW_LEAD", 0),),
)
STAGES = [*LIMITS, "CLOSED_WON", "CLOSED_LOST", "ELSEWHERE", None]

AlertRow = tuple[str, str, str, datetime, datetime]


class Swept(dict[str, int]):
    @property
    def total(self) -> int:
        return sum(self.values())

    @property
    def raised(self) -> dict[str, int]:
        return dict(self)


def run_time_sweep(engine: Engine, rules: TimeRules, now: datetime) -> Swept:
    """The sweep as the services run it: in a unit of work that commits."""
    with SqlUnitOfWork(engine) as uow:
        raised = uow.alerts.sweep(rules, now)
        uow.commit()
    return Swept(raised)


def random_deals(seed: int, count: int) -> list[tuple[Deal, bool]]:
    """Deals with every awkward value the rules meet: missing stamps, stamps a microsecond
    before midnight, amounts around the threshold, unknown and missing stages; and a flag
    for tombstones."""
    rng = random.Random(seed)

    def stamp() -> datetime | None:
        if rng.random() < 0.1:
            return None
        at = NOW - timedelta(seconds=rng.randint(-2 * 86400, 50 * 86400))
        if rng.random() < 0.1:  # date functions round these to the next day
            at = at.replace(hour=23, minute=59, second=59, microsecond=999_600)
        return at.replace(microsecond=rng.randint(0, 999_999)) if rng.random() < 0.5 else at

    amounts = [None, Decimal(25000), Decimal("25000.01"), Decimal("24999.99"), Decimal(80000)]
    return [
        (
            Deal(
                id=f"deal{i:04d}", stage_id=rng.choice(STAGES), amount=rng.choice(amounts),
                currency=rng.choice([None, "EUR", "eur", "USD"]),
                created_at=stamp(), updated_at=stamp(), stage_updated_at=stamp(),
                last_activity_at=stamp(),
            ),
            rng.random() < 0.05,
        )
        for i in range(count)
    ]  # fmt: skip


def store(engine: Engine, batch: list[tuple[Deal, bool]]) -> None:
    rows: list[dict[str, Any]] = [
        {
            "id": d.id, "stage_id": d.stage_id, "pipeline_id": "p1", "amount": d.amount,
            "currency": d.currency,
            "created_at": d.created_at, "updated_at": d.updated_at,
            "stage_updated_at": d.stage_updated_at, "last_activity_at": d.last_activity_at,
            "attributes": {}, "contact_ids": [], "company_ids": [], "pulled_at": NOW,
            "deleted_at": NOW if tombstoned else None,
        }
        for d, tombstoned in batch
    ]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(sa.delete(deals).where(deals.c.id.in_([d.id for d, _ in batch])))
        conn.execute(sa.insert(deals), rows)


def expected(batch: list[tuple[Deal, bool]], rules: TimeRules, now: datetime) -> set[AlertRow]:
    return {
        (a.deal_id, a.rule, a.action, a.anchor_at, a.due_at)
        for deal, tombstoned in batch
        for a in evaluate_time_rules(deal, rules, now, tombstoned=tombstoned)
    }


def stored(engine: Engine) -> set[AlertRow]:
    query = sa.select(
        alerts.c.deal_id, alerts.c.rule, alerts.c.action, alerts.c.anchor_at, alerts.c.due_at
    )
    with engine.connect() as conn:
        return {tuple(row) for row in conn.execute(query)}


@pytest.mark.parametrize(("rules", "seed"), [(SEED_RULES, 1), (SEED_RULES, 2), (PLAIN_RULES, 3)])
def test_the_sweep_raises_what_the_pure_rules_say_once(
    mirror_engine: Engine, rules: TimeRules, seed: int
) -> None:
    batch = random_deals(seed, 300)
    store(mirror_engine, batch)
    want = expected(batch, rules, NOW)
    assert len(want) > 100  # the generator exercises the rules, not an empty set

    report = run_time_sweep(mirror_engine, rules, NOW)

    assert stored(mirror_engine) == want
    assert report.total == len(want)
    assert set(report.raised) == set(rules.rule_keys)
    for rule in rules.rule_keys:
        assert report.raised[rule] == sum(1 for w in want if w[1] == rule), rule
    with mirror_engine.connect() as conn:
        marks = conn.execute(sa.select(alerts.c.raised_at, alerts.c.acknowledged_at)).all()
    assert {tuple(m) for m in marks} == {(NOW, None)}

    again = run_time_sweep(mirror_engine, rules, NOW)
    assert again.total == 0
    assert stored(mirror_engine) == want


def test_a_later_crossing_after_a_stage_change_is_raised_again(mirror_engine: Engine) -> None:
    entered = NOW - timedelta(days=10)
    deal = Deal(id="moved", stage_id="QUALIFICATION", amount=Decimal(100),
                created_at=entered, updated_at=NOW, stage_updated_at=entered,
                last_activity_at=NOW)  # fmt: skip
    store(mirror_engine, [(deal, False)])
    assert (
        run_time_sweep(mirror_engine, SEED_RULES, NOW).raised["stage_max_days:QUALIFICATION"] == 1
    )

    # Back to NEEDS_ANALYSIS and into QUALIFICATION again two days later.
    back = NOW + timedelta(days=2)
    store(mirror_engine, [(replace(deal, stage_updated_at=back, updated_at=back,
                                   last_activity_at=back), False)])  # fmt: skip
    assert run_time_sweep(mirror_engine, SEED_RULES, back + timedelta(days=6)).total == 0
    later = back + timedelta(days=7)
    assert run_time_sweep(mirror_engine, SEED_RULES, later).raised == {
        **dict.fromkeys(SEED_RULES.rule_keys, 0),
        "stage_max_days:QUALIFICATION": 1,
        "inactivity:7": 1,
    }
    anchors = {
        (rule, anchor) for _, rule, _, anchor, _ in stored(mirror_engine)
        if rule == "stage_max_days:QUALIFICATION"
    }  # fmt: skip
    assert anchors == {("stage_max_days:QUALIFICATION", entered),
                       ("stage_max_days:QUALIFICATION", back)}  # fmt: skip


def test_a_sweep_not_committed_leaves_nothing(mirror_engine: Engine) -> None:
    store(mirror_engine, random_deals(4, 50))
    with SqlUnitOfWork(mirror_engine) as uow:
        assert sum(uow.alerts.sweep(SEED_RULES, NOW).values()) > 0
    assert stored(mirror_engine) == set()  # no commit: the unit of work rolled back
    assert run_time_sweep(mirror_engine, SEED_RULES, NOW).total > 0
    assert stored(mirror_engine) != set()


def test_naive_now_is_refused(mirror_engine: Engine) -> None:
    with pytest.raises(ValueError, match="aware"):
        run_time_sweep(mirror_engine, SEED_RULES, NOW.replace(tzinfo=None))
