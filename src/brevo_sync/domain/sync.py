"""The state of mirroring deals, as values: pages read, where a run stands, the cursor.

They are written by the pull use case and stored by the mirror; both sides see these types
and nothing of each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
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


# Brevo's documented default `limit` for deals: a size every account accepts.
DOCUMENTED_PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class PageSizeFacts:
    """What an account has shown about page sizes; Brevo documents no maximum `limit`.

    `floor`: the most deals one page ever held. The server gives at least that many per page
    whenever there are that many, so a page shorter than `floor` is the end of the list.
    A short page of `floor` or more may instead be a page the server cut (a clamp): one more
    request at the next offset decides, and a non-empty answer teaches the `ceiling`.
    `ceiling`: the most the account gives or accepts, learned from a clamp or a 400.
    """

    floor: int = 0
    ceiling: int | None = None
    ceiling_reason: str | None = None  # "clamped" or "refused"

    def size_for(self, wanted: int) -> int:
        """The `limit` to ask for when `wanted` is the configured size."""
        return wanted if self.ceiling is None else min(wanted, self.ceiling)

    def ends_read(self, asked: int, got: int) -> bool:
        """Whether a page of `got` deals, asked for `asked`, is the last one."""
        return got == 0 or (got < asked and got < self.floor)

    def saw_page(self, got: int) -> PageSizeFacts:
        return self if got <= self.floor else replace(self, floor=got)

    def learned(self, ceiling: int, reason: str) -> PageSizeFacts:
        return replace(self, ceiling=ceiling, ceiling_reason=reason, floor=min(self.floor, ceiling))


@dataclass(frozen=True, slots=True)
class SyncState:
    cursor: datetime | None = None
    run: RunPosition | None = None
    last_success_at: datetime | None = None
    last_full_at: datetime | None = None
    catalog_fetched_at: datetime | None = None  # written by a catalogue refresh only
    paging: PageSizeFacts = field(default_factory=PageSizeFacts)


@dataclass(frozen=True, slots=True)
class Quarantined:
    """A record that could not be read, kept with its reason instead of stopping the pull."""

    record_id: str | None
    reason: str
    raw: RawRecord


def new_run(state: SyncState, *, full: bool, overlap: timedelta, now: datetime) -> RunPosition:
    """Where a run starts: everything (a full read, or the first), else `overlap` behind the
    cursor, which absorbs clock granularity and whether Brevo's "since" is inclusive."""
    full = full or state.cursor is None
    since = None if full or state.cursor is None else state.cursor - overlap
    return RunPosition(since=since, offset=0, full=full, started_at=now)


def page_read(
    run: RunPosition, *, items: int, newest: datetime | None, server_time: datetime | None
) -> RunPosition:
    """The run after a page of `items` records whose newest `last_updated_date` is `newest`."""
    return replace(
        run,
        offset=run.offset + items,
        max_seen=newest if run.max_seen is None else max(run.max_seen, newest or run.max_seen),
        server_start=run.server_start or server_time,
    )


def completed(state: SyncState, run: RunPosition, now: datetime) -> SyncState:
    """The state once `run` read its last page: the cursor becomes min(newest update seen, the
    server's clock when the run began), so a deal edited while the run paged (behind its
    offset) is read by the next run; the run position is cleared."""
    cursor: datetime | None
    if run.max_seen is not None:
        cursor = min(t for t in (run.max_seen, run.server_start) if t is not None)
    else:  # nothing read: a full read of an empty account still knows "up to now"
        cursor = run.server_start if run.full else state.cursor
    if cursor is not None and state.cursor is not None and not run.full:
        cursor = max(cursor, state.cursor)  # an empty window never moves the cursor back
    return replace(
        state,
        cursor=cursor,
        run=None,
        last_success_at=now,
        last_full_at=now if run.full else state.last_full_at,
    )
