"""What the use cases need from the outside world, as protocols (value types live in domain/).

Adapters implement these; services and tests depend only on this module, so a service test
can run on an in-memory fake and the real gateway can be swapped without touching a use case.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from brevo_sync.domain.budget import BudgetSnapshot, RequestCounter
from brevo_sync.domain.deal import Deal, DealAttribute, Pipeline
from brevo_sync.domain.sync import DealPage, PageOutcome, Quarantined, RawRecord, SyncState

# Called with (seconds to wait, reason) before the gateway sleeps for the budget window.
WaitListener = Callable[[float, str], None]


class BrevoGateway(Protocol):
    """The Brevo API as the use cases see it. Implementations count, budget and retry."""

    @property
    def requests(self) -> RequestCounter: ...

    @property
    def budget(self) -> BudgetSnapshot: ...

    def list_deals(
        self,
        *,
        modified_since: datetime | None,
        offset: int,
        limit: int,
        owner: str | None = None,
    ) -> DealPage:
        """Deals modified at or after `modified_since` (all when None), in Brevo's default order
        (creation) ascending, from `offset`, at most `limit`; only those of `owner` (an e-mail
        address: `filters[attributes.deal_owner]`) when given.

        Creation order is the stable one: an edit during a paged read does not move a deal,
        so offset paging neither skips nor repeats it (only deletes shift the list)."""
        ...

    def get_deal(self, deal_id: str) -> RawRecord: ...

    def list_pipelines(self) -> list[RawRecord]: ...

    def list_deal_attributes(self) -> list[RawRecord]: ...

    def close(self) -> None: ...


# ---------------------------------------------------------------------------------------------
# The mirror, as the pull use case sees it


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
