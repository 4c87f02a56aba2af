"""The request budget: header parsing, waiting until the window resets, and the gateway's use."""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx
from brevo_fakes import FakeClock, GatewayFactory, WaitRecorder, limits
from hypothesis import given
from hypothesis import strategies as st

from brevo_sync.adapters.brevo import RequestBudget, SdkBrevoGateway, bucket_for
from brevo_sync.adapters.brevo.headers import parse_http_date, parse_rate_limit
from brevo_sync.errors import BrevoRateLimited

RATE_HEADERS = ["x-sib-ratelimit-limit", "x-sib-ratelimit-remaining", "x-sib-ratelimit-reset"]


def make_budget(clock: FakeClock, waits: WaitRecorder, **kw: object) -> RequestBudget:
    options: dict[str, object] = {"reserve": 0, "max_wait_seconds": 3900.0}
    options.update(kw)
    return RequestBudget(clock=clock, sleep=clock.sleep, on_wait=waits, **options)  # type: ignore[arg-type]


# -- parsing -----------------------------------------------------------------------------------


def test_parse_rate_limit_reads_the_three_headers() -> None:
    parsed = parse_rate_limit(limits(remaining=7, reset=120, limit=100))
    assert (parsed.limit, parsed.remaining, parsed.reset_seconds) == (100, 7, 120.0)
    # Case does not matter, and httpx.Headers works as well as a dict.
    assert parse_rate_limit({"X-Sib-RateLimit-Remaining": "3"}).remaining == 3
    assert parse_rate_limit(httpx.Headers({"X-SIB-RATELIMIT-RESET": "9"})).reset_seconds == 9.0


@pytest.mark.parametrize("garbage", ["", "abc", "-5", "nan", "inf", "1e999", "  ", "0x10", "١٢"])
def test_garbage_rate_limit_values_are_ignored(garbage: str) -> None:
    parsed = parse_rate_limit(dict.fromkeys(RATE_HEADERS, garbage))
    assert parsed.reset_seconds is None or parsed.reset_seconds >= 0
    assert parsed.remaining is None or parsed.remaining >= 0


header_values = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=string.digits + ".-+eE ", max_size=30),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)


@given(st.dictionaries(st.sampled_from([*RATE_HEADERS, "date", "x-other"]), header_values))
def test_rate_limit_parsing_and_observing_never_raise(headers: dict[str, str]) -> None:
    parsed = parse_rate_limit(headers)
    for value in (parsed.limit, parsed.remaining, parsed.reset_seconds):
        assert value is None or value >= 0
    clock = FakeClock()
    budget = RequestBudget(clock=clock, sleep=clock.sleep, max_wait_seconds=10**12)
    budget.observe("crm", headers)
    budget.snapshot("crm")
    budget.pending_wait("crm")


@given(st.text(max_size=60))
def test_http_date_parsing_never_raises(value: str) -> None:
    parsed = parse_http_date(value)
    assert parsed is None or parsed.tzinfo is not None


def test_http_date_is_aware_utc() -> None:
    assert parse_http_date("Tue, 05 Mar 2024 06:07:08 +0200") == datetime(
        2024, 3, 5, 4, 7, 8, tzinfo=UTC
    )
    assert parse_http_date(None) is None


def test_buckets() -> None:
    assert bucket_for("/crm/deals") == "crm"
    assert bucket_for("/companies") == "crm"
    assert bucket_for("/loyalty/balance/programs/1/transactions") == "loyalty"


# -- waiting -----------------------------------------------------------------------------------


def test_waits_exactly_until_reset_when_remaining_reaches_the_reserve(
    clock: FakeClock, waits: WaitRecorder
) -> None:
    budget = make_budget(clock, waits, reserve=5)
    budget.observe("crm", limits(remaining=6, reset=300))
    budget.acquire("crm", endpoint="GET /crm/deals")
    assert clock.sleeps == []

    clock.now += 100
    budget.observe("crm", limits(remaining=5, reset=200))
    budget.acquire("crm", endpoint="GET /crm/deals")

    assert clock.sleeps == [200.0]
    assert waits.calls[0][0] == 200.0
    assert "reserve 5" in waits.calls[0][1]
    # The window has reset: the next request goes straight out.
    budget.acquire("crm", endpoint="GET /crm/deals")
    assert clock.sleeps == [200.0]


def test_no_wait_when_the_reset_is_already_past(clock: FakeClock, waits: WaitRecorder) -> None:
    budget = make_budget(clock, waits)
    budget.observe("crm", limits(remaining=0, reset=10))
    clock.now += 11

    budget.acquire("crm", endpoint="GET /crm/deals")

    assert clock.sleeps == []


def test_no_wait_without_a_reset(clock: FakeClock, waits: WaitRecorder) -> None:
    budget = make_budget(clock, waits)
    budget.observe("crm", {"x-sib-ratelimit-remaining": "0"})

    budget.acquire("crm", endpoint="GET /crm/deals")

    assert clock.sleeps == []


