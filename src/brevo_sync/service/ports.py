"""What the use cases need from the outside world, as protocols and small value types.

Adapters implement these; services and tests depend only on this module, so a service test
can run on an in-memory fake and the real gateway can be swapped without touching a use case.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from brevo_sync.domain.deal import Deal, DealAttribute, Pipeline

RawRecord = Mapping[str, Any]


@dataclass
class RequestCounter:
    """Brevo requests spent, by endpoint label (e.g. `GET /crm/deals`). Counts every attempt,
    retries included, because every attempt spends the same scarce budget."""

    by_endpoint: Counter[str] = field(default_factory=Counter)

    def add(self, endpoint: str, n: int = 1) -> None:
        self.by_endpoint[endpoint] += n

    @property
    def total(self) -> int:
        return sum(self.by_endpoint.values())

    def since(self, mark: Mapping[str, int]) -> dict[str, int]:
        """What was spent after `mark` (an earlier `snapshot()`), by endpoint."""
        return {k: v - mark.get(k, 0) for k, v in self.by_endpoint.items() if v - mark.get(k, 0)}

    def snapshot(self) -> dict[str, int]:
        return dict(self.by_endpoint)


@dataclass(frozen=True, slots=True)
class BudgetSnapshot:
    """The rate-limit window as Brevo last reported it (`x-sib-ratelimit-*`)."""

    limit: int | None
    remaining: int | None
    reset_at: datetime | None  # when the window resets, in UTC


@dataclass(frozen=True, slots=True)
class DealPage:
    """One page of `GET /crm/deals`: the raw records and the server's clock (`Date` header)."""

    items: list[RawRecord]
    server_time: datetime | None = None


# Called with (seconds to wait, reason) before the gateway sleeps for the budget window.
WaitListener = Callable[[float, str], None]


class BrevoGateway(Protocol):
    """The Brevo API as the use cases see it. Implementations count, budget and retry."""

    @property
    def requests(self) -> RequestCounter: ...

    @property
    def budget(self) -> BudgetSnapshot: ...

    def list_deals(self, *, modified_since: datetime | None, offset: int, limit: int) -> DealPage:
        """Deals modified at or after `modified_since` (all when None), in Brevo's default order
        (creation) ascending, from `offset`, at most `limit`.

        Creation order is the stable one: an edit during a paged read does not move a deal,
        so offset paging neither skips nor repeats it (only deletes shift the list)."""
        ...

    def get_deal(self, deal_id: str) -> RawRecord: ...

    def list_pipelines(self) -> list[RawRecord]: ...

    def list_deal_attributes(self) -> list[RawRecord]: ...

    def close(self) -> None: ...


# ---------------------------------------------------------------------------------------------
# The mirror, as the pull use case sees it


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
    catalog_fetched_at: datetime | None = None  # written by replace_catalog only


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


class MirrorStore(Protocol):
    """The mirror's write side for pulls. Each method is one transaction."""

    def sync_state(self) -> SyncState: ...

    def known_stage_ids(self) -> set[str]: ...

    def replace_catalog(
        self,
        pipelines: Sequence[Pipeline],
        attributes: Sequence[DealAttribute] | None,
        now: datetime,
    ) -> None:
        """Store pipelines (and the attribute catalogue, unless None: then the stored one
        stays) and stamp `catalog_fetched_at`. `commit_page` never touches that stamp."""
        ...

    def prepare_full_read(self) -> bool:
        """A full read starts at offset 0: the store may prepare a bulk load (it must still
        be exactly the same mirror once the read completes). Returns whether it did."""
        ...

    def commit_page(
        self,
        deals: Sequence[Deal],
        quarantined: Sequence[Quarantined],
        state: SyncState,
        now: datetime,
    ) -> PageOutcome:
        """Upsert `deals`, record stage moves and quarantined records, and save `state`,
        all in one transaction: the cursor never runs ahead of (or behind) its rows."""
        ...

    def start_run(self, command: str, now: datetime) -> int: ...

    def finish_run(
        self,
        run_id: int,
        *,
        outcome: str,
        requests: Mapping[str, int],
        deals_written: int,
        detail: str | None,
        now: datetime,
    ) -> None: ...

    def save_budget(self, budget: BudgetSnapshot) -> None: ...
