"""The webhook routes over ASGI (FastAPI's TestClient): every status a client can cause, the
inbox row behind every 200, and nothing a client sends answered with a 500."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from brevo_sync.bootstrap import Container
from brevo_sync.config import load_settings
from brevo_sync.domain.inbox import InboxFilter, InboxRow
from brevo_sync.entrypoints.web import create_app, group_commit
from brevo_sync.entrypoints.web.signatures import base64_signature, own_signature
from brevo_sync.service.inbox import list_inbox

SHOPIFY_SECRET = "shpss_0123456789abcdef"
WOO_SECRET = "wc-secret-4321"
OWN_SECRET = "own-secret-9876"
BREVO_TOKEN = "brevo-token-5555"
SHOP = "acme.myshopify.com"

SHOPIFY_ORDER: dict[str, Any] = {
    "id": 820982911946154508,
    "email": "jon@doe.test",
    "created_at": "2026-05-04T12:19:27+02:00",
    "total_price": "7200.00",
    "currency": "EUR",
    "customer": {"email": "jon@doe.test", "first_name": "Jon", "last_name": "Doe"},
    "billing_address": {"company": None},
    "line_items": [{"sku": "IPOD-1", "title": "IPod Nano", "quantity": 2}],
}
WOO_ORDER: dict[str, Any] = {
    "id": 727,
    "currency": "EUR",
    "date_created_gmt": "2026-05-04T10:19:27",
    "total": "8000.00",
    "billing": {"first_name": "John", "last_name": "Doe", "email": "john@example.test"},
    "line_items": [],
}
OWN_ORDER: dict[str, Any] = {
    "id": "820982911946154508",
    "shop": SHOP,
    "created_at": "2026-05-04T10:19:27Z",
    "amount": 7200,
    "currency": "EUR",
    "customer": {"name": "Jon Doe", "email": "jon@doe.test"},
}
SUBSCRIPTION: dict[str, Any] = {
    "type": "subscription",
    "id": "s-77",
    "annual_value": 24000,
    "expires_at": "2027-09-30",
    "customer": {"name": "Subco"},
}


def make_container(tmp_path: Path, **secrets: str) -> Container:
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'mirror.db'}", **secrets)
    return Container(settings=settings)


ALL_SECRETS = {
    "shopify_webhook_secret": SHOPIFY_SECRET,
    "woocommerce_webhook_secret": WOO_SECRET,
    "order_webhook_secret": OWN_SECRET,
    "brevo_webhook_token": BREVO_TOKEN,
}


@pytest.fixture
def container(tmp_path: Path) -> Iterator[Container]:
    container = make_container(tmp_path, **ALL_SECRETS)
    yield container
    container.close()


@pytest.fixture
def client(container: Container) -> TestClient:
    return TestClient(create_app(container, background=False))


def body(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


def shopify_headers(raw: bytes, **extra: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Shopify-Hmac-Sha256": base64_signature(SHOPIFY_SECRET, raw),
        "X-Shopify-Shop-Domain": SHOP,
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Webhook-Id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
        **extra,
    }


def woo_headers(raw: bytes, **extra: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-WC-Webhook-Signature": base64_signature(WOO_SECRET, raw),
        "X-WC-Webhook-Source": "https://shop.example.test/",
        "X-WC-Webhook-Topic": "order.created",
        "X-WC-Webhook-Delivery-ID": "6a1b2c",
        **extra,
    }


def own_headers(raw: bytes, **extra: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Brevo-Sync-Signature": own_signature(OWN_SECRET, raw),
        **extra,
    }


def inbox_rows(container: Container) -> list[InboxRow]:
    query = InboxFilter(states=("pending", "done", "dead"), limit=None)
    return sorted(list_inbox(container.context, query)[0], key=lambda r: r.id)


def test_a_shopify_order_is_recorded_once_however_often_it_is_delivered(
    client: TestClient, container: Container
) -> None:
    raw = body(SHOPIFY_ORDER)
    first = client.post("/webhooks/orders/shopify", content=raw, headers=shopify_headers(raw))
    assert first.status_code == 200 and first.json() == {"status": "accepted", "id": 1}
    retried = client.post("/webhooks/orders/shopify", content=raw, headers=shopify_headers(raw))
    assert retried.json() == {"status": "duplicate", "id": 1}
    # The same order once more as a new delivery, and through our own route: still one row.
    again = shopify_headers(raw, **{"X-Shopify-Webhook-Id": "another"})
    assert client.post("/webhooks/orders/shopify", content=raw, headers=again).json() == {
        "status": "duplicate",
        "id": 1,
    }
    own = body(OWN_ORDER)
    through_ours = client.post("/webhooks/orders", content=own, headers=own_headers(own))
    assert through_ours.json() == {"status": "duplicate", "id": 1}
    [row] = inbox_rows(container)
    assert (row.route, row.kind, row.state) == ("shopify", "order", "pending")
    assert row.delivery_key == "shopify:b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"
    assert row.dedupe_key == f"order:{SHOP}:820982911946154508"
    assert row.payload["amount"] == "7200.00" and row.payload["shop"] == SHOP
    assert "x-shopify-hmac-sha256" not in row.headers
    assert row.headers["x-shopify-topic"] == "orders/create"


def test_woocommerce_orders_and_its_ping(client: TestClient, container: Container) -> None:
    ping = client.post(
        "/webhooks/orders/woocommerce",
        content=b"webhook_id=42",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert ping.status_code == 200 and ping.json() == {"status": "ping"}
    raw = body(WOO_ORDER)
    accepted = client.post("/webhooks/orders/woocommerce", content=raw, headers=woo_headers(raw))
    assert accepted.json()["status"] == "accepted"
    unsigned = client.post(
        "/webhooks/orders/woocommerce", content=raw, headers={"Content-Type": "application/json"}
    )
    assert unsigned.status_code == 401
    not_a_ping = client.post(
        "/webhooks/orders/woocommerce", content=b"webhook_id=x&a=b", headers={}
    )
    assert not_a_ping.status_code == 401
    [row] = inbox_rows(container)
    assert (row.route, row.payload["shop"], row.payload["id"]) == (
        "woocommerce",
        "shop.example.test",
        "727",
    )
    assert "x-wc-webhook-signature" not in row.headers


def test_our_own_orders_and_subscriptions(client: TestClient, container: Container) -> None:
    raw = body({**OWN_ORDER, "shop": "eu"})
    headers = own_headers(raw, **{"X-Brevo-Sync-Delivery-Id": "d-1"})
    assert client.post("/webhooks/orders", content=raw, headers=headers).json()["status"] == (
        "accepted"
    )
    sub = body(SUBSCRIPTION)
    assert (
        client.post("/webhooks/subscriptions", content=sub, headers=own_headers(sub)).json()[
            "status"
        ]
        == "accepted"
    )
    untyped = body({k: v for k, v in SUBSCRIPTION.items() if k != "type"} | {"id": "s-78"})
    assert (
        client.post(
            "/webhooks/subscriptions", content=untyped, headers=own_headers(untyped)
        ).json()["status"]
        == "accepted"
    )
    wrong_route = client.post("/webhooks/orders", content=sub, headers=own_headers(sub))
    assert wrong_route.status_code == 422
    assert wrong_route.json()["problems"] == [
        {"field": "type", "message": "order on this route, not subscription"}
    ]
    order_as_sub = client.post("/webhooks/subscriptions", content=raw, headers=own_headers(raw))
    assert order_as_sub.status_code == 422
    kinds = [(r.route, r.kind, r.delivery_key) for r in inbox_rows(container)]
    assert kinds == [
        ("orders", "order", "orders:d-1"),
        ("subscriptions", "subscription", None),
        ("subscriptions", "subscription", None),
    ]


def _basic(password: str) -> str:
    return "Basic " + base64.b64encode(f"brevo:{password}".encode()).decode()


def test_brevo_hints_need_the_token(client: TestClient, container: Container) -> None:
    event = {"deal_id": "61a5ce58c5d4795761045990", "event": "deal_stage_updated"}
    for auth in (f"Bearer {BREVO_TOKEN}", _basic(BREVO_TOKEN)):
        answer = client.post("/webhooks/brevo", json=event, headers={"Authorization": auth})
        assert answer.status_code == 200 and answer.json()["status"] == "accepted"
    for auth in (None, f"Bearer {BREVO_TOKEN}x", _basic("nope"), f"Token {BREVO_TOKEN}"):
        headers = {"Authorization": auth} if auth else {}
        assert client.post("/webhooks/brevo", json=event, headers=headers).status_code == 401
    good = {"Authorization": f"Bearer {BREVO_TOKEN}"}
    assert (
        client.post(
            "/webhooks/brevo", content=b"{", headers={**good, "Content-Type": "application/json"}
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/webhooks/brevo", content=b"{}", headers={**good, "Content-Type": "text/plain"}
        ).status_code
        == 415
    )
    rows = inbox_rows(container)
    assert [r.kind for r in rows] == ["brevo_hint", "brevo_hint"]
    assert all("authorization" not in r.headers for r in rows)


ROUTES = {
    "/webhooks/orders/shopify": (SHOPIFY_ORDER, shopify_headers),
    "/webhooks/orders/woocommerce": (WOO_ORDER, woo_headers),
    "/webhooks/orders": (OWN_ORDER, own_headers),
    "/webhooks/subscriptions": (SUBSCRIPTION, own_headers),
}
SIGNATURE = {
    "/webhooks/orders/shopify": "X-Shopify-Hmac-Sha256",
    "/webhooks/orders/woocommerce": "X-WC-Webhook-Signature",
    "/webhooks/orders": "X-Brevo-Sync-Signature",
    "/webhooks/subscriptions": "X-Brevo-Sync-Signature",
}


@pytest.mark.parametrize("path", sorted(ROUTES))
def test_every_bad_request_gets_its_status(
    path: str, client: TestClient, container: Container
) -> None:
    data, sign = ROUTES[path]
    raw = body(data)
    name = SIGNATURE[path]

    def post(content: Any, headers: dict[str, str]) -> Any:
        return client.post(path, content=content, headers=headers)

    missing = {k: v for k, v in sign(raw).items() if k != name}
    assert post(raw, missing).status_code == 401
    wrong = post(raw + b" ", sign(raw))  # signed bytes differ from the body sent
    assert wrong.status_code == 401 and wrong.json()["error"] == "unauthorized"
    assert post(raw, {**sign(raw), "Content-Type": "text/plain"}).status_code == 415
    big = b"{" + b" " * (1_048_576) + b"}"
    assert post(big, sign(big)).status_code == 413

    def stream() -> Iterator[bytes]:  # no Content-Length: counted while it streams in
        for _ in range(20):
            yield b" " * 65_536

    streamed = post(stream(), sign(b"x"))
    assert streamed.status_code == 413 and streamed.json()["error"] == "payload_too_large"
    broken = b'{"id": 1,'
    not_json = post(broken, sign(broken))
    assert not_json.status_code == 422 and "not JSON" in not_json.json()["detail"]
    empty = body({"id": "1"})
    missing_fields = post(empty, sign(empty))
    assert missing_fields.status_code == 422
    problems = missing_fields.json()["problems"]
    assert problems and all(p["message"].startswith("required") for p in problems)
    listed = body([1, 2])
    assert post(listed, sign(listed)).status_code == 422
    assert inbox_rows(container) == []


def test_a_route_without_its_secret_is_not_there(tmp_path: Path) -> None:
    container = make_container(tmp_path)
    client = TestClient(create_app(container, background=False))
    try:
        for path, (data, sign) in ROUTES.items():
            raw = body(data)
            assert client.post(path, content=raw, headers=sign(raw)).status_code == 404, path
        headers = {"Authorization": f"Bearer {BREVO_TOKEN}"}
        assert client.post("/webhooks/brevo", json={}, headers=headers).status_code == 404
        assert client.post("/webhooks/unknown", json={}).status_code == 404
        assert client.get("/webhooks/nothing/here").status_code == 404
    finally:
        container.close()


def test_shopify_needs_its_shop_header(client: TestClient) -> None:
    raw = body(SHOPIFY_ORDER)
    headers = {k: v for k, v in shopify_headers(raw).items() if k != "X-Shopify-Shop-Domain"}
    answer = client.post("/webhooks/orders/shopify", content=raw, headers=headers)
    assert answer.status_code == 422
    assert answer.json()["problems"] == [
        {"field": "X-Shopify-Shop-Domain", "message": "required (the header naming the shop)"}
    ]


def test_a_failure_to_record_is_a_503_never_a_500(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: Any) -> Any:
        raise RuntimeError("database is locked")

    monkeypatch.setattr(group_commit, "accept_deliveries", broken)
    monkeypatch.setattr(group_commit, "accept_delivery", broken)
    raw = body(OWN_ORDER)
    answer = client.post("/webhooks/orders", content=raw, headers=own_headers(raw))
    assert answer.status_code == 503 and answer.headers["retry-after"] == "5"
    assert "send it again" in answer.json()["detail"]


def test_secrets_stay_out_of_logs_and_answers(
    client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    from brevo_sync.logs import configure_logging

    configure_logging("DEBUG", "json")
    raw = body(OWN_ORDER)
    client.post("/webhooks/orders", content=raw, headers=own_headers(raw + b"x"))
    client.post("/webhooks/brevo", json={}, headers={"Authorization": f"Bearer {BREVO_TOKEN}"})
    client.post("/webhooks/brevo", json={"leak": OWN_SECRET}, headers={"Authorization": "Bearer x"})
    captured = capsys.readouterr()
    for secret in (SHOPIFY_SECRET, WOO_SECRET, OWN_SECRET, BREVO_TOKEN):
        assert secret not in captured.err and secret not in captured.out
