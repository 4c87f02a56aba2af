"""What the use cases need from the outside world, as protocols only (values live in domain/).

Adapters implement these: the Brevo gateway (`adapters/brevo`), the SQL unit of work and its
repositories (`adapters/store`) and their in-memory twins (`adapters/memory`). Services and
service tests depend on this module alone, so a use case runs the same on SQLite, PostgreSQL
or in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Protocol, Self

from brevo_sync.domain.budget import BudgetSnapshot, RequestCounter
from brevo_sync.domain.deal import Deal, DealAttribute, Pipeline
from brevo_sync.domain.moves import MirroredDeal, StageMove
from brevo_sync.domain.reports import (
    AlertQuery,
    AlertView,
    DealQuery,
    DealRow,
    MirrorStatus,
    Person,
)
from brevo_sync.domain.rules.events import DomainEvent
from brevo_sync.domain.rules.timing import StaleRule, TimeRules
from brevo_sync.domain.rules.validation import Problem, ValidationReport
from brevo_sync.domain.runs import RunInfo, RunResult
from brevo_sync.domain.sync import DealPage, Quarantined, RawRecord, SyncState

# Called with (seconds to wait, what is awaited) before the gateway sleeps for the budget.
WaitListener = Callable[[float, str], None]


class BrevoGateway(Protocol):
    """The Brevo API as the use cases see it. Implementations count, budget and retry."""

    @property
    def requests(self) -> RequestCounter: ...

    @property
    def budget(self) -> BudgetSnapshot: ...

    def prime_budget(self, spent: Sequence[tuple[datetime, int]]) -> None:
        """Requests already spent recently ((when, how many), from the mirror's runs), so the
        local ceiling of a new process counts them when Brevo sends no rate-limit headers."""
        ...

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
# The mirror: repositories inside a unit of work


class DealRepository(Protocol):
    def mirrored(self, ids: Sequence[str]) -> dict[str, MirroredDeal]:
        """Placement and version of those of `ids` the mirror has (tombstones included)."""
        ...

    def get(self, ids: Sequence[str]) -> dict[str, Deal]:
        """The mirrored deals themselves (what a move is compared against)."""
        ...

    def upsert(self, deals: Sequence[Deal], now: datetime) -> None:
        """Insert or replace every field (a tombstone comes back to life)."""
        ...

    def quarantine(self, records: Sequence[Quarantined], now: datetime) -> None: ...

    def defer_indexes(self) -> bool:
        """Before a full read into an empty mirror: drop secondary indexes to build them once at
        the end (`restore_indexes`). Returns whether it did; an implementation may do nothing."""
        ...

    def restore_indexes(self) -> None: ...


class CatalogRepository(Protocol):
    def pipelines(self) -> list[Pipeline]: ...

    def replace(
        self,
        pipelines: Sequence[Pipeline],
        attributes: Sequence[DealAttribute] | None,
        now: datetime,
    ) -> None:
        """Store the catalogue Brevo has now; `attributes=None` keeps the stored ones."""
        ...


class StageHistoryRepository(Protocol):
    def add(self, moves: Sequence[StageMove], now: datetime) -> None: ...

    def of_deal(self, deal_id: str) -> list[StageMove]: ...


class SyncStateRepository(Protocol):
    def get(self) -> SyncState: ...

    def save(self, state: SyncState) -> None:
        """Cursor, run position and page-size facts (not the catalogue stamp)."""
        ...

    def mark_catalog(self, now: datetime) -> None: ...

    def save_budget(self, budget: BudgetSnapshot) -> None: ...


class RunRepository(Protocol):
    def start(self, command: str, now: datetime, pid: int | None) -> int: ...

    def finish(self, run_id: int, result: RunResult) -> None: ...

    def running(self) -> list[RunInfo]:
        """Runs recorded as still running, newest first (one may have died: check its lock)."""
        ...

    def spent_since(self, since: datetime) -> list[tuple[datetime, int]]:
        """(when, requests) of the runs that spent requests since `since`."""
        ...


class AlertRepository(Protocol):
    def sweep(self, rules: TimeRules, now: datetime) -> dict[str, int]:
        """Raise every crossing of `rules` at `now` not raised before; new alerts by rule."""
        ...

    def acknowledge(self, alert_id: int, now: datetime) -> AlertView | None:
        """Mark one alert handled (idempotent); None when there is no such alert."""
        ...


class EventRepository(Protocol):
    def record(self, events: Sequence[DomainEvent], *, origin: str, now: datetime) -> int:
        """Record decisions not recorded before (by event key); returns how many were new."""
        ...

    def pending(self, limit: int | None = None) -> list[tuple[str, str, str | None]]:
        """(key, kind, deal id) of pending decisions, oldest first."""
        ...


class PeopleRepository(Protocol):
    def get(self, email: str) -> Person | None: ...

    def by_user_id(self, user_ids: Sequence[str]) -> dict[str, str]:
        """E-mail of each known user id."""
        ...

    def all(self) -> list[Person]: ...

    def put(self, person: Person) -> None: ...


class MirrorQueries(Protocol):
    """The read side: reports answered in the mirror's own query language."""

    def status(self, now: datetime) -> MirrorStatus: ...

    def find_deals(self, query: DealQuery) -> list[DealRow]: ...

    def currencies(self, query: DealQuery) -> set[str | None]:
        """The currencies of the deals `query` selects (without amount filters)."""
        ...

    def owner_ids(self) -> set[str]: ...

    def alerts(self, query: AlertQuery) -> list[AlertView]: ...

    def stale(
        self, rule: StaleRule, closed_stage_ids: frozenset[str], now: datetime
    ) -> list[DealRow]:
        """Open deals over `rule`'s amount (in its currency) without an update for its days."""
        ...


class UnitOfWork(Protocol):
    """One transaction over the mirror: `with uow: ...; uow.commit()` (no commit: rollback)."""

    @property
    def deals(self) -> DealRepository: ...

    @property
    def catalog(self) -> CatalogRepository: ...

    @property
    def history(self) -> StageHistoryRepository: ...

    @property
    def sync(self) -> SyncStateRepository: ...

    @property
    def runs(self) -> RunRepository: ...

    @property
    def alerts(self) -> AlertRepository: ...

    @property
    def events(self) -> EventRepository: ...

    @property
    def people(self) -> PeopleRepository: ...

    @property
    def queries(self) -> MirrorQueries: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]


class MirrorLock(Protocol):
    def hold(self, command: str) -> AbstractContextManager[None]:
        """Hold the mirror for one run; raise MirrorBusy when another run keeps it (after a
        short wait). The lock dies with its process."""
        ...


class SchemaAdmin(Protocol):
    def upgrade(self) -> tuple[str | None, str]:
        """Bring the schema to this version's; (revision before, revision after)."""
        ...


class RulesFile(Protocol):
    """A rules file as read and validated (`adapters/rules_file.py`): its problems can be
    given their line in the file."""

    @property
    def name(self) -> str: ...

    @property
    def report(self) -> ValidationReport: ...

    def locate(self, problems: tuple[Problem, ...]) -> tuple[Problem, ...]: ...


RulesReader = Callable[[Path | None], RulesFile]
