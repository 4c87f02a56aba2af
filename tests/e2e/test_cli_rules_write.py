"""What the rules decide about changes made in Brevo reaches Brevo: an automation's deal, a
conversion event at Meta's Conversions API (the sandbox's stand-in, user data hashed), the
duplicate-lead rule, each once, through `sync` (pull, rules, push)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx

from brevo_sync.adapters.rules_file import default_rules_text
from brevo_sync.sandbox import SandboxServer, SandboxState
from tests.e2e.conftest import Cli

AUTOMATION = """automations:
  - name: renewal after an enterprise win
    trigger: stage_changed
    pipeline: Enterprise Sales
    to_stage: Closed Won
    action:
      type: create_deal
      name: "{deal.name} - Renewal"
      pipeline: Renewals
      stage: Qualified
"""


def _rules(tmp: Path) -> Path:
    text = default_rules_text()
    text = text.replace("automations: []\n", AUTOMATION)
    text = text.replace("conversion_events: false", "conversion_events: true")
    path = tmp / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _sync(cli: Cli) -> dict[str, Any]:
    result = cli("sync", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def _deal(state: SandboxState, pipeline: str, stage: str) -> dict[str, Any]:
    p, s = state.pipeline(pipeline).id, state.stage_id(pipeline, stage)
    return next(
        d
        for d in state.deals_snapshot()
        if d["attributes"]["pipeline"] == p
        and d["attributes"]["deal_stage"] == s
        and d["linkedContactsIds"]
    )


def test_a_win_in_brevo_starts_an_automation_and_a_purchase_event_once(
    cli: Cli, sandbox: SandboxServer, tmp_path: Path
) -> None:
    state = sandbox.state
    root = sandbox.base_url.removesuffix("/v3")
    cli.env.update(
        BREVO_SYNC_RULES=str(_rules(tmp_path)),
        BREVO_SYNC_META_PIXEL_ID="1234567890",
        BREVO_SYNC_META_ACCESS_TOKEN="meta-secret-token",
        BREVO_SYNC_META_API_URL=f"{root}/_meta/v19.0",
    )
    _sync(cli)
    won = _deal(state, "Enterprise Sales", "Negotiation")
    pipeline = state.pipeline("Enterprise Sales").id
    state.update_deal(
        won["id"],
        attributes={
            "pipeline": pipeline,
            "deal_stage": state.stage_id("Enterprise Sales", "Closed Won"),
        },
    )
    first = _sync(cli)
    assert first["pull"]["stage_changes"] == 1
    assert first["push"]["dead"] == 0, first["push"]["errors"]
    name = f"{won['attributes']['deal_name']} - Renewal"
    renewals = [d for d in state.deals_snapshot() if d["attributes"].get("deal_name") == name]
    assert len(renewals) == 1
    events = httpx.get(f"{root}/_sandbox/meta/events").json()["events"]
    purchases = [e for e in events if e.get("event_name") == "Purchase"]
    assert len(purchases) == 1
    external = purchases[0]["user_data"]["external_id"]
    assert all(re.fullmatch(r"[0-9a-f]{64}", value) for value in external)  # hashed
    assert won["id"] not in json.dumps(events)  # never in the clear

    # The renewal deal is news in its turn (a new lead for a known customer, a contact
    # joining a deal: Lead); after that, nothing is decided or sent twice.
    _sync(cli)
    third = _sync(cli)
    assert third["push"]["sent"] == 0 and third["push"]["requests_total"] == 0
    renewals = [d for d in state.deals_snapshot() if d["attributes"].get("deal_name") == name]
    assert len(renewals) == 1
    events = httpx.get(f"{root}/_sandbox/meta/events").json()["events"]
    assert len([e for e in events if e.get("event_name") == "Purchase"]) == 1
    status = cli("status")
    assert "meta-secret-token" not in status.stdout + status.stderr
    assert "Conversions:      on" in status.stdout


def test_a_new_lead_for_a_known_customer_goes_to_the_first_seller(
    cli: Cli, sandbox: SandboxServer
) -> None:
    state = sandbox.state
    _sync(cli)
    first = _deal(state, "Opportunity Pipeline", "QUALIFICATION")
    contact = first["linkedContactsIds"][0]
    other = state.add_user("second.seller@example.com")
    assert other != first["attributes"]["deal_owner"]
    lead = state.create_deal(
        "Second lead, same customer",
        attributes={
            "deal_owner": other,
            "pipeline": state.pipeline("Opportunity Pipeline").id,
            "deal_stage": state.stage_id("Opportunity Pipeline", "NEW_LEAD"),
        },
        linked_contacts=[contact],
    )
    report = _sync(cli)
    assert report["push"]["dead"] == 0, report["push"]["errors"]
    remote = next(d for d in state.deals_snapshot() if d["id"] == lead)
    assert remote["attributes"]["deal_owner"] == first["attributes"]["deal_owner"]
    notes = httpx.get(
        f"{sandbox.base_url.removesuffix('/v3')}/_sandbox/notes", params={"deal": lead}
    ).json()
    assert notes["count"] >= 2  # the first seller and the second are both told
