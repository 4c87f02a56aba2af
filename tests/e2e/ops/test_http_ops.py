"""The ops API over a real SQLite mirror pulled from the sandbox: bearer tokens, visibility by
role (seed 002), no personal data for a Viewer, the stage route's refusals and moves, alerts,
forecast and analytics as the CLI gives them."""

from __future__ import annotations

from typing import Any

import pytest

from brevo_sync.domain.rules.permissions import Actor
from brevo_sync.service.analytics import AnalyticsRequest, analytics
from brevo_sync.service.deal_changes import ChangeRefused, advance_deal
from brevo_sync.service.forecast import ForecastRequest, forecast
from brevo_sync.service.tokens import revoke_token
from tests.e2e.ops.support import (
    ALICE,
    BRUNO,
    CHLOE,
    CUSTOMER_EMAIL,
    CUSTOMER_PHONE,
    DAVID,
    EMAIL,
    EVA,
    PERSONAL_DEAL,
    Api,
)

ALL = {"limit": 1000}


def ids(body: dict[str, Any]) -> set[str]:
    return {d["id"] for d in body["deals"]}


def owners_of(api: Api, manager: dict[str, str]) -> dict[str, str | None]:
    """Deal id -> owner e-mail, as a manager sees every deal."""
    body = api.get("/deals", manager, **ALL).json()
    return {d["id"]: d["owner_email"] for d in body["deals"]}


def test_tokens_are_required_and_checked(api: Api) -> None:
    for headers in (
        None,
        {"Authorization": "Bearer bst_not-a-token"},
        {"Authorization": "Basic eDp5"},
    ):
        answer = api.client.get("/deals", headers=headers)
        assert answer.status_code == 401, answer.text
        assert answer.headers["www-authenticate"] == "Bearer"
        assert answer.json()["detail"]
    headers = api.token(ALICE, "sales_rep")
    assert api.get("/deals", headers).status_code == 200
    revoke_token(api.container.context, f"{ALICE}:sales_rep")
    revoked = api.get("/deals", headers)
    assert revoked.status_code == 401 and "revoked" in revoked.json()["detail"]


def test_each_role_sees_its_deals(api: Api) -> None:
    manager = api.token("boss@example.com", "sales_manager")
    owner = owners_of(api, manager)
    assert len(owner) == 121  # every live deal, and a second page was not needed
    north = {d for d, e in owner.items() if e in (ALICE, BRUNO)}
    assert north and len(north) < len(owner)

    rep = api.token(ALICE, "sales_rep")  # own and team
    assert ids(api.get("/deals", rep, **ALL).json()) == north
    lead = api.token(BRUNO, "team_lead")  # the team's
    assert ids(api.get("/deals", lead, **ALL).json()) == north
    loner = api.token(EVA, "sales_rep")  # in no team: own only
    eva = ids(api.get("/deals", loner, **ALL).json())
    assert eva and eva == {d for d, e in owner.items() if e == EVA}

    # Visibility is in the query: a limit of 5 gives 5 of one's own, and says there are more.
    five = api.get("/deals", rep, limit=5, sort="-amount", currency="EUR").json()
    assert len(five["deals"]) == 5 and five["more"] and ids(five) <= north
    amounts = [d["amount"] for d in five["deals"]]
    assert amounts == sorted(amounts, reverse=True)
    # A filter on someone outside the team finds nothing (and says nothing about them).
    assert api.get("/deals", rep, owner=CHLOE).json()["deals"] == []
    assert ids(api.get("/deals", manager, owner=CHLOE, **ALL).json()) == {
        d for d, e in owner.items() if e == CHLOE
    }


