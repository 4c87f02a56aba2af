"""Our retry policy: jittered exponential backoff with tenacity, SDK retries switched off.

The SDK's own retries repeat POSTs and ignore Brevo's rate-limit headers, so the gateway runs
the SDK with `max_retries=0` and wraps every call in `RetryPolicy.run`. Which failures are worth
another attempt is the caller's `should_retry`; waiting for a rate-limit window is the budget's
business (`skip_backoff` tells this loop not to add a backoff on top of that wait).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Up to `max_retries` further attempts after the first, spaced by "equal jitter" backoff:
    half of min(cap, base * 2**(n-1)) plus a random share of the other half, so a crowd of
    clients spreads out without any retry being near-instant."""

    max_retries: int = 5
    backoff_base_seconds: float = 0.5
    backoff_max_seconds: float = 30.0
    sleep: Callable[[float], None] = time.sleep
    rand: Callable[[], float] = field(default=random.random)

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        if self.backoff_base_seconds < 0 or self.backoff_max_seconds < 0:
            raise ValueError("backoff seconds must be >= 0")

    def backoff(self, retry_number: int) -> float:
        """The pause before retry number `retry_number` (1 for the first retry)."""
        exponent = min(retry_number - 1, 62)  # 2**62 already dwarfs any sane cap
        ceiling = min(self.backoff_max_seconds, self.backoff_base_seconds * 2.0**exponent)
        return ceiling / 2 + self.rand() * ceiling / 2

    def _pause(self, seconds: float) -> None:
        if seconds > 0:  # tenacity also "sleeps" 0s; keep that out of injected sleep recorders
            self.sleep(seconds)

    def run(
        self,
        attempt: Callable[[], T],
        *,
        should_retry: Callable[[BaseException], bool],
        skip_backoff: Callable[[BaseException], bool] = lambda _exc: False,
    ) -> T:
        """Call `attempt` until it returns, `should_retry` says no, or attempts run out;
        the last exception is re-raised unchanged."""

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome is not None else None
            if exc is not None and skip_backoff(exc):
                return 0.0
            return self.backoff(state.attempt_number)

        retrying = Retrying(
            stop=stop_after_attempt(self.max_retries + 1),
            retry=retry_if_exception(should_retry),
            wait=wait,
            sleep=self._pause,
            reraise=True,
        )
        return retrying(attempt)
