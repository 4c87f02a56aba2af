"""Retry policy: what is retried, how often, and what a POST never repeats."""

from __future__ import annotations

import httpx
import pytest
import respx
from brevo_fakes import FakeClock, GatewayFactory, WaitRecorder, limits

from brevo_sync.adapters.brevo import BrevoOutcomeUnknown, RetryPolicy, SdkBrevoGateway
from brevo_sync.errors import BrevoRateLimited, BrevoUnavailable


def page() -> httpx.Response:
    return httpx.Response(200, json={"items": [{"id": "d1"}]})


def list_once(gateway: SdkBrevoGateway) -> list[object]:
    return list(gateway.list_deals(modified_since=None, offset=0, limit=100).items)


@pytest.mark.parametrize("status", [408, 500, 502, 503, 504])
def test_get_is_retried_on_transient_statuses_then_succeeds(
    gateway: SdkBrevoGateway, router: respx.MockRouter, clock: FakeClock, status: int
) -> None:
    route = router.get("/crm/deals").mock(
        side_effect=[httpx.Response(status, text="<html>bad gateway</html>"), page()]
    )

    assert list_once(gateway) == [{"id": "d1"}]
    assert route.call_count == 2
    assert gateway.requests.snapshot() == {"GET /crm/deals": 2}  # the failed attempt counts too
    assert len(clock.sleeps) == 1
    assert 0 < clock.sleeps[0] <= 0.01  # backoff, capped by backoff_max_seconds


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("connection refused"),
        httpx.ConnectTimeout("connect timed out"),
        httpx.ReadTimeout("read timed out"),
        httpx.RemoteProtocolError("server disconnected without sending a response"),
        httpx.ReadError("connection reset by peer"),
    ],
    ids=lambda exc: type(exc).__name__,
)
def test_get_is_retried_on_transport_errors(
    gateway: SdkBrevoGateway, router: respx.MockRouter, failure: Exception
) -> None:
    route = router.get("/crm/deals").mock(side_effect=[failure, page()])

    assert list_once(gateway) == [{"id": "d1"}]
    assert route.call_count == 2
    # Only the attempt that got an answer was spent; the failed one is retried, not counted.
    assert gateway.requests.snapshot() == {"GET /crm/deals": 1}
    assert gateway.budget.remaining == 99


def test_get_gives_up_after_max_retries_with_unavailable(
    make_gateway: GatewayFactory, router: respx.MockRouter, clock: FakeClock
) -> None:
    gateway = make_gateway(max_retries=2)
    route = router.get("/crm/deals/d1").respond(503, json={"message": "down for maintenance"})

    with pytest.raises(BrevoUnavailable) as caught:
        gateway.get_deal("d1")

    assert route.call_count == 3
    assert gateway.requests.snapshot() == {"GET /crm/deals/{id}": 3}
    assert caught.value.status == 503
    assert caught.value.endpoint == "GET /crm/deals/{id}"
    assert str(caught.value) == (
        "GET /crm/deals/d1: HTTP 503 down for maintenance after 3 attempts"
    )
    assert not getattr(caught.value, "outcome_unknown", False)
    assert len(clock.sleeps) == 2


def test_transport_give_up_is_unavailable(
    make_gateway: GatewayFactory, router: respx.MockRouter
) -> None:
    gateway = make_gateway(max_retries=1)
    router.get("/crm/deals").mock(side_effect=httpx.ConnectError("connection refused"))

    with pytest.raises(BrevoUnavailable) as caught:
        list_once(gateway)

    assert gateway.requests.total == 0  # nothing reached Brevo
    assert "could not reach Brevo after 2 attempts" in str(caught.value)
    assert "ConnectError" in str(caught.value)


def test_max_retries_zero_means_one_attempt(
    make_gateway: GatewayFactory, router: respx.MockRouter
) -> None:
    gateway = make_gateway(max_retries=0)
    router.get("/crm/deals").respond(500)

    with pytest.raises(BrevoUnavailable):
        list_once(gateway)

    # Also proves the SDK's own retries are off (its default would make this 3).
    assert gateway.requests.total == 1


