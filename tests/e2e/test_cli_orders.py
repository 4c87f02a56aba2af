"""`orders import` and `renewals` as an operator runs them, against the sandbox over HTTP:
each order makes its deal once, however often the file is imported, and push creates exactly
one deal per qualifying order."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from brevo_sync.adapters.rules_file import default_rules_text
from brevo_sync.sandbox import SandboxServer
from tests.e2e.conftest import Cli


def _order(order_id: str, amount: float, **fields: Any) -> str:
    customer = fields.pop("customer", {"name": f"Customer {order_id}", "email": "x@shop.test"})
    data = {
        "id": order_id,
        "created_at": "2026-05-04T10:00:00Z",
        "amount": amount,
        "currency": "EUR",
        "customer": customer,
        "items": [{"sku": "k1", "category": "loyalty"}],
        **fields,
    }
    return json.dumps(data)


ORDERS = [
    _order("1001", 7200),  # over 5,000: E-Commerce Upsell / Proposal
    _order("1002", 120),  # below the threshold, not B2B: no deal
    _order("1003", 300, customer={"name": "Beta GmbH", "company": "Beta GmbH", "b2b": True}),
    _order("1001", 7200),  # the same line again
    _order("1001", 9000, shop="us"),  # another shop's order 1001
]
DEAL_KEYS = {"order:default:1001", "order:default:1003", "order:us:1001"}


def _json(result: Any) -> Any:
    return json.loads(result.stdout)


def _rules(tmp_path: Path) -> Path:
    """The packaged rules, but the seed's `source` attribute under another name: the sandbox
    account has a single-select `source` whose options do not include `ecommerce_order`."""
    text = default_rules_text()
    path = tmp_path / "rules.yaml"
    path.write_text(text.replace("\n  source: source\n", "\n  source: order_source\n"))
    return path


def test_orders_become_deals_once_however_often_imported(
    cli: Cli, sandbox: SandboxServer, tmp_path: Path
) -> None:
    cli.env["BREVO_SYNC_RULES"] = str(_rules(tmp_path))
    file = tmp_path / "orders.jsonl"
    file.write_text("\n".join(ORDERS) + "\n", encoding="utf-8")

    refused = cli("orders", "import", str(file))
    assert refused.returncode == 2
    assert "brevo-sync pull" in refused.stderr and "nothing was recorded" in refused.stderr

    assert cli("pull").returncode == 0
    first = cli("orders", "import", str(file), "--json")
    assert first.returncode == 0, first.stderr
    report = _json(first)
    assert [(o["line"], o["shop"], o["order_id"], o["outcome"]) for o in report["orders"]] == [
        (1, "default", "1001", "deal"),
        (2, "default", "1002", "no_deal"),
        (3, "default", "1003", "deal"),
        (4, "default", "1001", "already_received"),
        (5, "us", "1001", "deal"),
    ]
    assert report["outbox_rows"] == 3 and report["refused"] == []

    again = cli("orders", "import", str(file))
    assert again.returncode == 0
    assert "5 already received" in again.stdout and "Nothing new to send." in again.stdout
    other = tmp_path / "other.jsonl"
    other.write_text(ORDERS[0] + "\n{broken\n", encoding="utf-8")
    partly = cli("orders", "import", str(other), "--json")
    assert partly.returncode == 1  # a line refused, the rest imported
    assert _json(partly)["counts"]["already_received"] == 1
    assert _json(partly)["refused"][0]["line"] == 2

    listed = _json(cli("outbox", "list", "--json"))
    creations = [r for r in listed["rows"] if r["kind"] == "create_deal"]
    assert {r["key"] for r in creations} == DEAL_KEYS and len(creations) == 3

    pushed = cli("push", "--json")
    assert pushed.returncode == 0, pushed.stderr
    refs = Counter(d["attributes"].get("brevo_sync_ref") for d in sandbox.state.deals_snapshot())
    assert {key: refs[key] for key in DEAL_KEYS} == dict.fromkeys(DEAL_KEYS, 1)
    assert cli("orders", "import", str(file), "--json").returncode == 0
    assert _json(cli("push", "--json"))["sent"] == 0


def test_renewals_and_a_dry_run_spend_nothing(
    cli: Cli, sandbox: SandboxServer, tmp_path: Path
) -> None:
    assert cli("pull").returncode == 0
    file = tmp_path / "subs.jsonl"
    later = {"type": "subscription", "id": "s1", "annual_value": 24000}
    lines = [
        json.dumps({**later, "expires_at": "2099-06-30", "customer": {"name": "Later"}}),
        _order("2001", 8000),
    ]
    file.write_text("\n".join(lines), encoding="utf-8")
    dry = cli("orders", "import", str(file), "--dry-run")
    assert dry.returncode == 0 and "Dry run: nothing recorded" in dry.stdout
    assert _json(cli("outbox", "list", "--json"))["rows"] == []

    imported = _json(cli("orders", "import", str(file), "--json"))
    assert [o["outcome"] for o in imported["orders"]] == ["waiting", "deal"]
    renewals = cli("renewals", "--json")
    assert renewals.returncode == 0, renewals.stderr
    document = _json(renewals)
    assert document["queued"] == 0
    assert [(u["order_id"], u["renewal_due_at"][:10]) for u in document["upcoming"]] == [
        ("s1", "2099-04-01")
    ]
    assert "No renewal is due." in cli("renewals").stdout
