"""Schemathesis fuzzes the whole HTTP API from its own OpenAPI document: no 5xx, whatever a
client sends. The ops routes are called with a manager's token (so the fuzz reaches past
authentication); the webhooks' bodies are also sent signed, so the fuzz reaches the parsing
behind the signature check."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from brevo_sync.bootstrap import Container
from brevo_sync.config import load_settings
from brevo_sync.entrypoints.web import create_app
from brevo_sync.entrypoints.web.signatures import base64_signature, own_signature
from brevo_sync.service.tokens import add_token

pytestmark = pytest.mark.slow

SECRETS = {
    "shopify_webhook_secret": "fuzz-shopify",
    "woocommerce_webhook_secret": "fuzz-woo",
    "order_webhook_secret": "fuzz-own",
    "brevo_webhook_token": "fuzz-brevo-token",
}
EXAMPLES = 25  # per operation (and per generation mode)


@pytest.fixture
def fuzzed(tmp_path: Path) -> Iterator[tuple[FastAPI, str]]:
    settings_ = load_settings(database_url=f"sqlite:///{tmp_path / 'mirror.db'}", **SECRETS)
    container = Container(settings=settings_)
    container.engine  # noqa: B018 - the schema, before the first request
    token = add_token(container.context, "fuzz", user="manager@example.test", role="sales_manager")
    try:
        yield create_app(container, background=False), token.secret
    finally:
        container.close()


def _signed(path: str, raw: bytes) -> dict[str, str]:
    base = {"Content-Type": "application/json"}
    if path == "/webhooks/orders/shopify":
        return {
            **base,
            "X-Shopify-Hmac-Sha256": base64_signature(SECRETS["shopify_webhook_secret"], raw),
            "X-Shopify-Shop-Domain": "fuzz.myshopify.com",
        }
    if path == "/webhooks/orders/woocommerce":
        return {
            **base,
            "X-WC-Webhook-Signature": base64_signature(SECRETS["woocommerce_webhook_secret"], raw),
            "X-WC-Webhook-Source": "https://fuzz.test/",
        }
    if path == "/webhooks/brevo":
        return {**base, "Authorization": f"Bearer {SECRETS['brevo_webhook_token']}"}
    return {**base, "X-Brevo-Sync-Signature": own_signature(SECRETS["order_webhook_secret"], raw)}


def test_no_request_gets_a_server_error(fuzzed: tuple[FastAPI, str]) -> None:
    """Every operation of the document, valid and invalid data (schemathesis's strategies
    driven by hypothesis here: its pytest plugin does not run on this pytest)."""
    app, token = fuzzed
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 5
    client = TestClient(app)
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(operation, mode, app, client, token)


def _fuzz(
    operation: Any, mode: GenerationMode, app: FastAPI, client: TestClient, token: str
) -> None:
    path = operation.path
    auth = {} if path.startswith("/webhooks") else {"Authorization": f"Bearer {token}"}
    declared = set(operation.definition.raw.get("responses", {}))

    @given(operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def run(case: Any) -> None:
        response = case.call(headers={**auth, **(case.headers or {})})
        status = response.status_code
        # A 5xx the document declares (503: not ready, no mirror yet) is an answer about the
        # server's state, not a failure; a 500, or one it does not declare, is a bug.
        allowed = status < 500 or (status != 500 and str(status) in declared)
        assert allowed, (case.method, path, status, response.text)
        body = getattr(case, "body", None)
        if path.startswith("/webhooks") and isinstance(body, dict | list):
            raw = json.dumps(body).encode()
            signed = client.post(path, content=raw, headers=_signed(path, raw))
            assert signed.status_code in (200, 422), (path, raw[:300], signed.text)

    try:
        run()
    except Unsatisfiable:  # nothing invalid to send (an operation without inputs)
        assert mode is GenerationMode.NEGATIVE, (operation.method, path)
