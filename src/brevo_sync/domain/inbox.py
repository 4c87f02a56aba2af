"""The inbox: every webhook delivery accepted, kept until it is processed (and after).

A delivery is answered 2xx only once its row is committed, so nothing accepted is lost; it is
processed after the answer (orders and subscriptions through `receive_orders`, Brevo's hints
by an early pull). Two keys keep a delivery from counting twice:

- `delivery_key`: route + the sender's delivery id (`X-Shopify-Webhook-Id`,
  `X-WC-Webhook-Delivery-ID`, `X-Brevo-Sync-Delivery-Id`): a shop retrying a delivery.
- `dedupe_key`: kind + shop + order id (a subscription: + its expiry, so a renewed one is news):
  the same order sent twice, or through two routes.

Life of a row (`state`):
- pending: due at `next_attempt_at`. Claiming it for processing counts an attempt and moves
           `next_attempt_at` a lease ahead, so a worker that dies mid-way leaves it to be
           claimed again once the lease is over.
- done:    processed; `outcome` says what came of it (a deal queued, no deal and why, ...).
- dead:    failed `max_attempts` times, or can never succeed; `last_error` says why.
           `inbox retry` puts it back.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from brevo_sync.domain.orders import ReceivedOrder, order_payload

InboxState = Literal["pending", "done", "dead"]
INBOX_STATES: tuple[InboxState, ...] = ("pending", "done", "dead")
InboxKind = Literal["order", "subscription", "brevo_hint"]
INBOX_KINDS: tuple[InboxKind, ...] = ("order", "subscription", "brevo_hint")
ORDER_KINDS: tuple[InboxKind, ...] = ("order", "subscription")

# Column sizes of `inbox`: longer keys are cut (a hash keeps them apart), never refused.
MAX_KEY = 255
MAX_ROUTE = 32

# Retries: 5 s, 10 s, 20 s ... capped at 30 min; dead after `max_attempts` (a setting).
FIRST_RETRY = timedelta(seconds=5)
MAX_RETRY = timedelta(minutes=30)
# How long a claimed row is left to its worker before another may take it.
CLAIM_LEASE = timedelta(minutes=5)


def retry_delay(attempts: int) -> timedelta:
    """How long a row waits after its `attempts`-th failed attempt."""
    if attempts <= 0:
        return timedelta(0)
    wait: timedelta = FIRST_RETRY * (2 ** min(attempts - 1, 20))
    return min(wait, MAX_RETRY)


@dataclass(frozen=True, slots=True)
class Delivery:
    """A webhook delivery, checked and ready to be recorded."""

    route: str  # shopify, woocommerce, orders, subscriptions, brevo
    kind: InboxKind
    payload: dict[str, Any]  # orders: our own order JSON (`orders.order_payload`)
    headers: dict[str, str] = field(default_factory=dict)  # never signatures or tokens
    delivery_key: str | None = None
    dedupe_key: str | None = None


@dataclass(frozen=True, slots=True)
class InboxRow:
    id: int
    route: str
    kind: InboxKind
    delivery_key: str | None
    dedupe_key: str | None
    payload: dict[str, Any]
    headers: dict[str, str]
    state: InboxState
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    received_at: datetime
    processed_at: datetime | None = None
    outcome: str | None = None


@dataclass(frozen=True, slots=True)
class InboxFilter:
    states: tuple[InboxState, ...] = ("pending", "dead")
    kinds: tuple[InboxKind, ...] = ()
    limit: int | None = 50


def _bounded(key: str) -> str:
    if len(key) <= MAX_KEY:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"{key[: MAX_KEY - 17]}~{digest}"


def delivery_key(route: str, delivery_id: str | None) -> str | None:
    """The key of a sender's delivery id on a route (None without an id)."""
    if delivery_id is None or not delivery_id.strip():
        return None
    return _bounded(f"{route}:{delivery_id.strip()}")


def dedupe_key(order: ReceivedOrder) -> str:
    """kind + shop + id; a subscription also by its expiry (received again with a later one,
    it was renewed: news, not a duplicate)."""
    key = f"{order.kind}:{order.shop}:{order.id}"
    if order.kind == "subscription" and order.expires_at is not None:
        key += f":{order.expires_at:%Y-%m-%dT%H:%M:%SZ}"
    return _bounded(key)


def order_delivery(
    order: ReceivedOrder,
    *,
    route: str,
    delivery_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> Delivery:
    """The inbox row of an order or subscription received on `route`."""
    return Delivery(
        route=route,
        kind=order.kind,
        payload=order_payload(order),
        headers=dict(headers or {}),
        delivery_key=delivery_key(route, delivery_id),
        dedupe_key=dedupe_key(order),
    )
