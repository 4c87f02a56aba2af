"""Error mapping and what must never leak: the API key in messages or logs."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
import respx
import structlog
from brevo_fakes import API_KEY, BASE_URL, GatewayFactory

from brevo_sync.adapters.brevo import SdkBrevoGateway
from brevo_sync.errors import (
    BrevoAuthError,
    BrevoBadRequest,
    BrevoBaseUrlError,
    BrevoError,
    BrevoNotFound,
    BrevoRateLimited,
    BrevoUnavailable,
    ConfigError,
)


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
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


# -- configuration mistakes: a BrevoError that is also a ConfigError (exit 2) -----------------


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (
            401,
            {"code": "unauthorized", "message": "Key not found"},
            "BREVO_API_KEY: Brevo refused the key (HTTP 401 on GET /crm/deals: "
            "unauthorized Key not found)",
        ),
        (
            403,
            {"code": "permission_denied", "message": "Not enough permissions"},
            "BREVO_API_KEY: the key may not call GET /crm/deals (HTTP 403: permission_denied "
            "Not enough permissions): check its permissions and plan",
        ),
        (401, {}, "BREVO_API_KEY: Brevo refused the key (HTTP 401 on GET /crm/deals)"),
    ],
)
def test_a_refused_key_is_a_config_error_naming_the_setting(
    gateway: SdkBrevoGateway,
    router: respx.MockRouter,
    status: int,
    body: dict[str, str],
    expected: str,
) -> None:
    router.get("/crm/deals").respond(status, json=body)

    with pytest.raises(ConfigError) as caught:
        gateway.list_deals(modified_since=None, offset=0, limit=1)

    err = caught.value
    assert isinstance(err, BrevoAuthError)
    assert isinstance(err, BrevoError)
    assert str(err) == expected
    assert (err.status, err.endpoint) == (status, "GET /crm/deals")
    assert API_KEY not in str(err)
    assert gateway.requests.total == 1  # never retried


def test_a_403_on_a_write_names_that_call(
    gateway: SdkBrevoGateway, router: respx.MockRouter
) -> None:
    router.patch("/crm/deals/d1").respond(403, json={"message": "forbidden"})

    with pytest.raises(BrevoAuthError, match=r"^BREVO_API_KEY: the key may not call PATCH "):
        gateway.update_deal("d1", name="n")


@pytest.mark.parametrize(
    ("path", "call"),
    [
        ("/crm/deals", lambda g: g.list_deals(modified_since=None, offset=0, limit=1)),
        ("/crm/pipeline/details/all", lambda g: g.list_pipelines()),
        ("/crm/attributes/deals", lambda g: g.list_deal_attributes()),
    ],
    ids=["deals", "pipelines", "attributes"],
)
def test_a_404_from_a_list_that_always_exists_is_a_wrong_base_url(
    gateway: SdkBrevoGateway, router: respx.MockRouter, path: str, call: Callable[..., object]
) -> None:
    router.get(path).respond(404, text="<html>Not Found</html>")

    with pytest.raises(BrevoBaseUrlError) as caught:
        call(gateway)

    err = caught.value
    assert isinstance(err, ConfigError)
    assert isinstance(err, BrevoError)
    assert str(err) == (
        f"BREVO_BASE_URL: {BASE_URL} answered 404 for GET {path}; "
        "is it Brevo's API root (https://api.brevo.com/v3)?"
    )
    assert gateway.requests.total == 1


def test_the_base_url_message_hides_credentials_in_the_url(
    make_gateway: GatewayFactory, router: respx.MockRouter
) -> None:
    # Routed by the mock transport; the user:password must not reach the message.
    gateway = make_gateway(base_url="https://proxyuser:hunter2@brevo.test/v3/")
    router.get("/crm/deals").respond(404)

    with pytest.raises(BrevoBaseUrlError) as caught:
        gateway.list_deals(modified_since=None, offset=0, limit=1)

    assert "hunter2" not in str(caught.value)
    assert str(caught.value).startswith("BREVO_BASE_URL: https://brevo.test/v3 answered 404")


def test_a_404_for_one_deal_is_still_not_found(
    gateway: SdkBrevoGateway, router: respx.MockRouter
) -> None:
    router.get("/crm/deals/d9").respond(404, json={"message": "Document not found"})

    with pytest.raises(BrevoNotFound) as caught:
        gateway.get_deal("d9")

    assert not isinstance(caught.value, ConfigError)
    assert str(caught.value) == "GET /crm/deals/d9: HTTP 404 Document not found"
    assert caught.value.code is None


# -- error bodies of every shape ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "response", "expected", "code"),
    [
        (
            400,
            httpx.Response(400, json={"message": "Pipeline not found"}),
            "GET /crm/deals/d1: HTTP 400 Pipeline not found",
            None,
        ),
        (
            400,
            httpx.Response(400, json={"error": "bad filter"}),
            "GET /crm/deals/d1: HTTP 400 bad filter",
            None,
        ),
        (
            400,
            httpx.Response(400, json={"error": {"message": "nested reason"}}),
            "GET /crm/deals/d1: HTTP 400 nested reason",
            None,
        ),
        (
            422,
            httpx.Response(422, json={"code": "invalid_parameter", "errors": ["a", "b"]}),
            'GET /crm/deals/d1: HTTP 422 invalid_parameter {"errors": ["a", "b"]}',
            "invalid_parameter",
        ),
        (
            400,
            httpx.Response(400, text="  plain\n text  "),
            "GET /crm/deals/d1: HTTP 400 plain text",
            None,
        ),
        (400, httpx.Response(400, json={}), "GET /crm/deals/d1: HTTP 400", None),
        (400, httpx.Response(400, text="   "), "GET /crm/deals/d1: HTTP 400", None),
        (400, httpx.Response(400, json=None), "GET /crm/deals/d1: HTTP 400", None),
    ],
    ids=[
        "message-only",
        "error-string",
        "error-object",
        "code-and-other-fields",
        "plain-text",
        "empty-object",
        "blank-text",
        "null",
    ],
)
def test_error_bodies_of_any_shape_give_one_clean_line(
    gateway: SdkBrevoGateway,
    router: respx.MockRouter,
    status: int,
    response: httpx.Response,
    expected: str,
    code: str | None,
) -> None:
    router.get("/crm/deals/d1").mock(return_value=response)

    with pytest.raises(BrevoBadRequest) as caught:
        gateway.get_deal("d1")

    assert str(caught.value) == expected
    assert (caught.value.status, caught.value.code) == (status, code)


def test_message_only_bodies_on_the_raw_list_call(
    gateway: SdkBrevoGateway, router: respx.MockRouter
) -> None:
    router.get("/crm/deals").respond(400, json={"message": "modifiedSince is invalid"})

    with pytest.raises(
        BrevoBadRequest, match=r"^GET /crm/deals: HTTP 400 modifiedSince is invalid$"
    ):
        gateway.list_deals(modified_since=None, offset=0, limit=1)


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
