"""Reads through SdkBrevoGateway: what is sent, what comes back, what is counted."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import respx
from brevo_fakes import API_KEY
from hypothesis import given
from hypothesis import strategies as st

from brevo_sync.adapters.brevo import SdkBrevoGateway, format_since
from brevo_sync.service.ports import BrevoGateway

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
    gateway: SdkBrevoGateway, router: respx.MockRouter
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
    assert gateway.budget.remaining is None

    before = datetime.now(UTC)
    gateway.list_deals(modified_since=None, offset=0, limit=1)

    snap = gateway.budget
    assert (snap.limit, snap.remaining) == (100, 97)
    assert snap.reset_at is not None
    assert (
        before + timedelta(seconds=1799)
        <= snap.reset_at
        <= datetime.now(UTC) + timedelta(seconds=1801)
    )


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
