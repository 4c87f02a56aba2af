"""The HTTP surface, served in-process (`SandboxTransport`): shapes, statuses, headers."""

from __future__ import annotations

from collections.abc import Iterator
from email.utils import parsedate_to_datetime

import httpx
import pytest

from brevo_sync.sandbox import ManualClock, SandboxState, SandboxTransport
from tests.unit.sandbox.conftest import START


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def monotonic() -> FakeMonotonic:
    return FakeMonotonic()


@pytest.fixture
def api(clock: ManualClock, monotonic: FakeMonotonic) -> Iterator[httpx.Client]:
    state = SandboxState.seeded(
        seed=2, deals=120, clock=clock, requests_per_hour=1000, monotonic=monotonic
    )
    transport = SandboxTransport(state)
    with httpx.Client(
        base_url="http://sandbox/v3", transport=transport, headers={"api-key": state.api_key}
    ) as client:
        yield client


def _state(client: httpx.Client) -> SandboxState:
    transport = client._transport
    assert isinstance(transport, SandboxTransport)
    return transport.state


def _admin(client: httpx.Client) -> httpx.Client:
    return httpx.Client(base_url="http://sandbox/_sandbox", transport=client._transport)


def test_a_wrong_or_missing_key_is_401_without_budget_spent(api: httpx.Client) -> None:
    for headers in ({"api-key": "wrong"}, {"api-key": ""}):
        response = api.get("/crm/deals", headers=headers)
        assert response.status_code == 401
        assert response.json() == {"code": "unauthorized", "message": "Key not found"}
        assert "x-sib-ratelimit-limit" not in response.headers
    assert api.get("/crm/deals").headers["x-sib-ratelimit-remaining"] == "999"


def test_limited_responses_carry_brevos_headers_and_the_sandbox_date(api: httpx.Client) -> None:
    for path in ("/crm/deals", "/companies", "/crm/deals/nope", "/loyalty/tier/programs/x/tiers"):
        headers = api.get(path).headers
        assert {
            "x-sib-ratelimit-limit",
            "x-sib-ratelimit-remaining",
            "x-sib-ratelimit-reset",
        } <= set(headers), path
        assert parsedate_to_datetime(headers["date"]) == START.replace(microsecond=0)


def test_over_budget_is_429_with_headers_and_no_retry_after(
    clock: ManualClock, monotonic: FakeMonotonic
) -> None:
    state = SandboxState(clock=clock, requests_per_hour=2, window_seconds=30, monotonic=monotonic)
    with httpx.Client(
        base_url="http://sandbox/v3",
        transport=SandboxTransport(state),
        headers={"api-key": state.api_key},
    ) as client:
        assert [client.get("/crm/deals").status_code for _ in range(2)] == [200, 200]
        monotonic.now += 10.5
        refused = client.get("/crm/pipeline/details/all")
        assert refused.status_code == 429
        assert refused.json()["code"] == "too_many_requests"
        assert "retry-after" not in refused.headers
        assert (
            refused.headers["x-sib-ratelimit-limit"],
            refused.headers["x-sib-ratelimit-remaining"],
            refused.headers["x-sib-ratelimit-reset"],
        ) == ("2", "0", "20")
        assert client.get("/loyalty/tier/programs/x/tiers").status_code == 404  # own bucket
        monotonic.now += 20
        assert client.get("/crm/deals").headers["x-sib-ratelimit-remaining"] == "1"