def test_too_long_a_wait_raises_without_sleeping(clock: FakeClock, waits: WaitRecorder) -> None:
    budget = make_budget(clock, waits, max_wait_seconds=60)
    budget.observe("crm", limits(remaining=0, reset=3599))

    with pytest.raises(BrevoRateLimited) as caught:
        budget.acquire("crm", endpoint="GET /crm/deals")

    assert caught.value.reset_seconds == 3599
    assert "GET /crm/deals" in str(caught.value)
    assert clock.sleeps == []
    assert waits.calls == []


def test_buckets_are_separate(clock: FakeClock, waits: WaitRecorder) -> None:
    budget = make_budget(clock, waits)
    budget.observe("loyalty", limits(remaining=0, reset=50))

    budget.acquire("crm", endpoint="GET /crm/deals")
    assert clock.sleeps == []
    budget.acquire("loyalty", endpoint="POST /loyalty/x")
    assert clock.sleeps == [50.0]


def test_snapshot_reports_the_reset_as_utc(clock: FakeClock, waits: WaitRecorder) -> None:
    fixed = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    budget = RequestBudget(clock=clock, sleep=clock.sleep, now=lambda: fixed)
    budget.observe("crm", limits(remaining=3, reset=90, limit=100))

    snap = budget.snapshot()
    assert (snap.limit, snap.remaining) == (100, 3)
    assert snap.reset_at == fixed + timedelta(seconds=90)


# -- the gateway with a budget -----------------------------------------------------------------


def test_gateway_pauses_at_the_reserve_and_resumes_where_it_was(
    make_gateway: GatewayFactory,
    router: respx.MockRouter,
    clock: FakeClock,
    waits: WaitRecorder,
) -> None:
    gateway: SdkBrevoGateway = make_gateway(reserve=2)
    route = router.get("/crm/deals").mock(
        side_effect=[
            httpx.Response(200, json={"items": [{"id": "a"}]}, headers=limits(3, 600)),
            httpx.Response(200, json={"items": [{"id": "b"}]}, headers=limits(2, 540)),
            httpx.Response(200, json={"items": [{"id": "c"}]}, headers=limits(99, 3600)),
        ]
    )

    seen = []
    for offset in range(3):
        seen += gateway.list_deals(modified_since=None, offset=offset, limit=1).items
        clock.now += 60  # each page takes a minute of work

    assert [d["id"] for d in seen] == ["a", "b", "c"]
    # After page 2 only the reserve was left: wait out the rest of the window, then page 3.
    assert clock.sleeps == [480.0]
    assert waits.calls[0][0] == 480.0
    assert [c.request.url.params["offset"] for c in route.calls] == ["0", "1", "2"]
    assert gateway.requests.total == 3
    assert gateway.budget.remaining == 99


def test_gateway_waits_when_remaining_hits_zero(
    gateway: SdkBrevoGateway, router: respx.MockRouter, clock: FakeClock
) -> None:
    router.get("/crm/deals").mock(
        side_effect=[
            httpx.Response(200, json={"items": []}, headers=limits(0, 1234)),
            httpx.Response(200, json={"items": []}, headers=limits(99, 3600)),
        ]
    )

    gateway.list_deals(modified_since=None, offset=0, limit=1)
    assert clock.sleeps == []
    gateway.list_deals(modified_since=None, offset=1, limit=1)

    assert clock.sleeps == [1234.0]
    assert gateway.requests.total == 2


def test_gateway_refuses_a_wait_longer_than_allowed_without_spending_a_request(
    make_gateway: GatewayFactory, router: respx.MockRouter, clock: FakeClock
) -> None:
    gateway = make_gateway(max_wait_seconds=300)
    router.get("/crm/deals").respond(200, json={"items": []}, headers=limits(0, 3000))
    gateway.list_deals(modified_since=None, offset=0, limit=1)

    with pytest.raises(BrevoRateLimited) as caught:
        gateway.list_deals(modified_since=None, offset=1, limit=1)

    assert caught.value.reset_seconds == 3000
    assert gateway.requests.total == 1
    assert clock.sleeps == []


@pytest.mark.parametrize(
    "headers",
    [
        {"x-sib-ratelimit-remaining": "lots", "x-sib-ratelimit-reset": "soon"},
        {"x-sib-ratelimit-limit": "-1", "x-sib-ratelimit-remaining": "", "date": "yesterday"},
        {"x-sib-ratelimit-reset": "nan"},
    ],
)
def test_garbage_headers_on_a_real_response_are_ignored(
    gateway: SdkBrevoGateway, router: respx.MockRouter, clock: FakeClock, headers: dict[str, str]
) -> None:
    router.get("/crm/deals").respond(200, json={"items": [{"id": "a"}]}, headers=headers)

    for offset in range(2):
        page = gateway.list_deals(modified_since=None, offset=offset, limit=1)
        assert page.items == [{"id": "a"}]
    assert clock.sleeps == []
