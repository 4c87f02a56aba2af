"""`serve` end to end over real HTTP, against the sandbox: a signed order webhook goes to the
inbox, the serve process's worker turns it into an outbox row, `push` makes exactly one deal
in Brevo, however often and through however many routes the shop sends it; a burst of 100
Brevo webhooks costs one or two list requests and brings the edited deal into the mirror
within seconds."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from brevo_sync.bootstrap import Container
from brevo_sync.config import load_settings
from brevo_sync.entrypoints.web import create_app
from brevo_sync.entrypoints.web.signatures import base64_signature, own_signature
from brevo_sync.sandbox import SandboxServer
from tests.e2e.conftest import Cli
from tests.e2e.serve_support import ServeServer
from tests.e2e.test_cli_orders import _rules

pytestmark = pytest.mark.slow

SHOPIFY_SECRET = "shpss_e2e"
WOO_SECRET = "wc_e2e"
OWN_SECRET = "own_e2e"
TOKEN = "brevo_e2e_token"
SHOP = "acme.myshopify.com"
LIST = "GET /crm/deals"


def serve_container(cli: Cli, sandbox: SandboxServer, tmp_path: Path, **extra: Any) -> Container:
    settings = load_settings(
        database_url=cli.database_url,
        api_key=sandbox.state.api_key,
        base_url=sandbox.base_url,
        rules=str(_rules(tmp_path)),
        shopify_webhook_secret=SHOPIFY_SECRET,
        woocommerce_webhook_secret=WOO_SECRET,
        order_webhook_secret=OWN_SECRET,
        brevo_webhook_token=TOKEN,
        retry_backoff_seconds=0.01,
        **extra,
    )
    return Container(settings=settings)


@contextmanager
def serving(container: Container) -> Iterator[ServeServer]:
    try:
        with ServeServer(create_app(container)) as server:
            yield server
    finally:
        container.close()


def inbox_states(database_url: str) -> Counter[str]:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            return Counter(s for (s,) in conn.execute(sa.text("SELECT state FROM inbox")))
    finally:
        engine.dispose()


def wait_for(check: Any, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def shopify_post(client: httpx.Client, order: dict[str, Any], webhook_id: str) -> httpx.Response:
    raw = json.dumps(order).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Hmac-Sha256": base64_signature(SHOPIFY_SECRET, raw),
        "X-Shopify-Shop-Domain": SHOP,
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Webhook-Id": webhook_id,
    }
    return client.post("/webhooks/orders/shopify", content=raw, headers=headers)


SHOPIFY_ORDER = {
    "id": 450789469,
    "email": "bob@example.test",
    "created_at": "2026-05-04T10:00:00-04:00",
    "total_price": "7200.00",
    "currency": "EUR",
    "customer": {"first_name": "Bob", "last_name": "Norman", "email": "bob@example.test"},
    "line_items": [{"sku": "IPOD2008PINK", "title": "IPod Nano - 8gb", "quantity": 1}],
}


def test_a_signed_order_webhook_makes_one_deal_however_it_is_delivered(
    cli: Cli, sandbox: SandboxServer, tmp_path: Path
) -> None:
    cli.env["BREVO_SYNC_RULES"] = str(_rules(tmp_path))
    assert cli("pull").returncode == 0
    container = serve_container(cli, sandbox, tmp_path)
    with serving(container) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        first = shopify_post(client, SHOPIFY_ORDER, "w-1")
        assert first.status_code == 200 and first.json()["status"] == "accepted"
        assert shopify_post(client, SHOPIFY_ORDER, "w-1").json()["status"] == "duplicate"

        answers: list[str] = []

        def redeliver(n: int) -> None:  # the shop sending it again, all at once
            with httpx.Client(base_url=server.url, timeout=30) as own_client:
                answers.append(shopify_post(own_client, SHOPIFY_ORDER, f"w-{n}").json()["status"])

        threads = [threading.Thread(target=redeliver, args=(n,)) for n in range(2, 8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert answers == ["duplicate"] * 6

        own = {
            "id": "450789469",
            "shop": SHOP,
            "created_at": "2026-05-04T14:00:00Z",
            "amount": 7200,
            "currency": "EUR",
            "customer": {"name": "Bob Norman", "email": "bob@example.test"},
        }
        raw = json.dumps(own).encode()
        ours = client.post(
            "/webhooks/orders",
            content=raw,
            headers={
                "Content-Type": "application/json",
                "X-Brevo-Sync-Signature": own_signature(OWN_SECRET, raw),
            },
        )
        assert ours.json()["status"] == "duplicate"  # the same order through a second route
        woo = {
            "id": 727,
            "currency": "EUR",
            "date_created_gmt": "2026-05-04T10:19:27",
            "total": "310.00",
            "billing": {"first_name": "Ann", "last_name": "Lee", "company": "Lee GmbH"},
        }
        raw = json.dumps(woo).encode()
        woo_answer = client.post(
            "/webhooks/orders/woocommerce",
            content=raw,
            headers={
                "Content-Type": "application/json",
                "X-WC-Webhook-Signature": base64_signature(WOO_SECRET, raw),
                "X-WC-Webhook-Source": "https://lee.example.test/",
                "X-WC-Webhook-Delivery-ID": "d-1",
            },
        )
        assert woo_answer.json()["status"] == "accepted"  # B2B: a company bought it
        wait_for(lambda: inbox_states(cli.database_url) == Counter(done=2))

    listed = json.loads(cli("inbox", "list", "--all", "--json").stdout)
    assert {r["outcome"].split(" queued")[0] for r in listed["rows"]} == {
        f"deal order:{SHOP}:450789469",
        "deal order:lee.example.test:727",
    }
    pushed = cli("push", "--json")
    assert pushed.returncode == 0, pushed.stderr
    refs = Counter(d["attributes"].get("brevo_sync_ref") for d in sandbox.state.deals_snapshot())
    assert refs[f"order:{SHOP}:450789469"] == 1 and refs["order:lee.example.test:727"] == 1

    # The shop retries after the deal exists: still one deal, nothing more to send.
    container = serve_container(cli, sandbox, tmp_path)
    with serving(container) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        assert shopify_post(client, SHOPIFY_ORDER, "w-99").json()["status"] == "duplicate"
    assert json.loads(cli("push", "--json").stdout)["sent"] == 0


def test_a_burst_of_brevo_hints_costs_one_or_two_list_requests(
    cli: Cli, sandbox: SandboxServer, tmp_path: Path
) -> None:
    assert cli("pull").returncode == 0
    deal = sandbox.state.deals_snapshot()[7]["id"]
    container = serve_container(cli, sandbox, tmp_path, hint_debounce_seconds=1.0)
    with serving(container) as server:
        sandbox.state.stats.reset()
        sandbox.state.update_deal(deal, attributes={"amount": 123456})  # edited "in Brevo"
        started = time.monotonic()
        auth = {"Authorization": f"Bearer {TOKEN}"}
        answers: list[int] = []

        def send(first: int) -> None:  # ten senders, as Brevo's webhooks arrive: at once
            with httpx.Client(base_url=server.url, timeout=30) as sender:
                for n in range(first, first + 10):
                    event = {"event": "deal_attributes_updated", "deal_id": deal, "n": n}
                    answers.append(
                        sender.post("/webhooks/brevo", json=event, headers=auth).status_code
                    )

        senders = [threading.Thread(target=send, args=(n * 10,)) for n in range(10)]
        for t in senders:
            t.start()
        for t in senders:
            t.join()
        assert answers == [200] * 100
        engine = sa.create_engine(cli.database_url)
        try:

            def mirrored() -> bool:
                with engine.connect() as conn:
                    amount = conn.scalar(
                        sa.text("SELECT amount FROM deals WHERE id = :id"), {"id": deal}
                    )
                return amount == 123456

            wait_for(mirrored, seconds=10)
            fresh = time.monotonic() - started
        finally:
            engine.dispose()
        wait_for(lambda: inbox_states(cli.database_url) == Counter(done=100), seconds=10)
    assert fresh < 10
    assert 1 <= sandbox.state.stats.count(LIST) <= 2
