"""Requests spent in a sliding window: the memory behind the local request ceiling.

Brevo normally reports its window in `x-sib-ratelimit-*` headers. When responses carry none
(a proxy that strips them, an emulator, a changed API), the only safe pace is our own count:
at most N requests in any sliding hour. This keeps the times of the requests that reached
Brevo, on the injected monotonic clock, as (time, how many) pairs, so priming a new process
with "500 requests an hour ago" costs one entry, not 500.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable


class SpentWindow:
    """The requests spent in the last `seconds`, oldest first. Not thread-safe on its own:
    `RequestBudget` calls it under its lock."""

    def __init__(self, seconds: float) -> None:
        if not seconds > 0:
            raise ValueError("the window must be > 0 seconds")
        self.seconds = seconds
        self._spent: deque[tuple[float, int]] = deque()  # (clock time, count), time ascending

    def add(self, at: float, count: int = 1) -> None:
        """`count` requests spent at clock time `at` (the present, for live requests)."""
        if count <= 0:
            return
        if not self._spent or self._spent[-1][0] < at:
            self._spent.append((at, count))
        elif self._spent[-1][0] == at:
            self._spent[-1] = (at, self._spent[-1][1] + count)
        else:
            # Out of order: only priming with older requests gets here, so a sort is fine.
            self._spent = deque(sorted([*self._spent, (at, count)], key=lambda item: item[0]))

    def add_ages(self, now: float, spent: Iterable[tuple[float, int]]) -> None:
        """Requests spent `age` seconds before `now`, as (age, count) pairs. Ages outside
        the window are dropped; a negative age (a clock ahead of ours) counts as now."""
        for age, count in spent:
            if not math.isfinite(age) or age >= self.seconds:
                continue
            self.add(now - max(0.0, age), count)

    def _prune(self, now: float) -> None:
        # A request spent at t is in the window while now < t + seconds.
        while self._spent and self._spent[0][0] + self.seconds <= now:
            self._spent.popleft()

    def count(self, now: float) -> int:
        self._prune(now)
        return sum(count for _, count in self._spent)

    def empty(self, now: float) -> bool:
        return self.count(now) == 0

    def wait_for(self, now: float, allowed: int) -> float:
        """Seconds until fewer than `allowed` requests are left in the window (0 if already).

        With the window exactly full that is when the oldest request leaves it; primed with
        more than `allowed`, it is when enough of the oldest have left."""
        must_leave = self.count(now) - allowed + 1
        if must_leave <= 0:
            return 0.0
        left = 0
        for at, count in self._spent:
            left += count
            if left >= must_leave:
                return max(0.0, at + self.seconds - now)
        return 0.0  # unreachable: must_leave <= count(now)

    def next_exit(self, now: float) -> float | None:
        """Seconds until the oldest request leaves the window, None when it is empty."""
        self._prune(now)
        if not self._spent:
            return None
        return max(0.0, self._spent[0][0] + self.seconds - now)