def test_429_waits_for_the_reset_then_retries(
    gateway: SdkBrevoGateway, router: respx.MockRouter, clock: FakeClock, waits: WaitRecorder
) -> None:
    route = router.get("/crm/deals").mock(
        side_effect=[
            httpx.Response(429, json={"message": "Too many requests"}, headers=limits(0, 42)),
            page(),
        ]
    )

    assert list_once(gateway) == [{"id": "d1"}]

    assert route.call_count == 2
    assert clock.sleeps == [42.0]  # the window's reset exactly, no backoff on top
    assert [seconds for seconds, _ in waits.calls] == [42.0]
    assert "429" in waits.calls[0][1]


def test_429_reset_beyond_the_allowed_wait_raises_at_once(
    make_gateway: GatewayFactory, router: respx.MockRouter, clock: FakeClock
) -> None:
    gateway = make_gateway(max_wait_seconds=600)
    router.get("/crm/deals").respond(429, headers={"x-sib-ratelimit-reset": "3000"})

    with pytest.raises(BrevoRateLimited) as caught:
        list_once(gateway)

    assert caught.value.reset_seconds == 3000
    assert caught.value.status == 429
    assert gateway.requests.total == 1
    assert clock.sleeps == []
    # The next call knows the window is spent: it refuses without another request.
    with pytest.raises(BrevoRateLimited):
        list_once(gateway)
    assert gateway.requests.total == 1


def test_429_after_all_retries_is_rate_limited(
    make_gateway: GatewayFactory, router: respx.MockRouter, clock: FakeClock
) -> None:
    gateway = make_gateway(max_retries=2)
    router.get("/crm/deals").respond(429, headers=limits(0, 10))

    with pytest.raises(BrevoRateLimited) as caught:
        list_once(gateway)

    assert gateway.requests.total == 3
    assert caught.value.reset_seconds == 10
    assert clock.sleeps == [10.0, 10.0]


def test_429_without_headers_falls_back_to_backoff(
    gateway: SdkBrevoGateway, router: respx.MockRouter, clock: FakeClock, waits: WaitRecorder
) -> None:
    router.get("/crm/deals").mock(side_effect=[httpx.Response(429), page()])

    assert list_once(gateway) == [{"id": "d1"}]
    assert len(clock.sleeps) == 1
    assert clock.sleeps[0] <= 0.01
    assert waits.calls == []


# -- POST: never repeat what may have been applied ---------------------------------------------


@pytest.mark.parametrize(
    ("failure", "spent"),
    [
        (httpx.Response(500, json={"message": "Internal error"}), 1),
        (httpx.Response(502, text="bad gateway"), 1),
        (httpx.ReadTimeout("read timed out"), 0),
        (httpx.RemoteProtocolError("server disconnected without sending a response"), 0),
        (httpx.WriteTimeout("write timed out"), 0),
    ],
    ids=["500", "502", "ReadTimeout", "RemoteProtocolError", "WriteTimeout"],
)
def test_create_is_not_retried_when_the_outcome_is_unknown(
    gateway: SdkBrevoGateway,
    router: respx.MockRouter,
    failure: httpx.Response | Exception,
    spent: int,
) -> None:
    route = router.post("/crm/deals").mock(
        side_effect=[failure, httpx.Response(201, json={"id": "x"})]
    )

    with pytest.raises(BrevoOutcomeUnknown) as caught:
        gateway.create_deal(name="Deal", attributes={"amount": 1})

    assert route.call_count == 1
    assert gateway.requests.total == spent  # an answer counts, a lost connection does not
    assert caught.value.outcome_unknown is True
    assert isinstance(caught.value, BrevoUnavailable)
    assert caught.value.endpoint == "POST /crm/deals"


@pytest.mark.parametrize(
    ("failure", "spent"),
    [
        (httpx.Response(429, headers=limits(0, 5)), 2),
        (httpx.ConnectError("connection refused"), 1),
        (httpx.ConnectTimeout("connect timed out"), 1),
        (httpx.PoolTimeout("no free connection"), 1),
    ],
    ids=["429", "ConnectError", "ConnectTimeout", "PoolTimeout"],
)
def test_create_is_retried_when_it_certainly_did_not_happen(
    gateway: SdkBrevoGateway,
    router: respx.MockRouter,
    failure: httpx.Response | Exception,
    spent: int,
) -> None:
    route = router.post("/crm/deals").mock(
        side_effect=[failure, httpx.Response(201, json={"id": "new-id"})]
    )

    assert gateway.create_deal(name="Deal") == "new-id"
    assert route.call_count == 2
    assert gateway.requests.snapshot() == {"POST /crm/deals": spent}


