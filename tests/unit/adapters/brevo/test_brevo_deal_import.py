"""The bulk import: the CSV and mapping sent, one request per call, never repeated."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import httpx
import pytest
import respx

from brevo_sync.adapters.brevo import BrevoOutcomeUnknown, SdkBrevoGateway
from brevo_sync.adapters.brevo.deal_import import deals_csv
from brevo_sync.errors import BrevoBadRequest
from brevo_sync.sandbox.multipart import parse_form

ROWS = [
    {"deal_name": "Acme - Order #1", "amount": 5400.5, "reference": "shop:1"},
    {"deal_id": "d7", "deal_stage": "s2", "probability": 60},
]


def sent_form(route: respx.Route) -> tuple[list[list[str]], dict[str, object], str | None]:
    request = route.calls.last.request
    parts = parse_form(request.headers["content-type"], request.content)
    table = list(csv.reader(io.StringIO(parts["file"].content.decode("utf-8"))))
    return table, json.loads(parts["mapping"].content), parts["file"].filename


def test_import_sends_one_multipart_request_and_returns_the_process_id(
    gateway: SdkBrevoGateway, router: respx.MockRouter
) -> None:
    route = router.post("/crm/deals/import").respond(200, json={"processId": 50})

    assert gateway.import_deals(ROWS, update_existing=True) == 50

    table, mapping, filename = sent_form(route)
    assert table == [
        ["deal_id", "deal_name", "amount", "reference", "deal_stage", "probability"],
        ["", "Acme - Order #1", "5400.5", "shop:1", "", ""],
        ["d7", "", "", "", "s2", "60"],
    ]
    assert mapping == {
        "link_entities": True,
        "unlink_entities": False,
        "update_existing_records": True,
        "unset_empty_attributes": False,
    }
    assert filename == "deals.csv"
    assert gateway.requests.snapshot() == {"POST /crm/deals/import": 1}


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(500, json={"message": "Internal error"}),
        httpx.Response(504, text="gateway timeout"),
        httpx.ReadTimeout("read timed out"),
        httpx.RemoteProtocolError("server disconnected without sending a response"),
        httpx.Response(200, json={}),
        httpx.Response(200, json={"processId": "not-a-number"}),
    ],
    ids=["500", "504", "ReadTimeout", "RemoteProtocolError", "no-processId", "text-processId"],
)
def test_import_is_never_repeated_after_an_unclear_outcome(
    gateway: SdkBrevoGateway, router: respx.MockRouter, failure: httpx.Response | Exception
) -> None:
    route = router.post("/crm/deals/import").mock(
        side_effect=[failure, httpx.Response(200, json={"processId": 51})]
    )

    with pytest.raises(BrevoOutcomeUnknown):
        gateway.import_deals(ROWS, update_existing=True)
    assert route.call_count == 1


def test_import_refused_is_a_bad_request(
    gateway: SdkBrevoGateway, router: respx.MockRouter
) -> None:
    router.post("/crm/deals/import").respond(400, json={"message": "Bad request : deal d7"})

    with pytest.raises(BrevoBadRequest, match="deal d7"):
        gateway.import_deals(ROWS, update_existing=True)


def test_a_connection_never_made_is_retried(
    gateway: SdkBrevoGateway, router: respx.MockRouter
) -> None:
    route = router.post("/crm/deals/import").mock(
        side_effect=[httpx.ConnectError("refused"), httpx.Response(200, json={"processId": 9})]
    )

    assert gateway.import_deals(ROWS[:1], update_existing=False) == 9
    assert route.call_count == 2
    _, mapping, _ = sent_form(route)
    assert mapping["update_existing_records"] is False


@pytest.mark.parametrize(
    ("rows", "update_existing", "message"),
    [
        ([], True, "at least one row"),
        ([{"deal_id": "d1", "amount": 1}], False, "update_existing is false"),
        ([{"amount": 1}], True, "needs a deal_name"),
    ],
)
def test_bad_rows_spend_no_request(
    gateway: SdkBrevoGateway, rows: list[dict[str, object]], update_existing: bool, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        gateway.import_deals(rows, update_existing=update_existing)
    assert gateway.requests.total == 0


def test_cells_are_spelled_for_brevo() -> None:
    data = deals_csv(
        [
            {
                "deal_name": 'Smith, "Jr" - Order #2',
                "is_strategic": True,
                "close_date": datetime(2025, 4, 1, 12, 0, 0, 123456, tzinfo=UTC),
                "associated_contact": [3, 4],
                "lost_reason": None,
            }
        ],
        update_existing=False,
    )

    assert data.decode("utf-8").splitlines() == [
        "deal_name,is_strategic,close_date,associated_contact,lost_reason",
        '"Smith, ""Jr"" - Order #2",true,2025-04-01T12:00:00.123Z,"3,4",',
    ]
