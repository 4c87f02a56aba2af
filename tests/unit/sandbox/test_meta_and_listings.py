"""The Meta Conversions API stand-in, and the admin listings of what clients wrote."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

import httpx
import pytest

from brevo_sync.sandbox import SandboxState, SandboxTransport
from tests.unit.sandbox.conftest import http_client

DIGEST = hashlib.sha256(b"buyer@example.com").hexdigest()


def event(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "event_name": "Purchase",
        "event_time": 1741600000,
        "event_id": "row-1",
        "action_source": "system_generated",
        "user_data": {"em": [DIGEST], "fbp": "fb.1.2.3"},
    }
    return {**base, **changes}


@pytest.fixture
def meta(state: SandboxState) -> Iterator[httpx.Client]:
    # No api-key header: Meta's stand-in does not ask for Brevo's.
    with httpx.Client(
        base_url="http://sandbox/_meta/v19.0", transport=SandboxTransport(state)
    ) as c:
        yield c


@pytest.fixture
def admin(state: SandboxState) -> Iterator[httpx.Client]:
    with http_client(state, "/_sandbox") as client:
        yield client


def test_events_are_received_like_meta_and_listed(
    meta: httpx.Client, admin: httpx.Client, state: SandboxState
) -> None:
    response = meta.post(
        "/1234/events",
        data={"data": json.dumps([event(), event(event_name="Lead")]), "access_token": "tok"},
    )

    assert response.status_code == 200
    body = response.json()
    assert body["events_received"] == 2
    assert body["messages"] == []
    assert body["fbtrace_id"]
    listed = admin.get("/meta/events").json()
    assert (listed["requests"], listed["count"]) == (1, 2)
    assert listed["events"][0]["pixel_id"] == "1234"
    assert listed["events"][0]["user_data"]["em"] == [DIGEST]
    assert admin.get("/meta/events", params={"event_name": "Lead"}).json()["count"] == 1
    assert state.stats.snapshot()["total"] == 0  # not a Brevo request


def test_a_json_body_and_a_bearer_token_work_too(meta: httpx.Client, admin: httpx.Client) -> None:
    response = meta.post(
        "/1234/events",
        json={"data": [event()], "test_event_code": "TEST1"},
        headers={"Authorization": "Bearer tok"},
    )
    assert response.status_code == 200
    assert admin.get("/meta/events").json()["events"][0]["test_event_code"] == "TEST1"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"data": json.dumps([event()])}, "access token is required"),
        ({"data": "[", "access_token": "t"}, "JSON-encoded array"),
        ({"data": "[]", "access_token": "t"}, "non-empty array"),
        ({"data": json.dumps([event(event_time="now")]), "access_token": "t"}, "event_time"),
        ({"data": json.dumps([event(action_source=None)]), "access_token": "t"}, "action_source"),
        (
            {
                "data": json.dumps([event(user_data={"em": "buyer@example.com"})]),
                "access_token": "t",
            },
            "must be hashed",
        ),
    ],
)
def test_refusals_in_metas_shape(
    meta: httpx.Client, admin: httpx.Client, fields: dict[str, str], message: str
) -> None:
    response = meta.post("/1234/events", data=fields)

    assert response.status_code == 400
    error = response.json()["error"]
    assert message in error["message"]
    assert error["type"] == "OAuthException"
    listed = admin.get("/meta/events").json()
    assert (listed["requests"], listed["refused"]) == (0, 1)


def test_a_configured_token_must_match_and_faults_reach_the_stand_in(
    meta: httpx.Client, admin: httpx.Client, state: SandboxState
) -> None:
    state.meta.access_token = "right"
    wrong = meta.post("/1/events", data={"data": json.dumps([event()]), "access_token": "no"})
    assert wrong.json()["error"]["code"] == 190

    state.faults.fail_next(1, status=503, path_prefix="/_meta")
    ok = {"data": json.dumps([event()]), "access_token": "right"}
    assert meta.post("/1/events", data=ok).status_code == 503
    assert meta.post("/1/events", data=ok).status_code == 200
    assert admin.delete("/meta/events").status_code == 204
    assert admin.get("/meta/events").json()["count"] == 0


def test_tasks_and_notes_are_listed_per_deal(state: SandboxState, admin: httpx.Client) -> None:
    type_id = state.tasks.task_types[0]["id"]
    with http_client(state) as api:
        for deal in ("d1", "d1", "d2"):
            task = {"name": "Call", "taskTypeId": type_id, "date": "2025-03-11T09:00:00Z"}
            assert api.post("/crm/tasks", json={**task, "dealsIds": [deal]}).status_code == 201
        assert api.post("/crm/notes", json={"text": "Lost", "dealIds": ["d2"]}).status_code == 200

    tasks = admin.get("/tasks", params={"deal": "d1"}).json()
    assert (tasks["count"], tasks["by_deal"]) == (2, {"d1": 2, "d2": 1})
    notes = admin.get("/notes").json()
    assert (notes["count"], notes["by_deal"]) == (1, {"d2": 1})


def test_loyalty_transactions_are_listed_per_deal_and_readable_as_history(
    state: SandboxState, admin: httpx.Client
) -> None:
    pid, balance = state.loyalty_program_id, state.loyalty_balance_definition_id
    base = f"/loyalty/balance/programs/{pid}"
    credit = {"amount": 100, "balanceDefinitionId": balance, "contactId": 9}
    with http_client(state) as api:
        not_enrolled = api.post(f"{base}/transactions", json=credit)
        assert not_enrolled.status_code == 422
        api.post(f"/loyalty/config/programs/{pid}/subscriptions", json={"contactId": 9})
        done = api.post(
            f"{base}/transactions", json={**credit, "autoComplete": True, "meta": {"deal_id": "d1"}}
        ).json()
        draft = api.post(f"{base}/transactions", json={**credit, "meta": {"deal_id": "d1"}}).json()
        assert api.post(f"{base}/transactions/{done['id']}/complete").status_code == 422
        history = api.get(
            f"{base}/transaction-history",
            params={"contactId": 9, "balanceDefinitionId": balance, "sort": "desc"},
        ).json()

    assert [t["id"] for t in history["transactionHistory"]] == [draft["id"], done["id"]]
    listed = admin.get("/loyalty/transactions", params={"deal": "d1"}).json()
    assert listed["count"] == 2
    assert listed["by_deal"] == {"d1": 2}
    assert listed["completed_by_deal"] == {"d1": 1}
    assert admin.get("/loyalty/transactions", params={"status": "draft"}).json()["count"] == 1
