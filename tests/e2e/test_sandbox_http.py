"""The sandbox over real loopback HTTP: uvicorn in a thread, httpx and the official SDK.

What needs a real socket is tested here: dropped connections, delays against client
timeouts, the rate-limit window in real time, the server's lifecycle, and that Brevo's
own Python SDK can read the sandbox.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime
from email.utils import parsedate_to_datetime

import brevo
import httpx
import pytest
from brevo.core.api_error import ApiError
from brevo.errors import BadRequestError, NotFoundError

from brevo_sync.sandbox import Quirks, SandboxServer, SandboxState, format_ms
from brevo_sync.sandbox.clock import to_ms


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxState.seeded(seed=21, deals=300)) as running:
        yield running


@pytest.fixture(autouse=True)
def _fresh_switches(server: SandboxServer) -> Iterator[None]:
    yield
    server.state.faults.clear()
    server.state.stats.reset()
    server.state.set_quirks(**Quirks().to_json())


@pytest.fixture
def api(server: SandboxServer) -> Iterator[httpx.Client]:
    headers = {"api-key": server.state.api_key}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=5) as client:
        yield client


def test_server_runs_on_a_free_loopback_port_and_stops_cleanly() -> None:
    before = set(threading.enumerate())
    with SandboxServer(SandboxState()) as running:
        assert running.base_url == f"http://127.0.0.1:{running.port}/v3"
        assert running.port > 0
        assert httpx.get(f"{running.url}/_sandbox/health").json() == {"ok": True, "deals": 0}
    assert set(threading.enumerate()) <= before
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{running.url}/_sandbox/health")


def test_full_read_in_creation_order_neither_skips_nor_repeats_while_deals_change(
    server: SandboxServer, api: httpx.Client
) -> None:
    state = server.state
    all_ids = [d["id"] for d in state.deals_snapshot()]
    read: list[str] = []
    offset = 0
    while True:
        page = api.get("/crm/deals", params={"sort": "asc", "offset": offset, "limit": 50})
        items = page.json()["items"]
        read += [d["id"] for d in items]
        # a rep edits deals both behind and ahead of the cursor during the read
        state.update_deal(all_ids[offset % len(all_ids)], attributes={"amount": 1})
        state.update_deal(all_ids[-1 - offset % len(all_ids)], attributes={"amount": 2})
        if len(items) < 50:
            break
        offset += 50
    assert read == all_ids


def test_modified_since_from_the_date_header_finds_every_later_edit(
    server: SandboxServer, api: httpx.Client
) -> None:
    state = server.state
    server_time = parsedate_to_datetime(api.get("/crm/deals", params={"limit": 1}).headers["date"])
    edited = [d["id"] for d in state.deals_snapshot()[:3]]
    for deal_id in edited:
        state.update_deal(deal_id, attributes={"amount": 777})
    since = format_ms(to_ms(server_time))  # Date has whole seconds: a built-in overlap
    response = api.get("/crm/deals", params={"modifiedSince": since, "sort": "asc", "limit": 100})
    assert edited == [d["id"] for d in response.json()["items"] if d["id"] in edited]


def test_wrong_key_is_401(server: SandboxServer) -> None:
    response = httpx.get(f"{server.base_url}/crm/deals", headers={"api-key": "nope"})
    assert response.status_code == 401
    assert response.json() == {"code": "unauthorized", "message": "Key not found"}


def test_429_after_the_budget_then_a_fresh_window() -> None:
    state = SandboxState(requests_per_hour=3, window_seconds=1.0)
    with (
        SandboxServer(state) as running,
        httpx.Client(base_url=running.base_url, headers={"api-key": state.api_key}) as client,
    ):
        remaining = [
            client.get("/crm/deals").headers["x-sib-ratelimit-remaining"] for _ in range(3)
        ]
        assert remaining == ["2", "1", "0"]
        refused = client.get("/companies")
        assert refused.status_code == 429
        assert refused.json()["code"] == "too_many_requests"
        assert refused.headers["x-sib-ratelimit-limit"] == "3"
        assert refused.headers["x-sib-ratelimit-reset"] == "1"
        assert "retry-after" not in refused.headers
        time.sleep(int(refused.headers["x-sib-ratelimit-reset"]))
        assert client.get("/crm/deals").status_code == 200


def test_status_faults_next_n_and_from_k(server: SandboxServer, api: httpx.Client) -> None:
    server.state.faults.fail_next(2, status=503)
    assert [api.get("/crm/deals").status_code for _ in range(3)] == [503, 503, 200]
    server.state.faults.fail_from(2, status=500, path_prefix="/companies")
    codes = [
        api.get(path).status_code
        for path in ("/companies", "/crm/deals", "/companies", "/companies")
    ]
    assert codes == [200, 200, 500, 500]


def test_delay_fault_trips_a_client_timeout(server: SandboxServer, api: httpx.Client) -> None:
    server.state.faults.delay(0.6, count=1)
    with pytest.raises(httpx.ReadTimeout):
        api.get("/crm/deals", timeout=0.2)
    server.state.faults.delay(0.3, count=1)
    started = time.perf_counter()
    assert api.get("/crm/deals").status_code == 200
    assert time.perf_counter() - started >= 0.3


def test_dropped_connection_is_a_transport_error_and_after_phase_keeps_the_write(
    server: SandboxServer, api: httpx.Client
) -> None:
    state = server.state
    before = state.deal_count()
    state.faults.drop_next(1, method="POST")  # default phase: after processing
    with pytest.raises(httpx.RemoteProtocolError):
        api.post("/crm/deals", json={"name": "Lost response"})
    assert state.deal_count() == before + 1  # a blind retry would now make a duplicate
    state.faults.drop_next(1, phase="before")
    with pytest.raises(httpx.RemoteProtocolError):
        api.get("/crm/deals")
    assert api.get("/crm/deals").status_code == 200
    assert state.stats.snapshot()["by_status"]["dropped"] == 2


def test_admin_endpoints_over_http(server: SandboxServer, api: httpx.Client) -> None:
    admin = f"{server.url}/_sandbox"
    armed = httpx.post(f"{admin}/faults", json={"kind": "status", "status": 502, "count": 1})
    assert armed.status_code == 201
    assert armed.json()["rules"][0]["kind"] == "status"
    assert api.get("/crm/pipeline/details/all").status_code == 502
    assert httpx.get(f"{admin}/faults").json() == {"rules": []}
    stats = httpx.get(f"{admin}/stats").json()
    assert stats["by_endpoint"] == {"GET /crm/pipeline/details/all": 1}
    assert httpx.post(f"{admin}/reset-stats").status_code == 204
    assert httpx.delete(f"{admin}/faults").status_code == 204


def test_loyalty_refuses_credit_before_enrolment(server: SandboxServer, api: httpx.Client) -> None:
    state = server.state
    pid = state.loyalty_program_id
    credit = {"amount": 10, "balanceDefinitionId": state.loyalty_balance_definition_id,
              "contactId": 9001, "autoComplete": True}  # fmt: skip
    refused = api.post(f"/loyalty/balance/programs/{pid}/transactions", json=credit)
    assert refused.status_code == 422
    assert api.post(
        f"/loyalty/config/programs/{pid}/subscriptions", json={"contactId": 9001}
    ).is_success
    accepted = api.post(f"/loyalty/balance/programs/{pid}/transactions", json=credit)
    assert accepted.json()["status"] == "completed"
    assert (
        api.post(
            f"/loyalty/balance/programs/{pid}/transactions/{accepted.json()['id']}/complete"
        ).status_code
        == 422
    )


@pytest.fixture
def sdk(server: SandboxServer) -> Iterator[brevo.Brevo]:
    """The SDK as the project builds it: no retries, no OAuth, our own (closed) httpx client."""
    with httpx.Client(timeout=5) as http:
        yield brevo.Brevo(
            api_key=server.state.api_key,
            base_url=server.base_url,
            httpx_client=http,
            max_retries=0,
            client_id=None,
            client_secret=None,
        )


def test_the_official_sdk_reads_deals_pipelines_and_attributes(
    server: SandboxServer, sdk: brevo.Brevo
) -> None:
    state = server.state
    raw = sdk.deals.with_raw_response.get_all_deals(sort="asc", limit=20, offset=0)
    assert [d.id for d in raw.data.items or []] == [d["id"] for d in state.deals_snapshot()[:20]]
    assert int(raw.headers["x-sib-ratelimit-remaining"]) > 0
    first = state.deals_snapshot()[0]
    since = first["attributes"]["last_updated_date"]
    recent = sdk.deals.get_all_deals(modified_since=since, sort="asc", limit=100)
    assert all((d.attributes or {})["last_updated_date"] >= since for d in recent.items or [])
    deal = sdk.deals.get_a_deal(first["id"])
    assert (
        deal.id == first["id"]
        and (deal.attributes or {})["deal_name"] == first["attributes"]["deal_name"]
    )
    pipelines = sdk.deals.get_all_pipelines()
    assert [p.pipeline_name for p in pipelines] == [p.name for p in state.pipelines]
    one = sdk.deals.get_a_pipeline(state.pipelines[1].id)
    assert [s.id for s in one[0].stages or []] == list(state.pipelines[1].stage_ids())
    names = {a.internal_name for a in sdk.deals.get_deal_attributes()}
    assert {"deal_name", "amount", "probability", "lost_reason"} <= names


def test_the_official_sdk_writes_and_sees_brevos_errors(
    server: SandboxServer, sdk: brevo.Brevo
) -> None:
    created = sdk.deals.create_a_deal(name="SDK deal", attributes={"amount": 42})
    sdk.deals.update_a_deal(created.id, attributes={"amount": 43})
    assert server.state.get_deal(created.id)["attributes"]["amount"] == 43
    with pytest.raises(NotFoundError):
        sdk.deals.get_a_deal("000000000000000000000000")
    with pytest.raises(BadRequestError):
        sdk.deals.get_a_pipeline("no-such-pipeline")
    server.state.faults.fail_next(1, status=429)
    with pytest.raises(ApiError) as err:
        sdk.deals.get_all_deals(limit=1)
    assert err.value.status_code == 429
    assert err.value.headers is not None and err.value.headers["x-sib-ratelimit-remaining"] == "0"


def test_quirks_switched_over_http_change_what_clients_see(
    server: SandboxServer, api: httpx.Client, sdk: brevo.Brevo
) -> None:
    state, admin = server.state, f"{server.url}/_sandbox"
    alice = state.user_id("alice.martin@example.com")
    owned = api.get(
        "/crm/deals",
        params={"filters[attributes.deal_owner]": "ALICE.martin@example.com", "limit": 100},
    )
    assert owned.json()["items"]
    assert {d["attributes"]["deal_owner"] for d in owned.json()["items"]} == {alice}
    switched = httpx.post(
        f"{admin}/quirks",
        json={"over_limit": "clamp", "date_offset": "+05:30", "error_style": "message_only",
              "rate_limit_headers": False},
    )  # fmt: skip
    assert switched.status_code == 200
    assert httpx.get(f"{admin}/quirks").json() == {
        "owner_ids": True, "max_page_limit": 100, "over_limit": "clamp",
        "date_offset": "+05:30", "error_style": "message_only", "rate_limit_headers": False,
    }  # fmt: skip
    page = api.get("/crm/deals", params={"limit": 250, "sort": "asc"})
    assert page.status_code == 200 and len(page.json()["items"]) == 100
    assert not {h for h in page.headers if h.startswith("x-sib-ratelimit")}
    first = page.json()["items"][0]
    stored = state.get_deal(first["id"])["attributes"]
    created = first["attributes"]["created_at"]
    assert created.endswith("+05:30") and stored["created_at"].endswith("Z")
    assert datetime.fromisoformat(created) == datetime.fromisoformat(stored["created_at"])
    assert first["attributes"]["close_date"] == stored["close_date"][:10] + "T00:00:00.000+05:30"
    missing = api.get("/crm/deals", headers={"api-key": "nope"})
    assert (missing.status_code, missing.json()) == (401, {"message": "Key not found"})
    raw = sdk.deals.with_raw_response.get_all_deals(limit=250, offset=0, sort="asc")
    assert len(raw.data.items or []) == 100  # the official SDK reads the odd account too
    with pytest.raises(NotFoundError):
        sdk.deals.get_a_deal("000000000000000000000000")
    refused = httpx.post(f"{admin}/quirks", json={"over_limit": "sometimes"})
    assert refused.status_code == 400 and refused.json()["code"] == "invalid_parameter"


def test_repeat_fault_over_http_returns_an_old_page(
    server: SandboxServer, api: httpx.Client
) -> None:
    ids = [d["id"] for d in server.state.deals_snapshot()]
    armed = httpx.post(
        f"{server.url}/_sandbox/faults",
        json={"kind": "repeat", "from": 3, "path_prefix": "/crm/deals", "method": "GET"},
    )
    assert armed.status_code == 201
    pages = [
        api.get("/crm/deals", params={"sort": "asc", "offset": o, "limit": 20}) for o in (0, 20, 40)
    ]
    assert [d["id"] for d in pages[1].json()["items"]] == ids[20:40]
    assert (pages[2].status_code, pages[2].content) == (200, pages[1].content)
