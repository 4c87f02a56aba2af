"""One request budget for every job of the daemon, spent by priority.

Sending changes comes first (push), reading them next (pull), delete detection and
reconciliation get what is left. The window is the one all replicas share: the requests
every run recorded in the mirror in the last hour against our ceiling, or Brevo's own numbers
(`x-sib-ratelimit-*`) as the last run saw them. Before a job spends anything it is admitted
or deferred here; a deferred job is due again when the window has room, so no job runs into
a 429 and none starves the ones above it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from brevo_sync.domain.budget import BudgetSnapshot
from brevo_sync.domain.jobs import JobName

WINDOW = timedelta(hours=1)
# What reconcile leaves for pulls: the polls of one window at the interval in force, at
# most this share of the window's limit.
PULL_RESERVE_SHARE = 0.25


@dataclass(frozen=True, slots=True)
class BudgetView:
    """The window as the database knows it: its limit, what is left, and when room appears."""

    limit: int
    remaining: int
    frees_at: datetime | None  # when the next request's worth of room appears
    source: str  # "brevo" (its headers, as last seen) or "local" (our ceiling)
    spent_last_hour: int = 0


@dataclass(frozen=True, slots=True)
class Admission:
    go: bool
    reason: str = ""
    retry_at: datetime | None = None  # deferred: when to try again
    share: float | None = None  # reconcile: the share of the window it may spend now


def budget_view(
    *,
    now: datetime,
    ceiling: int,
    reserve: int,
    spent: Sequence[tuple[datetime, int]],
    saved: BudgetSnapshot | None,
) -> BudgetView:
    """The shared window at `now`: Brevo's numbers while the window they describe lasts,
    else our `ceiling` (less `reserve`) minus what runs spent in the last hour."""
    recent = [(when, n) for when, n in spent if when > now - WINDOW]
    spent_total = sum(n for _, n in recent)
    if (
        saved is not None
        and saved.source == "brevo"
        and saved.limit is not None
        and saved.remaining is not None
        and saved.reset_at is not None
        and saved.reset_at > now
    ):
        left = max(0, saved.remaining - reserve)
        return BudgetView(saved.limit, left, saved.reset_at, "brevo", spent_total)
    limit = max(1, ceiling - reserve)
    left = max(0, limit - spent_total)
    frees_at = None
    if left == 0:  # room appears when enough of the oldest requests leave the window
        must_leave, gone = spent_total - limit + 1, 0
        for when, n in sorted(recent):
            gone += n
            if gone >= must_leave:
                frees_at = when + WINDOW
                break
    return BudgetView(limit, left, frees_at, "local", spent_total)


def pull_reserve(view: BudgetView, poll_interval: timedelta) -> int:
    """Requests kept for the pulls of one window at the poll interval in force."""
    polls = math.ceil(WINDOW / max(poll_interval, timedelta(seconds=1)))
    return min(polls, max(1, math.floor(view.limit * PULL_RESERVE_SHARE)))


def admit(
    job: JobName,
    view: BudgetView,
    *,
    now: datetime,
    push_need: int = 0,
    pull_reserve: int = 0,
    reconcile_share: float = 0.5,
) -> Admission:
    """May `job` start now? Push may spend the whole window; a pull what pushes waiting to be
    sent leave; reconcile only what pushes and the window's pulls leave, at most its share."""
    later = view.frees_at or now + timedelta(minutes=5)
    if job == "push":
        if view.remaining >= 1:
            return Admission(True)
        return Admission(False, "the request budget is spent", later)
    if job == "pull":
        if view.remaining - push_need >= 1:
            return Admission(True)
        if view.remaining >= 1:
            return Admission(False, f"{push_need} requests of changes to send go first", later)
        return Admission(False, "the request budget is spent", later)
    if job == "reconcile":
        if reconcile_share <= 0:
            return Admission(False, "BREVO_SYNC_RECONCILE_BUDGET_SHARE is 0", now + WINDOW)
        room = view.remaining - push_need - pull_reserve
        if room < 1:
            return Admission(
                False,
                f"{view.remaining} requests left, kept for changes to send ({push_need}) "
                f"and the window's pulls ({pull_reserve})",
                later if view.remaining == 0 else now + WINDOW / 4,
            )
        share = min(reconcile_share, room / view.limit)
        return Admission(True, share=share)
    return Admission(True)


def delete_check_eta(
    *, now: datetime, requests_needed: int, view: BudgetView, share: float, reserved: int
) -> datetime | None:
    """When a complete delete check (the walk's remaining requests) will have fit, spending
    at most `share` of each window beyond what `reserved` keeps for pushes and pulls.
    None when it never can (share 0, or nothing is left for it)."""
    per_window = min(math.floor(share * view.limit), view.limit - reserved)
    if requests_needed <= 0:
        return now
    if per_window < 1:
        return None
    first = min(per_window, max(0, view.remaining - reserved))
    if requests_needed <= first:
        return now
    windows = math.ceil((requests_needed - first) / per_window)
    # The next window's room: when the spent window frees up, else an hour from now.
    start = view.frees_at if first == 0 and view.frees_at is not None else now + WINDOW
    return max(start, now) + WINDOW * (windows - 1)