def test_deal_lifecycle_over_http(api: httpx.Client) -> None:
    pipeline = _state(api).pipeline("Renewals")
    created = api.post(
        "/crm/deals",
        json={
            "name": "Renewal 2026",
            "attributes": {
                "amount": 1200,
                "pipeline": pipeline.id,
                "deal_stage": pipeline.stages[1].id,
            },
            "linkedContactsIds": [5],
            "linkedCompaniesIds": [],
        },
    )
    assert created.status_code == 201
    deal_id = created.json()["id"]
    deal = api.get(f"/crm/deals/{deal_id}").json()
    assert deal["attributes"]["deal_name"] == "Renewal 2026"
    assert set(deal) == {"id", "attributes", "linkedContactsIds", "linkedCompaniesIds"}
    patched = api.patch(f"/crm/deals/{deal_id}", json={"attributes": {"amount": 1500}})
    assert (patched.status_code, patched.content) == (204, b"")
    linked = api.patch(f"/crm/deals/link-unlink/{deal_id}", json={"linkContactIds": [6]})
    assert linked.status_code == 204
    assert api.get(f"/crm/deals/{deal_id}").json()["linkedContactsIds"] == [5, 6]
    assert api.delete(f"/crm/deals/{deal_id}").status_code == 204
    missing = api.get(f"/crm/deals/{deal_id}")
    assert missing.status_code == 404
    assert missing.json() == {"message": "Document not found"}  # as the README documents it
    patch_missing = api.patch(f"/crm/deals/{deal_id}", json={})
    assert patch_missing.status_code == 404
    assert patch_missing.json() == {"code": "document_not_found", "message": "Document not found"}


def test_bad_requests_are_400_in_brevos_shape(api: httpx.Client) -> None:
    cases = [
        api.post("/crm/deals", json={"attributes": {}}),
        api.post("/crm/deals", content=b"{not json", headers={"content-type": "application/json"}),
        api.post("/crm/deals", json=["a list"]),
        api.get("/crm/deals", params={"limit": 5000}),
        api.get("/crm/pipeline/details/not-a-pipeline"),
    ]
    assert [r.status_code for r in cases] == [400] * 5
    assert all(set(r.json()) == {"code", "message"} for r in cases[:-1])
    assert cases[-2].json()["message"] == "limit must be between 1 and 100"
    assert cases[-1].json() == {"message": "Pipeline not found"}  # documented without code
    assert api.get("/no/such/route").status_code == 404
    assert api.put("/crm/deals").json()["code"] == "method_not_allowed"


def test_pipelines_and_attribute_catalogue(api: httpx.Client) -> None:
    pipelines = api.get("/crm/pipeline/details/all").json()
    assert [p["pipeline_name"] for p in pipelines][:1] == ["Enterprise Sales"]
    assert set(pipelines[0]) == {"pipeline", "pipeline_name", "stages"}
    one = api.get(f"/crm/pipeline/details/{pipelines[2]['pipeline']}").json()
    assert one == [pipelines[2]]
    catalogue = api.get("/crm/attributes/deals").json()
    assert set(catalogue[0]) == {
        "internalName", "label", "attributeTypeName", "attributeOptions", "isRequired",
        "isValueReadonly",
    }  # fmt: skip
    made = api.post(
        "/crm/attributes",
        json={"label": "Win Story", "attributeType": "text", "objectType": "deals"},
    )
    assert made.status_code == 200 and "id" in made.json()
    assert "win_story" in {a["internalName"] for a in api.get("/crm/attributes/deals").json()}


def test_companies_page_by_page_and_patch_returns_the_company(api: httpx.Client) -> None:
    first = api.get("/companies", params={"page": 1, "limit": 2}).json()["items"]
    second = api.get("/companies", params={"page": 2, "limit": 2}).json()["items"]
    assert len(first) == len(second) == 2
    assert not {c["id"] for c in first} & {c["id"] for c in second}
    made = api.post("/companies", json={"name": "Newco", "attributes": {"domain": "newco.io"}})
    company_id = made.json()["id"]
    deal_id = _state(api).deals_snapshot()[0]["id"]
    patched = api.patch(
        f"/companies/{company_id}",
        json={"attributes": {"revenue": 10}, "linkedDealsIds": [deal_id]},
    )
    assert patched.status_code == 200
    body = patched.json()
    assert body["attributes"]["revenue"] == 10 and body["linkedDealsIds"] == [deal_id]
    assert company_id in api.get(f"/crm/deals/{deal_id}").json()["linkedCompaniesIds"]
    assert api.delete(f"/companies/{company_id}").status_code == 204
    assert api.get(f"/companies/{company_id}").status_code == 404


