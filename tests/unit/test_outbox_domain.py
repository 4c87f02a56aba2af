"""The outbox's pure parts: what decisions become, how rows are grouped into the fewest
requests, the three-way check, backoff, and fitting values to the account's options."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from brevo_sync.domain.deal import DealAttribute
from brevo_sync.domain.outbox import (
    Features,
    OutboxRow,
    backoff,
    coalesce_updates,
    effects_of,
    fit_to_catalogue,
    three_way,
)
from brevo_sync.domain.push_plan import Cost, drain_seconds, plan_units, sendable
from brevo_sync.domain.rules.events import (
    ConversionEventRequested,
    CreateDealRequested,
    LoyaltyPointsAwarded,
    StageChanged,
    TaskRequested,
    UpdateDealRequested,
)

T = datetime(2026, 11, 1, 9, tzinfo=UTC)


def row(n: int, kind: str, deal: str | None, **payload: Any) -> OutboxRow:
    return OutboxRow(
        id=n,
        key=f"k{n}",
        kind=kind,  # type: ignore[arg-type]
        deal_id=deal,
        deal_ref=payload.pop("ref", None),
        payload=payload,
        base=None,
        state="pending",
        attempts=0,
        next_attempt_at=T,
        last_error=None,
        origin="local",
        created_at=T,
    )


def test_decisions_become_effects_and_local_ones_none() -> None:
    moved = StageChanged("m", "d1", "p", "s1", "s2", T, None, "rules")
    update = UpdateDealRequested("u", "d1", {"deal_stage": "s2"})
    task = TaskRequested("t", "d1", "call", "Call them", T, "seller")
    assert effects_of(moved, features=Features()) == []
    assert [e.kind for e in effects_of(update, features=Features())] == ["update_deal"]
    (made,) = effects_of(task, features=Features())
    assert made.kind == "create_task" and made.payload["name"] == "Call them"


def test_optional_targets_only_when_configured() -> None:
    award = LoyaltyPointsAwarded("l", "d1", "contact", "7", 100, "Demo")
    event = ConversionEventRequested("c", "d1", "Purchase")
    assert effects_of(award, features=Features()) == []
    assert effects_of(event, features=Features()) == []
    assert effects_of(award, features=Features(loyalty=True))[0].payload["points"] == 100
    assert effects_of(event, features=Features(conversions=True))[0].kind == "conversion"


def test_effects_on_a_deal_being_created_wait_for_its_id() -> None:
    create = CreateDealRequested("order:s:1", "A", "P", "S", "p", "s")
    task = TaskRequested("t", "order:s:1", "call", "Call", T, "seller")
    (effect,) = effects_of(task, features=Features(), created=[create.key])
    assert effect.deal_id is None and effect.deal_ref == "order:s:1"
    ready, waiting = sendable([row(1, "create_task", None, ref="order:s:1")])
    assert ready == [] and len(waiting) == 1


def test_k_updates_on_m_deals_are_m_patches_and_later_rows_win() -> None:
    rows = [
        row(1, "update_deal", "a", attributes={"x": 1, "y": 1}),
        row(2, "update_deal", "b", attributes={"x": 5}),
        row(3, "update_deal", "a", attributes={"x": 2}),
    ]
    units = plan_units(rows, import_threshold=10, batch_size=500)
    assert [(u.kind, u.deal_id) for u in units] == [("patch", "a"), ("patch", "b")]
    assert coalesce_updates(units[0].rows) == {"x": 2, "y": 1}
    assert Cost.of(units).crm == 2


def test_above_the_threshold_one_import_per_batch_and_kind() -> None:
    rows = [row(n, "update_deal", f"d{n}", attributes={"x": n}) for n in range(1, 8)]
    rows += [row(n, "create_deal", None, name=f"new {n}") for n in range(8, 11)]
    units = plan_units(rows, import_threshold=5, batch_size=4)
    assert [u.kind for u in units] == ["import"] * 3  # 3 creations; 7 updates in 4 + 3
    assert [len(u.rows) for u in units] == [3, 4, 3]
    assert Cost.of(units).crm == 3


def test_three_way_sends_ours_keeps_theirs_and_skips_what_brevo_has() -> None:
    base = {"stage": "a", "owner": "ana", "amount": 100}
    ours = {"stage": "b", "owner": "ben", "amount": 200}
    theirs = {"stage": "a", "owner": "cleo", "amount": "200.0"}
    check = three_way(base, ours, theirs)
    assert check.send == {"stage": "b"}
    assert check.conflicts == (("owner", "ana", "ben", "cleo"),)


def test_backoff_doubles_and_is_capped() -> None:
    assert backoff(1) == timedelta(seconds=30)
    assert backoff(3) == timedelta(minutes=2)
    assert backoff(40) == timedelta(hours=6)


def test_select_values_fit_the_options_or_are_left_out_with_the_reason() -> None:
    catalogue = {
        "source": DealAttribute("source", "Source", "single-select", (("web", "Website"),))
    }
    fitted, problems = fit_to_catalogue({"source": "website", "amount": 3}, catalogue)
    assert fitted == {"source": "web", "amount": 3} and problems == []
    fitted, problems = fit_to_catalogue({"source": "ecommerce_order"}, catalogue)
    assert fitted == {} and "not an option" in problems[0] and "Website" in problems[0]


def test_drain_time_uses_what_is_left_then_whole_windows() -> None:
    assert drain_seconds(10, 100, 50, 600) == 0
    assert drain_seconds(120, 100, 50, 600) == 600  # the rest fits the next window
    assert drain_seconds(260, 100, 50, 600) == 600 + 2 * 3600
