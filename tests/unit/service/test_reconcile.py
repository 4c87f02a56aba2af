"""The reconcile use case on the in-memory mirror against FakeBrevo (with a budget window)."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from brevo_sync.adapters.memory import MemoryMirror
from brevo_sync.config import load_settings
from brevo_sync.domain.budget import BudgetSnapshot
from brevo_sync.domain.deal import Deal
from brevo_sync.domain.reconcile import Allowance, compare, differing_fields
from brevo_sync.errors import ConfigError, Interrupted
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.reconcile import expected_walk_requests, reconcile
from tests.fakes import LIST
from tests.reconcile_support import (
    GET,
    WindowedBrevo,
    churn,
    live_mirror,
    remote_deals,
    run_until_complete,
    tombstones,
    tombstones_leave_every_figure,
)
from tests.unit.service.support import PAGE, memory_context, pull

DEALS = 100


@pytest.fixture
def brevo() -> WindowedBrevo:
    fake = WindowedBrevo(limit=20)
    fake.add(DEALS)
    return fake


@pytest.fixture
def ctx(mirror: MemoryMirror, brevo: WindowedBrevo) -> ServiceContext:
    """Pulled once; a reconcile run may spend 0.2 x 20 = 4 requests: about a third of a walk
    of 100 deals by pages of 10 (11 requests)."""
    context = replace(memory_context(mirror, brevo), reconcile_budget_share=0.2)
    brevo.limit = 1000
    pull(context)
    brevo.limit = 20
    return context


def test_churn_is_repaired_exactly_within_the_walk_and_one_get_per_suspect(
    ctx: ServiceContext, brevo: WindowedBrevo
) -> None:
    deleted, edited, added = churn(brevo)
    runs = run_until_complete(ctx, brevo)
    assert live_mirror(ctx) == remote_deals(brevo)
    assert tombstones(ctx) == deleted
    final = runs.reports[-1]
    assert final.walk_tally.missing == len(added)
    assert final.walk_tally.drifted == len(edited)
    assert final.walk_tally.gone == final.walk_tally.tombstoned == len(deleted)
    # The walk's pages (the list shrank by 5 and grew by 5: still 100 deals) plus one GET per
    # deal that looked missing, and nothing else.
    assert runs.pages <= expected_walk_requests(len(brevo.deals), PAGE)
    assert runs.gets == runs.suspects == len(deleted)
    assert {k for r in runs.reports for k in r.requests} == {LIST, GET}
    assert all(r.requests_total <= 4 for r in runs.reports)
    # About a third of the walk per run, and no run ends before its share is spent.
    assert len(runs.reports) == math.ceil((runs.pages + runs.gets) / 4)


def test_without_repair_it_reports_and_changes_nothing(
    ctx: ServiceContext, brevo: WindowedBrevo, mirror: MemoryMirror
) -> None:
    before = live_mirror(ctx)
    deleted, edited, added = churn(brevo)
    runs = run_until_complete(ctx, brevo, repair=False)
    assert live_mirror(ctx) == before and not tombstones(ctx)
    assert sum(r.missing for r in runs.reports) == len(added)
    assert sum(r.behind for r in runs.reports) == len(edited)
    assert sum(r.gone for r in runs.reports) == len(deleted)
    assert sum(r.repaired + r.tombstoned for r in runs.reports) == 0
    # A repairing walk afterwards starts afresh and fixes everything.
    run_until_complete(ctx, brevo)
    assert live_mirror(ctx) == remote_deals(brevo)
    assert tombstones(ctx) == deleted


def test_deletes_during_the_walk_skip_neighbours_that_a_get_finds_alive(
    ctx: ServiceContext, brevo: WindowedBrevo
) -> None:
    brevo.new_window()
    first = reconcile(ctx, repair=True)
    assert first.deals_walked == 40 and first.phase == "walk"
    # Deals behind the walk's offset vanish: the list shifts, three unread deals move behind it.
    gone = [d["id"] for d in brevo.deals[5:8]]
    for deal_id in gone:
        brevo.delete(deal_id)
    runs = run_until_complete(ctx, brevo)
    skipped = sum(r.skipped_by_paging for r in runs.reports)
    assert skipped == 3  # asked for once each, found alive, never tombstoned
    assert runs.gets == skipped
    # The deleted deals were seen by this walk before they went: the next walk finds them.
    assert not tombstones(ctx)
    brevo.tick()
    again = run_until_complete(ctx, brevo)
    assert again.gets == len(gone) and tombstones(ctx) == set(gone)
    assert live_mirror(ctx) == remote_deals(brevo)


def test_deals_created_after_the_walk_began_are_not_suspects(
    ctx: ServiceContext, brevo: WindowedBrevo
) -> None:
    brevo.new_window()
    reconcile(ctx, repair=True)
    brevo.tick(5)
    (late,) = brevo.add(1)
    brevo.limit = 1000
    pull(ctx)  # the mirror has it ...
    brevo.limit = 20
    brevo.delete(late)  # ... and Brevo deletes it before the walk gets there
    runs = run_until_complete(ctx, brevo)
    assert runs.gets == 0 and late not in tombstones(ctx)
    # The next walk began after it was created: now it is a suspect, and confirmed gone.
    brevo.tick()
    again = run_until_complete(ctx, brevo)
    assert again.gets == 1 and tombstones(ctx) == {late}


def test_drift_at_the_same_version_is_found_and_repaired(
    ctx: ServiceContext, brevo: WindowedBrevo
) -> None:
    target = brevo.deals[42]["id"]
    with ctx.uow() as uow:
        deal = uow.deals.get([target])[target]
        bent = replace(deal, amount=deal.amount + 1 if deal.amount else None, name="bent")
        uow.deals.upsert([bent], brevo.now)
        uow.commit()
    runs = run_until_complete(ctx, brevo)
    assert sum(r.differs for r in runs.reports) == 1
    fields = {k for r in runs.reports for k in r.drift_fields}
    assert fields == {"amount", "name"}
    assert live_mirror(ctx) == remote_deals(brevo)
    with ctx.uow() as uow:
        assert uow.deals.get([target])[target].name == f"Deal {target}"


def test_a_share_of_zero_spends_nothing(ctx: ServiceContext, brevo: WindowedBrevo) -> None:
    report = reconcile(replace(ctx, reconcile_budget_share=0.0), repair=True)
    assert report.requests == {} and report.pages == 0 and report.allowance == 0


def test_the_window_is_never_taken_below_what_the_share_leaves(
    ctx: ServiceContext, brevo: WindowedBrevo
) -> None:
    brevo.new_window()
    for _ in range(17):  # others spent 17 of the window's 20: 16 must stay for them
        brevo.requests.add("GET /crm/pipeline/details/all")
    report = reconcile(ctx, repair=True)
    assert report.requests == {}


def test_a_stop_between_pages_is_resumed_without_a_repeated_request(
    ctx: ServiceContext, brevo: WindowedBrevo
) -> None:
    class StopAfterTwo:
        pages = 0

        def page(self, read: int, written: int) -> None:
            self.pages += 1
            if self.pages == 2:
                ctx.stop.request("test stop")

    brevo.new_window()
    calls_before = len(brevo.calls)
    with pytest.raises(Interrupted):
        reconcile(ctx, repair=True, progress=StopAfterTwo())
    with ctx.uow() as uow:
        assert uow.runs.running() == []
        walk = uow.reconcile.get().walk
    assert walk is not None and walk.offset == 2 * PAGE
    ctx.stop._event.clear()
    runs = run_until_complete(ctx, brevo)
    offsets = [c.offset for c in brevo.calls[calls_before:]]
    assert offsets == sorted(set(offsets))  # every page asked for once
    assert runs.gets == 0 and not tombstones(ctx)


def test_allowance_is_a_share_of_the_window_and_leaves_the_rest() -> None:
    share = Allowance(0.5)
    window = BudgetSnapshot(limit=100, remaining=100, reset_at=None)
    assert share.cap(window) == 50 and share.left(window, 0) == 50
    assert share.left(replace(window, remaining=70), 30) == 20
    assert share.left(replace(window, remaining=60), 0) == 10  # others spent 40
    assert share.left(replace(window, remaining=40), 0) == 0
    unknown = BudgetSnapshot(limit=None, remaining=None, reset_at=None, source="unknown")
    assert share.left(unknown, 0) == 1 and share.left(unknown, 1) == 0
    assert Allowance(0.001).cap(window) == 1 and Allowance(0).left(window, 0) == 0
    assert math.isclose(Allowance(1).cap(window) or 0, 100)


def test_comparison_names_what_differs() -> None:
    base = Deal(id="d1", name="A", attributes={"amount": 1, "x": "y"})
    assert compare(None, False, base) is not None
    assert compare(base, True, base).kind == "missing"  # type: ignore[union-attr]
    assert compare(base, False, base) is None
    other = replace(base, name="B", attributes={"amount": 1})
    assert differing_fields(base, other) == ("name", "attributes.x")


def test_tombstones_leave_every_figure(ctx: ServiceContext, brevo: WindowedBrevo) -> None:
    tombstones_leave_every_figure(ctx, brevo)


@pytest.mark.parametrize("value", ["1.5", "-0.1", "half"])
def test_the_budget_share_setting_is_validated(value: str) -> None:
    with pytest.raises(ConfigError, match=r"^BREVO_SYNC_RECONCILE_BUDGET_SHARE: "):
        load_settings(reconcile_budget_share=value)
    assert load_settings(reconcile_budget_share="0.25").reconcile_budget_share == 0.25
