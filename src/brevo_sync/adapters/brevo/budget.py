"""The request budget: Brevo's hourly rate-limit window, as the responses report it, and our
own ceiling for when they report nothing.

Brevo allows about 100 CRM requests an hour and answers the 101st with a 429. Its responses
carry `x-sib-ratelimit-limit/-remaining/-reset`, so instead of spending a request that is bound
to be refused, `acquire()` sleeps until the window resets once `remaining` is down to the
reserve, and the caller's work then goes on where it was. A 429 (the window was spent by someone
else) lands here too, through `exhausted()`, so there is exactly one place that waits for a
window and reports the wait.

Which rule paces a bucket:

- Brevo's headers, from the first response that carries them. A later *error* response without
  them (a load balancer's 502, a gateway timeout) does not change that: such answers come from
  in front of Brevo and say nothing about its window.
- Otherwise (no answer yet, or the latest successful answer carried no headers) the local
  ceiling: at most `local_limit` requests in any sliding `local_window_seconds`, counted from
  the requests that reached Brevo (`observe`) plus those an earlier process spent (`prime`).

Every answered request is remembered either way, so switching to the local ceiling starts from
the real count, not from zero.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from brevo_sync.adapters.brevo.headers import parse_rate_limit
from brevo_sync.adapters.brevo.window import SpentWindow
from brevo_sync.domain.budget import BudgetSnapshot, BudgetSource
from brevo_sync.errors import BrevoRateLimited
from brevo_sync.service.ports import WaitListener

CRM = "crm"
LOYALTY = "loyalty"

_LABELS = {CRM: "CRM", LOYALTY: "loyalty"}
_HOUR = 3600.0
# Brevo's documented hourly limit of the loyalty bucket; `local_limit` is the CRM one's.
LOYALTY_REQUESTS_PER_HOUR = 600


def bucket_for(path: str) -> str:
    """The rate-limit bucket of an API path (`/crm/deals`, `/loyalty/...`).

    `/loyalty/*` has its own window; `/crm/*` and `/companies` share Brevo's "all other
    endpoints" window, which is also where anything unlisted falls."""
    return LOYALTY if path.startswith("/loyalty") else CRM


def _utcnow() -> datetime:
    return datetime.now(UTC)


def ages_of(spent: Iterable[tuple[datetime, int]], now: datetime) -> list[tuple[float, int]]:
    """(when, how many) pairs as (seconds before `now`, how many), for `RequestBudget.prime`.
    A naive datetime is UTC, as the mirror stores it."""
    ages: list[tuple[float, int]] = []
    for when, count in spent:
        aware = when.replace(tzinfo=UTC) if when.tzinfo is None else when
        ages.append(((now - aware).total_seconds(), count))
    return ages


@dataclass(slots=True)
class _Window:
    spent: SpentWindow
    source: BudgetSource = "unknown"  # "brevo": the headers rule; otherwise the local ceiling
    limit: int | None = None
    remaining: int | None = None
    reset_deadline: float | None = None  # on the injected clock
    reset_at: datetime | None = None  # the same instant in UTC, for BudgetSnapshot
    rejected: bool = False  # the last word was a 429, not just a low `remaining`


@dataclass(frozen=True, slots=True)
class _Pending:
    seconds: float
    reason: str = ""


_NO_WAIT = _Pending(0.0)


