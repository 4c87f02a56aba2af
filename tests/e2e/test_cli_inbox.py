"""`brevo-sync inbox list|show|retry` as an operator runs them: dead letters with their reason,
one delivery in full, and sending it round again."""

from __future__ import annotations

import json

from brevo_sync.bootstrap import Container
from brevo_sync.config import load_settings
from brevo_sync.domain.inbox import Delivery
from brevo_sync.service.inbox import accept_delivery, process_inbox
from tests.e2e.conftest import Cli


def test_inbox_list_show_retry(offline_cli: Cli) -> None:
    missing = offline_cli("inbox", "list")
    assert missing.returncode == 2 and "no mirror" in missing.stderr

    container = Container(settings=load_settings(database_url=offline_cli.database_url))
    try:
        ctx = container.context
        accept_delivery(ctx, Delivery("orders", "order", {"id": "x"}, {"user-agent": "shop/1"}))
        accept_delivery(ctx, Delivery("brevo", "brevo_hint", {"event": "deal_created"}))
        assert process_inbox(ctx).dead == 1
    finally:
        container.close()

    listed = offline_cli("inbox", "list")
    assert listed.returncode == 0, listed.stderr
    assert "1 dead, 1 pending" in listed.stdout and "cannot be read" in listed.stdout
    document = json.loads(offline_cli("inbox", "list", "--dead", "--json").stdout)
    assert [r["id"] for r in document["rows"]] == [1]
    assert document["counts"] == {"dead": 1, "pending": 1}

    shown = json.loads(offline_cli("inbox", "show", "1", "--json").stdout)
    assert shown["state"] == "dead" and shown["attempts"] == 1
    assert shown["headers"] == {"user-agent": "shop/1"}

    retried = offline_cli("inbox", "retry", "1")
    assert retried.returncode == 0 and "1 delivery pending again" in retried.stdout
    again = json.loads(offline_cli("inbox", "show", "1", "--json").stdout)
    assert (again["state"], again["attempts"]) == ("pending", 0)

    for bad in (("inbox", "retry", "99"), ("inbox", "list", "--kind", "x")):
        refused = offline_cli(*bad)
        assert refused.returncode == 2, bad
        assert refused.stderr.startswith("brevo-sync: "), refused.stderr
