"""The rate limiter's fixed windows and the fault rules, without any HTTP."""

from __future__ import annotations

import pytest

from brevo_sync.sandbox import UNLIMITED, FaultInjector, FaultRule, RateLimiter
from brevo_sync.sandbox.ratelimit import bucket_for


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_budget_is_spent_then_refused_until_the_window_resets() -> None:
    time = FakeMonotonic()
    limiter = RateLimiter({"crm": 3}, window_seconds=10, monotonic=time)
    decisions = [limiter.hit("crm") for _ in range(3)]
    assert [d.remaining for d in decisions] == [2, 1, 0]
    assert all(d.allowed and d.limit == 3 and d.reset_seconds == 10 for d in decisions)
    time.now += 7.2
    refused = limiter.hit("crm")
    assert (refused.allowed, refused.remaining, refused.reset_seconds) == (False, 0, 3)  # ceil
    time.now += 2.8  # exactly at the end of the window
    fresh = limiter.hit("crm")
    assert (fresh.allowed, fresh.remaining, fresh.reset_seconds) == (True, 2, 10)


def test_buckets_are_independent_and_unlimited_still_reports() -> None:
    limiter = RateLimiter({"crm": 1, "loyalty": None}, monotonic=FakeMonotonic())
    assert limiter.hit("crm").allowed
    assert not limiter.hit("crm").allowed
    loyalty = limiter.hit("loyalty")
    assert loyalty.allowed and loyalty.limit == UNLIMITED and loyalty.remaining == UNLIMITED - 1
    assert dict(loyalty.headers())[b"x-sib-ratelimit-reset"] == b"3600"


def test_peek_does_not_spend_and_configure_starts_a_fresh_window() -> None:
    limiter = RateLimiter({"crm": 2}, window_seconds=60, monotonic=FakeMonotonic())
    assert limiter.peek("crm").remaining == 2
    limiter.hit("crm")
    assert limiter.peek("crm").remaining == 1
    limiter.configure("crm", requests_per_hour=5)
    assert limiter.hit("crm").remaining == 4
    limiter.reset()
    assert limiter.peek("crm").remaining == 5
    with pytest.raises(ValueError, match="bucket"):
        limiter.configure("contacts", 1)


@pytest.mark.parametrize(
    ("path", "bucket"),
    [
        ("/crm/deals", "crm"),
        ("/crm/pipeline/details/all", "crm"),
        ("/companies", "crm"),
        ("/companies/abc", "crm"),
        ("/loyalty/config/programs/p/subscriptions", "loyalty"),
        ("/account", None),
    ],
)
def test_paths_fall_in_brevos_buckets(path: str, bucket: str | None) -> None:
    assert bucket_for(path) == bucket


def _fired(
    faults: FaultInjector, n: int, method: str = "GET", path: str = "/crm/deals"
) -> list[bool]:
    return [faults.decide(method, path).failure is not None for _ in range(n)]


def test_fail_next_fires_n_times_then_disappears() -> None:
    faults = FaultInjector()
    faults.fail_next(2, status=502)
    assert _fired(faults, 4) == [True, True, False, False]
    assert faults.rules() == []


def test_fail_from_fires_from_the_kth_request_until_cleared() -> None:
    faults = FaultInjector()
    rule = faults.fail_from(3, status=500)
    assert _fired(faults, 5) == [False, False, True, True, True]
    assert (rule.seen, rule.fired) == (5, 3)
    faults.clear()
    assert _fired(faults, 1) == [False]


def test_scope_by_path_prefix_and_method() -> None:
    faults = FaultInjector()
    faults.fail_next(5, status=503, path_prefix="/crm/deals", method="patch")
    assert _fired(faults, 1, "GET", "/crm/deals/x") == [False]
    assert _fired(faults, 1, "PATCH", "/companies/x") == [False]
    assert _fired(faults, 1, "PATCH", "/crm/deals/x") == [True]


def test_delays_add_up_and_the_first_failure_wins() -> None:
    faults = FaultInjector()
    faults.delay(0.2)
    faults.delay(0.3, phase="before")
    first = faults.drop_next(1)
    faults.fail_next(1, status=429)
    decision = faults.decide("GET", "/crm/deals")
    assert (decision.delay_before, decision.delay_after) == (0.3, 0.2)
    assert decision.failure is first and first.phase == "after"
    second = faults.decide("GET", "/crm/deals").failure  # stacked failures strike in turn
    assert second is not None and second.status == 429
    assert faults.decide("GET", "/crm/deals").failure is None


def test_rules_from_json_are_validated() -> None:
    rule = FaultRule.from_json({"kind": "status", "status": 503, "from": 2, "method": "get"})
    assert (rule.start_at, rule.method, rule.phase, rule.count) == (2, "GET", "before", None)
    for bad in (
        {"status": 503},
        {"kind": "explode"},
        {"kind": "status", "status": 200},
        {"kind": "drop", "count": 0},
        {"kind": "delay", "seconds": -1},
        {"kind": "drop", "phase": "during"},
        {"kind": "drop", "colour": "red"},
    ):
        with pytest.raises(ValueError, match=r".+"):
            FaultRule.from_json(bad)


def test_repeat_fires_only_when_there_is_something_to_repeat() -> None:
    faults = FaultInjector()
    rule = faults.repeat_next(1, path_prefix="/crm/deals", method="get")
    assert (rule.kind, rule.phase, rule.method) == ("repeat", "before", "GET")
    nothing_yet = faults.decide("GET", "/crm/deals", can_repeat=False)
    assert nothing_yet.failure is None and rule.fired == 0  # served normally, not spent
    assert faults.decide("GET", "/crm/deals", can_repeat=True).failure is rule
    assert faults.rules() == []
    later = faults.repeat_from(3)
    assert [faults.decide("GET", "/x", True).failure is later for _ in range(4)] == [
        False, False, True, True,
    ]  # fmt: skip
    as_json = FaultRule.from_json({"kind": "repeat", "from": 2, "phase": "after"})
    assert (as_json.start_at, as_json.phase, as_json.to_json()["status"]) == (2, "after", None)
