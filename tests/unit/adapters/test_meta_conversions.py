"""Meta's Conversions API adapter: request shape, hashing, errors, and the token kept secret."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from brevo_sync.adapters.meta import MetaConversions, hash_user_data
from brevo_sync.errors import ConversionsError

BASE = "https://graph.test/v19.0"
TOKEN = "EAAB-secret-token-123"
URL = f"{BASE}/1234/events"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def event(**user_data: object) -> dict[str, object]:
    return {
        "event_name": "Purchase",
        "event_time": 1741080000,
        "event_id": "outbox-17",
        "action_source": "system_generated",
        "user_data": user_data or {"em": "buyer@example.com"},
        "custom_data": {"currency": "EUR", "value": 5400.5},
    }


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as mock:
        yield mock


@pytest.fixture
def meta(router: respx.MockRouter) -> Iterator[MetaConversions]:
    with httpx.Client(transport=httpx.MockTransport(router.handler)) as client:
        yield MetaConversions(client, endpoint_base=BASE + "/", pixel_id="1234", access_token=TOKEN)


def form_of(route: respx.Route) -> dict[str, str]:
    fields = parse_qs(route.calls.last.request.content.decode())
    return {name: values[0] for name, values in fields.items()}


def test_meta_examples_hash_as_documented() -> None:
    # The examples of Meta's customer information parameters page.
    hashed = hash_user_data(
        {"em": "  John_Smith@gmail.com ", "ph": "(650)555-1212", "fn": "Mary", "ln": "Valéry"}
    )
    assert hashed["em"] == "62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f"
    assert hashed["ph"] == sha("6505551212")
    assert hashed["fn"] == "6915771be1c5aa0c886870b6951b03d7eafc121fea0e80a5ea83beb7c449f4ec"
    assert hashed["ln"] == "08e1996b5dd49e62a4b4c010d44e4345592a863bb9f8e3976219bac29417149c"


def test_hashing_keeps_digests_lists_and_browser_ids() -> None:
    digest = sha("a@b.c")
    hashed = hash_user_data(
        {
            "em": [digest, " A@B.c "],
            "ph": "+33 (0)6 12",
            "external_id": " CUST-9 ",
            "fn": "Jean-Luc!",
            "fbp": "fb.1.123.456",
            "ln": "   ",
            "ct": None,
        }
    )
    assert hashed == {
        "em": [digest, digest],
        "ph": sha("330612"),
        "external_id": sha("cust-9"),
        "fn": sha("jeanluc"),
        "fbp": "fb.1.123.456",
    }


def test_send_posts_form_data_with_hashed_user_data(
    meta: MetaConversions, router: respx.MockRouter
) -> None:
    route = router.post(URL).respond(
        200, json={"events_received": 1, "messages": [], "fbtrace_id": "Axyz"}
    )

    answer = meta.send([event(em="Buyer@Example.com ", external_id="c-1")])

    assert answer == {"events_received": 1, "messages": [], "fbtrace_id": "Axyz"}
    request = route.calls.last.request
    assert request.url.query == b""  # the token travels in the body, never in the URL
    form = form_of(route)
    assert form["access_token"] == TOKEN
    assert "test_event_code" not in form
    data = json.loads(form["data"])
    assert data[0]["event_name"] == "Purchase"
    assert data[0]["event_id"] == "outbox-17"
    assert data[0]["user_data"] == {"em": sha("buyer@example.com"), "external_id": sha("c-1")}
    assert data[0]["custom_data"] == {"currency": "EUR", "value": 5400.5}


def test_test_event_code_is_sent_when_configured(router: respx.MockRouter) -> None:
    route = router.post(URL).respond(200, json={"events_received": 1, "fbtrace_id": "A"})
    with httpx.Client(transport=httpx.MockTransport(router.handler)) as client:
        meta = MetaConversions(
            client, endpoint_base=BASE, pixel_id="1234", access_token=TOKEN, test_event_code="T1"
        )
        meta.send([event()])
    assert form_of(route)["test_event_code"] == "T1"


def test_an_empty_batch_sends_nothing(meta: MetaConversions, router: respx.MockRouter) -> None:
    route = router.post(URL).respond(200, json={})
    assert meta.send([]) == {"events_received": 0}
    assert route.call_count == 0


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"event_name": None}, "lacks event_name"),
        ({"event_time": "2025-03-01"}, "Unix time"),
        ({"user_data": {"fbp": None, "em": "  "}}, "no usable customer information"),
    ],
)
def test_malformed_events_are_refused_before_sending(
    meta: MetaConversions, router: respx.MockRouter, bad: dict[str, object], message: str
) -> None:
    route = router.post(URL).respond(200, json={})
    with pytest.raises(ValueError, match=message):
        meta.send([{**event(), **bad}])
    assert route.call_count == 0


@pytest.mark.parametrize(
    ("answer", "retryable"),
    [
        (
            httpx.Response(
                400,
                json={"error": {"message": f"Invalid OAuth access token {TOKEN}", "code": 190}},
            ),
            False,
        ),
        (httpx.Response(400, json={"error": {"message": "busy", "is_transient": True}}), True),
        (httpx.Response(429, json={"error": {"message": "slow down"}}), True),
        (httpx.Response(503, text="unavailable"), True),
        (httpx.ReadTimeout(f"timed out calling {URL}?access_token={TOKEN}"), True),
    ],
    ids=["400", "transient", "429", "503", "timeout"],
)
def test_failures_say_whether_to_retry_and_never_show_the_token(
    meta: MetaConversions,
    router: respx.MockRouter,
    answer: httpx.Response | Exception,
    retryable: bool,
) -> None:
    router.post(URL).mock(side_effect=[answer])

    with pytest.raises(ConversionsError) as caught:
        meta.send([event()])

    assert caught.value.retryable is retryable
    assert TOKEN not in str(caught.value)
    assert TOKEN not in repr(meta)
