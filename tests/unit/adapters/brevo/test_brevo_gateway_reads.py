"""Reads through SdkBrevoGateway: what is sent, what comes back, what is counted."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, NoReturn

import httpx
import pytest
import respx
from brevo.core.http_client import HttpClient
from brevo_fakes import API_KEY, BASE_URL, EPOCH, FakeClock, GatewayFactory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brevo_sync.adapters.brevo import SdkBrevoGateway, format_since
from brevo_sync.service.ports import BrevoGateway

SRC = Path(__file__).resolve().parents[4] / "src" / "brevo_sync"

DEAL: dict[str, Any] = {
    "id": "629475917295261d9b1f4403",
    "attributes": {
        "deal_name": "testname",
        "amount": 12,
        "last_updated_date": "2022-06-06T08:38:36.761Z",
        "next_activity_date": {"key": "value"},
        "custom_nested": {"a": [1, 2.5, None, True]},
    },
    "linkedContactsIds": [1, 2, 3],
    "linkedCompaniesIds": ["61a5ce58c5d4795761045990"],
    "somethingNewFromBrevo": {"kept": "exactly"},
}


def test_gateway_satisfies_the_port(gateway: SdkBrevoGateway) -> None:
    port: BrevoGateway = gateway  # mypy checks the structural match; this checks it at runtime
    assert port.requests.total == 0


def test_list_deals_sends_ascending_creation_order_and_paging(
    gateway: SdkBrevoGateway, router: respx.MockRouter
) -> None:
    route = router.get("/crm/deals").respond(200, json={"items": [DEAL]})

    page = gateway.list_deals(
        modified_since=datetime(2024, 3, 5, 6, 7, 8, 123999, tzinfo=UTC), offset=200, limit=100
    )

    params = route.calls.last.request.url.params
    assert params["sort"] == "asc"
    assert "sortBy" not in params
    assert params["modifiedSince"] == "2024-03-05T06:07:08.123Z"
    assert params["offset"] == "200"
    assert params["limit"] == "100"
    assert page.items == [DEAL]  # raw JSON, unknown fields included, nothing coerced


def test_list_deals_without_since_sends_no_filter(
    gateway: SdkBrevoGateway, router: respx.MockRouter
) -> None:
    route = router.get("/crm/deals").respond(200, json={"items": []})

    page = gateway.list_deals(modified_since=None, offset=0, limit=50)

    assert "modifiedSince" not in route.calls.last.request.url.params
    assert page.items == []


def test_modified_since_is_converted_to_utc() -> None:
    paris = timezone(timedelta(hours=2))
    assert format_since(datetime(2024, 1, 1, 1, 0, 0, 5000, tzinfo=paris)) == (
        "2023-12-31T23:00:00.005Z"
    )
    # Naive means UTC: that is how SQLite returns the stored cursor.
    assert format_since(datetime(2024, 1, 1, 0, 0)) == "2024-01-01T00:00:00.000Z"


# No deadline and no too_slow check: the property does not depend on speed, and on a loaded
# machine st.timezones() (zoneinfo loading) alone can exceed Hypothesis' time budgets.
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.datetimes(
        min_value=datetime(1971, 1, 1),  # away from year 1/9999, where a zone shift overflows
        max_value=datetime(9998, 12, 31),
        timezones=st.one_of(st.none(), st.timezones()),
    )
)
def test_modified_since_format_is_utc_millis_and_never_later(moment: datetime) -> None:
    text = format_since(moment)

    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", text)
    sent = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")
    exact = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    # Truncated to the millisecond: at most 1 ms earlier, never later (no deal is skipped).
    assert timedelta(0) <= exact - sent < timedelta(milliseconds=1)


def test_empty_object_body_is_an_empty_page(
    gateway: SdkBrevoGateway, router: respx.MockRouter
) -> None:
    router.get("/crm/deals").respond(200, json={})

    assert gateway.list_deals(modified_since=None, offset=0, limit=50).items == []


def test_server_time_comes_from_the_date_header(
    gateway: SdkBrevoGateway, router: respx.MockRouter
) -> None:
    router.get("/crm/deals").mock(
        side_effect=[
            httpx.Response(
                200, json={"items": []}, headers={"Date": "Wed, 21 Oct 2015 07:28:00 GMT"}
            ),
            httpx.Response(200, json={"items": []}),
            httpx.Response(200, json={"items": []}, headers={"Date": "not a date"}),
        ]
    )

    first = gateway.list_deals(modified_since=None, offset=0, limit=1)
    assert first.server_time == datetime(2015, 10, 21, 7, 28, tzinfo=UTC)
    assert first.server_time.tzinfo is not None
    assert gateway.list_deals(modified_since=None, offset=0, limit=1).server_time is None
    assert gateway.list_deals(modified_since=None, offset=0, limit=1).server_time is None


def test_requests_are_counted_by_endpoint(
    gateway: SdkBrevoGateway, router: respx.MockRouter
) -> None:
    router.get("/crm/deals").respond(200, json={"items": [DEAL]})
    router.get(f"/crm/deals/{DEAL['id']}").respond(200, json=DEAL)
    router.get("/crm/pipeline/details/all").respond(
        200,
        json=[
            {"pipeline": "p1", "pipeline_name": "Sales", "stages": [{"id": "s1", "name": "New"}]}
        ],
    )
    router.get("/crm/attributes/deals").respond(
        200, json=[{"internalName": "deal_name", "label": "Deal Name", "attributeTypeName": "text"}]
    )

    gateway.list_deals(modified_since=None, offset=0, limit=100)
    gateway.list_deals(modified_since=None, offset=100, limit=100)
    assert gateway.get_deal(DEAL["id"]) == DEAL
    assert gateway.list_pipelines()[0]["stages"] == [{"id": "s1", "name": "New"}]
    assert gateway.list_deal_attributes()[0]["internalName"] == "deal_name"

    assert gateway.requests.snapshot() == {
        "GET /crm/deals": 2,
        "GET /crm/deals/{id}": 1,
        "GET /crm/pipeline/details/all": 1,
        "GET /crm/attributes/deals": 1,
    }


def test_requests_carry_the_api_key_header_and_no_bearer_token(
    gateway: SdkBrevoGateway, router: respx.MockRouter
) -> None:
    route = router.get("/crm/deals").respond(200, json={"items": []})

    gateway.list_deals(modified_since=None, offset=0, limit=1)

    headers = route.calls.last.request.headers
    assert headers["api-key"] == API_KEY
    assert "authorization" not in headers


def test_budget_snapshot_follows_the_headers(
    gateway: SdkBrevoGateway, router: respx.MockRouter, clock: FakeClock
) -> None:
    router.get("/crm/deals").respond(
        200,
        json={"items": []},
        headers={
            "x-sib-ratelimit-limit": "100",
            "x-sib-ratelimit-remaining": "97",
            "x-sib-ratelimit-reset": "1800",
        },
    )
    before = gateway.budget
    assert (before.source, before.remaining, before.limit) == ("unknown", None, None)

    clock.now += 60
    gateway.list_deals(modified_since=None, offset=0, limit=1)

    snap = gateway.budget
    assert (snap.source, snap.limit, snap.remaining) == ("brevo", 100, 97)
    assert snap.reset_at == EPOCH + timedelta(seconds=60 + 1800)


def test_create_deal_posts_once_and_returns_the_id(
    gateway: SdkBrevoGateway, router: respx.MockRouter
) -> None:
    route = router.post("/crm/deals").respond(201, json={"id": "61a5cd07ca1347c82306ad06"})

    deal_id = gateway.create_deal(
        name="Big one",
        attributes={"amount": 10, "pipeline": "p1", "deal_stage": "s1"},
        linked_contacts_ids=[1, 2],
        linked_companies_ids=["c1"],
    )

    assert deal_id == "61a5cd07ca1347c82306ad06"
    assert json.loads(route.calls.last.request.content) == {
        "name": "Big one",
        "attributes": {"amount": 10, "pipeline": "p1", "deal_stage": "s1"},
        "linkedContactsIds": [1, 2],
        "linkedCompaniesIds": ["c1"],
    }
    assert gateway.requests.snapshot() == {"POST /crm/deals": 1}


def test_update_deal_sends_only_the_given_fields(
    gateway: SdkBrevoGateway, router: respx.MockRouter
) -> None:
    route = router.patch("/crm/deals/d1").respond(204)

    gateway.update_deal("d1", attributes={"deal_stage": "s2", "pipeline": "p1"})

    # No nulls: a null linkedContactsIds would empty the deal's contacts.
    assert json.loads(route.calls.last.request.content) == {
        "attributes": {"deal_stage": "s2", "pipeline": "p1"}
    }
    assert gateway.requests.snapshot() == {"PATCH /crm/deals/{id}": 1}


def test_update_with_nothing_to_change_spends_no_request(gateway: SdkBrevoGateway) -> None:
    gateway.update_deal("d1")

    assert gateway.requests.total == 0


def test_delete_deal(gateway: SdkBrevoGateway, router: respx.MockRouter) -> None:
    route = router.delete("/crm/deals/d1").respond(204)

    gateway.delete_deal("d1")

    assert route.call_count == 1
    assert gateway.requests.snapshot() == {"DELETE /crm/deals/{id}": 1}


# -- the owner filter ----------------------------------------------------------------------------


def test_owner_filter_sends_the_email_and_learns_the_user_id(
    gateway: SdkBrevoGateway, router: respx.MockRouter
) -> None:
    # Brevo filters by the owner's e-mail and answers with the owner's user id.
    deal = {"id": "d1", "attributes": {"deal_owner": "62f0a1b2c3d4e5f6a7b8c9d0"}}
    route = router.get("/crm/deals").respond(200, json={"items": [deal]})

    page = gateway.list_deals(modified_since=None, offset=0, limit=1, owner="ann@example.com")

    request = route.calls.last.request
    assert request.url.params["filters[attributes.deal_owner]"] == "ann@example.com"
    assert request.url.params["limit"] == "1"
    assert page.items[0]["attributes"]["deal_owner"] == "62f0a1b2c3d4e5f6a7b8c9d0"
    assert gateway.requests.snapshot() == {"GET /crm/deals": 1}


def test_owner_filter_combines_with_since_and_paging(
    gateway: SdkBrevoGateway, router: respx.MockRouter
) -> None:
    route = router.get("/crm/deals").respond(200, json={"items": []})

    gateway.list_deals(
        modified_since=datetime(2024, 1, 2, tzinfo=UTC), offset=50, limit=50, owner="b+x@ex.com"
    )

    params = route.calls.last.request.url.params
    assert dict(params) == {
        "modifiedSince": "2024-01-02T00:00:00.000Z",
        "offset": "50",
        "limit": "50",
        "sort": "asc",
        "filters[attributes.deal_owner]": "b+x@ex.com",  # the "+" survives URL encoding
    }


def test_no_owner_means_no_owner_filter(gateway: SdkBrevoGateway, router: respx.MockRouter) -> None:
    route = router.get("/crm/deals").respond(200, json={"items": []})

    gateway.list_deals(modified_since=None, offset=0, limit=1, owner=None)

    assert not any(name.startswith("filters") for name in route.calls.last.request.url.params)


@pytest.mark.parametrize("owner", ["", "   "])
def test_a_blank_owner_is_refused_before_spending_a_request(
    gateway: SdkBrevoGateway, router: respx.MockRouter, owner: str
) -> None:
    route = router.get("/crm/deals").respond(200, json={"items": [DEAL]})

    # An empty filter would be no filter: every deal, silently taken as that owner's.
    with pytest.raises(ValueError, match="owner"):
        gateway.list_deals(modified_since=None, offset=0, limit=1, owner=owner)

    assert route.call_count == 0
    assert gateway.requests.total == 0


# -- the list call goes through our own httpx client, not the SDK's internals ---------------------


def test_list_deals_is_a_plain_get_on_the_configured_base_url(
    make_gateway: GatewayFactory, router: respx.MockRouter
) -> None:
    gateway = make_gateway(base_url=BASE_URL + "/")  # a trailing slash is tolerated
    route = router.get("/crm/deals").respond(200, json={"items": [DEAL]})

    gateway.list_deals(modified_since=None, offset=0, limit=10)

    request = route.calls.last.request
    assert request.method == "GET"
    assert str(request.url) == f"{BASE_URL}/crm/deals?offset=0&limit=10&sort=asc"
    assert request.headers["api-key"] == API_KEY
    assert request.headers.get_list("accept") == ["application/json"]


def test_list_deals_does_not_go_through_the_sdk(
    gateway: SdkBrevoGateway, router: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    router.get("/crm/deals").respond(200, json={"items": [DEAL]})
    router.get("/crm/pipeline/details/all").respond(200, json=[])

    def no_sdk(*_args: object, **_kwargs: object) -> NoReturn:
        raise AssertionError("the SDK's HTTP layer was used")

    monkeypatch.setattr(HttpClient, "request", no_sdk)

    assert gateway.list_deals(modified_since=None, offset=0, limit=1).items == [DEAL]
    with pytest.raises(AssertionError, match="SDK"):  # control: SDK calls do go through it
        gateway.list_pipelines()


def test_no_module_reaches_into_the_sdks_private_client() -> None:
    offenders = [
        str(path.relative_to(SRC))
        for path in sorted(SRC.rglob("*.py"))
        if "_client_wrapper" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []


# -- Accept: application/json on every request ----------------------------------------------------


def test_every_request_asks_for_json(gateway: SdkBrevoGateway, router: respx.MockRouter) -> None:
    routes = [
        router.get("/crm/deals").respond(200, json={"items": []}),
        router.get("/crm/deals/d1").respond(200, json=DEAL),
        router.get("/crm/pipeline/details/all").respond(200, json=[]),
        router.get("/crm/attributes/deals").respond(200, json=[]),
        router.post("/crm/deals").respond(201, json={"id": "new"}),
        router.patch("/crm/deals/d1").respond(204),
        router.delete("/crm/deals/d1").respond(204),
    ]

    gateway.list_deals(modified_since=None, offset=0, limit=1)
    gateway.get_deal("d1")
    gateway.list_pipelines()
    gateway.list_deal_attributes()
    gateway.create_deal(name="n")
    gateway.update_deal("d1", name="m")
    gateway.delete_deal("d1")

    for route in routes:
        request = route.calls.last.request
        # One Accept header, not httpx's "*/*" next to ours.
        assert request.headers.get_list("accept") == ["application/json"], request.url
