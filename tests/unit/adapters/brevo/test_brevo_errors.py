"""Error mapping and what must never leak: the API key in messages or logs."""

from __future__ import annotations

import httpx
import pytest
import respx
import structlog
from brevo_fakes import API_KEY

from brevo_sync.adapters.brevo import SdkBrevoGateway
from brevo_sync.errors import (
    BrevoAuthError,
    BrevoBadRequest,
    BrevoError,
    BrevoNotFound,
    BrevoRateLimited,
    BrevoUnavailable,
)


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (401, "unauthorized", BrevoAuthError),
        (403, "permission_denied", BrevoAuthError),
        (404, None, BrevoNotFound),  # Brevo's 404 body carries a message only
        (400, "invalid_parameter", BrevoBadRequest),
        (422, "missing_parameter", BrevoBadRequest),
        (409, "duplicate_parameter", BrevoBadRequest),
    ],
)
def test_statuses_map_to_the_error_tree(
    gateway: SdkBrevoGateway,
    router: respx.MockRouter,
    status: int,
    code: str | None,
    expected: type[BrevoError],
) -> None:
    body = {"message": f"Brevo says {status}"} | ({"code": code} if code else {})
    router.get("/crm/deals/d9").respond(status, json=body)

    with pytest.raises(expected) as caught:
        gateway.get_deal("d9")

    err = caught.value
    assert type(err) is expected
    assert (err.status, err.code, err.endpoint) == (status, code, "GET /crm/deals/{id}")
    message = str(err)
    assert message.startswith(f"GET /crm/deals/d9: HTTP {status}")
    assert body["message"] in message
    assert "\n" not in message
    assert gateway.requests.total == 1  # none of these is worth a retry


def test_not_found_on_delete(gateway: SdkBrevoGateway, router: respx.MockRouter) -> None:
    router.delete("/crm/deals/gone").respond(404, json={"message": "Document not found"})

    with pytest.raises(BrevoNotFound, match=r"DELETE /crm/deals/gone: HTTP 404"):
        gateway.delete_deal("gone")


def test_non_json_error_body_still_gives_one_line(
    gateway: SdkBrevoGateway, router: respx.MockRouter
) -> None:
    html = "<html>\n<body>\n<h1>502 Bad Gateway</h1>\n" + "x" * 1000 + "</body></html>"
    router.get("/crm/pipeline/details/all").respond(502, text=html)

    with pytest.raises(BrevoUnavailable) as caught:
        gateway.list_pipelines()

    message = str(caught.value)
    assert "\n" not in message
    assert len(message) < 300
    assert message.startswith("GET /crm/pipeline/details/all: HTTP 502")


def test_an_echoed_api_key_is_blanked_from_messages(
    gateway: SdkBrevoGateway, router: respx.MockRouter
) -> None:
    router.get("/crm/deals/d1").respond(
        401, json={"code": "unauthorized", "message": f"Key not found: {API_KEY}"}
    )

    with pytest.raises(BrevoAuthError) as caught:
        gateway.get_deal("d1")

    assert API_KEY not in str(caught.value)
    assert API_KEY not in repr(caught.value.args)


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(401, json={"message": "Key not found"}),
        httpx.Response(500, text="oops"),
        httpx.Response(429, headers={"x-sib-ratelimit-reset": "99999"}),
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("timed out"),
    ],
    ids=["401", "500", "429", "ConnectError", "ReadTimeout"],
)
def test_messages_and_logs_never_contain_the_api_key(
    gateway: SdkBrevoGateway, router: respx.MockRouter, failure: httpx.Response | Exception
) -> None:
    for route in (router.get("/crm/deals"), router.post("/crm/deals")):
        if isinstance(failure, httpx.Response):
            route.mock(return_value=failure)
        else:
            route.mock(side_effect=failure)

    with structlog.testing.capture_logs() as logs:
        with pytest.raises(BrevoError) as on_get:
            gateway.list_deals(modified_since=None, offset=0, limit=1)
        with pytest.raises(BrevoError) as on_post:
            gateway.create_deal(name="n")

    assert logs, "one debug event per request is expected"
    for event in logs:
        assert event["event"] == "brevo.request"
        assert event["log_level"] == "debug"
        assert {"endpoint", "status", "duration_ms", "remaining"} <= event.keys()
    blob = repr(logs) + str(on_get.value) + str(on_post.value)
    assert API_KEY not in blob
    assert "api-key" not in blob.lower()


def test_one_log_event_per_attempt_with_status_and_remaining(
    gateway: SdkBrevoGateway, router: respx.MockRouter
) -> None:
    router.get("/crm/deals").mock(
        side_effect=[
            httpx.Response(503),
            httpx.Response(200, json={"items": []}, headers={"x-sib-ratelimit-remaining": "41"}),
        ]
    )

    with structlog.testing.capture_logs() as logs:
        gateway.list_deals(modified_since=None, offset=0, limit=1)

    assert [(e["endpoint"], e["status"], e["attempt"]) for e in logs] == [
        ("GET /crm/deals", 503, 1),
        ("GET /crm/deals", 200, 2),
    ]
    assert logs[1]["remaining"] == 41
    assert isinstance(logs[1]["duration_ms"], float)


def test_rate_limited_is_a_brevo_error_with_reset(
    gateway: SdkBrevoGateway, router: respx.MockRouter
) -> None:
    router.get("/crm/deals").respond(429, headers={"x-sib-ratelimit-reset": "99999"})

    with pytest.raises(BrevoRateLimited) as caught:
        gateway.list_deals(modified_since=None, offset=0, limit=1)

    assert caught.value.reset_seconds == 99999
    assert "GET /crm/deals" in str(caught.value)


def test_non_json_success_body_is_a_brevo_error(
    gateway: SdkBrevoGateway, router: respx.MockRouter
) -> None:
    router.get("/crm/deals").respond(200, text="<html>maintenance</html>")

    with pytest.raises(BrevoError, match=r"GET /crm/deals: HTTP 200 with a body that is not JSON"):
        gateway.list_deals(modified_since=None, offset=0, limit=1)
