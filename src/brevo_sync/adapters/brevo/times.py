"""Times as Brevo wants them: UTC, millisecond precision, `Z`."""

from __future__ import annotations

from datetime import UTC, datetime


def as_utc(moment: datetime) -> datetime:
    """Aware and in UTC; a naive datetime is taken as UTC (SQLite hands stored UTC times
    back naive)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def format_since(moment: datetime) -> str:
    """`modifiedSince`/`createdSince` (and date cells) as Brevo wants them: UTC
    `YYYY-MM-DDTHH:mm:ss.SSSZ`.

    Sub-millisecond digits are dropped, which moves a bound earlier and can only add
    overlap, never skip."""
    utc = as_utc(moment)
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T"
        f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}.{utc.microsecond // 1000:03d}Z"
    )
