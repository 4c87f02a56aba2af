"""The daemon's pure policies: the adaptive poll, the budget split, failure backoff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from brevo_sync.domain.budget import BudgetSnapshot
from brevo_sync.domain.budget_plan import admit, budget_view, delete_check_eta, pull_reserve
from brevo_sync.domain.jobs import JobSlot, failure_backoff
from brevo_sync.domain.polling import PollPolicy

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
MINUTE, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)


def test_without_hints_the_poll_backs_off_to_the_ceiling_and_tightens_on_a_change() -> None:
    policy = PollPolicy(base=MINUTE, ceiling=15 * MINUTE)
    steps, interval = [], None
    for _ in range(7):
        interval = policy.next_interval(interval, 0)
        steps.append(interval.total_seconds() / 60)
    assert steps == [1, 2, 4, 8, 15, 15, 15]
    assert policy.next_interval(15 * MINUTE, 3) == MINUTE
    assert policy.idle_polls(DAY) <= 300


def test_with_hints_the_poll_is_a_rare_safety_net() -> None:
    policy = PollPolicy(base=MINUTE, ceiling=15 * MINUTE, hinted=HOUR)
    assert policy.first == HOUR
    assert policy.next_interval(HOUR, 5) == HOUR
    assert policy.idle_polls(DAY) <= 25
    assert policy.idle_polls(HOUR) <= 2


def test_a_ceiling_below_the_base_is_the_base() -> None:
    assert PollPolicy(base=HOUR, ceiling=MINUTE).ceiling == HOUR
    with pytest.raises(ValueError, match="positive"):
        PollPolicy(base=timedelta(0), ceiling=HOUR)


def _view(spent: int, ceiling: int = 100) -> object:
    return budget_view(now=T0, ceiling=ceiling, reserve=0, spent=[(T0 - MINUTE, spent)], saved=None)


def test_the_shared_window_counts_every_runs_requests_of_the_last_hour() -> None:
    spent = [(T0 - 2 * HOUR, 50), (T0 - 50 * MINUTE, 30), (T0 - 10 * MINUTE, 70)]
    view = budget_view(now=T0, ceiling=100, reserve=0, spent=spent, saved=None)
    assert (view.limit, view.remaining, view.spent_last_hour) == (100, 0, 100)
    # one request of room once the 30 spent 50 minutes ago have left the window
    assert view.frees_at == T0 - 50 * MINUTE + HOUR
    brevo = BudgetSnapshot(limit=300, remaining=120, reset_at=T0 + MINUTE, source="brevo")
    view = budget_view(now=T0, ceiling=100, reserve=10, spent=spent, saved=brevo)
    assert (view.limit, view.remaining, view.source, view.frees_at) == (
        300,
        110,
        "brevo",
        T0 + MINUTE,
    )


def test_push_goes_first_pull_next_reconcile_gets_what_is_left() -> None:
    view = _view(90)  # 10 left
    assert admit("push", view, now=T0).go
    assert admit("pull", view, now=T0, push_need=5).go
    pull = admit("pull", view, now=T0, push_need=10)
    assert not pull.go and "changes to send go first" in pull.reason
    late = admit("reconcile", view, now=T0, push_need=5, pull_reserve=5)
    assert not late.go and late.retry_at is not None
    room = admit("reconcile", _view(20), now=T0, push_need=5, pull_reserve=5)
    assert room.go and room.share == 0.5  # its configured share: 70 of room
    tight = admit("reconcile", _view(80), now=T0, push_need=5, pull_reserve=5)
    assert tight.go and tight.share == pytest.approx(0.10)  # 10 of room: no more
    spent = _view(100)
    assert not admit("push", spent, now=T0).go
    assert admit("push", spent, now=T0).retry_at == T0 - MINUTE + HOUR


def test_pulls_keep_a_reserve_and_a_delete_check_is_dated() -> None:
    view = _view(0)
    assert pull_reserve(view, 15 * MINUTE) == 4
    assert pull_reserve(view, timedelta(seconds=1)) == 25  # never more than a quarter
    assert delete_check_eta(now=T0, requests_needed=30, view=view, share=0.5, reserved=10) == T0
    eta = delete_check_eta(now=T0, requests_needed=200, view=view, share=0.5, reserved=10)
    assert eta == T0 + 3 * HOUR  # 50 now, then 50 a window
    assert delete_check_eta(now=T0, requests_needed=5, view=view, share=0, reserved=0) is None


def test_failures_back_off_doubling_and_claims_expire() -> None:
    assert [failure_backoff(MINUTE, n).total_seconds() for n in (1, 2, 3)] == [60, 120, 240]
    assert failure_backoff(MINUTE, 30) == HOUR
    held = JobSlot("pull", next_due_at=T0, claimed_by="a", claim_expires_at=T0 + MINUTE)
    assert not held.claimable(T0)
    assert held.claimable(T0 + MINUTE)
    assert not JobSlot("pull", next_due_at=T0 + MINUTE).claimable(T0)
