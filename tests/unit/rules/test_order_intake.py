"""What a received order means (pure): its `orders` row, its deal, its renewal date, a
duplicate lead going to the customer's first seller."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from brevo_sync.domain.order_intake import (
    OWNER_ATTRIBUTE,
    deal_events,
    duplicate_lead,
    lead_keys,
    take_in,
    unmapped_stages,
)
from brevo_sync.domain.orders import ReceivedOrder, parse_order
from brevo_sync.domain.rules import Rulebook, RulesConfig
from brevo_sync.domain.rules.events import DuplicateLeadAssigned, NotificationRequested

from .conftest import ENTERPRISE, NOW, deal


def received(**fields: object) -> ReceivedOrder:
    data = {
        "id": "1001",
        "created_at": "2026-03-01T10:00:00Z",
        "amount": 7200,
        "customer": {"name": "Acme", "email": "Ann@Acme.test", "contact_id": 987654321},
        **fields,
    }
    return parse_order(data, default_currency="EUR")


def test_an_order_over_the_threshold_is_a_deal(book: Rulebook) -> None:
    intake = take_in(book, received(shop="eu"), source="file:a.jsonl", now=NOW)
    assert intake.deal is not None and intake.deal.key == "order:eu:1001"
    assert (intake.deal.pipeline, intake.deal.stage) == ("E-Commerce Upsell", "Proposal")
    record = intake.record
    assert (record.shop, record.order_id, record.kind, record.decision) == (
        "eu",
        "1001",
        "order",
        "deal",
    )
    assert record.deal_key == "order:eu:1001" and record.received_at == NOW
    assert record.payload["customer"]["email"] == "Ann@Acme.test"
    assert lead_keys(intake.deal) == {"contact:987654321", "email:ann@acme.test"}


def test_a_small_order_is_recorded_without_a_deal(book: Rulebook) -> None:
    intake = take_in(book, received(amount=10), source="s", now=NOW)
    assert intake.deal is None
    assert (intake.record.decision, intake.record.deal_key) == ("none", None)
    assert "below 5000" in intake.record.reason


def test_a_subscription_waits_for_its_renewal_date(book: Rulebook) -> None:
    expiry = NOW + timedelta(days=200)
    sub = received(type="subscription", annual_value=24000, expires_at=expiry.isoformat())
    waiting = take_in(book, sub, source="s", now=NOW)
    assert waiting.deal is None and waiting.record.decision == "waiting"
    assert waiting.record.renewal_due_at == expiry - timedelta(days=90)
    due = take_in(book, sub, source="s", now=expiry - timedelta(days=90))
    assert due.deal is not None and due.record.decision == "deal"
    assert due.record.deal_key == due.deal.key == f"renewal:default:1001:{expiry.date()}"


def test_no_renewal_rule_no_renewal(config: RulesConfig) -> None:
    commerce = config.commerce.model_copy(update={"renewal": None})
    book = Rulebook.build(config.model_copy(update={"commerce": commerce}))
    sub = received(type="subscription", annual_value=1, expires_at="2026-04-01")
    intake = take_in(book, sub, source="s", now=NOW)
    assert (intake.deal, intake.record.decision, intake.record.renewal_due_at) == (
        None,
        "none",
        None,
    )


def test_stages_the_mirror_lacks_are_named(config: RulesConfig) -> None:
    bare = Rulebook.build(config, [])  # no pipelines mirrored yet
    b2b = take_in(bare, received(customer={"name": "B", "b2b": True}), source="s", now=NOW)
    upsell = take_in(bare, received(id="2"), source="s", now=NOW)
    assert unmapped_stages([b2b.deal, upsell.deal, None]) == [
        ("E-Commerce Upsell", "Proposal"),
        ("Enterprise Sales", "Qualified"),
    ]


def test_a_duplicate_lead_goes_to_the_first_open_seller(book: Rulebook) -> None:
    new = take_in(book, received(), source="s", now=NOW).deal
    assert new is not None
    early = replace(
        deal("Closed Won", ENTERPRISE, id="won", owner="zoe"),
        created_at=datetime(2025, 1, 1, tzinfo=UTC),
    )  # closed: not a lead any more
    unowned = replace(deal(id="free", owner=None), created_at=datetime(2025, 6, 1, tzinfo=UTC))
    first = deal("QUALIFICATION", id="open", owner="alice")
    later = replace(deal(id="later", owner="bob"), created_at=datetime(2026, 2, 1, tzinfo=UTC))
    decision = duplicate_lead(book, new, [early, unowned, later, first])
    assert decision is not None
    assert (decision.existing_deal_id, decision.owner) == ("open", "alice")
    owned, events = deal_events(new, decision)
    assert owned.attributes[OWNER_ATTRIBUTE] == "alice" and owned.key == new.key
    assert events[0] is owned
    assigned = events[1]
    assert isinstance(assigned, DuplicateLeadAssigned) and assigned.deal_id == new.key
    assert [e.recipient_id for e in events if isinstance(e, NotificationRequested)] == ["alice"]


def test_no_open_owned_deal_no_duplicate(book: Rulebook) -> None:
    new = take_in(book, received(), source="s", now=NOW).deal
    assert new is not None
    won = deal("Closed Won", ENTERPRISE, id="won", owner="zoe")
    assert duplicate_lead(book, new, [won, deal(id="free", owner=None)]) is None
    owned, events = deal_events(new, None)
    assert owned is new and events == [new]
