"""The request budget: header parsing, waiting until the window resets, and the gateway's use."""

from __future__ import annotations

import string
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx
from brevo_fakes import EPOCH, FakeClock, GatewayFactory, WaitRecorder, limits
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brevo_sync.adapters.brevo import RequestBudget, SdkBrevoGateway, bucket_for
from brevo_sync.adapters.brevo.headers import parse_http_date, parse_rate_limit
from brevo_sync.domain.budget import BudgetSnapshot
from brevo_sync.errors import BrevoRateLimited, ConfigError

RATE_HEADERS = ["x-sib-ratelimit-limit", "x-sib-ratelimit-remaining", "x-sib-ratelimit-reset"]


def make_budget(clock: FakeClock, waits: WaitRecorder, **kw: object) -> RequestBudget:
    options: dict[str, object] = {"reserve": 0, "max_wait_seconds": 3900.0}
    options.update(kw)
    return RequestBudget(
        clock=clock,
        sleep=clock.sleep,
        on_wait=waits,
        now=clock.utcnow,
        **options,  # type: ignore[arg-type]
    )


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


# Cheap to draw: short strings over the characters that matter to a number parser, plus
# numbers rendered as text. Arbitrary unicode added drawing time, not coverage.
header_values = st.one_of(
    st.text(alphabet=string.digits + ".-+eE xn ", max_size=12),
    st.sampled_from(["", "nan", "inf", "-inf", "1e999", "0x10", "١٢", "\x00"]),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)

# These properties do not depend on speed, so a loaded machine must not fail them: no deadline,
# and only the too_slow health check (data generation slower than Hypothesis expects) is
# suppressed; the other checks still guard the strategies themselves.
machine_independent = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@machine_independent
@given(
    st.dictionaries(st.sampled_from([*RATE_HEADERS, "date", "x-other"]), header_values, max_size=5),
    st.sampled_from([None, 200, 429, 502]),
)
def test_rate_limit_parsing_and_observing_never_raise(
    headers: dict[str, str], status: int | None
) -> None:
    parsed = parse_rate_limit(headers)
    for value in (parsed.limit, parsed.remaining, parsed.reset_seconds):
        assert value is None or value >= 0
    clock = FakeClock()
    budget = RequestBudget(
        clock=clock, sleep=clock.sleep, max_wait_seconds=10**12, now=clock.utcnow
    )
    budget.observe("crm", headers, status=status)
    snap = budget.snapshot("crm")
    assert snap.source in ("brevo", "local")
    assert budget.pending_wait("crm") >= 0


@machine_independent
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
    assert (snap.limit, snap.remaining, snap.source) == (100, 3, "brevo")
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


# -- what a wait says ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        (
            lambda b: b.observe("crm", limits(remaining=0, reset=300, limit=100)),
            "Brevo's CRM rate-limit window is spent (0 of 100 left)",
        ),
        (
            lambda b: b.observe(
                "crm", {"x-sib-ratelimit-remaining": "0", "x-sib-ratelimit-reset": "300"}
            ),
            "Brevo's CRM rate-limit window is spent (0 left)",
        ),
        (
            lambda b: (b.observe("crm", limits(0, 300)), b.exhausted("crm", 300)),
            "Brevo answered 429 for the CRM requests",
        ),
        (
            lambda b: [b.observe("crm", None) for _ in range(100)],
            "the local ceiling of 100 CRM requests an hour is reached",
        ),
        (
            lambda b: b.observe("loyalty", limits(remaining=0, reset=300, limit=600)),
            "Brevo's loyalty rate-limit window is spent (0 of 600 left)",
        ),
    ],
    ids=["headers", "headers-without-limit", "429", "local", "loyalty"],
)
def test_the_wait_reason_says_what_is_awaited_not_how_long(
    clock: FakeClock, waits: WaitRecorder, setup: Callable[[RequestBudget], object], reason: str
) -> None:
    budget = make_budget(clock, waits)
    setup(budget)

    bucket = "loyalty" if "loyalty" in reason else "crm"
    budget.acquire(bucket, endpoint="GET /x")

    assert len(waits.calls) == 1  # told once, before the one sleep
    assert waits.calls[0][1] == reason
    assert clock.sleeps == [waits.calls[0][0]]


