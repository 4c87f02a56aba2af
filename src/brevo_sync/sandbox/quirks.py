"""Switches for the ways real Brevo is odd, or may be: one frozen value, swapped whole.

Each switch is documented where it acts; the defaults are the sandbox's best reading of the
Brevo notes (shared/brevo/README.md):

- `owner_ids`: `deal_owner` is stored and returned as a user id; an e-mail is accepted on
  write and in the list filter (`users.py`, `SandboxState`). False: stored as written.
- `max_page_limit` / `over_limit`: the largest `limit` of list endpoints (None: no
  maximum) and what happens above it: "refuse" (400) or "clamp" (silently fewer items).
- `date_offset`: deal date-times rendered in this UTC offset ("+05:30") instead of `Z`.
- `error_style`: "code_and_message", or "message_only" for every error body.
- `rate_limit_headers`: False sends no `x-sib-ratelimit-*` headers at all.

The state holds one `Quirks` and replaces it on change, so a request reads a consistent set
without taking a lock.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal, get_args

OverLimit = Literal["refuse", "clamp"]
ErrorStyle = Literal["code_and_message", "message_only"]
OVER_LIMIT: tuple[str, ...] = get_args(OverLimit)
ERROR_STYLES: tuple[str, ...] = get_args(ErrorStyle)
# Brevo's maximum `limit` for deals is unverified; 100 is the conservative assumption (the
# README's throughput arithmetic uses 100 a page).
DEFAULT_MAX_PAGE_LIMIT = 100
_OFFSET = re.compile(r"^([+-])(\d{2}):(\d{2})$")


@dataclass(frozen=True, slots=True)
class Quirks:
    owner_ids: bool = True
    max_page_limit: int | None = DEFAULT_MAX_PAGE_LIMIT
    over_limit: OverLimit = "refuse"
    date_offset: str | None = None
    error_style: ErrorStyle = "code_and_message"
    rate_limit_headers: bool = True

    def __post_init__(self) -> None:
        for name in ("owner_ids", "rate_limit_headers"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be true or false")
        limit = self.max_page_limit
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)):
            raise ValueError("max_page_limit must be a positive integer or null (no maximum)")
        if limit is not None and limit < 1:
            raise ValueError("max_page_limit must be a positive integer or null (no maximum)")
        if self.over_limit not in OVER_LIMIT:
            raise ValueError(f"over_limit must be one of {', '.join(OVER_LIMIT)}")
        if self.error_style not in ERROR_STYLES:
            raise ValueError(f"error_style must be one of {', '.join(ERROR_STYLES)}")
        if self.date_offset is not None:
            offset_minutes(self.date_offset)

    @property
    def message_only(self) -> bool:
        return self.error_style == "message_only"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def with_changes(self, changes: Mapping[str, Any]) -> Quirks:
        """A new value with `changes` applied; ValueError names the first bad key or value."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(f"unknown quirks: {', '.join(unknown)} (known: {', '.join(known)})")
        try:
            return replace(self, **changes)
        except TypeError as exc:  # e.g. an unhashable value where a string was expected
            raise ValueError(str(exc)) from None


def offset_minutes(text: str) -> int:
    """`+05:30` -> 330, `-08:00` -> -480. Only `±HH:MM` up to ±14:00, the widest real zone."""
    match = _OFFSET.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"date_offset must look like +05:30 or -08:00: {text!r}")
    sign, hours, minutes = match.group(1), int(match.group(2)), int(match.group(3))
    total = hours * 60 + minutes
    if minutes >= 60 or total > 14 * 60:
        raise ValueError(f"date_offset must be between -14:00 and +14:00: {text!r}")
    return -total if sign == "-" else total