def test_a_viewer_sees_every_deal_without_personal_data(api: Api) -> None:
    manager = api.token("boss@example.com", "sales_manager")
    full = api.get(f"/deals/{api.template.personal_deal}", manager).json()["deal"]
    assert full["attributes"]["email"] == CUSTOMER_EMAIL and full["contact_ids"] == [7, 8]
    assert full["name"] == PERSONAL_DEAL and full["owner_email"] == ALICE

    viewer = api.token("audit@example.com", "viewer")
    listing = api.get("/deals", viewer, **ALL)
    assert listing.status_code == 200
    body = listing.json()
    assert len(body["deals"]) == 121 and body["personal_data"] is False
    assert not EMAIL.search(listing.text), EMAIL.search(listing.text)
    assert CUSTOMER_PHONE not in listing.text and PERSONAL_DEAL not in listing.text
    shown = next(d for d in body["deals"] if d["id"] == api.template.personal_deal)
    assert shown["name"] == f"Deal {shown['id']}" and shown["contact_ids"] == []
    assert shown["attributes"]["number_of_contacts"] == 2
    assert not {"email", "phone", "contact_name"} & set(shown["attributes"])

    detail = api.get(f"/deals/{api.template.personal_deal}", viewer)
    assert detail.status_code == 200 and not EMAIL.search(detail.text)
    assert CUSTOMER_PHONE not in detail.text and PERSONAL_DEAL not in detail.text
    alerts = api.get("/alerts", viewer, **ALL)
    assert alerts.json()["alerts"] and not EMAIL.search(alerts.text)
    for route in ("/forecast", "/analytics"):
        answer = api.get(route, viewer)
        assert answer.status_code == 200 and not EMAIL.search(answer.text)


def test_deal_detail_history_alerts_and_visibility(api: Api) -> None:
    manager = api.token("boss@example.com", "sales_manager")
    alert = api.get("/alerts", manager, limit=1).json()["alerts"][0]
    detail = api.get(f"/deals/{alert['deal_id']}", manager).json()
    assert detail["deal"]["id"] == alert["deal_id"] and detail["personal_data"]
    assert alert["id"] in {a["id"] for a in detail["alerts"]}
    assert {a["deal_id"] for a in detail["alerts"]} == {alert["deal_id"]}
    assert detail["history"] and detail["outbox"] == []

    owner = owners_of(api, manager)
    rep = api.token(ALICE, "sales_rep")
    south = next(d for d, e in owner.items() if e == CHLOE)
    for deal in (south, "no-such-deal"):
        answer = api.get(f"/deals/{deal}", rep)
        assert answer.status_code == 404
        assert answer.json() == {"detail": f"no deal '{deal}' that this token may see"}


def _deal_in(api: Api, headers: dict[str, str], stage: str, owner: str | None = None) -> str:
    params = {"stage": stage, **ALL}
    if owner:
        params["owner"] = owner
    deals = api.get("/deals", headers, **params).json()["deals"]
    assert deals, (stage, owner)
    return str(deals[0]["id"])


def test_stage_moves_refused_with_every_reason(api: Api) -> None:
    manager = api.token("boss@example.com", "sales_manager")
    deal = _deal_in(api, manager, "NEW_LEAD")
    answer = api.client.post(f"/deals/{deal}/stage", headers=manager, json={"stage": "proposal"})
    assert answer.status_code == 422
    body = answer.json()
    # The service refuses the same move with the same reasons (and changes nothing).
    boss = Actor("boss@example.com", "sales_manager")
    with pytest.raises(ChangeRefused) as service:
        advance_deal(api.container.context, deal, "proposal", actor=boss)
    assert body["reasons"] == list(service.value.reasons)
    assert len(body["reasons"]) >= 2 and all(r in body["detail"] for r in body["reasons"])

    # A rep may see a team mate's deal but move only their own; a viewer moves nothing.
    rep = api.token(ALICE, "sales_rep")
    theirs = _deal_in(api, manager, "Lead", owner=BRUNO)
    refused = api.client.post(f"/deals/{theirs}/stage", headers=rep, json={"stage": "Qualified"})
    assert refused.status_code == 422
    assert any("only of deals they own" in r for r in refused.json()["reasons"])
    viewer = api.token("audit@example.com", "viewer")
    refused = api.client.post(f"/deals/{theirs}/stage", headers=viewer, json={"stage": "Qualified"})
    assert refused.status_code == 422
    assert any("may not change the stage" in r for r in refused.json()["reasons"])
    # Another team's deal does not exist for the rep; a stage that does not exist is named.
    south = _deal_in(api, manager, "Lead", owner=DAVID)
    assert (
        api.client.post(
            f"/deals/{south}/stage", headers=rep, json={"stage": "Qualified"}
        ).status_code
        == 404
    )
    typo = api.client.post(f"/deals/{theirs}/stage", headers=manager, json={"stage": "Qualifed"})
    assert typo.status_code == 422 and "'Qualified'" in typo.json()["detail"]
    # A body that cannot be read is a 422 naming the field.
    for bad in ({}, {"stage": ""}, {"stage": "Qualified", "extra": 1}):
        answer = api.client.post(f"/deals/{theirs}/stage", headers=manager, json=bad)
        assert answer.status_code == 422 and answer.json()["detail"][0]["loc"][0] == "body"
    assert api.get(f"/deals/{theirs}", manager).json()["outbox"] == []  # nothing was queued