def test_the_reserve_is_named_when_it_causes_the_wait(
    clock: FakeClock, waits: WaitRecorder
) -> None:
    budget = make_budget(clock, waits, reserve=5)
    budget.observe("crm", limits(remaining=5, reset=60, limit=100))
    budget.acquire("crm", endpoint="GET /crm/deals")

    assert waits.calls == [
        (60.0, "Brevo's CRM rate-limit window is down to the reserve (5 of 100 left, reserve 5)")
    ]


# -- the local ceiling, when Brevo's answers carry no rate-limit headers ------------------------


def spend(budget: RequestBudget, clock: FakeClock, times: int, every: float = 0.0) -> None:
    """`times` headerless answers, `every` seconds apart."""
    for _ in range(times):
        budget.acquire("crm", endpoint="GET /crm/deals")
        budget.observe("crm", None, status=200)
        clock.now += every


def test_the_local_ceiling_waits_until_the_oldest_request_leaves_the_window(
    clock: FakeClock, waits: WaitRecorder
) -> None:
    budget = make_budget(clock, waits, local_limit=3)
    spend(budget, clock, 3, every=100)  # at +0, +100, +200; now +300
    assert clock.sleeps == []

    budget.acquire("crm", endpoint="GET /crm/deals")

    # The first request (at +0) leaves the hour at +3600: 3300 s from now.
    assert clock.sleeps == [3300.0]
    assert waits.calls == [(3300.0, "the local ceiling of 3 CRM requests an hour is reached")]
    budget.observe("crm", None, status=200)
    # Sliding: the next one waits for the second oldest (at +100) only.
    budget.acquire("crm", endpoint="GET /crm/deals")
    assert clock.sleeps == [3300.0, 100.0]


def test_the_local_window_and_limit_are_configurable(clock: FakeClock, waits: WaitRecorder) -> None:
    budget = make_budget(clock, waits, local_limit=2, local_window_seconds=60)
    spend(budget, clock, 2, every=10)

    budget.acquire("crm", endpoint="GET /crm/deals")

    assert waits.calls == [(40.0, "the local ceiling of 2 CRM requests per 60 s is reached")]


def test_the_local_ceiling_keeps_the_reserve(clock: FakeClock, waits: WaitRecorder) -> None:
    budget = make_budget(clock, waits, local_limit=5, reserve=2)
    spend(budget, clock, 3)

    budget.acquire("crm", endpoint="GET /crm/deals")

    assert waits.calls == [
        (3600.0, "the local ceiling of 5 CRM requests an hour is reached (reserve 2)")
    ]


def test_a_local_wait_longer_than_allowed_is_refused_without_sleeping(
    clock: FakeClock, waits: WaitRecorder
) -> None:
    budget = make_budget(clock, waits, local_limit=2, max_wait_seconds=600)
    spend(budget, clock, 2, every=60)

    with pytest.raises(BrevoRateLimited) as caught:
        budget.acquire("crm", endpoint="GET /crm/deals")

    assert caught.value.reset_seconds == 3480
    assert str(caught.value) == (
        "GET /crm/deals: the local ceiling of 2 CRM requests an hour is reached; the next "
        "request is possible in 3480s, longer than the allowed wait of 600s"
    )
    assert clock.sleeps == []
    assert waits.calls == []


def test_headers_overrule_the_local_ceiling(clock: FakeClock, waits: WaitRecorder) -> None:
    budget = make_budget(clock, waits, local_limit=2)
    for _ in range(5):  # far past the local ceiling, but Brevo says there is room
        budget.acquire("crm", endpoint="GET /crm/deals")
        budget.observe("crm", limits(remaining=50, reset=1000), status=200)

    assert clock.sleeps == []
    assert budget.snapshot().source == "brevo"


