"""Time for the sandbox: an injectable clock, Brevo's timestamp spelling, and `since` parsing.

Deals keep their timestamps as integer milliseconds since the epoch, because Brevo's
timestamps have millisecond precision and integers sort and bisect exactly; the ISO strings
that the API shows are derived from them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

Clock = Callable[[], datetime]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_DAY_MS = 86_400_000


def utc_now() -> datetime:
    """The real time, aware and in UTC: the default clock."""
    return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to, for tests that need exact timestamps.

    `tick_ms` > 0 makes every reading advance the clock by that much afterwards, so
    successive writes get distinct, increasing timestamps without explicit `advance` calls
    (note that the `Date` header of each HTTP response reads the clock too). Thread-safe,
    because the HTTP server reads it from its own thread while the test thread moves it.
    """

    def __init__(self, start: datetime | None = None, *, tick_ms: int = 0) -> None:
        self._now = _aware(start or datetime(2025, 1, 15, 12, 0, tzinfo=UTC))
        self._tick = timedelta(milliseconds=tick_ms)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            now = self._now
            self._now += self._tick
            return now

    def advance(self, seconds: float = 0.0, *, milliseconds: int = 0) -> datetime:
        """Move forward (or back, with a negative value) and return the new time."""
        with self._lock:
            self._now += timedelta(seconds=seconds, milliseconds=milliseconds)
            return self._now

    def set(self, when: datetime) -> None:
        with self._lock:
            self._now = _aware(when)


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def to_ms(value: datetime) -> int:
    """Whole milliseconds since the epoch (floored), exact: no float rounding."""
    return (_aware(value) - EPOCH) // _MS


def from_ms(ms: int) -> datetime:
    return EPOCH + timedelta(milliseconds=ms)


_DAY_PREFIX: dict[int, str] = {}
_HMS: list[str] = []
_MILLIS = tuple(f".{m:03d}Z" for m in range(1000))


def _day_prefix(day: int) -> str:
    prefix = _DAY_PREFIX.get(day)
    if prefix is None:
        prefix = _DAY_PREFIX[day] = (EPOCH + timedelta(days=day)).strftime("%Y-%m-%dT")
        if not _HMS:
            _HMS.extend(f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86_400))
    return prefix


def format_ms(ms: int) -> str:
    """Brevo's spelling `YYYY-MM-DDTHH:mm:ss.SSSZ`.

    Table-driven (one string per day, per second of the day, per millisecond) because
    seeding formats about a million timestamps and strftime per value would dominate it."""
    day, rest = divmod(ms, _DAY_MS)
    second, millis = divmod(rest, 1000)
    prefix = _DAY_PREFIX.get(day) or _day_prefix(day)
    return prefix + _HMS[second] + _MILLIS[millis]


def format_day(ms: int) -> str:
    """Midnight UTC of the day holding `ms`, in Brevo's spelling (for date attributes)."""
    return f"{_day_prefix(ms // _DAY_MS)}00:00:00.000Z"


def format_date(value: date) -> str:
    """A date attribute as Brevo-style midnight UTC timestamp."""
    return f"{value.isoformat()}T00:00:00.000Z"


def parse_timestamp(text: str) -> datetime:
    """An aware UTC datetime from an ISO-8601 string (`Z`, `+00:00` or any offset).

    A naive value is taken as UTC, as Brevo documents these parameters as UTC. A space
    where the offset sign should be means the client sent `+` without URL-encoding it; that
    is refused (ValueError) rather than guessed, so the client bug shows up here and not as
    silently wrong data against the real API.
    """
    value = text.strip()
    if not value or " " in value:
        raise ValueError(f"not a date-time: {text!r}")
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    parsed = datetime.fromisoformat(value)
    return _aware(parsed)


def since_to_ms(text: str) -> int:
    """The smallest whole millisecond at or after `text`: `since` filters are inclusive."""
    parsed = parse_timestamp(text)
    return -((EPOCH - parsed) // _MS)  # ceiling division, exact on timedeltas
