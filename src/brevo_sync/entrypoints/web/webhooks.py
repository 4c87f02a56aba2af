"""Webhooks in: orders and subscriptions from shops, Brevo's CRM events as hints.

    POST /webhooks/orders/shopify      Shopify orders/create (X-Shopify-Hmac-Sha256)
    POST /webhooks/orders/woocommerce  WooCommerce order.created (X-WC-Webhook-Signature);
                                       its unsigned ping (`webhook_id=N`) answered 200
    POST /webhooks/orders              our own order JSON (X-Brevo-Sync-Signature: sha256=hex)
    POST /webhooks/subscriptions       our own subscription JSON (signed the same way)
    POST /webhooks/brevo               Brevo's deal events (Bearer token or basic auth)

A route whose secret (token) is not set answers 404. A valid delivery is one committed inbox
row before the answer (200 `accepted`; a repeat of a delivery or of an order: 200
`duplicate`); it is processed afterwards by the serve process's workers (`workers.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import SecretStr

from brevo_sync.bootstrap import Container
from brevo_sync.config import Settings
from brevo_sync.domain.inbox import Delivery, order_delivery
from brevo_sync.domain.orders import FieldProblem, OrderInvalid, ReceivedOrder, parse_order
from brevo_sync.domain.shop_orders import shopify_order, woocommerce_order, woocommerce_shop
from brevo_sync.entrypoints.web import signatures
from brevo_sync.entrypoints.web import webhook_schemas as schemas
from brevo_sync.entrypoints.web.group_commit import group_commit
from brevo_sync.entrypoints.web.intake import (
    FORM,
    JSON,
    Rejected,
    WebhookRoute,
    kept_headers,
    media_type,
    not_found,
    openapi,
    parse_json,
    read_body,
    require_media_type,
    unauthorized,
    unprocessable,
)
from brevo_sync.logs import register_secret

router = APIRouter(prefix="/webhooks", tags=["webhooks"], route_class=WebhookRoute)

SHOPIFY_SIGNATURE = "x-shopify-hmac-sha256"
WOO_SIGNATURE = "x-wc-webhook-signature"
OWN_SIGNATURE = "x-brevo-sync-signature"
OWN_DELIVERY = "x-brevo-sync-delivery-id"
# Kept with a delivery (never a signature or a credential).
SHOPIFY_HEADERS = (
    "x-shopify-topic",
    "x-shopify-shop-domain",
    "x-shopify-webhook-id",
    "x-shopify-event-id",
    "x-shopify-api-version",
    "x-shopify-triggered-at",
    "user-agent",
)
WOO_HEADERS = (
    "x-wc-webhook-source",
    "x-wc-webhook-topic",
    "x-wc-webhook-resource",
    "x-wc-webhook-event",
    "x-wc-webhook-id",
    "x-wc-webhook-delivery-id",
    "user-agent",
)
OWN_HEADERS = (OWN_DELIVERY, "user-agent")
BREVO_HEADERS = ("user-agent",)
PING_LIMIT = 256  # a WooCommerce ping is `webhook_id=<n>`


def _container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def _settings(request: Request) -> Settings:
    return _container(request).settings


def _secret(value: SecretStr | None) -> str:
    """The secret, or 404 when it is not set (the route is off)."""
    secret = value.get_secret_value().strip() if value is not None else ""
    if not secret:
        raise not_found()
    register_secret(secret)  # never in a log line from now on
    return secret


async def _signed_body(
    request: Request, secret: str, header: str, valid: Callable[[str, bytes, str | None], bool]
) -> bytes:
    signature = request.headers.get(header)
    if not signature:
        raise unauthorized(f"{header} is missing")
    require_media_type(request, JSON)
    body = await read_body(request, _settings(request).webhook_max_body_bytes)
    if not valid(secret, body, signature):
        raise unauthorized(f"{header} does not match the body")
    return body


def _refused(exc: OrderInvalid) -> Exception:
    return unprocessable(f"the order cannot be read: {exc}", exc.problems)


def _default_currency(request: Request) -> str:
    return _container(request).rules.default_currency


async def _record(request: Request, delivery: Delivery) -> JSONResponse:
    accepted = await group_commit(request.app).accept(delivery)
    workers = getattr(request.app.state, "workers", None)
    if workers is not None and not accepted.duplicate:
        workers.delivered(delivery.kind)
    status = "duplicate" if accepted.duplicate else "accepted"
    return JSONResponse({"status": status, "id": accepted.row_id})


@router.post(
    "/orders/shopify",
    summary="A Shopify order (orders/create)",
    description="Signed with `X-Shopify-Hmac-Sha256`: base64 HMAC-SHA256 of the raw body "
    "with BREVO_SYNC_SHOPIFY_WEBHOOK_SECRET. Deduplicated by `X-Shopify-Webhook-Id` and by "
    "shop (`X-Shopify-Shop-Domain`) + order id.",
    openapi_extra=openapi({JSON: schemas.SHOPIFY_ORDER}, signed_by="X-Shopify-Hmac-Sha256"),
)
async def shopify(request: Request) -> JSONResponse:
    secret = _secret(_settings(request).shopify_webhook_secret)
    body = await _signed_body(request, secret, SHOPIFY_SIGNATURE, signatures.valid_base64_signature)
    data = parse_json(body)
    try:
        order = shopify_order(
            data,
            shop=request.headers.get("x-shopify-shop-domain"),
            default_currency=_default_currency(request),
        )
    except OrderInvalid as exc:
        raise _refused(exc) from None
    delivery = order_delivery(
        order,
        route="shopify",
        delivery_id=request.headers.get("x-shopify-webhook-id"),
        headers=kept_headers(request, SHOPIFY_HEADERS),
    )
    return await _record(request, delivery)


@router.post(
    "/orders/woocommerce",
    summary="A WooCommerce order (order.created), or its ping",
    description="Signed with `X-WC-Webhook-Signature`: base64 HMAC-SHA256 of the raw body "
    "with BREVO_SYNC_WOOCOMMERCE_WEBHOOK_SECRET. Deduplicated by `X-WC-Webhook-Delivery-ID` "
    "and by shop (`X-WC-Webhook-Source`) + order id. The unsigned ping `webhook_id=<id>` "
    "(sent when a webhook is saved) is answered 200.",
    openapi_extra=openapi(
        {JSON: schemas.WOOCOMMERCE_ORDER, FORM: schemas.WOOCOMMERCE_PING},
        signed_by="X-WC-Webhook-Signature",
        always_signed=False,
    ),
)
async def woocommerce(request: Request) -> JSONResponse:
    settings = _settings(request)
    secret = _secret(settings.woocommerce_webhook_secret)
    if not request.headers.get(WOO_SIGNATURE) and media_type(request) != JSON:
        try:
            body = await read_body(request, PING_LIMIT)
        except Rejected:  # too long for a ping: an unsigned delivery
            raise unauthorized(f"{WOO_SIGNATURE} is missing") from None
        if _is_ping(body):
            return JSONResponse({"status": "ping"})
        raise unauthorized(f"{WOO_SIGNATURE} is missing")
    body = await _signed_body(request, secret, WOO_SIGNATURE, signatures.valid_base64_signature)
    data = parse_json(body)
    try:
        order = woocommerce_order(
            data,
            shop=woocommerce_shop(request.headers.get("x-wc-webhook-source")),
            default_currency=_default_currency(request),
        )
    except OrderInvalid as exc:
        raise _refused(exc) from None
    delivery = order_delivery(
        order,
        route="woocommerce",
        delivery_id=request.headers.get("x-wc-webhook-delivery-id"),
        headers=kept_headers(request, WOO_HEADERS),
    )
    return await _record(request, delivery)


def _is_ping(body: bytes) -> bool:
    """WooCommerce's ping when a webhook is saved: `webhook_id=<digits>`, nothing else."""
    name, _, value = body.decode("latin-1").strip().partition("=")
    return name == "webhook_id" and value.isdigit()