def test_an_error_without_headers_keeps_following_brevo(
    clock: FakeClock, waits: WaitRecorder
) -> None:
    # A load balancer's 502 carries no Brevo headers; it says nothing about Brevo's window.
    budget = make_budget(clock, waits, local_limit=2)
    budget.observe("crm", limits(remaining=50, reset=1000), status=200)
    budget.observe("crm", None, status=502)
    budget.observe("crm", None, status=429)

    budget.acquire("crm", endpoint="GET /crm/deals")

    assert clock.sleeps == []
    assert budget.snapshot().source == "brevo"


def test_a_success_without_headers_brings_the_local_ceiling_back_with_the_real_count(
    clock: FakeClock, waits: WaitRecorder
) -> None:
    budget = make_budget(clock, waits, local_limit=3)
    budget.observe("crm", limits(remaining=50, reset=1000), status=200)
    clock.now += 100
    budget.observe("crm", limits(remaining=49, reset=900), status=200)
    clock.now += 100
    budget.observe("crm", None, status=200)  # the third request, and no headers any more

    snap = budget.snapshot()
    assert (snap.source, snap.limit, snap.remaining) == ("local", 3, 0)
    budget.acquire("crm", endpoint="GET /crm/deals")
    assert clock.sleeps == [3400.0]  # the first of the three leaves the hour


def test_priming_with_earlier_requests(clock: FakeClock, waits: WaitRecorder) -> None:
    budget = make_budget(clock, waits, local_limit=100)
    # (seconds ago, how many): 60 requests 50 min ago, 40 requests 10 min ago, 500 too old.
    budget.prime("crm", [(3000.0, 60), (600.0, 40), (4000.0, 500)])

    snap = budget.snapshot()
    assert (snap.source, snap.limit, snap.remaining) == ("local", 100, 0)
    assert snap.reset_at == EPOCH + timedelta(seconds=600)

    budget.acquire("crm", endpoint="GET /crm/deals")
    assert clock.sleeps == [600.0]  # the 60 leave the hour in 10 minutes


def test_priming_with_more_than_the_ceiling_waits_until_enough_have_left(
    clock: FakeClock, waits: WaitRecorder
) -> None:
    budget = make_budget(clock, waits, local_limit=10)
    budget.prime("crm", [(3500.0, 5), (3000.0, 10), (100.0, 5)])  # 20 in the window

    budget.acquire("crm", endpoint="GET /crm/deals")

    # Below 10 only once the 5 at -3500 and the 10 at -3000 have left: in 600 s.
    assert clock.sleeps == [600.0]


def test_priming_ignores_nonsense(clock: FakeClock, waits: WaitRecorder) -> None:
    budget = make_budget(clock, waits, local_limit=2)
    budget.prime("crm", [(float("nan"), 5), (float("inf"), 5), (10.0, 0), (10.0, -3)])
    assert budget.snapshot().source == "unknown"

    budget.prime("crm", [(-30.0, 2)])  # a clock ahead of ours: counted as now
    budget.acquire("crm", endpoint="GET /crm/deals")
    assert clock.sleeps == [3600.0]


def test_snapshot_source_unknown_local_brevo(clock: FakeClock, waits: WaitRecorder) -> None:
    budget = make_budget(clock, waits, local_limit=100)
    assert budget.snapshot() == BudgetSnapshot(
        limit=None, remaining=None, reset_at=None, source="unknown"
    )

    budget.observe("crm", None, status=200)
    clock.now += 10
    budget.observe("crm", None, status=200)
    assert budget.snapshot() == BudgetSnapshot(
        limit=100,
        remaining=98,
        reset_at=EPOCH + timedelta(seconds=3600),  # when the first one leaves the window
        source="local",
    )

    clock.now += 3600  # both have left the window
    assert budget.snapshot() == BudgetSnapshot(
        limit=100, remaining=100, reset_at=None, source="local"
    )

    budget.observe("crm", limits(remaining=7, reset=20, limit=200), status=200)
    assert budget.snapshot() == BudgetSnapshot(
        limit=200, remaining=7, reset_at=clock.utcnow() + timedelta(seconds=20), source="brevo"
    )