def test_tasks_and_notes(api: httpx.Client) -> None:
    types = api.get("/crm/tasktypes").json()
    assert {"Call", "Email"} <= {t["title"] for t in types} and set(types[0]) == {"id", "title"}
    deal_id = _state(api).deals_snapshot()[0]["id"]
    assert (
        api.post("/crm/tasks", json={"name": "Call", "date": "2025-03-11T10:00:00Z"}).status_code
        == 400
    )
    task = api.post(
        "/crm/tasks",
        json={"name": "Call back", "taskTypeId": types[0]["id"], "date": "2025-03-11T10:00:00Z",
              "dealsIds": [deal_id]},
    )  # fmt: skip
    assert task.status_code == 201
    listed = api.get("/crm/tasks", params={"filter[deals]": deal_id}).json()["items"]
    assert [t["id"] for t in listed] == [task.json()["id"]]
    note = api.post("/crm/notes", json={"text": "<p>Spoke to CFO</p>", "dealIds": [deal_id]})
    assert note.status_code == 200
    notes = api.get("/crm/notes", params={"entity": "deals", "entityIds": deal_id}).json()
    assert [n["id"] for n in notes] == [note.json()["id"]]
    assert api.post("/crm/notes", json={"text": ""}).status_code == 400


def test_loyalty_enrol_credit_complete_and_tiers(api: httpx.Client) -> None:
    state = _state(api)
    pid, definition = state.loyalty_program_id, state.loyalty_balance_definition_id
    credit = {"amount": 150, "balanceDefinitionId": definition, "contactId": 42}
    base = f"/loyalty/balance/programs/{pid}/transactions"
    not_enrolled = api.post(base, json=credit)
    assert not_enrolled.status_code == 422
    assert (
        api.post(
            f"/loyalty/config/programs/{pid}/subscriptions", json={"contactId": 42}
        ).status_code
        == 200
    )
    assert (
        api.post(
            f"/loyalty/config/programs/{pid}/subscriptions", json={"contactId": 42}
        ).status_code
        == 422
    )
    draft = api.post(base, json={**credit, "meta": {"deal_id": "d1", "milestone": "won"}}).json()
    assert draft["status"] == "draft" and state.loyalty_balance(42) == 0
    done = api.post(f"{base}/{draft['id']}/complete")
    assert done.status_code == 200 and done.json()["status"] == "completed"
    assert state.loyalty_balance(42) == 150
    assert api.post(f"{base}/{draft['id']}/complete").status_code == 422
    assert api.post(f"{base}/{draft['id']}/cancel").status_code == 422
    auto = api.post(base, json={**credit, "amount": 50, "autoComplete": True}).json()
    assert auto["status"] == "completed" and state.loyalty_balance(42) == 200
    other = api.post(base, json=credit).json()
    assert api.post(f"{base}/{other['id']}/cancel").json()["status"] == "cancelled"
    assert api.post(f"{base}/nope/complete").status_code == 404
    assert state.loyalty_transactions()[0]["meta"] == {"deal_id": "d1", "milestone": "won"}
    tiers = api.get(f"/loyalty/tier/programs/{pid}/tiers").json()["items"]
    gold = next(t for t in tiers if t["name"] == "Gold")
    assert (
        api.post(f"/loyalty/tier/programs/{pid}/contacts/7/tiers/{gold['tierId']}").status_code
        == 422
    )
    assert api.post(f"/loyalty/tier/programs/{pid}/contacts/42/tiers/nope").status_code == 404
    assigned = api.post(f"/loyalty/tier/programs/{pid}/contacts/42/tiers/{gold['tierId']}")
    assert assigned.status_code == 200 and state.contact_tier(42) == gold["tierId"]
    assert (
        api.post(
            "/loyalty/config/programs/unknown/subscriptions", json={"contactId": 1}
        ).status_code
        == 404
    )