def test_an_allowed_move_queues_its_outbox_rows(api: Api) -> None:
    manager = api.token("boss@example.com", "sales_manager")
    rep = api.token(ALICE, "sales_rep")
    own = _deal_in(api, manager, "Lead", owner=ALICE)
    answer = api.client.post(f"/deals/{own}/stage", headers=rep, json={"stage": "qualified"})
    assert answer.status_code == 200, answer.text
    change = answer.json()
    assert change["deal_id"] == own and change["change"] == "Lead -> Qualified"
    assert change["queued"] >= 1 and "UpdateDealRequested" in change["effects"]
    assert change["attributes"]["deal_stage"]

    detail = api.get(f"/deals/{own}", rep).json()
    assert detail["deal"]["stage_name"] == "Qualified"
    assert detail["history"][-1]["to_stage"] == "Qualified"
    assert detail["history"][-1]["source"] == "local"
    pending = detail["outbox"]
    assert len(pending) == change["queued"] and {r["state"] for r in pending} == {"pending"}
    assert any(r["kind"] == "update_deal" and r["payload"] for r in pending)
    # A viewer sees that decisions wait, not what they carry.
    viewer = api.get(f"/deals/{own}", api.token("audit@example.com", "viewer"))
    assert [r["id"] for r in viewer.json()["outbox"]] == [r["id"] for r in pending]
    assert all(r["payload"] is None for r in viewer.json()["outbox"])
    assert not EMAIL.search(viewer.text)


def test_alerts_by_role_and_filter(api: Api) -> None:
    manager = api.token("boss@example.com", "sales_manager")
    everything = api.get("/alerts", manager, **ALL).json()
    assert everything["alerts"] and everything["mirror_has_alerts"]
    owner = owners_of(api, manager)
    rep = api.token(ALICE, "sales_rep")
    theirs = api.get("/alerts", rep, **ALL).json()["alerts"]
    assert theirs and all(owner[a["deal_id"]] in (ALICE, BRUNO) for a in theirs)
    assert {a["id"] for a in theirs} == {
        a["id"] for a in everything["alerts"] if owner[a["deal_id"]] in (ALICE, BRUNO)
    }
    inactive = api.get("/alerts", manager, rule="inactivity", open="true", **ALL).json()["alerts"]
    assert inactive and all(a["rule"].startswith("inactivity") for a in inactive)
    typo = api.get("/alerts", manager, rule="inactivty")
    assert typo.status_code == 422 and "'inactivity'" in typo.json()["detail"]


def test_forecast_and_analytics_as_the_cli_gives_them(api: Api) -> None:
    manager = api.token("boss@example.com", "sales_manager")
    ctx = api.container.context
    assert api.get("/forecast", manager).json() == forecast(ctx, ForecastRequest()).to_json()
    one = api.get(
        "/forecast", manager, pipeline="renewals", **{"from": "2026-01-01", "to": "2026-12-31"}
    )
    assert one.json()["pipeline"] == "Renewals" and one.json()["from"] == "2026-01-01"
    assert api.get("/analytics", manager).json() == analytics(ctx, AnalyticsRequest()).to_json()

    wrong_way = api.get("/analytics", manager, **{"from": "2026-05-01", "to": "2026-01-01"})
    assert wrong_way.status_code == 422 and "before" in wrong_way.json()["detail"]
    unknown = api.get("/forecast", manager, pipeline="renewal pipe")
    assert unknown.status_code == 422 and "Renewals" in unknown.json()["detail"]
    not_a_date = api.get("/forecast", manager, **{"from": "soon"})
    assert not_a_date.status_code == 422 and not_a_date.json()["detail"][0]["loc"] == [
        "query",
        "from",
    ]
    rep = api.token(ALICE, "sales_rep")
    for route in ("/forecast", "/analytics"):
        refused = api.get(route, rep)
        assert refused.status_code == 403 and "every deal" in refused.json()["detail"]