def test_the_local_ceiling_is_per_bucket(clock: FakeClock, waits: WaitRecorder) -> None:
    budget = make_budget(clock, waits, local_limit=1, bucket_limits={})
    budget.observe("loyalty", None, status=200)

    budget.acquire("crm", endpoint="GET /crm/deals")
    assert clock.sleeps == []
    budget.acquire("loyalty", endpoint="POST /loyalty/x")
    assert clock.sleeps == [3600.0]


def test_the_loyalty_bucket_has_brevos_600_an_hour(clock: FakeClock, waits: WaitRecorder) -> None:
    budget = make_budget(clock, waits, local_limit=1)
    for _ in range(599):
        budget.observe("loyalty", None, status=200)
    budget.observe("crm", None, status=200)

    budget.acquire("loyalty", endpoint="POST /loyalty/x")  # the 600th of the hour
    assert clock.sleeps == []
    assert budget.snapshot("loyalty").limit == 600
    assert budget.snapshot("crm").limit == 1
    budget.observe("loyalty", None, status=200)
    budget.acquire("loyalty", endpoint="POST /loyalty/x")
    assert clock.sleeps == [3600.0]
    assert "600 loyalty requests an hour" in waits.calls[0][1]


@pytest.mark.parametrize(
    "kw",
    [{"local_limit": 0}, {"local_window_seconds": 0}, {"reserve": -1}, {"max_wait_seconds": -1}],
)
def test_nonsense_settings_are_refused(kw: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=next(iter(kw))):
        RequestBudget(**kw)  # type: ignore[arg-type]


# -- the local ceiling through the gateway ------------------------------------------------------


def test_gateway_keeps_to_requests_per_hour_without_headers(
    make_gateway: GatewayFactory,
    router: respx.MockRouter,
    clock: FakeClock,
    waits: WaitRecorder,
) -> None:
    gateway = make_gateway(requests_per_hour=2)
    route = router.get("/crm/deals").respond(200, json={"items": []})

    for offset in range(3):
        gateway.list_deals(modified_since=None, offset=offset, limit=1)
        clock.now += 60

    assert route.call_count == 3
    # Requests at +0 and +60; the third waits until +3600, when the first leaves the hour.
    assert waits.calls == [(3480.0, "the local ceiling of 2 CRM requests an hour is reached")]
    snap = gateway.budget  # at +3660 the second has left too: only the third is in the window
    assert (snap.source, snap.limit, snap.remaining) == ("local", 2, 1)


def test_gateway_default_ceiling_is_100_an_hour(
    gateway: SdkBrevoGateway, router: respx.MockRouter, waits: WaitRecorder
) -> None:
    router.get("/crm/deals").respond(200, json={"items": []})

    for offset in range(101):
        gateway.list_deals(modified_since=None, offset=offset, limit=1)

    assert [reason for _, reason in waits.calls] == [
        "the local ceiling of 100 CRM requests an hour is reached"
    ]
    assert gateway.requests.total == 101


def test_gateway_prime_budget_takes_when_and_how_many(
    make_gateway: GatewayFactory,
    router: respx.MockRouter,
    clock: FakeClock,
    waits: WaitRecorder,
) -> None:
    gateway = make_gateway(requests_per_hour=10)
    route = router.get("/crm/deals").respond(200, json={"items": []})
    now = clock.utcnow()
    gateway.prime_budget(
        [
            (now - timedelta(minutes=55), 6),
            ((now - timedelta(minutes=20)).replace(tzinfo=None), 4),  # naive = UTC
            (now - timedelta(hours=3), 99),  # outside the window
        ]
    )
    assert gateway.budget.remaining == 0
    assert gateway.requests.total == 0  # priming is not spending

    gateway.list_deals(modified_since=None, offset=0, limit=1)

    assert clock.sleeps == [300.0]  # the six from 55 minutes ago leave in 5 minutes
    assert route.call_count == 1


def test_gateway_rejects_a_zero_ceiling(make_gateway: GatewayFactory) -> None:
    with pytest.raises(ConfigError, match="BREVO_SYNC_REQUESTS_PER_HOUR"):
        make_gateway(requests_per_hour=0)
