"""Moves made in Brevo, seen by a pull: one history row at Brevo's time, decided once."""

from __future__ import annotations

from brevo_sync.adapters.memory import MemoryMirror
from brevo_sync.service.context import ServiceContext
from tests.fakes import FakeBrevo
from tests.unit.service.support import pull


def history(ctx: ServiceContext, deal_id: str) -> list[tuple[str | None, str]]:
    with ctx.uow() as uow:
        return [(m.from_stage_id, m.to_stage_id) for m in uow.history.of_deal(deal_id)]


def pending_kinds(ctx: ServiceContext) -> list[str]:
    with ctx.uow() as uow:
        return [kind for _, kind, _ in uow.events.pending()]


def test_a_first_sight_is_history_without_decisions(ctx: ServiceContext, brevo: FakeBrevo) -> None:
    (deal_id,) = brevo.add(1, stage="s-won")  # already won when first seen: not won now
    report = pull(ctx)
    assert history(ctx, deal_id) == [(None, "s-won")]
    with ctx.uow() as uow:
        (entry,) = uow.history.of_deal(deal_id)
    assert entry.first_sight and entry.changed_at == brevo.now  # its creation
    assert report.stage_changes == 0 and report.decisions == 0
    assert pending_kinds(ctx) == []


def test_a_move_between_pulls_is_one_history_row_at_brevos_time(
    ctx: ServiceContext, brevo: FakeBrevo
) -> None:
    (deal_id,) = brevo.add(1)
    pull(ctx)
    brevo.tick(3600)
    brevo.edit(deal_id, deal_stage="s-qual")
    moved_at = brevo.now
    brevo.tick(120)  # noticed two minutes later: the row keeps Brevo's stage_updated_at
    report = pull(ctx)
    assert report.stage_changes == 1
    with ctx.uow() as uow:
        _, move = uow.history.of_deal(deal_id)
    assert (move.from_stage_id, move.to_stage_id, move.pipeline_id) == ("s-lead", "s-qual", "p1")
    assert move.changed_at == moved_at and move.source == "pull" and not move.first_sight
    assert move.owner == brevo.users["ana@example.com"]
    # Qualified's probability and task, decided for the move, and the write-back of the
    # attributes the rules set (Brevo made the move itself).
    kinds = pending_kinds(ctx)
    assert report.decisions == len(kinds)
    assert {"StageChanged", "TaskRequested", "UpdateDealRequested"} <= set(kinds)


def test_the_decisions_of_a_move_are_recorded_once(
    ctx: ServiceContext, brevo: FakeBrevo, mirror: MemoryMirror
) -> None:
    (deal_id,) = brevo.add(1)
    pull(ctx)
    brevo.tick(3600)
    brevo.edit(deal_id, deal_stage="s-won")
    moved = pull(ctx)
    events = mirror.events()
    assert moved.decisions == len(events) > 0
    # Enterprise Sales' Closed Won: onboarding, a loyalty bonus and the write-back.
    assert {"StageChanged", "OnboardingRequested", "UpdateDealRequested"} <= {
        e.kind for e in events
    }
    assert {e.deal_id for e in events} == {deal_id}
    assert {e.origin for e in events} == {"pull"}

    brevo.tick(2)  # inside the overlap: the moved deal is read again, unchanged
    again = pull(ctx)
    assert again.deals_read == 1 and again.deals_written == 0
    assert again.decisions == 0 and again.stage_changes == 0
    full = pull(ctx, full=True)
    assert full.decisions == 0 and full.stage_changes == 0
    assert mirror.events() == events
    assert history(ctx, deal_id) == [(None, "s-lead"), ("s-lead", "s-won")]


def test_an_edit_that_is_not_a_move_writes_the_deal_and_no_history(
    ctx: ServiceContext, brevo: FakeBrevo
) -> None:
    (deal_id,) = brevo.add(1)
    pull(ctx)
    brevo.tick(3600)
    brevo.edit(deal_id, amount=9000.0)
    report = pull(ctx)
    assert report.deals_written == 1 and report.stage_changes == 0 and report.decisions == 0
    assert history(ctx, deal_id) == [(None, "s-lead")]
    with ctx.uow() as uow:
        assert str(uow.deals.get([deal_id])[deal_id].amount) == "9000.0"
