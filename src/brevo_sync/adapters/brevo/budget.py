"""The request budget: Brevo's hourly rate-limit window, as the responses report it.

Brevo allows about 100 CRM requests an hour and answers the 101st with a 429. Every response
carries `x-sib-ratelimit-limit/-remaining/-reset`, so instead of spending a request that is
bound to be refused, `acquire()` sleeps until the window resets once `remaining` is down to the
reserve, and the caller's work then goes on where it was. A 429 (the window was spent by someone
else, or the headers were missing) lands here too, through `exhausted()`, so there is exactly one
place that waits for a window and reports the wait.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from brevo_sync.adapters.brevo.headers import parse_rate_limit
from brevo_sync.domain.budget import BudgetSnapshot
from brevo_sync.errors import BrevoRateLimited
from brevo_sync.service.ports import WaitListener

CRM = "crm"
LOYALTY = "loyalty"


def bucket_for(path: str) -> str:
    """The rate-limit bucket of an API path (`/crm/deals`, `/loyalty/...`).

    `/loyalty/*` has its own window; `/crm/*` and `/companies` share Brevo's "all other
    endpoints" window, which is also where anything unlisted falls."""
    return LOYALTY if path.startswith("/loyalty") else CRM


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class _Window:
    limit: int | None = None
    remaining: int | None = None
    reset_deadline: float | None = None  # on the injected clock
    reset_at: datetime | None = None  # the same instant in UTC, for BudgetSnapshot
    rejected: bool = False  # the last word was a 429, not just a low `remaining`


class RequestBudget:
    """Per-bucket view of Brevo's rate-limit windows, and the waiting that follows from it.

    `clock` (monotonic seconds) and `sleep` are injectable so tests run instantly and can assert
    the waited durations; `on_wait(seconds, reason)` is told before every sleep (the CLI shows
    it as progress). Thread-safe: state changes happen under a lock, sleeping outside it.
    """

    def __init__(
        self,
        *,
        reserve: int = 0,
        max_wait_seconds: float = 3900.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        on_wait: WaitListener | None = None,
        now: Callable[[], datetime] = _utcnow,
    ) -> None:
        if reserve < 0:
            raise ValueError("reserve must be >= 0")
        if max_wait_seconds < 0:
            raise ValueError("max_wait_seconds must be >= 0")
        self.reserve = reserve
        self.max_wait_seconds = max_wait_seconds
        self._clock = clock
        self._sleep = sleep
        self._on_wait = on_wait
        self._now = now
        self._windows: dict[str, _Window] = {}
        self._lock = threading.Lock()

    def _window(self, bucket: str) -> _Window:
        window = self._windows.get(bucket)
        if window is None:
            window = self._windows[bucket] = _Window()
        return window

    def _set_reset(self, window: _Window, seconds: float) -> None:
        window.reset_deadline = self._clock() + seconds
        try:
            window.reset_at = self._now() + timedelta(seconds=seconds)
        except OverflowError:  # an absurd reset still counts on the clock, just not as a date
            window.reset_at = None

    def observe(self, bucket: str, headers: Mapping[str, str] | None) -> None:
        """Take in what a response (success or error) said about the window; ignore garbage."""
        parsed = parse_rate_limit(headers)
        if parsed.limit is None and parsed.remaining is None and parsed.reset_seconds is None:
            return
        with self._lock:
            window = self._window(bucket)
            window.rejected = False
            if parsed.limit is not None:
                window.limit = parsed.limit
            if parsed.remaining is not None:
                window.remaining = parsed.remaining
            if parsed.reset_seconds is not None:
                self._set_reset(window, parsed.reset_seconds)

    def exhausted(self, bucket: str, reset_seconds: float) -> None:
        """Brevo answered 429: nothing is left until the window resets in `reset_seconds`.

        Forcing `remaining` to 0 makes the next `acquire()` wait even when the reserve is 0
        or the 429 carried no `remaining` header."""
        with self._lock:
            window = self._window(bucket)
            window.remaining = 0
            window.rejected = True
            self._set_reset(window, reset_seconds)

    def pending_wait(self, bucket: str) -> float:
        """How long `acquire(bucket)` would sleep right now (0 when it would not)."""
        with self._lock:
            return self._pending(self._window(bucket))

    def _pending(self, window: _Window) -> float:
        if window.remaining is None or window.reset_deadline is None:
            return 0.0
        if window.remaining > self.reserve:
            return 0.0
        return max(0.0, window.reset_deadline - self._clock())

    def acquire(self, bucket: str, *, endpoint: str) -> None:
        """Wait, if needed, until a request on `bucket` can be spent without a 429.

        Raises BrevoRateLimited (without sleeping) when the wait would exceed
        `max_wait_seconds`."""
        with self._lock:
            window = self._window(bucket)
            wait = self._pending(window)
            if wait <= 0:
                return
            if window.rejected:
                reason = f"Brevo rate-limited the {bucket} requests (HTTP 429)"
            else:
                reason = (
                    f"{bucket} request budget at {window.remaining} left (reserve {self.reserve})"
                )
        if wait > self.max_wait_seconds:
            raise BrevoRateLimited(
                f"{endpoint}: {reason}; the window resets in {wait:.0f}s, "
                f"longer than the allowed wait of {self.max_wait_seconds:.0f}s",
                reset_seconds=wait,
                endpoint=endpoint,
            )
        if self._on_wait is not None:
            self._on_wait(wait, f"{reason}: waiting {wait:.0f}s for the window to reset")
        self._sleep(wait)
        with self._lock:
            # The window has reset; its new numbers arrive with the next response. Until then
            # nothing is known, which must not make anyone wait again.
            window.remaining = None
            window.reset_deadline = None
            window.reset_at = None
            window.rejected = False

    def snapshot(self, bucket: str = CRM) -> BudgetSnapshot:
        with self._lock:
            window = self._window(bucket)
            return BudgetSnapshot(
                limit=window.limit, remaining=window.remaining, reset_at=window.reset_at
            )
