"""CRM writes through SdkBrevoGateway: tasks, notes, companies, attributes, created-since reads.

What is sent, what is counted, how refusals map, and that a create is never repeated once
Brevo may have received it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest
import respx
from brevo_fakes import FakeClock, GatewayFactory, limits

from brevo_sync.adapters.brevo import BrevoOutcomeUnknown, SdkBrevoGateway
from brevo_sync.errors import BrevoBadRequest, BrevoNotFound

DUE = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)

UNCLEAR = [
    httpx.Response(500, json={"message": "Internal error"}),
    httpx.Response(502, text="<html>bad gateway</html>"),
    httpx.ReadTimeout("read timed out"),
    httpx.RemoteProtocolError("server disconnected without sending a response"),
]
UNCLEAR_IDS = ["500", "502", "ReadTimeout", "RemoteProtocolError"]


def body_of(route: respx.Route) -> dict[str, object]:
    return json.loads(route.calls.last.request.content)


def make_task(gateway: SdkBrevoGateway, **overrides: object) -> str:
    options: dict[str, object] = {
        "name": "Schedule demo",
        "task_type_id": "tt1",
        "date": DUE,
        "assign_to": "alice@example.com",
        "deal_ids": ["d1"],
    }
    options.update(overrides)
    return gateway.create_task(**options)  # type: ignore[arg-type]


# -- deals created since -----------------------------------------------------------------------


def test_created_since_reads_in_ascending_creation_order(
    gateway: SdkBrevoGateway, router: respx.MockRouter
) -> None:
    route = router.get("/crm/deals").respond(200, json={"items": [{"id": "d9"}]})
    paris = timezone(timedelta(hours=1))

    page = gateway.list_deals_created_since(
        datetime(2025, 3, 4, 10, 0, 0, 250000, tzinfo=paris), offset=50, limit=50
    )

    params = route.calls.last.request.url.params
    assert params["createdSince"] == "2025-03-04T09:00:00.250Z"
    assert params["sort"] == "asc"
    assert (params["offset"], params["limit"]) == ("50", "50")
    assert "modifiedSince" not in params
    assert page.items == [{"id": "d9"}]
    assert gateway.requests.snapshot() == {"GET /crm/deals": 1}


# -- tasks -------------------------------------------------------------------------------------


def test_create_task_sends_brevos_fields_and_returns_the_id(
    gateway: SdkBrevoGateway, router: respx.MockRouter
) -> None:
    route = router.post("/crm/tasks").respond(201, json={"id": "t1"})

    task_id = make_task(gateway, notes="Call before noon", duration_ms=1_800_000, contact_ids=[7])

    assert task_id == "t1"
    body = body_of(route)
    assert body["name"] == "Schedule demo"
    assert body["taskTypeId"] == "tt1"
    assert datetime.fromisoformat(str(body["date"]).replace("Z", "+00:00")) == DUE
    assert body["assignToId"] == "alice@example.com"
    assert body["dealsIds"] == ["d1"]
    assert body["contactsIds"] == [7]
    assert "companiesIds" not in body  # empty lists are left out, not sent as []
    assert body["duration"] == 1_800_000
    assert body["notes"] == "Call before noon"
    assert gateway.requests.snapshot() == {"POST /crm/tasks": 1}


def test_a_naive_due_date_is_utc_and_no_assignee_is_left_out(
    gateway: SdkBrevoGateway, router: respx.MockRouter
) -> None:
    route = router.post("/crm/tasks").respond(201, json={"id": "t1"})

    make_task(gateway, date=datetime(2025, 3, 4, 9, 30), assign_to=None)

    body = body_of(route)
    assert datetime.fromisoformat(str(body["date"]).replace("Z", "+00:00")) == DUE
    assert "assignToId" not in body
    assert "notes" not in body and "duration" not in body


@pytest.mark.parametrize("failure", UNCLEAR, ids=UNCLEAR_IDS)
def test_create_task_is_never_repeated_after_an_unclear_outcome(
    gateway: SdkBrevoGateway, router: respx.MockRouter, failure: httpx.Response | Exception
) -> None:
    route = router.post("/crm/tasks").mock(
        side_effect=[failure, httpx.Response(201, json={"id": "t2"})]
    )

    with pytest.raises(BrevoOutcomeUnknown) as caught:
        make_task(gateway)

    assert route.call_count == 1
    assert caught.value.endpoint == "POST /crm/tasks"


def test_a_2xx_without_an_id_is_an_unknown_outcome(
    gateway: SdkBrevoGateway, router: respx.MockRouter
) -> None:
    router.post("/crm/tasks").respond(201, json={})

    with pytest.raises(BrevoOutcomeUnknown, match="probably created"):
        make_task(gateway)


def test_create_task_refused_is_a_bad_request_not_retried(
    gateway: SdkBrevoGateway, router: respx.MockRouter
) -> None:
    route = router.post("/crm/tasks").respond(
        400, json={"code": "invalid_parameter", "message": "taskTypeId tt1 not found"}
    )

    with pytest.raises(BrevoBadRequest) as caught:
        make_task(gateway)

    assert route.call_count == 1
    assert caught.value.code == "invalid_parameter"
    assert "taskTypeId tt1 not found" in str(caught.value)


def test_a_429_on_a_create_waits_for_the_window_then_posts_once_more(
    gateway: SdkBrevoGateway, router: respx.MockRouter, clock: FakeClock
) -> None:
    route = router.post("/crm/tasks").mock(
        side_effect=[
            httpx.Response(429, json={"message": "Too many requests"}, headers=limits(0, 30)),
            httpx.Response(201, json={"id": "t3"}, headers=limits(99, 3570)),
        ]
    )

    assert make_task(gateway) == "t3"
    assert route.call_count == 2  # a 429 was refused before processing: safe to send again
    assert clock.sleeps == [30.0]
    assert gateway.requests.snapshot() == {"POST /crm/tasks": 2}


def test_create_task_checks_its_arguments_before_spending_a_request(
    gateway: SdkBrevoGateway,
) -> None:
    with pytest.raises(ValueError, match="name"):
        make_task(gateway, name=" ")
    assert gateway.requests.total == 0


@pytest.mark.parametrize(
    "answer",
    [[{"id": "tt1", "title": "Call"}], {"items": [{"id": "tt1", "title": "Call"}]}],
    ids=["list", "items"],
)
def test_list_task_types(
    gateway: SdkBrevoGateway, router: respx.MockRouter, answer: object
) -> None:
    router.get("/crm/tasktypes").respond(200, json=answer)

    assert gateway.list_task_types() == [{"id": "tt1", "title": "Call"}]
    assert gateway.requests.snapshot() == {"GET /crm/tasktypes": 1}


def test_deal_tasks_and_notes_filter_by_the_deal(
    gateway: SdkBrevoGateway, router: respx.MockRouter
) -> None:
    tasks = router.get("/crm/tasks").respond(200, json={"items": [{"id": "t1"}]})
    notes = router.get("/crm/notes").respond(200, json=[{"id": "n1"}])

    assert gateway.deal_tasks("d1") == [{"id": "t1"}]
    assert gateway.deal_notes("d1") == [{"id": "n1"}]

    assert tasks.calls.last.request.url.params["filter[deals]"] == "d1"
    assert notes.calls.last.request.url.params["entity"] == "deals"
    assert notes.calls.last.request.url.params["entityIds"] == "d1"
    assert gateway.requests.snapshot() == {"GET /crm/tasks": 1, "GET /crm/notes": 1}


# -- notes -------------------------------------------------------------------------------------


def test_create_note(gateway: SdkBrevoGateway, router: respx.MockRouter) -> None:
    route = router.post("/crm/notes").respond(200, json={"id": "n1"})

    assert gateway.create_note(text="<p>Lost: price</p>", deal_ids=["d1"], company_ids=["c1"]) == (
        "n1"
    )
    assert body_of(route) == {"text": "<p>Lost: price</p>", "dealIds": ["d1"], "companyIds": ["c1"]}
    assert gateway.requests.snapshot() == {"POST /crm/notes": 1}


@pytest.mark.parametrize("failure", UNCLEAR, ids=UNCLEAR_IDS)
def test_create_note_is_never_repeated_after_an_unclear_outcome(
    gateway: SdkBrevoGateway, router: respx.MockRouter, failure: httpx.Response | Exception
) -> None:
    route = router.post("/crm/notes").mock(
        side_effect=[failure, httpx.Response(200, json={"id": "n2"})]
    )

    with pytest.raises(BrevoOutcomeUnknown):
        gateway.create_note(text="hello", deal_ids=["d1"])
    assert route.call_count == 1


# -- companies ---------------------------------------------------------------------------------


def test_update_company_patches_the_attributes_only(
    gateway: SdkBrevoGateway, router: respx.MockRouter
) -> None:
    route = router.patch("/companies/c1").respond(200, json={"id": "c1", "attributes": {}})

    gateway.update_company("c1", {"annual_spend": 1200.5, "last_closed_at": "2025-03-01"})

    assert body_of(route) == {
        "attributes": {"annual_spend": 1200.5, "last_closed_at": "2025-03-01"}
    }
    assert gateway.requests.snapshot() == {"PATCH /companies/{id}": 1}


def test_update_company_is_retried_and_nothing_to_change_costs_nothing(
    gateway: SdkBrevoGateway, router: respx.MockRouter
) -> None:
    route = router.patch("/companies/c1").mock(
        side_effect=[httpx.Response(503), httpx.Response(200, json={"id": "c1"})]
    )

    gateway.update_company("c1", {})
    assert route.call_count == 0
    gateway.update_company("c1", {"tier": "Gold"})
    assert route.call_count == 2


def test_update_company_missing_is_not_found(
    gateway: SdkBrevoGateway, router: respx.MockRouter
) -> None:
    router.patch("/companies/nope").respond(404, json={"message": "Document not found"})

    with pytest.raises(BrevoNotFound) as caught:
        gateway.update_company("nope", {"tier": "Gold"})
    assert caught.value.endpoint == "PATCH /companies/{id}"


# -- attributes --------------------------------------------------------------------------------


def test_create_deal_attribute(gateway: SdkBrevoGateway, router: respx.MockRouter) -> None:
    route = router.post("/crm/attributes").respond(200, json={"id": "a1"})

    gateway.create_deal_attribute(
        label="Lost Reason", attribute_type="single-select", options=["Price", "Timing"]
    )

    assert body_of(route) == {
        "label": "Lost Reason",
        "attributeType": "single-select",
        "objectType": "deals",
        "optionsLabels": ["Price", "Timing"],
    }
    assert gateway.requests.snapshot() == {"POST /crm/attributes": 1}


def test_an_attribute_that_exists_already_is_success(
    gateway: SdkBrevoGateway, router: respx.MockRouter
) -> None:
    router.post("/crm/attributes").respond(
        400, json={"code": "duplicate_parameter", "message": "Attribute reference already exists"}
    )

    gateway.create_deal_attribute(label="Reference", attribute_type="text")


def test_an_attribute_refused_for_another_reason_raises(
    gateway: SdkBrevoGateway, router: respx.MockRouter
) -> None:
    router.post("/crm/attributes").respond(
        400, json={"code": "invalid_parameter", "message": "label is too long"}
    )

    with pytest.raises(BrevoBadRequest, match="label is too long"):
        gateway.create_deal_attribute(label="Reference", attribute_type="text")


def test_creating_an_attribute_is_retried_after_a_5xx_since_a_duplicate_is_refused(
    gateway: SdkBrevoGateway, router: respx.MockRouter
) -> None:
    route = router.post("/crm/attributes").mock(
        side_effect=[
            httpx.Response(502),
            httpx.Response(400, json={"code": "duplicate_parameter", "message": "exists"}),
        ]
    )

    gateway.create_deal_attribute(label="Probability", attribute_type="number")
    assert route.call_count == 2


def test_create_deal_attribute_checks_its_arguments_first(
    make_gateway: GatewayFactory,
) -> None:
    gateway = make_gateway()
    with pytest.raises(ValueError, match="attribute_type"):
        gateway.create_deal_attribute(label="X", attribute_type="colour")
    with pytest.raises(ValueError, match="options"):
        gateway.create_deal_attribute(label="X", attribute_type="multi-choice")
    assert gateway.requests.total == 0