def test_create_giving_up_on_connect_errors_is_a_known_failure(
    make_gateway: GatewayFactory, router: respx.MockRouter
) -> None:
    gateway = make_gateway(max_retries=1)
    router.post("/crm/deals").mock(side_effect=httpx.ConnectError("refused"))

    with pytest.raises(BrevoUnavailable) as caught:
        gateway.create_deal(name="Deal")

    assert gateway.requests.total == 0
    assert not getattr(caught.value, "outcome_unknown", False)


def test_create_without_an_id_in_the_answer_is_outcome_unknown(
    gateway: SdkBrevoGateway, router: respx.MockRouter
) -> None:
    router.post("/crm/deals").respond(201, json={})

    with pytest.raises(BrevoOutcomeUnknown):
        gateway.create_deal(name="Deal")
    assert gateway.requests.total == 1


def test_patch_and_delete_are_retried(gateway: SdkBrevoGateway, router: respx.MockRouter) -> None:
    patch = router.patch("/crm/deals/d1").mock(
        side_effect=[httpx.Response(500), httpx.Response(204)]
    )
    delete = router.delete("/crm/deals/d1").mock(
        side_effect=[httpx.ReadTimeout("read timed out"), httpx.Response(204)]
    )

    gateway.update_deal("d1", name="Renamed")
    gateway.delete_deal("d1")

    assert (patch.call_count, delete.call_count) == (2, 2)
    # The 500 was an answer (spent); the read timeout left no proof that it reached Brevo.
    assert gateway.requests.snapshot() == {"PATCH /crm/deals/{id}": 2, "DELETE /crm/deals/{id}": 1}


def test_client_errors_are_not_retried(gateway: SdkBrevoGateway, router: respx.MockRouter) -> None:
    router.patch("/crm/deals/d1").respond(400, json={"code": "invalid_parameter", "message": "x"})

    with pytest.raises(Exception, match="HTTP 400"):
        gateway.update_deal("d1", name="n")
    assert gateway.requests.total == 1


def test_backoff_grows_exponentially_up_to_the_cap() -> None:
    policy = RetryPolicy(backoff_base_seconds=1.0, backoff_max_seconds=8.0, rand=lambda: 1.0)
    assert [policy.backoff(n) for n in range(1, 7)] == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    low = RetryPolicy(backoff_base_seconds=1.0, backoff_max_seconds=8.0, rand=lambda: 0.0)
    assert [low.backoff(n) for n in range(1, 5)] == [0.5, 1.0, 2.0, 4.0]  # never below half
    assert RetryPolicy(backoff_base_seconds=1.0, backoff_max_seconds=8.0).backoff(10_000) <= 8.0


# -- what a retried request spends ------------------------------------------------------------


def test_transport_failures_do_not_use_up_the_local_ceiling(
    make_gateway: GatewayFactory, router: respx.MockRouter, clock: FakeClock, waits: WaitRecorder
) -> None:
    gateway = make_gateway(requests_per_hour=2, max_retries=3)
    router.get("/crm/deals").mock(
        side_effect=[
            httpx.ConnectError("refused"),
            httpx.ReadTimeout("read timed out"),
            page(),
            httpx.RemoteProtocolError("dropped"),
            page(),
        ]
    )

    list_once(gateway)
    list_once(gateway)

    # Two answers in the window: the ceiling of 2 is reached, but not before now.
    assert waits.calls == []
    assert gateway.requests.total == 2
    assert gateway.budget.remaining == 0


def test_error_answers_are_spent_requests(
    make_gateway: GatewayFactory, router: respx.MockRouter, waits: WaitRecorder
) -> None:
    gateway = make_gateway(requests_per_hour=3, max_retries=3)
    router.get("/crm/deals").mock(side_effect=[httpx.Response(429), httpx.Response(503), page()])

    list_once(gateway)

    assert gateway.requests.total == 3
    snap = gateway.budget
    assert (snap.source, snap.limit, snap.remaining) == ("local", 3, 0)
