"""Orders in, in memory: each (shop, id) recorded once with its deal queued once; duplicate
leads to the first seller; unmapped stages refused before anything is recorded; renewals
queued once when due."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from brevo_sync.adapters.memory import MemoryMirror
from brevo_sync.domain.order_intake import OrderRecord
from brevo_sync.domain.orders import ReceivedOrder, parse_order
from brevo_sync.domain.outbox import OutboxFilter, OutboxRow
from brevo_sync.errors import ConfigError
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.orders import import_orders, receive_orders
from brevo_sync.service.renewals import queue_renewals
from tests.fakes import FakeBrevo
from tests.unit.service.support import memory_context, pull

PIPELINES = [
    {
        "pipeline": "p2",
        "pipeline_name": "E-Commerce Upsell",
        "stages": [{"id": "u-prop", "name": "Proposal"}, {"id": "u-won", "name": "Closed Won"}],
    },
    {
        "pipeline": "p3",
        "pipeline_name": "Renewals",
        "stages": [{"id": "r-qual", "name": "Qualified"}, {"id": "r-won", "name": "Closed Won"}],
    },
]


def setup(*, pulled: bool = True, deals: int = 2) -> tuple[FakeBrevo, ServiceContext]:
    brevo = FakeBrevo()
    brevo.pipelines += PIPELINES
    brevo.add(deals)  # ana's deals in Enterprise Sales / Lead, linked to contact 1
    ctx = memory_context(MemoryMirror(), brevo)
    if pulled:
        pull(ctx, full=True)
    return brevo, ctx


def order(order_id: str = "1001", **fields: Any) -> ReceivedOrder:
    data = {
        "id": order_id,
        "created_at": "2026-01-01T08:00:00Z",
        "amount": 7200,
        "currency": "EUR",
        "customer": {"name": "Acme", "email": "ann@acme.test"},
        **fields,
    }
    return parse_order(data, default_currency="EUR")


def subscription(expires_in: timedelta, brevo: FakeBrevo, **fields: Any) -> ReceivedOrder:
    expiry = (brevo.now + expires_in).isoformat()
    return order("s1", type="subscription", annual_value=24000, expires_at=expiry, **fields)


def outbox(ctx: ServiceContext) -> list[OutboxRow]:
    with ctx.uow() as uow:
        return uow.outbox.find(OutboxFilter(states=("pending",), limit=None))


def recorded(ctx: ServiceContext, shop: str, order_id: str) -> OrderRecord | None:
    with ctx.uow() as uow:
        return uow.orders.get(shop, order_id)


def test_an_order_is_recorded_once_and_its_deal_queued_once() -> None:
    _, ctx = setup()
    first = receive_orders(ctx, [order()], source="file:a.jsonl")
    [outcome] = first.outcomes
    assert (outcome.outcome, outcome.deal_key, outcome.rows) == ("deal", "order:default:1001", 1)
    [row] = outbox(ctx)
    assert (row.kind, row.key, row.origin) == ("create_deal", "order:default:1001", "orders")
    assert (row.payload["pipeline_id"], row.payload["stage_id"]) == ("p2", "u-prop")
    assert row.payload["attributes"]["brevo_sync_ref"] == "order:default:1001"
    assert row.payload["attributes"]["email"] == "ann@acme.test"
    record = recorded(ctx, "default", "1001")
    assert record is not None and (record.decision, record.source) == ("deal", "file:a.jsonl")

    again = receive_orders(ctx, [order(amount=9999)], source="file:b.jsonl")  # another file
    [repeat] = again.outcomes
    assert (repeat.outcome, repeat.rows, again.rows) == ("already_received", 0, 0)
    assert "from file:a.jsonl" in repeat.reason and repeat.deal_key == "order:default:1001"
    assert len(outbox(ctx)) == 1


def test_two_shops_are_two_orders_and_a_repeat_in_one_batch_is_one() -> None:
    _, ctx = setup()
    report = receive_orders(
        ctx, [order(), order(shop="us"), order(), order("7", amount=10)], source="x"
    )
    assert [o.outcome for o in report.outcomes] == [
        "deal",
        "deal",
        "already_received",
        "no_deal",
    ]
    assert report.outcomes[2].reason == "already received earlier in this batch"
    assert "below 5000" in report.outcomes[3].reason
    assert sorted(r.key for r in outbox(ctx)) == ["order:default:1001", "order:us:1001"]
    assert (report.rows, report.count("deal")) == (2, 2)
    small = recorded(ctx, "default", "7")
    assert small is not None and (small.decision, small.deal_key) == ("none", None)


def test_a_duplicate_lead_goes_to_the_first_seller_who_is_told() -> None:
    brevo, ctx = setup()
    ana = brevo.user("ana@example.com")
    report = receive_orders(ctx, [order(customer={"name": "Acme", "contact_id": 1})], source="x")
    [outcome] = report.outcomes
    assert (outcome.first_seller, outcome.existing_deal_id) == (ana, "d000000")
    rows = {r.kind: r for r in outbox(ctx)}
    # The creation carries the first seller: no second request to set the owner.
    assert set(rows) == {"create_deal", "create_note"}
    assert rows["create_deal"].payload["attributes"]["deal_owner"] == ana
    assert rows["create_note"].payload["to"] == ana
    assert outcome.rows == 2


def test_closed_deals_are_no_duplicate() -> None:
    brevo, ctx = setup(deals=1)
    brevo.edit("d000000", deal_stage="s-won")
    pull(ctx)
    report = receive_orders(ctx, [order(customer={"name": "Acme", "contact_id": 1})], source="x")
    assert report.outcomes[0].first_seller is None
    assert [r.kind for r in outbox(ctx) if r.origin == "orders"] == ["create_deal"]


def test_a_stage_the_mirror_lacks_refuses_the_batch_and_records_nothing() -> None:
    _, ctx = setup(pulled=False)
    with pytest.raises(ConfigError, match=r"E-Commerce Upsell / Proposal .* `brevo-sync pull`"):
        receive_orders(ctx, [order("small", amount=1), order()], source="x")
    assert recorded(ctx, "default", "small") is None and outbox(ctx) == []
    # Orders that make no deal need no stage.
    fine = receive_orders(ctx, [order("small", amount=1)], source="x")
    assert fine.outcomes[0].outcome == "no_deal"


def test_a_dry_run_reports_the_same_and_records_nothing() -> None:
    _, ctx = setup()
    dry = receive_orders(ctx, [order(), order(shop="us")], source="x", dry_run=True)
    assert (dry.count("deal"), dry.rows, dry.dry_run) == (2, 2, True)
    assert outbox(ctx) == [] and recorded(ctx, "default", "1001") is None


def test_a_subscription_waits_then_gets_one_renewal_deal() -> None:
    brevo, ctx = setup()
    report = receive_orders(ctx, [subscription(timedelta(days=120), brevo)], source="x")
    assert report.outcomes[0].outcome == "waiting" and outbox(ctx) == []
    record = recorded(ctx, "default", "s1")
    assert record is not None and record.expires_at is not None
    assert record.renewal_due_at == record.expires_at - timedelta(days=90)

    assert queue_renewals(ctx).queued.outcomes == []  # not due yet
    brevo.now += timedelta(days=31)
    renewals = queue_renewals(ctx)
    [renewal] = renewals.queued.outcomes
    key = f"renewal:default:s1:{record.expires_at.date()}"
    assert (renewal.outcome, renewal.deal_key, renewal.stage) == ("deal", key, "Qualified")
    [row] = outbox(ctx)
    assert row.key == key and row.payload["pipeline_id"] == "p3"
    assert queue_renewals(ctx).queued.outcomes == []  # once
    after = recorded(ctx, "default", "s1")
    assert after is not None and (after.decision, after.deal_key) == ("deal", key)


def test_a_subscription_due_at_import_is_renewed_at_once_and_a_renewed_one_waits_again() -> None:
    brevo, ctx = setup()
    receive_orders(ctx, [subscription(timedelta(days=30), brevo)], source="x")
    [first] = outbox(ctx)
    assert first.key.startswith("renewal:default:s1:")
    extended = receive_orders(ctx, [subscription(timedelta(days=395), brevo)], source="x")
    [outcome] = extended.outcomes
    assert outcome.outcome == "extended" and "renewal deal is due from" in outcome.reason
    brevo.now += timedelta(days=306)
    [renewal] = queue_renewals(ctx).queued.outcomes
    assert renewal.deal_key != first.key
    assert len(outbox(ctx)) == 2
    # The same expiry again is only a repeat.
    repeat = receive_orders(ctx, [subscription(timedelta(days=395 - 306), brevo)], source="x")
    assert repeat.outcomes[0].outcome == "already_received"


def test_import_reads_lines_and_names_the_refused_ones() -> None:
    _, ctx = setup()
    lines = [
        json.dumps(
            {"id": "1", "created_at": "2026-01-01", "amount": 6000, "customer": {"name": "A"}}
        ),
        '{"id": "2"}',
        json.dumps({"id": "3", "created_at": "2026-01-01", "amount": 6, "customer": {"name": "C"}}),
    ]
    report = import_orders(ctx, lines, source="file:day.jsonl")
    assert report.lines == [1, 3]
    assert [o.outcome for o in report.received.outcomes] == ["deal", "no_deal"]
    assert [(p.line, p.field) for p in report.parsed.problems] == [
        (2, "created_at"),
        (2, "amount"),
        (2, "customer"),
    ]
    assert [r.key for r in outbox(ctx)] == ["order:default:1"]