def test_stats_count_requests_by_route_template(api: httpx.Client) -> None:
    deal_id = _state(api).deals_snapshot()[0]["id"]
    api.get("/crm/deals")
    api.get(f"/crm/deals/{deal_id}")
    api.get("/crm/deals/other")
    api.get("/crm/deals", headers={"api-key": "bad"})
    with _admin(api) as admin:
        stats = admin.get("/stats").json()
        assert stats["by_endpoint"] == {"GET /crm/deals": 2, "GET /crm/deals/{id}": 2}
        assert stats["total"] == 4
        assert stats["by_status"] == {"200": 2, "401": 1, "404": 1}
        assert admin.post("/reset-stats").status_code == 204
        assert admin.get("/stats").json()["total"] == 0  # admin calls are not counted


def test_faults_over_the_admin_endpoint(api: httpx.Client) -> None:
    with _admin(api) as admin:
        armed = admin.post(
            "/faults",
            json={
                "rules": [
                    {"kind": "status", "status": 503, "count": 1, "path_prefix": "/crm/deals"},
                    {"kind": "status", "status": 429, "count": 1},
                    {"kind": "status", "status": 502, "count": 1, "body": "<html>bad</html>"},
                ]
            },
        )
        assert armed.status_code == 201 and len(armed.json()["rules"]) == 3
        first = api.get("/crm/deals")
        assert (first.status_code, first.json()["code"]) == (503, "service_unavailable")
        limited = api.get("/companies")
        assert limited.status_code == 429 and limited.headers["x-sib-ratelimit-remaining"] == "0"
        html = api.get("/companies")
        assert html.status_code == 502 and html.headers["content-type"].startswith("text/html")
        assert api.get("/crm/deals").status_code == 200
        assert admin.get("/faults").json() == {"rules": []}
        admin.post("/faults", json={"kind": "drop", "count": 1})
        with pytest.raises(httpx.RemoteProtocolError):
            api.get("/crm/deals")
        admin.post("/faults", json=[{"kind": "status", "status": 500, "from": 2}])
        assert [api.get("/companies").status_code for _ in range(3)] == [200, 500, 500]
        assert admin.delete("/faults").status_code == 204
        assert api.get("/companies").status_code == 200
        bad = admin.post("/faults", json={"kind": "status", "status": 200})
        assert bad.status_code == 400 and bad.json()["code"] == "invalid_parameter"


def test_a_drop_after_processing_keeps_the_write(api: httpx.Client) -> None:
    """The lost-response case: the deal exists although the client never heard so."""
    state = _state(api)
    before = state.deal_count()
    state.faults.drop_next(1, method="POST", path_prefix="/crm/deals")
    with pytest.raises(httpx.RemoteProtocolError):
        api.post("/crm/deals", json={"name": "Maybe created"})
    assert state.deal_count() == before + 1
    state.faults.drop_next(1, method="POST", phase="before")
    with pytest.raises(httpx.RemoteProtocolError):
        api.post("/crm/deals", json={"name": "Never created"})
    assert state.deal_count() == before + 1


def test_rate_limit_can_be_reconfigured_at_run_time(api: httpx.Client) -> None:
    with _admin(api) as admin:
        assert (
            admin.post("/ratelimit", json={"bucket": "crm", "requests_per_hour": 1}).status_code
            == 204
        )
        assert api.get("/crm/deals").status_code == 200
        assert api.get("/crm/deals").status_code == 429
        assert admin.delete("/ratelimit").status_code == 204
        assert api.get("/crm/deals").status_code == 200
        assert admin.post("/ratelimit", json={"bucket": "sms"}).status_code == 400
        assert admin.get("/health").json()["ok"] is True


def test_a_sandbox_bug_is_a_brevo_shaped_500_and_the_next_request_works(
    api: httpx.Client, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    state = _state(api)

    def broken(params: object) -> bytes:
        raise RuntimeError("boom")

    monkeypatch.setattr(state, "deals_page_json", broken)
    response = api.get("/crm/deals")
    assert response.status_code == 500
    assert response.json() == {"code": "internal_server_error", "message": "Sandbox error"}
    assert "sandbox route failed" in caplog.text
    monkeypatch.undo()
    assert api.get("/crm/deals").status_code == 200