def _own(request: Request, body: bytes, kind: str) -> ReceivedOrder:
    data = parse_json(body)
    other = "subscription" if kind == "order" else "order"
    if isinstance(data, dict):
        given = data.get("type")
        if given is None or (isinstance(given, str) and not given.strip()):
            data = {**data, "type": kind}
        elif isinstance(given, str) and given.strip().lower() == other:
            route = "/webhooks/subscriptions" if other == "subscription" else "/webhooks/orders"
            raise unprocessable(
                f"a {other} is sent to {route}",
                [FieldProblem("type", f"{kind} on this route, not {other}")],
            )
    try:
        return parse_order(data, default_currency=_default_currency(request))
    except OrderInvalid as exc:
        raise _refused(exc) from None


async def _own_route(request: Request, kind: str, route: str) -> JSONResponse:
    secret = _secret(_settings(request).order_webhook_secret)
    body = await _signed_body(request, secret, OWN_SIGNATURE, signatures.valid_own_signature)
    order = _own(request, body, kind)
    delivery = order_delivery(
        order,
        route=route,
        delivery_id=request.headers.get(OWN_DELIVERY),
        headers=kept_headers(request, OWN_HEADERS),
    )
    return await _record(request, delivery)


@router.post(
    "/orders",
    summary="An order in our own JSON (the shape `orders import` reads)",
    description="Signed with `X-Brevo-Sync-Signature: sha256=<hex HMAC-SHA256 of the raw "
    "body>` with BREVO_SYNC_ORDER_WEBHOOK_SECRET. Deduplicated by "
    "`X-Brevo-Sync-Delivery-Id` (optional) and by shop + order id.",
    openapi_extra=openapi({JSON: schemas.OWN_ORDER}, signed_by="X-Brevo-Sync-Signature"),
)
async def own_order(request: Request) -> JSONResponse:
    return await _own_route(request, "order", "orders")


@router.post(
    "/subscriptions",
    summary="A subscription in our own JSON",
    description="Signed as `/webhooks/orders`. Deduplicated by shop + id + expiry (received "
    "again with a later expiry, it was renewed).",
    openapi_extra=openapi({JSON: schemas.OWN_SUBSCRIPTION}, signed_by="X-Brevo-Sync-Signature"),
)
async def own_subscription(request: Request) -> JSONResponse:
    return await _own_route(request, "subscription", "subscriptions")


@router.post(
    "/brevo",
    summary="A Brevo CRM webhook (deal events): a hint for an early pull",
    description="`Authorization: Bearer <BREVO_SYNC_BREVO_WEBHOOK_TOKEN>`, or basic auth with "
    "the token as the password. Each event wakes a debounced early incremental pull.",
    openapi_extra=openapi({JSON: schemas.BREVO_EVENT}, signed_by="Authorization"),
)
async def brevo(request: Request) -> JSONResponse:
    token = _secret(_settings(request).brevo_webhook_token)
    if not signatures.valid_token(token, request.headers.get("authorization")):
        raise unauthorized("a bearer token (or basic auth) with BREVO_SYNC_BREVO_WEBHOOK_TOKEN")
    require_media_type(request, JSON)
    body = await read_body(request, _settings(request).webhook_max_body_bytes)
    data: Any = parse_json(body)
    payload = data if isinstance(data, dict) else {"body": data}
    delivery = Delivery(
        route="brevo",
        kind="brevo_hint",
        payload=payload,
        headers=kept_headers(request, BREVO_HEADERS),
    )
    return await _record(request, delivery)
