"""The state of mirroring deals, as values: pages read, where a run stands, the cursor.

They are written by the pull use case and stored by the mirror; both sides see these types
and nothing of each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

RawRecord = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class DealPage:
    """One page of `GET /crm/deals`: the raw records and the server's clock (`Date` header)."""

    items: list[RawRecord]
    server_time: datetime | None = None


@dataclass(frozen=True, slots=True)
class RunPosition:
    """An unfinished read of deals, persisted with every page so a crash resumes exactly.

    The run re-issues the same query (`since`) from `offset`; `max_seen` and `server_start`
    decide the cursor once the run completes.
    """

    since: datetime | None
    offset: int
    full: bool
    started_at: datetime
    max_seen: datetime | None = None
    server_start: datetime | None = None


@dataclass(frozen=True, slots=True)
class SyncState:
    cursor: datetime | None = None
    run: RunPosition | None = None
    last_success_at: datetime | None = None
    last_full_at: datetime | None = None
    catalog_fetched_at: datetime | None = None  # written by a catalogue refresh only


@dataclass(frozen=True, slots=True)
class Quarantined:
    """A record that could not be read, kept with its reason instead of stopping the pull."""

    record_id: str | None
    reason: str
    raw: RawRecord


@dataclass(frozen=True, slots=True)
class PageOutcome:
    written: int  # inserted or changed
    unchanged: int  # already mirrored at the same last_updated_date (overlap re-reads)
    stage_changes: int  # stage history rows written for stage moves seen between pulls
