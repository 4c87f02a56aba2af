"""Our own order JSON read into domain values: defaults, subscriptions, and every bad field
named with its line, never skipped silently."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from brevo_sync.domain.orders import (
    Customer,
    OrderInvalid,
    order_payload,
    parse_lines,
    parse_order,
)
from brevo_sync.domain.rules.money import Money

ORDER = {
    "id": 1001,
    "created_at": "2026-05-04T12:00:00+02:00",
    "amount": "7200.50",
    "currency": "eur",
    "customer": {"email": "Ann@Acme.test", "name": "Acme", "company": "Acme AG", "b2b": False},
    "items": [{"sku": "a", "category": "shoes"}, {"categories": ["bags", "shoes"]}, {"sku": "b"}],
}
SUBSCRIPTION = {
    "type": "subscription",
    "id": "s1",
    "shop": "eu",
    "annual_value": 24000,
    "expires_at": "2026-06-30",
    "customer": {"company": "Subco", "contact_id": "42", "company_id": "c9"},
}


def test_an_order_with_its_defaults() -> None:
    order = parse_order(ORDER, default_currency="EUR")
    assert (order.shop, order.id, order.kind) == ("default", "1001", "order")
    assert order.ref == "default/1001"
    assert order.amount == Money(Decimal("7200.50"), "EUR")
    assert order.created_at == datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
    assert order.customer == Customer("Acme", "Ann@Acme.test", "Acme AG", False)
    assert order.categories == ("shoes", "bags")
    domain = order.as_order()
    assert (domain.shop, domain.total.amount, domain.email) == (
        "default",
        Decimal("7200.50"),
        "Ann@Acme.test",
    )


def test_a_subscription_and_the_customer_ids() -> None:
    sub = parse_order(SUBSCRIPTION, default_currency="USD")
    assert (sub.kind, sub.shop, sub.amount) == ("subscription", "eu", None)
    assert sub.annual_value == Money(Decimal(24000), "USD")  # the rules' default currency
    assert sub.expires_at == datetime(2026, 6, 30, tzinfo=UTC)  # a date: midnight UTC
    assert sub.customer.name == "Subco"  # no name: the company names the deal
    assert (sub.customer.contact_id, sub.customer.company_id) == (42, "c9")
    assert sub.as_subscription().contact_id == 42


def test_the_stored_shape_reads_back_to_the_same_order() -> None:
    for data in (ORDER, SUBSCRIPTION):
        order = parse_order(data, default_currency="EUR")
        payload = order_payload(order)
        again = parse_order(json.loads(json.dumps(payload)), default_currency="GBP")
        assert again == order


def test_every_bad_field_is_named() -> None:
    data = {
        "id": True,
        "type": "refund",
        "amount": -5,
        "currency": "euro",
        "created_at": "yesterday",
        "customer": {"email": "nobody", "b2b": "yes", "contact_id": 0},
        "items": "shoes",
    }
    with pytest.raises(OrderInvalid) as caught:
        parse_order(data, default_currency="EUR")
    fields = [p.field for p in caught.value.problems]
    assert fields == [
        "type",
        "id",
        "currency",
        "created_at",
        "amount",
        "customer.email",
        "customer.b2b",
        "customer.contact_id",
        "items",
    ]
    assert "one of order, subscription, not 'refund'" in str(caught.value)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"id": None}, "id", "required"),
        ({"id": "x" * 129}, "id", "at most 128 characters"),
        ({"customer": None}, "customer", "required"),
        ({"customer": {}}, "customer.name", "required (or a company or an e-mail"),
        ({"amount": float("nan")}, "amount", "a finite number"),
        ({"amount": [1]}, "amount", "a number, not a list"),
        ({"items": [1]}, "items[0]", "an object, not a number"),
        ({"created_at": 1714816800}, "created_at", "an ISO 8601 date or time as text"),
    ],
)
def test_one_bad_field(change: dict[str, object], field: str, message: str) -> None:
    with pytest.raises(OrderInvalid) as caught:
        parse_order({**ORDER, **change}, default_currency="EUR")
    [problem] = caught.value.problems
    assert problem.field == field and message in problem.message


def test_a_subscription_needs_its_value_and_expiry() -> None:
    with pytest.raises(OrderInvalid) as caught:
        parse_order(
            {"type": "subscription", "id": "s", "customer": {"name": "A"}}, default_currency="EUR"
        )
    assert [p.field for p in caught.value.problems] == ["annual_value", "expires_at"]


def test_lines_report_their_numbers_and_skip_nothing_silently() -> None:
    lines = [
        json.dumps(ORDER),
        "",
        "# a comment",
        "{not json",
        "[1, 2]",
        json.dumps({**ORDER, "id": "1002", "amount": "lots"}),
        json.dumps(SUBSCRIPTION),
    ]
    parsed = parse_lines(lines, default_currency="EUR")
    assert [(line, o.id) for line, o in parsed.orders] == [(1, "1001"), (7, "s1")]
    assert parsed.blank == 2
    assert [str(p) for p in parsed.problems] == [
        "line 4: not JSON (Expecting property name enclosed in double quotes, column 2)",
        "line 5: a JSON object, not a list",
        "line 6, amount: a number, not 'lots'",
    ]
