"""The inbox in memory: each delivery and each order recorded once; processing queues the deal
once, retries with a growing delay and dead-letters with the reason; Brevo's hints settled by
one debounced pull."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

from brevo_sync.adapters.memory import MemoryMirror
from brevo_sync.domain.inbox import Delivery, InboxFilter, InboxRow, order_delivery
from brevo_sync.domain.orders import parse_order
from brevo_sync.domain.outbox import OutboxFilter
from brevo_sync.errors import BrevoUnavailable
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.hints import HintPuller, pull_for_hints
from brevo_sync.service.inbox import accept_delivery, process_inbox, retry_inbox, show_inbox
from brevo_sync.service.pull import PullReport
from tests.fakes import FakeBrevo
from tests.unit.service.support import memory_context, pull
from tests.unit.service.test_orders import PIPELINES


def setup(*, pulled: bool = True, deals: int = 2) -> tuple[FakeBrevo, ServiceContext]:
    brevo = FakeBrevo()
    brevo.pipelines += PIPELINES
    brevo.add(deals)
    ctx = memory_context(MemoryMirror(), brevo)
    if pulled:
        pull(ctx, full=True)
    return brevo, ctx


def order_json(order_id: str = "1001", **fields: Any) -> dict[str, Any]:
    return {
        "id": order_id,
        "created_at": "2026-01-01T08:00:00Z",
        "amount": 7200,
        "currency": "EUR",
        "customer": {"name": "Acme", "email": "ann@acme.test"},
        **fields,
    }


def delivery(order_id: str = "1001", *, route: str = "orders", sent: str | None = None,
             **fields: Any) -> Delivery:  # fmt: skip
    order = parse_order(order_json(order_id, **fields), default_currency="EUR")
    return order_delivery(order, route=route, delivery_id=sent)


def rows(ctx: ServiceContext, *states: str) -> list[InboxRow]:
    query = InboxFilter(states=states or ("pending", "done", "dead"), limit=None)  # type: ignore[arg-type]
    with ctx.uow() as uow:
        return sorted(uow.inbox.find(query), key=lambda r: r.id)


def creations(ctx: ServiceContext) -> list[str]:
    with ctx.uow() as uow:
        found = uow.outbox.find(OutboxFilter(states=("pending",), limit=None))
    return [r.key for r in found if r.kind == "create_deal"]


def test_a_delivery_and_an_order_are_recorded_once() -> None:
    _, ctx = setup()
    first = accept_delivery(ctx, delivery(route="shopify", sent="w1"))
    assert not first.duplicate
    assert accept_delivery(ctx, delivery(route="shopify", sent="w1")).duplicate  # a retry
    through_other_route = accept_delivery(ctx, delivery(route="orders", sent="own-7"))
    assert through_other_route.duplicate and through_other_route.row_id == first.row_id
    other_shop = accept_delivery(ctx, delivery(shop="us", route="orders", sent="own-8"))
    assert not other_shop.duplicate
    sub = {"type": "subscription", "annual_value": 24000, "expires_at": "2027-06-30"}
    assert not accept_delivery(ctx, delivery("s1", **sub)).duplicate
    assert accept_delivery(ctx, delivery("s1", **sub)).duplicate
    renewed = {**sub, "expires_at": "2028-06-30"}  # received again with a later expiry: news
    assert not accept_delivery(ctx, delivery("s1", **renewed)).duplicate
    assert len(rows(ctx, "pending")) == 4


def test_processing_queues_the_deal_once_and_records_what_came_of_it() -> None:
    _, ctx = setup()
    accept_delivery(ctx, delivery(route="shopify", sent="w1"))
    small = accept_delivery(ctx, delivery("1002", amount=120))
    # The same order without a dedupe key (as if two rows had slipped in): still one deal.
    again = Delivery("orders", "order", delivery().payload, dedupe_key=None)
    accept_delivery(ctx, again)
    report = process_inbox(ctx)
    assert (report.claimed, report.done, report.retrying, report.dead) == (3, 3, 0, 0)
    assert creations(ctx) == ["order:default:1001"]
    outcomes = {r.id: r.outcome or "" for r in rows(ctx, "done")}
    assert outcomes[1].startswith("deal order:default:1001 queued in E-Commerce Upsell / Proposal")
    assert outcomes[small.row_id].startswith("no deal:")
    assert outcomes[3].startswith("already received")
    assert show_inbox(ctx, 1).attempts == 1
    assert process_inbox(ctx).claimed == 0


def test_a_failure_is_retried_later_then_dead_with_its_reason() -> None:
    brevo, ctx = setup(pulled=False)  # no pipelines in the mirror: the deal cannot be queued
    accepted = accept_delivery(ctx, delivery())
    first = process_inbox(ctx, max_attempts=2)
    assert (first.claimed, first.retrying) == (1, 1)
    [row] = rows(ctx, "pending")
    assert "brevo-sync pull" in (row.last_error or "")
    assert row.next_attempt_at == brevo.now + timedelta(seconds=5)
    assert process_inbox(ctx, max_attempts=2).claimed == 0  # not due yet
    brevo.now += timedelta(seconds=6)
    second = process_inbox(ctx, max_attempts=2)
    assert second.dead == 1
    [dead] = rows(ctx, "dead")
    assert dead.attempts == 2 and "brevo-sync pull" in (dead.last_error or "")

    pull(ctx, full=True)
    assert retry_inbox(ctx, [], all_dead=True) == 1
    done = process_inbox(ctx)
    assert done.done == 1 and creations(ctx) == ["order:default:1001"]
    assert show_inbox(ctx, accepted.row_id).state == "done"


def test_an_unreadable_row_is_dead_at_once_and_does_not_hold_the_others_back() -> None:
    _, ctx = setup()
    accept_delivery(ctx, Delivery("orders", "order", {"id": "x"}, dedupe_key="order:bad:x"))
    accept_delivery(ctx, delivery())
    report = process_inbox(ctx)
    assert (report.dead, report.done) == (1, 1)
    assert "cannot be read" in (rows(ctx, "dead")[0].last_error or "")


def hint(ctx: ServiceContext, n: int = 1) -> None:
    for _ in range(n):
        accept_delivery(ctx, Delivery("brevo", "brevo_hint", {"event": "deal_stage_updated"}))


def test_hints_are_settled_by_one_incremental_pull() -> None:
    brevo, ctx = setup(deals=25)  # more than a page: the account has shown a full one
    assert pull_for_hints(ctx) == pull_for_hints(ctx)  # nothing pending: nothing happens
    calls = len(brevo.calls)
    hint(ctx, 100)
    brevo.edit(brevo.deals[0]["id"], amount=999)
    report = pull_for_hints(ctx)
    assert report.pulled and report.hints == 100 and report.deals_written == 1
    assert len(brevo.calls) - calls == 1  # one list request for the whole burst
    assert all(r.outcome and r.outcome.startswith("pulled") for r in rows(ctx, "done"))


def test_a_busy_mirror_or_a_failed_pull_leaves_the_hints_pending() -> None:
    brevo, ctx = setup()
    hint(ctx, 3)
    with ctx.lock().hold("push"):
        assert pull_for_hints(ctx).busy
    assert len(rows(ctx, "pending")) == 3
    brevo.fail_on_call = 0
    brevo.fail_next = {}
    failed = pull_for_hints(ctx, max_attempts=2)
    assert failed.error and not failed.pulled
    assert {r.attempts for r in rows(ctx, "pending")} == {1}
    pull_for_hints(ctx, max_attempts=2)
    assert len(rows(ctx, "dead")) == 3
    brevo.fail_on_call = None
    hint(ctx)
    assert pull_for_hints(ctx).hints == 1


def test_a_burst_of_hints_wakes_one_pull_after_the_debounce() -> None:
    _, ctx = setup()
    pulls: list[float] = []

    def fake_pull(c: ServiceContext) -> PullReport:
        pulls.append(time.monotonic())
        return PullReport(full=False, resumed=False)

    puller = HintPuller(ctx, debounce_seconds=0.3, poll_seconds=0.05, pull=fake_pull)
    thread = threading.Thread(target=puller.run, daemon=True)
    thread.start()
    try:
        started = time.monotonic()
        for _ in range(100):
            hint(ctx)
            puller.wake()
        deadline = time.monotonic() + 5
        while rows(ctx, "pending") and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not rows(ctx, "pending")
        assert len(pulls) == 1 and pulls[0] - started >= 0.3
    finally:
        puller.stop()
        thread.join(2)
    assert not thread.is_alive()


def test_failed_pull_errors_are_reported_not_raised() -> None:
    _, ctx = setup()
    hint(ctx)

    def failing(c: ServiceContext) -> PullReport:
        raise BrevoUnavailable("Brevo is down")

    report = pull_for_hints(ctx, pull=failing)
    assert report.error == "Brevo is down"
    assert rows(ctx, "pending")[0].last_error == "Brevo is down"
