"""Shopify's and WooCommerce's order payloads read into our own orders (B2B included), and
their problems named by the shop's own fields."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from brevo_sync.domain.inbox import dedupe_key, delivery_key, order_delivery, retry_delay
from brevo_sync.domain.orders import OrderInvalid, parse_order
from brevo_sync.domain.shop_orders import shopify_order, woocommerce_order, woocommerce_shop


def shopify(**changes: Any) -> dict[str, Any]:
    """An orders/create payload (the fields Shopify's REST Order resource documents)."""
    order: dict[str, Any] = {
        "id": 820982911946154508,
        "name": "#1001",
        "email": "jon@doe.test",
        "created_at": "2026-05-04T12:19:27+02:00",
        "total_price": "7200.00",
        "currency": "EUR",
        "tags": "vip, repeat",
        "note_attributes": [{"name": "gift", "value": "no"}],
        "customer": {"id": 115310627314723954, "email": "jon@doe.test", "first_name": "Jon",
                     "last_name": "Doe"},
        "billing_address": {"first_name": "Jon", "last_name": "Doe", "company": None},
        "line_items": [{"id": 1, "sku": "IPOD-1", "title": "IPod Nano", "quantity": 2,
                        "price": "199.00"}],
    }  # fmt: skip
    order.update(changes)
    return order


def woo(**changes: Any) -> dict[str, Any]:
    """An order.created payload (the wc/v3 Order resource)."""
    order: dict[str, Any] = {
        "id": 727,
        "number": "727",
        "status": "processing",
        "currency": "USD",
        "date_created": "2026-05-04T12:19:27",
        "date_created_gmt": "2026-05-04T10:19:27",
        "total": "29.35",
        "billing": {"first_name": "John", "last_name": "Doe", "company": "",
                    "email": "john.doe@example.test"},
        "line_items": [{"id": 315, "name": "Woo Single #1", "sku": "", "quantity": 2}],
        "meta_data": [],
    }  # fmt: skip
    order.update(changes)
    return order


def test_a_shopify_order_in_our_terms() -> None:
    order = shopify_order(shopify(), shop="acme.myshopify.com", default_currency="USD")
    assert (order.shop, order.id, order.kind) == (
        "acme.myshopify.com",
        "820982911946154508",
        "order",
    )
    assert order.amount is not None and order.amount.amount == Decimal("7200.00")
    assert order.amount.currency == "EUR"
    assert order.created_at == datetime(2026, 5, 4, 10, 19, 27, tzinfo=UTC)
    assert order.customer.name == "Jon Doe" and order.customer.email == "jon@doe.test"
    assert not order.customer.b2b and order.customer.contact_id is None


@pytest.mark.parametrize(
    "changes",
    [
        {"tags": "wholesale, B2B"},
        {"note_attributes": [{"name": "b2b", "value": "true"}]},
        {"billing_address": {"company": "Acme AG"}},
        {"company": {"id": 99, "location_id": 7}},  # Shopify's B2B orders
    ],
)
def test_shopify_b2b(changes: dict[str, Any]) -> None:
    order = shopify_order(shopify(**changes), shop="s", default_currency="EUR")
    assert order.customer.b2b


def test_shopify_customer_falls_back_to_billing_then_email() -> None:
    billing = {"first_name": "Ann", "last_name": "Lee", "company": None}
    order = shopify_order(
        shopify(customer=None, billing_address=billing), shop="s", default_currency="EUR"
    )
    assert order.customer.name == "Ann Lee"
    bare = shopify(customer=None, billing_address=None)
    assert shopify_order(bare, shop="s", default_currency="EUR").customer.name == "jon@doe.test"


def test_shopify_problems_name_shopify_fields() -> None:
    with pytest.raises(OrderInvalid) as caught:
        shopify_order(
            shopify(total_price="lots", created_at=None, email=None, customer=None,
                    billing_address=None),
            shop=None,
            default_currency="EUR",
        )  # fmt: skip
    fields = {p.field for p in caught.value.problems}
    assert fields == {"X-Shopify-Shop-Domain", "total_price", "created_at", "customer"}
    with pytest.raises(OrderInvalid, match="JSON object"):
        shopify_order([1, 2], shop="s", default_currency="EUR")


def test_a_woocommerce_order_in_our_terms() -> None:
    shop = woocommerce_shop("https://shop.example.test/")
    order = woocommerce_order(woo(), shop=shop, default_currency="EUR")
    assert (order.shop, order.id) == ("shop.example.test", "727")
    assert order.created_at == datetime(2026, 5, 4, 10, 19, 27, tzinfo=UTC)
    assert order.amount is not None and order.amount.amount == Decimal("29.35")
    assert order.customer.name == "John Doe" and not order.customer.b2b
    assert woocommerce_shop(None) is None and woocommerce_shop("http://x.test") == "x.test"


@pytest.mark.parametrize(
    "changes",
    [
        {"billing": {"company": "Beta GmbH", "email": "a@b.test"}},
        {"meta_data": [{"id": 1, "key": "_b2b", "value": "yes"}]},
        {"meta_data": [{"id": 1, "key": "b2b", "value": True}]},
    ],
)
def test_woocommerce_b2b(changes: dict[str, Any]) -> None:
    assert woocommerce_order(woo(**changes), shop="s", default_currency="EUR").customer.b2b


def test_woocommerce_problems_name_woocommerce_fields() -> None:
    with pytest.raises(OrderInvalid) as caught:
        woocommerce_order(
            woo(id=None, total=None, billing={}, date_created_gmt=None, date_created=None),
            shop=None,
            default_currency="EUR",
        )
    fields = {p.field for p in caught.value.problems}
    assert fields == {"id", "total", "billing", "date_created_gmt", "X-WC-Webhook-Source"}


def test_inbox_keys() -> None:
    order = shopify_order(shopify(), shop="acme", default_currency="EUR")
    assert dedupe_key(order) == "order:acme:820982911946154508"
    assert delivery_key("shopify", " w-1 ") == "shopify:w-1"
    assert delivery_key("orders", None) is None and delivery_key("orders", " ") is None
    assert len(delivery_key("orders", "x" * 400) or "") == 255
    assert delivery_key("orders", "x" * 400) != delivery_key("orders", "x" * 399 + "y")
    sub = parse_order(
        {"type": "subscription", "id": "s1", "annual_value": 100, "expires_at": "2027-01-31",
         "customer": {"name": "S"}},
        default_currency="EUR",
    )  # fmt: skip
    assert dedupe_key(sub) == "subscription:default:s1:2027-01-31T00:00:00Z"
    delivery = order_delivery(order, route="shopify", delivery_id="w1", headers={"a": "b"})
    assert parse_order(delivery.payload, default_currency="USD") == order  # stored, read back
    assert [retry_delay(n).total_seconds() for n in (0, 1, 2, 3)] == [0, 5, 10, 20]
    assert retry_delay(30).total_seconds() == 1800
