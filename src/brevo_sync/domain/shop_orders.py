"""Shopify's and WooCommerce's order payloads read into our own order JSON (`domain/orders.py`).

Shopify (`orders/create`, the REST Order resource): `id`, `created_at`, `total_price`,
`currency`, `email`, `customer{email, first_name, last_name}`, `billing_address{company,
first_name, last_name}`, `line_items[{sku, title, quantity}]`, `tags` (comma-separated),
`note_attributes[{name, value}]`, and on Shopify's B2B orders a `company{id, location_id}`.

WooCommerce (`order.created`, the wc/v3 Order resource): `id`, `date_created_gmt` (UTC, no
offset; else `date_created`, the shop's time, read as UTC), `total`, `currency`,
`billing{first_name, last_name, company, email}`, `line_items[{sku, name, quantity}]`,
`meta_data[{key, value}]`.

B2B (seed 000: any B2B order becomes a deal): an order is B2B when it names a company (Shopify's
B2B `company`, or a company in the billing address), or is marked `b2b`: a Shopify tag `b2b`,
a Shopify note attribute or WooCommerce meta field `b2b` (or `_b2b`) with a true value (`true`,
`yes`, `1`, `on`). The customer is named by first and last name, else the company, else the
e-mail. Shop ids are not Brevo ids: no contact or company is linked from them.

Every problem is an `OrderInvalid` naming the shop's own field (`total_price`, not `amount`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from brevo_sync.domain.orders import FieldProblem, OrderInvalid, ReceivedOrder, parse_order

TRUE_WORDS = frozenset({"true", "yes", "1", "on", "y"})
B2B_NAMES = frozenset({"b2b", "_b2b"})

# Our field -> Shopify's, WooCommerce's: a problem parse_order finds is named as the shop does.
_SHOPIFY_FIELDS = {
    "id": "id",
    "created_at": "created_at",
    "amount": "total_price",
    "currency": "currency",
    "customer.email": "email",
    "customer.name": "customer",
    "shop": "X-Shopify-Shop-Domain",
}
_WOO_FIELDS = {
    "id": "id",
    "created_at": "date_created_gmt",
    "amount": "total",
    "currency": "currency",
    "customer.email": "billing.email",
    "customer.name": "billing",
    "shop": "X-WC-Webhook-Source",
}


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _true(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value)
    return text is not None and text.lower() in TRUE_WORDS


def _named(pairs: Any, name_key: str) -> bool:
    """A `b2b` entry with a true value among [{name_key: ..., value: ...}]."""
    if not isinstance(pairs, list):
        return False
    return any(
        isinstance(p, Mapping)
        and str(p.get(name_key, "")).strip().lower() in B2B_NAMES
        and _true(p.get("value"))
        for p in pairs
    )


def _person(first: Any, last: Any) -> str | None:
    name = " ".join(p for p in (_text(first), _text(last)) if p)
    return name or None


def _items(lines: Any, name_key: str) -> list[dict[str, Any]]:
    if not isinstance(lines, list):
        return []
    items = []
    for line in lines:
        if isinstance(line, Mapping):
            item = {"sku": _text(line.get("sku")), "name": _text(line.get(name_key))}
            item["quantity"] = line.get("quantity")
            items.append(item)
    return items


def _parse(data: dict[str, Any], fields: Mapping[str, str], default_currency: str) -> ReceivedOrder:
    """parse_order, its problems named by the shop's fields; a missing shop is one more."""
    problems = []
    if data["shop"] is None:
        problems.append(FieldProblem(fields["shop"], "required (the header naming the shop)"))
    try:
        order = parse_order(data, default_currency=default_currency)
    except OrderInvalid as exc:
        problems += [
            FieldProblem(fields.get(p.field or "", p.field), p.message) for p in exc.problems
        ]
        raise OrderInvalid(problems) from None
    if problems:
        raise OrderInvalid(problems)
    return order


def _object(data: Any) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise OrderInvalid([FieldProblem(None, "the order must be a JSON object")])
    return data


def shopify_order(data: Any, *, shop: str | None, default_currency: str) -> ReceivedOrder:
    """A Shopify order (`orders/create`) from shop `shop` (`X-Shopify-Shop-Domain`)."""
    order = _object(data)
    customer = _mapping(order.get("customer"))
    billing = _mapping(order.get("billing_address"))
    email = _text(order.get("email")) or _text(customer.get("email"))
    email = email or _text(order.get("contact_email"))
    company = _text(billing.get("company"))
    name = _person(customer.get("first_name"), customer.get("last_name")) or _person(
        billing.get("first_name"), billing.get("last_name")
    )
    tags = {t.strip().lower() for t in str(order.get("tags") or "").split(",")}
    b2b = bool(_mapping(order.get("company")) or company or "b2b" in tags) or _named(
        order.get("note_attributes"), "name"
    )
    ours = {
        "id": order.get("id"),
        "shop": shop,
        "created_at": order.get("created_at"),
        "amount": order.get("total_price"),
        "currency": order.get("currency") or order.get("presentment_currency"),
        "customer": {"name": name, "email": email, "company": company, "b2b": b2b},
        "items": _items(order.get("line_items"), "title"),
    }
    return _parse(ours, _SHOPIFY_FIELDS, default_currency)


def woocommerce_shop(source: str | None) -> str | None:
    """`X-WC-Webhook-Source` (the shop's home URL) as a shop name: `https://shop.test/` ->
    `shop.test`, so our own JSON can name the same shop simply."""
    text = _text(source)
    if text is None:
        return None
    for scheme in ("https://", "http://"):
        if text.lower().startswith(scheme):
            text = text[len(scheme) :]
    return text.rstrip("/") or None


def woocommerce_order(data: Any, *, shop: str | None, default_currency: str) -> ReceivedOrder:
    """A WooCommerce order (`order.created`) from shop `shop` (`woocommerce_shop` of
    `X-WC-Webhook-Source`)."""
    order = _object(data)
    billing = _mapping(order.get("billing"))
    company = _text(billing.get("company"))
    b2b = bool(company) or _named(order.get("meta_data"), "key")
    created = order.get("date_created_gmt") or order.get("date_created")
    ours = {
        "id": order.get("id"),
        "shop": shop,
        "created_at": created,
        "amount": order.get("total"),
        "currency": order.get("currency"),
        "customer": {
            "name": _person(billing.get("first_name"), billing.get("last_name")),
            "email": _text(billing.get("email")),
            "company": company,
            "b2b": b2b,
        },
        "items": _items(order.get("line_items"), "name"),
    }
    return _parse(ours, _WOO_FIELDS, default_currency)
