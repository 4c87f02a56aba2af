"""Lenient parsing of the response headers the gateway relies on.

Headers come from a server we do not control (or from a proxy in front of it): a missing or
garbled value must never fail a request that otherwise succeeded, so every parser here returns
None instead of raising.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

LIMIT_HEADER = "x-sib-ratelimit-limit"
REMAINING_HEADER = "x-sib-ratelimit-remaining"
RESET_HEADER = "x-sib-ratelimit-reset"


@dataclass(frozen=True, slots=True)
class RateLimitHeaders:
    """What one response said about its rate-limit window; None where it said nothing usable."""

    limit: int | None = None
    remaining: int | None = None
    reset_seconds: float | None = None  # seconds until the window resets (not a timestamp)


def _header(headers: Mapping[str, str], name: str) -> object:
    # httpx.Headers is case-insensitive; the SDK hands errors' headers over as a plain dict
    # (lower-cased by httpx, but a hand-built dict need not be), so fall back to a scan.
    value = headers.get(name)
    if value is not None:
        return value
    for key, candidate in headers.items():
        if isinstance(key, str) and key.lower() == name:
            return candidate
    return None


def _number(value: object) -> float | None:
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if not isinstance(value, str):
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    if not math.isfinite(number) or number < 0:
        return None
    return number


def _count(value: object) -> int | None:
    number = _number(value)
    return None if number is None else int(number)


def parse_rate_limit(headers: Mapping[str, str] | None) -> RateLimitHeaders:
    """The `x-sib-ratelimit-*` values of a response; garbage and absent values become None."""
    if not headers:
        return RateLimitHeaders()
    try:
        return RateLimitHeaders(
            limit=_count(_header(headers, LIMIT_HEADER)),
            remaining=_count(_header(headers, REMAINING_HEADER)),
            reset_seconds=_number(_header(headers, RESET_HEADER)),
        )
    except Exception:  # a hostile mapping type; the headers are advisory, so ignore them
        return RateLimitHeaders()


def parse_http_date(value: str | None) -> datetime | None:
    """An RFC 7231 `Date` header as an aware UTC datetime, or None when absent or unreadable."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
        if parsed.tzinfo is None:  # "-0000" means UTC with no claim about the local zone
            return parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
