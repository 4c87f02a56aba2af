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

The routes are data (`HOOKS`): each says where it is, what the OpenAPI document tells about
it, its secret, how its signature is checked, how its JSON is read and which header names a
delivery (the delivery's dedupe key). One handler (`_receive`) runs them in the same order
for every route: the secret (404), the route's check of signature or token, Content-Type and
size (401, 415, 413), the JSON and what it means (422), then the inbox row.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
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


# -- signature checks: (request, secret) -> the body, or the answer itself (a ping) ------

Verify = Callable[[Request, str], Awaitable[bytes | JSONResponse]]


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


async def _woocommerce_body(request: Request, secret: str) -> bytes | JSONResponse:
    """Signed as Shopify's, but the unsigned ping sent when a webhook is saved is a 200."""
    if not request.headers.get(WOO_SIGNATURE) and media_type(request) != JSON:
        try:
            body = await read_body(request, PING_LIMIT)
        except Rejected:  # too long for a ping: an unsigned delivery
            raise unauthorized(f"{WOO_SIGNATURE} is missing") from None
        if _is_ping(body):
            return JSONResponse({"status": "ping"})
        raise unauthorized(f"{WOO_SIGNATURE} is missing")
    return await _signed_body(request, secret, WOO_SIGNATURE, signatures.valid_base64_signature)


def _is_ping(body: bytes) -> bool:
    """WooCommerce's ping when a webhook is saved: `webhook_id=<digits>`, nothing else."""
    name, _, value = body.decode("latin-1").strip().partition("=")
    return name == "webhook_id" and value.isdigit()


async def _bearer_body(request: Request, token: str) -> bytes:
    if not signatures.valid_token(token, request.headers.get("authorization")):
        raise unauthorized("a bearer token (or basic auth) with BREVO_SYNC_BREVO_WEBHOOK_TOKEN")
    require_media_type(request, JSON)
    return await read_body(request, _settings(request).webhook_max_body_bytes)


# -- readers: (request, JSON) -> the order (OrderInvalid: 422), or a hint's payload ------

Read = Callable[[Request, Any], ReceivedOrder | dict[str, Any]]


def _default_currency(request: Request) -> str:
    return _container(request).rules.default_currency


def _shopify(request: Request, data: Any) -> ReceivedOrder:
    shop = request.headers.get("x-shopify-shop-domain")
    return shopify_order(data, shop=shop, default_currency=_default_currency(request))


def _woocommerce(request: Request, data: Any) -> ReceivedOrder:
    shop = woocommerce_shop(request.headers.get("x-wc-webhook-source"))
    return woocommerce_order(data, shop=shop, default_currency=_default_currency(request))


def _own(kind: str, request: Request, data: Any) -> ReceivedOrder:
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
    return parse_order(data, default_currency=_default_currency(request))


def _brevo_hint(request: Request, data: Any) -> dict[str, Any]:
    return data if isinstance(data, dict) else {"body": data}


# -- the routes --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hook:
    """One webhook route."""

    path: str  # below /webhooks
    name: str  # the endpoint's name: the OpenAPI operationId begins with it
    summary: str
    description: str
    openapi_extra: dict[str, Any]
    secret: Callable[[Settings], SecretStr | None]  # not set: the route answers 404
    verify: Verify
    read: Read
    route: str  # the inbox row's route
    delivery_header: str | None  # names a delivery: a repeat of it is a duplicate
    kept_headers: tuple[str, ...]  # kept with the row


async def _receive(request: Request, hook: Hook) -> JSONResponse:
    secret = _secret(hook.secret(_settings(request)))
    body = await hook.verify(request, secret)
    if isinstance(body, JSONResponse):
        return body
    data = parse_json(body)
    try:
        read = hook.read(request, data)
    except OrderInvalid as exc:
        raise unprocessable(f"the order cannot be read: {exc}", exc.problems) from None
    headers = kept_headers(request, hook.kept_headers)
    if isinstance(read, ReceivedOrder):
        delivery_id = request.headers.get(hook.delivery_header) if hook.delivery_header else None
        delivery = order_delivery(read, route=hook.route, delivery_id=delivery_id, headers=headers)
    else:
        delivery = Delivery(route=hook.route, kind="brevo_hint", payload=read, headers=headers)
    return await _record(request, delivery)


async def _record(request: Request, delivery: Delivery) -> JSONResponse:
    accepted = await group_commit(request.app).accept(delivery)
    workers = getattr(request.app.state, "workers", None)
    if workers is not None and not accepted.duplicate:
        workers.delivered(delivery.kind)
    status = "duplicate" if accepted.duplicate else "accepted"
    return JSONResponse({"status": status, "id": accepted.row_id})


_own_signed = partial(_signed_body, header=OWN_SIGNATURE, valid=signatures.valid_own_signature)

HOOKS = (
    Hook(
        path="/orders/shopify",
        name="shopify",
        summary="A Shopify order (orders/create)",
        description="Signed with `X-Shopify-Hmac-Sha256`: base64 HMAC-SHA256 of the raw body "
        "with BREVO_SYNC_SHOPIFY_WEBHOOK_SECRET. Deduplicated by `X-Shopify-Webhook-Id` and by "
        "shop (`X-Shopify-Shop-Domain`) + order id.",
        openapi_extra=openapi({JSON: schemas.SHOPIFY_ORDER}, signed_by="X-Shopify-Hmac-Sha256"),
        secret=lambda s: s.shopify_webhook_secret,
        verify=partial(
            _signed_body, header=SHOPIFY_SIGNATURE, valid=signatures.valid_base64_signature
        ),
        read=_shopify,
        route="shopify",
        delivery_header="x-shopify-webhook-id",
        kept_headers=SHOPIFY_HEADERS,
    ),
    Hook(
        path="/orders/woocommerce",
        name="woocommerce",
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
        secret=lambda s: s.woocommerce_webhook_secret,
        verify=_woocommerce_body,
        read=_woocommerce,
        route="woocommerce",
        delivery_header="x-wc-webhook-delivery-id",
        kept_headers=WOO_HEADERS,
    ),
    Hook(
        path="/orders",
        name="own_order",
        summary="An order in our own JSON (the shape `orders import` reads)",
        description="Signed with `X-Brevo-Sync-Signature: sha256=<hex HMAC-SHA256 of the raw "
        "body>` with BREVO_SYNC_ORDER_WEBHOOK_SECRET. Deduplicated by "
        "`X-Brevo-Sync-Delivery-Id` (optional) and by shop + order id.",
        openapi_extra=openapi({JSON: schemas.OWN_ORDER}, signed_by="X-Brevo-Sync-Signature"),
        secret=lambda s: s.order_webhook_secret,
        verify=_own_signed,
        read=partial(_own, "order"),
        route="orders",
        delivery_header=OWN_DELIVERY,
        kept_headers=OWN_HEADERS,
    ),
    Hook(
        path="/subscriptions",
        name="own_subscription",
        summary="A subscription in our own JSON",
        description="Signed as `/webhooks/orders`. Deduplicated by shop + id + expiry (received "
        "again with a later expiry, it was renewed).",
        openapi_extra=openapi({JSON: schemas.OWN_SUBSCRIPTION}, signed_by="X-Brevo-Sync-Signature"),
        secret=lambda s: s.order_webhook_secret,
        verify=_own_signed,
        read=partial(_own, "subscription"),
        route="subscriptions",
        delivery_header=OWN_DELIVERY,
        kept_headers=OWN_HEADERS,
    ),
    Hook(
        path="/brevo",
        name="brevo",
        summary="A Brevo CRM webhook (deal events): a hint for an early pull",
        description="`Authorization: Bearer <BREVO_SYNC_BREVO_WEBHOOK_TOKEN>`, or basic auth "
        "with the token as the password. Each event wakes a debounced early incremental pull.",
        openapi_extra=openapi({JSON: schemas.BREVO_EVENT}, signed_by="Authorization"),
        secret=lambda s: s.brevo_webhook_token,
        verify=_bearer_body,
        read=_brevo_hint,
        route="brevo",
        delivery_header=None,  # Brevo names no delivery
        kept_headers=BREVO_HEADERS,
    ),
)


def _endpoint(hook: Hook) -> Callable[[Request], Awaitable[JSONResponse]]:
    async def endpoint(request: Request) -> JSONResponse:
        return await _receive(request, hook)

    endpoint.__name__ = endpoint.__qualname__ = hook.name
    return endpoint


for _hook in HOOKS:
    router.add_api_route(
        _hook.path,
        _endpoint(_hook),
        methods=["POST"],
        name=_hook.name,
        summary=_hook.summary,
        description=_hook.description,
        openapi_extra=_hook.openapi_extra,
    )
