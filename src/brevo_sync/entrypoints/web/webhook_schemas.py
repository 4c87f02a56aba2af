"""The OpenAPI description of the webhooks' bodies: the fields each route reads (others are
allowed and ignored). The routes read the raw body themselves (signatures are over its
bytes), so these schemas document it rather than validate it: a body that lacks what an order
needs is answered 422 naming each field."""

from __future__ import annotations

from typing import Any

_TEXT = {"type": "string"}
_ID = {"oneOf": [{"type": "string"}, {"type": "integer"}]}
_NUMBER = {"oneOf": [{"type": "number"}, {"type": "string"}]}
_TIME = {"type": "string", "description": "ISO 8601; without an offset: UTC"}


def _object(description: str, **properties: Any) -> dict[str, Any]:
    return {"type": "object", "description": description, "properties": properties}


_CUSTOMER = _object(
    "The customer: the deal is named by `name`, else `company`, else `email`.",
    email=_TEXT,
    name=_TEXT,
    company=_TEXT,
    b2b={"type": "boolean"},
    contact_id={"type": "integer", "description": "Brevo's contact id, to link the deal"},
    company_id={**_TEXT, "description": "Brevo's company id, to link the deal"},
)
_ITEMS = {
    "type": "array",
    "items": _object("A line; only its categories are read.", category=_TEXT),
}

OWN_ORDER = _object(
    "Our own order JSON (the shape `orders import` reads); an order is identified by shop + id.",
    id=_ID,
    shop={**_TEXT, "description": "default: `default`"},
    type={"type": "string", "enum": ["order"]},
    created_at=_TIME,
    amount=_NUMBER,
    currency={**_TEXT, "description": "3 letters; default: the rules' default currency"},
    customer=_CUSTOMER,
    items=_ITEMS,
)
OWN_SUBSCRIPTION = _object(
    "Our own subscription JSON: a renewal deal is queued 90 days before `expires_at`.",
    id=_ID,
    shop=_TEXT,
    type={"type": "string", "enum": ["subscription"]},
    annual_value=_NUMBER,
    expires_at=_TIME,
    currency=_TEXT,
    customer=_CUSTOMER,
)
SHOPIFY_ORDER = _object(
    "Shopify's Order resource as its orders/create webhook sends it (the fields read).",
    id={"type": "integer"},
    created_at=_TIME,
    total_price=_TEXT,
    currency=_TEXT,
    email=_TEXT,
    customer=_object("", email=_TEXT, first_name=_TEXT, last_name=_TEXT),
    billing_address=_object("", company=_TEXT, first_name=_TEXT, last_name=_TEXT),
    company=_object("Shopify's B2B orders: the buying company (makes the order B2B)."),
    tags={**_TEXT, "description": "comma-separated; `b2b` makes the order B2B"},
    note_attributes={"type": "array", "items": _object("", name=_TEXT, value=_TEXT)},
    line_items={"type": "array", "items": _object("", sku=_TEXT, title=_TEXT)},
)
WOOCOMMERCE_ORDER = _object(
    "WooCommerce's Order resource (wc/v3) as its order.created webhook sends it.",
    id={"type": "integer"},
    date_created_gmt=_TIME,
    total=_TEXT,
    currency=_TEXT,
    billing=_object("", first_name=_TEXT, last_name=_TEXT, company=_TEXT, email=_TEXT),
    meta_data={"type": "array", "items": _object("`b2b` or `_b2b` true: B2B", key=_TEXT)},
    line_items={"type": "array", "items": _object("", sku=_TEXT, name=_TEXT)},
)
WOOCOMMERCE_PING = _object(
    "The ping WooCommerce sends when a webhook is saved (unsigned).",
    webhook_id={"type": "integer"},
)
BREVO_EVENT = _object(
    "A Brevo Sales CRM webhook event (deal created, stage updated, attributes updated, "
    "association updated): only a hint that something changed; the pull reads what.",
)
