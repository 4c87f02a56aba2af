"""Brevo's rate limit: a fixed window per bucket, reported in `x-sib-ratelimit-*` headers.

`x-sib-ratelimit-reset` is the number of whole seconds until the window resets (rounded
up, so a client that sleeps that long is always past it), never a timestamp. Over the
limit the answer is 429 with the same headers and no `Retry-After`, as Brevo does.

`requests_per_hour` is the budget of one window; it is named after Brevo's hourly window,
but tests shrink `window_seconds` to a second or two and keep the same meaning.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

UNLIMITED = 1_000_000_000  # limit header sent when no limit is configured
BUCKETS = ("crm", "loyalty")


def bucket_for(path: str) -> str | None:
    """The budget a request spends (`path` without the `/v3` prefix); None: not limited."""
    if path.startswith(("/crm/", "/companies")) or path == "/crm":
        return "crm"
    if path.startswith("/loyalty/"):
        return "loyalty"
    return None


@dataclass(frozen=True, slots=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [
            (b"x-sib-ratelimit-limit", str(self.limit).encode()),
            (b"x-sib-ratelimit-remaining", str(self.remaining).encode()),
            (b"x-sib-ratelimit-reset", str(self.reset_seconds).encode()),
        ]


class _Window:
    __slots__ = ("count", "started")

    def __init__(self) -> None:
        self.started: float | None = None
        self.count = 0


class RateLimiter:
    def __init__(
        self,
        limits: Mapping[str, int | None],
        window_seconds: float = 3600.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if window_seconds <= 0:
            raise ValueError("window_seconds must be > 0")
        self._limits = {b: limits.get(b) for b in BUCKETS}
        self.window_seconds = window_seconds
        self._monotonic = monotonic
        self._windows = {b: _Window() for b in BUCKETS}
        self._lock = threading.Lock()

    def configure(
        self,
        bucket: str = "crm",
        requests_per_hour: int | None = None,
        window_seconds: float | None = None,
    ) -> None:
        """Change a bucket's budget at run time (starts a fresh window)."""
        if bucket not in BUCKETS:
            raise ValueError(f"bucket must be one of {', '.join(BUCKETS)}")
        with self._lock:
            self._limits[bucket] = requests_per_hour
            if window_seconds is not None:
                if window_seconds <= 0:
                    raise ValueError("window_seconds must be > 0")
                self.window_seconds = window_seconds
            self._windows[bucket] = _Window()

    def reset(self) -> None:
        """Forget all spent budget (a new window for every bucket)."""
        with self._lock:
            self._windows = {b: _Window() for b in BUCKETS}

    def hit(self, bucket: str) -> RateDecision:
        """Spend one request from the bucket, or refuse it if the window's budget is gone."""
        return self._decide(bucket, spend=True)

    def peek(self, bucket: str) -> RateDecision:
        """The current headers without spending (for injected 429s)."""
        return self._decide(bucket, spend=False)

    def _decide(self, bucket: str, *, spend: bool) -> RateDecision:
        with self._lock:
            now = self._monotonic()
            window = self._windows[bucket]
            if window.started is None or now >= window.started + self.window_seconds:
                if not spend:
                    configured = self._limits[bucket]
                    limit = UNLIMITED if configured is None else configured
                    return RateDecision(True, limit, limit, math.ceil(self.window_seconds))
                window.started, window.count = now, 0
            configured = self._limits[bucket]
            limit = UNLIMITED if configured is None else configured
            reset = max(1, math.ceil(window.started + self.window_seconds - now))
            if spend and window.count >= limit:
                return RateDecision(False, limit, 0, reset)
            if spend:
                window.count += 1
            return RateDecision(True, limit, max(0, limit - window.count), reset)
