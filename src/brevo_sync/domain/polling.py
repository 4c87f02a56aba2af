"""Adaptive polling: how long the daemon waits before the next incremental pull.

An idle poll costs one request; every 5 minutes that is 12% of a 100/hour budget for nothing.
So the interval follows what the polls find:

- With Brevo's CRM webhooks configured (`BREVO_SYNC_BREVO_WEBHOOK_TOKEN`), a change announces
  itself as a hint that pulls early; the poll is only a safety net for a lost webhook and runs
  every `hinted` (default an hour): an idle hour costs one request.
- Without them, the poll is the only way to see a change: it starts at `base`, doubles after
  every poll that found nothing, up to `ceiling`, and drops back to `base` as soon as a poll
  finds a change (changes come in bursts: a busy afternoon is polled closely).

A change is therefore seen within the interval in force when it happened (a hint: within the
debounce). Pure: the caller passes what the last poll found and gets the next interval.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

GROWTH = 2.0  # each idle poll multiplies the interval by this


@dataclass(frozen=True, slots=True)
class PollPolicy:
    base: timedelta  # BREVO_SYNC_PULL_INTERVAL_SECONDS: the interval while changes come
    ceiling: timedelta  # BREVO_SYNC_PULL_MAX_INTERVAL_SECONDS: the idle maximum
    hinted: timedelta | None = None  # the safety poll when webhooks announce changes

    def __post_init__(self) -> None:
        if self.base <= timedelta(0):
            raise ValueError("the poll interval must be positive")
        if self.ceiling < self.base:
            object.__setattr__(self, "ceiling", self.base)

    @property
    def first(self) -> timedelta:
        """The interval before anything is known."""
        return self.hinted if self.hinted is not None else self.base

    def bounded(self, interval: timedelta) -> timedelta:
        """A remembered interval as the policy allows it now."""
        if self.hinted is not None:
            return self.hinted
        return min(self.ceiling, max(self.base, interval))

    def next_interval(self, current: timedelta | None, changes: int) -> timedelta:
        """The interval after a poll that found `changes` deals changed, `current` being the
        interval that poll ran under (None: the first poll)."""
        if self.hinted is not None:
            return self.hinted
        if changes > 0 or current is None:
            return self.base
        grown = timedelta(seconds=current.total_seconds() * GROWTH)
        return min(self.ceiling, max(self.base, grown))

    def idle_polls(self, period: timedelta) -> int:
        """Polls in `period` with nothing changing, from a fresh start (what an idle day
        costs in list requests; a poll with no change is one request)."""
        elapsed, polls, interval = timedelta(0), 0, None
        while True:
            interval = self.next_interval(interval, 0)
            elapsed += interval
            if elapsed > period:
                return polls + 1  # the first poll, at the start
            polls += 1