class RequestBudget:
    """Per-bucket view of Brevo's rate-limit windows, and the waiting that follows from it.

    `clock` (monotonic seconds) and `sleep` are injectable so tests run instantly and can assert
    the waited durations; `on_wait(seconds, reason)` is told once before every sleep (the CLI
    shows it as progress). Thread-safe: state changes happen under a lock, sleeping outside it.
    """

    def __init__(
        self,
        *,
        reserve: int = 0,
        max_wait_seconds: float = 3900.0,
        local_limit: int = 100,
        bucket_limits: Mapping[str, int] | None = None,
        local_window_seconds: float = _HOUR,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        on_wait: WaitListener | None = None,
        now: Callable[[], datetime] = _utcnow,
    ) -> None:
        if reserve < 0:
            raise ValueError("reserve must be >= 0")
        if max_wait_seconds < 0:
            raise ValueError("max_wait_seconds must be >= 0")
        if local_limit < 1:
            raise ValueError("local_limit must be >= 1")
        if not local_window_seconds > 0:
            raise ValueError("local_window_seconds must be > 0")
        self.reserve = reserve
        self.max_wait_seconds = max_wait_seconds
        self.local_limit = local_limit
        # Buckets with a ceiling of their own (the loyalty one); any other uses local_limit.
        self.bucket_limits = dict(
            {LOYALTY: LOYALTY_REQUESTS_PER_HOUR} if bucket_limits is None else bucket_limits
        )
        if any(limit < 1 for limit in self.bucket_limits.values()):
            raise ValueError("bucket limits must be >= 1")
        self.local_window_seconds = local_window_seconds
        self._clock = clock
        self._sleep = sleep
        self._on_wait = on_wait
        self._now = now
        self._windows: dict[str, _Window] = {}
        self._lock = threading.Lock()

    def utcnow(self) -> datetime:
        """The budget's idea of the current UTC time (injectable, like its clock)."""
        return self._now()

    def limit_of(self, bucket: str) -> int:
        """The local ceiling of `bucket` (requests per `local_window_seconds`)."""
        return self.bucket_limits.get(bucket, self.local_limit)

    def _window(self, bucket: str) -> _Window:
        window = self._windows.get(bucket)
        if window is None:
            window = self._windows[bucket] = _Window(SpentWindow(self.local_window_seconds))
        return window

    def _utc_in(self, seconds: float) -> datetime | None:
        try:
            return self._now() + timedelta(seconds=seconds)
        except OverflowError:  # an absurd reset still counts on the clock, just not as a date
            return None

    def _set_reset(self, window: _Window, seconds: float) -> None:
        window.reset_deadline = self._clock() + seconds
        window.reset_at = self._utc_in(seconds)

    # -- what happened -----------------------------------------------------------------------

    def observe(
        self, bucket: str, headers: Mapping[str, str] | None, *, status: int | None = None
    ) -> None:
        """A request on `bucket` got an answer (any status): count it as spent, and take in
        what the answer said about the window; garbage headers are ignored.

        Call it only for answers: a request that never got one (connect error, timeout,
        dropped connection) is not known to have been spent."""
        parsed = parse_rate_limit(headers)
        with self._lock:
            window = self._window(bucket)
            window.spent.add(self._clock())
            if parsed.limit is None and parsed.remaining is None and parsed.reset_seconds is None:
                # An error without headers comes from in front of Brevo: see the module doc.
                if window.source != "brevo" or status is None or status < 400:
                    window.source = "local"
                return
            window.source = "brevo"
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
            window.source = "brevo"
            window.remaining = 0
            window.rejected = True
            self._set_reset(window, reset_seconds)

    def prime(self, bucket: str, spent: Iterable[tuple[float, int]]) -> None:
        """Requests an earlier process spent on `bucket`: (seconds ago, how many) pairs.

        Adds to what this budget counted itself, so call it before the first request. Only
        the local ceiling uses them; pairs older than the window are ignored."""
        with self._lock:
            window = self._window(bucket)
            window.spent.add_ages(self._clock(), spent)
            if window.source == "unknown" and not window.spent.empty(self._clock()):
                window.source = "local"

    # -- waiting -----------------------------------------------------------------------------

    def pending_wait(self, bucket: str) -> float:
        """How long `acquire(bucket)` would sleep right now (0 when it would not)."""
        with self._lock:
            return self._pending(bucket, self._window(bucket)).seconds

    def _pending(self, bucket: str, window: _Window) -> _Pending:
        if window.source == "brevo":
            return self._pending_on_headers(bucket, window)
        allowed = max(1, self.limit_of(bucket) - self.reserve)  # a huge reserve lets one by
        seconds = window.spent.wait_for(self._clock(), allowed)
        if seconds <= 0:
            return _NO_WAIT
        return _Pending(seconds, self._local_reason(bucket))

    def _pending_on_headers(self, bucket: str, window: _Window) -> _Pending:
        if window.remaining is None or window.reset_deadline is None:
            return _NO_WAIT
        if window.remaining > self.reserve:
            return _NO_WAIT
        seconds = max(0.0, window.reset_deadline - self._clock())
        if seconds <= 0:
            return _NO_WAIT
        label = self._label(bucket)
        if window.rejected:
            return _Pending(seconds, f"Brevo answered 429 for the {label} requests")
        of = f" of {window.limit}" if window.limit is not None else ""
        left = f"{window.remaining}{of}"
        if self.reserve:
            return _Pending(
                seconds,
                f"Brevo's {label} rate-limit window is down to the reserve "
                f"({left} left, reserve {self.reserve})",
            )
        return _Pending(seconds, f"Brevo's {label} rate-limit window is spent ({left} left)")

    def _local_reason(self, bucket: str) -> str:
        seconds = self.local_window_seconds
        per = "an hour" if seconds == _HOUR else f"per {seconds:g} s"
        limit, label = self.limit_of(bucket), self._label(bucket)
        reason = f"the local ceiling of {limit} {label} requests {per}"
        return reason + (f" is reached (reserve {self.reserve})" if self.reserve else " is reached")

    @staticmethod
    def _label(bucket: str) -> str:
        return _LABELS.get(bucket, bucket)

    def acquire(self, bucket: str, *, endpoint: str) -> None:
        """Wait, if needed, until a request on `bucket` can be spent without a 429 (or
        without passing the local ceiling).

        Raises BrevoRateLimited (without sleeping) when the wait would exceed
        `max_wait_seconds`."""
        with self._lock:
            window = self._window(bucket)
            pending = self._pending(bucket, window)
        wait = pending.seconds
        if wait <= 0:
            return
        if wait > self.max_wait_seconds:
            raise BrevoRateLimited(
                f"{endpoint}: {pending.reason}; the next request is possible in {wait:.0f}s, "
                f"longer than the allowed wait of {self.max_wait_seconds:.0f}s",
                reset_seconds=wait,
                endpoint=endpoint,
            )
        if self._on_wait is not None:
            self._on_wait(wait, pending.reason)
        self._sleep(wait)
        with self._lock:
            if window.source == "brevo":
                # The window has reset; its new numbers arrive with the next response. Until
                # then nothing is known, which must not make anyone wait again.
                window.remaining = None
                window.reset_deadline = None
                window.reset_at = None
                window.rejected = False

    # -- reporting ---------------------------------------------------------------------------

    def snapshot(self, bucket: str = CRM) -> BudgetSnapshot:
        """The window as last known, and who said so (`source`)."""
        with self._lock:
            window = self._window(bucket)
            if window.source == "brevo":
                return BudgetSnapshot(
                    limit=window.limit,
                    remaining=window.remaining,
                    reset_at=window.reset_at,
                    source="brevo",
                )
            if window.source == "unknown":
                return BudgetSnapshot(limit=None, remaining=None, reset_at=None, source="unknown")
            now = self._clock()
            exit_in = window.spent.next_exit(now)
            limit = self.limit_of(bucket)
            return BudgetSnapshot(
                limit=limit,
                remaining=max(0, limit - window.spent.count(now)),
                reset_at=self._utc_in(exit_in) if exit_in is not None else None,
                source="local",
            )
