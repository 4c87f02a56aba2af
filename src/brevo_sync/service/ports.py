"""What the use cases need from the outside world, as protocols only (values live in domain/).

Adapters implement these: the Brevo gateway (`adapters/brevo`), the SQL unit of work and its
repositories (`adapters/store`) and their in-memory twins (`adapters/memory`). Services and
service tests depend on this module alone, so a use case runs the same on SQLite, PostgreSQL
or in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self

from brevo_sync.domain.analytics_facts import (
    AnalyticsScope,
    DealGroup,
    LossGroup,
    MonthStartGroup,
    StageStays,
    WonGroup,
)
from brevo_sync.domain.budget import BudgetSnapshot, RequestCounter
from brevo_sync.domain.deal import Deal, DealAttribute, Pipeline
from brevo_sync.domain.forecast import ForecastGroup, ForecastScope
from brevo_sync.domain.inbox import Delivery, InboxFilter, InboxKind, InboxRow
from brevo_sync.domain.jobs import Finished, JobRun, JobSlot
from brevo_sync.domain.moves import MirroredDeal, StageMove
from brevo_sync.domain.order_intake import OrderRecord
from brevo_sync.domain.outbox import (
    Conflict,
    Effect,
    LedgerEntry,
    OutboxFilter,
    OutboxRow,
    State,
)
from brevo_sync.domain.reconcile import ReconcileState
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
from brevo_sync.domain.tokens import ApiToken

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

    # -- writes (the push path). A call that creates something is never repeated by the
    # gateway after an unclear outcome (5xx, timeout, dropped connection): it raises
    # BrevoOutcomeUnknown, and the push looks for what the attempt may have made.

    def list_deals_created_since(self, since: datetime, *, offset: int, limit: int) -> DealPage:
        """Deals created at or after `since`, oldest first (`createdSince`, sort asc)."""
        ...

    def create_deal(
        self,
        *,
        name: str,
        attributes: Mapping[str, Any] | None = None,
        linked_contacts_ids: Sequence[int] | None = None,
        linked_companies_ids: Sequence[str] | None = None,
    ) -> str: ...

    def update_deal(
        self,
        deal_id: str,
        *,
        attributes: Mapping[str, Any] | None = None,
        name: str | None = None,
        linked_contacts_ids: Sequence[int] | None = None,
        linked_companies_ids: Sequence[str] | None = None,
    ) -> None: ...

    def import_deals(self, rows: Sequence[Mapping[str, Any]], *, update_existing: bool) -> int:
        """One bulk import (CSV; a `deal_id` column updates that deal); its process id."""
        ...

    def create_deal_attribute(
        self,
        *,
        label: str,
        attribute_type: str,
        object_type: str = "deals",
        options: Sequence[str] | None = None,
    ) -> None: ...

    def list_task_types(self) -> list[RawRecord]: ...

    def create_task(
        self,
        *,
        name: str,
        task_type_id: str,
        date: datetime,
        assign_to: str | None,
        deal_ids: Sequence[str],
        contact_ids: Sequence[int] = (),
        company_ids: Sequence[str] = (),
        notes: str | None = None,
        duration_ms: int | None = None,
    ) -> str: ...

    def deal_tasks(self, deal_id: str) -> list[RawRecord]:
        """The deal's tasks (to find one an unclear attempt may have created)."""
        ...

    def create_note(
        self,
        *,
        text: str,
        deal_ids: Sequence[str],
        contact_ids: Sequence[int] = (),
        company_ids: Sequence[str] = (),
    ) -> str: ...

    def deal_notes(self, deal_id: str) -> list[RawRecord]:
        """The deal's notes (to find one an unclear attempt may have created)."""
        ...

    def get_company(self, company_id: str) -> RawRecord: ...

    def update_company(self, company_id: str, attributes: Mapping[str, Any]) -> None: ...

    def loyalty_subscribe(self, program_id: str, contact_id: int) -> None:
        """Enrol a contact (already enrolled counts as done)."""
        ...

    def loyalty_begin(
        self,
        program_id: str,
        *,
        balance_id: str,
        contact_id: int,
        amount: float,
        meta: Mapping[str, Any],
    ) -> str:
        """A pending credit transaction (credits nothing until completed); its id."""
        ...

    def loyalty_complete(self, program_id: str, transaction_id: str) -> None:
        """Complete a transaction (already completed counts as done)."""
        ...

    def loyalty_tiers(self, program_id: str) -> list[RawRecord]: ...

    def loyalty_assign_tier(self, program_id: str, contact_id: int, tier_id: str) -> None: ...

    def close(self) -> None: ...


class ConversionSink(Protocol):
    """Meta's Conversions API (or its sandbox stand-in)."""

    def send(self, events: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]: ...


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

    def attribute_names(self) -> set[str]:
        """Internal names of the account's deal attributes, as last read (or created)."""
        ...

    def attributes(self) -> list[DealAttribute]:
        """The account's deal attribute catalogue as last read (with select options)."""
        ...

    def add_attribute(self, attribute: DealAttribute, now: datetime) -> None:
        """One attribute we created in Brevo (the catalogue knows it without a re-read)."""
        ...

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

    def compact_before(self, before: datetime) -> int:
        """Fold each command's finished runs that ended before `before` into one row (outcome
        `compacted`, requests and deals summed) and delete the rest; how many rows went.
        The newest run of each command and running ones are never touched."""
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


class OutboxRepository(Protocol):
    """The outbox (domain/outbox.py), with the loyalty ledger, conflicts and task types."""

    def add(self, effects: Sequence[Effect], *, origin: str, now: datetime) -> int:
        """Queue effects not queued before (by key; a loyalty award also by its (deal,
        milestone) in the ledger); returns how many rows are new."""
        ...

    def get(self, row_id: int) -> OutboxRow | None: ...

    def by_key(self, key: str) -> OutboxRow | None: ...

    def find(self, query: OutboxFilter) -> list[OutboxRow]: ...

    def due(self, now: datetime, limit: int | None = None) -> list[OutboxRow]:
        """Pending rows whose time has come, oldest first."""
        ...

    def claim(
        self, now: datetime, *, owner: str, until: datetime, limit: int | None = None
    ) -> list[OutboxRow]:
        """Due pending rows (as `due`) that no other push holds, now held by `owner` until
        `until` (a push that dies lets go when that passes), oldest first. Two pushes
        claiming at once never get the same row (PostgreSQL: FOR UPDATE SKIP LOCKED)."""
        ...

    def release_claims(self, owner: str | None = None) -> int:
        """Let go of every row `owner` holds (None: every claim); how many."""
        ...

    def in_state(self, state: State, limit: int | None = None) -> list[OutboxRow]: ...

    def open_updates(self, deal_ids: Sequence[str]) -> dict[str, list[OutboxRow]]:
        """Updates of these deals not yet confirmed as done, oldest first, by deal."""
        ...

    def update(self, row_id: int, changes: Mapping[str, Any]) -> None:
        """Change a row's delivery fields (state, attempts, times, error, result, payload)."""
        ...

    def resolve_ref(self, key: str, deal_id: str) -> int:
        """The deal created by row `key` has Brevo id `deal_id`: rows waiting on it get it."""
        ...

    def counts(self) -> dict[str, int]: ...

    def add_conflicts(self, found: Sequence[Conflict]) -> None: ...

    def conflicts(self, deal_id: str | None = None, limit: int | None = 50) -> list[Conflict]: ...

    def ledger(self, outbox_key: str) -> LedgerEntry | None: ...

    def enrolled(self, contact_id: str) -> bool:
        """Whether a credit for the contact was begun already (so it is in the program)."""
        ...

    def ledger_update(self, outbox_key: str, changes: Mapping[str, Any]) -> None: ...

    def points_awarded(self) -> int: ...

    def task_types(self) -> dict[str, str]:
        """Brevo's task types known to the mirror: lower-case title -> id."""
        ...

    def save_task_types(self, types: Mapping[str, str], now: datetime) -> None: ...


class InboxRepository(Protocol):
    """Webhook deliveries accepted (`domain/inbox.py`): each delivery and each order once."""

    def add(self, delivery: Delivery, now: datetime) -> tuple[int, bool]:
        """Record it, pending and due now, unless a row has its delivery key or dedupe key:
        (its id, True), or (the id of the row it repeats, False). Two transactions adding the
        same delivery at once: one records it, the other (after the first commits) gets False."""
        ...

    def add_many(self, deliveries: Sequence[Delivery], now: datetime) -> list[tuple[int, bool]]:
        """`add` for each, in order, in one statement where the database allows (a group
        commit); a repeat within the batch names the row of the delivery it repeats."""
        ...

    def get(self, row_id: int) -> InboxRow | None: ...

    def find(self, query: InboxFilter) -> list[InboxRow]:
        """Rows matching `query`, newest first."""
        ...

    def claim(
        self, kinds: Sequence[InboxKind], now: datetime, *, lease_until: datetime, limit: int
    ) -> list[InboxRow]:
        """Take up to `limit` pending rows of `kinds` due at `now`, oldest first: each gets an
        attempt counted and is not due again before `lease_until`. A row is claimed by one
        caller only, however many claim at once (PostgreSQL: SKIP LOCKED)."""
        ...

    def finish(self, outcomes: Mapping[int, str], now: datetime) -> int:
        """Mark pending rows processed: done, each with what came of it (row id -> outcome);
        returns how many changed."""
        ...

    def fail(
        self, row_id: int, *, error: str, retry_at: datetime | None, attempt: bool = False
    ) -> None:
        """An attempt failed: pending again from `retry_at`, or dead (`retry_at` None), with
        the reason. `attempt`: count an attempt here (a row processed without a claim)."""
        ...

    def newest_pending(self, kind: InboxKind) -> int | None:
        """The id of the newest pending row of `kind` (hints: what a pull will cover)."""
        ...

    def finish_pending(self, kind: InboxKind, *, up_to: int, outcome: str, now: datetime) -> int:
        """Mark every pending row of `kind` with an id up to `up_to` done; how many."""
        ...

    def retry(self, row_ids: Sequence[int], now: datetime) -> int:
        """Dead (or waiting) rows pending again, due now, attempts reset; how many changed."""
        ...

    def counts(self) -> dict[str, int]:
        """Rows by state."""
        ...

    def prune_done(self, before: datetime) -> int:
        """Delete rows processed (done) before `before`; how many. Pending and dead rows
        stay: they are work, or an operator's to look at."""
        ...


class OrderRepository(Protocol):
    """Orders and subscriptions received (`domain/order_intake.py`): each (shop, id) once."""

    def insert_if_new(self, record: OrderRecord) -> bool:
        """Record it unless its (shop, id) is there; True when it is new. Two transactions
        inserting the same order at once: one records it, the other gets False (after the
        first commits), so the deal it makes is queued once."""
        ...

    def get(self, shop: str, order_id: str) -> OrderRecord | None: ...

    def extend_subscription(self, record: OrderRecord) -> bool:
        """A subscription received again with a later expiry (it was renewed): take the new
        expiry, renewal date, payload and decision, only if the stored expiry is earlier.
        True when it changed."""
        ...

    def due_renewals(self, now: datetime, limit: int | None = None) -> list[OrderRecord]:
        """Subscriptions still waiting for their renewal deal, due at or before `now`,
        soonest first."""
        ...

    def upcoming_renewals(self, limit: int | None = 10) -> list[OrderRecord]:
        """Subscriptions waiting for their renewal deal, soonest first (due or not)."""
        ...

    def mark_renewed(self, shop: str, order_id: str, *, deal_key: str, reason: str) -> bool:
        """A waiting subscription's renewal deal is queued; False when it was not waiting
        (another run queued it first: queue nothing)."""
        ...

    def customer_deals(self, keys: Sequence[str]) -> list[Deal]:
        """Live mirrored deals with an owner whose customer (`rules.protection.customer_keys`:
        `email:<address>`, `contact:<id>`, `company:<id>`) is one of `keys`."""
        ...


class ReconcileRepository(Protocol):
    """Where the reconcile walk stands (`domain/reconcile.py`) and the ids it has seen."""

    def get(self) -> ReconcileState: ...

    def save(self, state: ReconcileState) -> None: ...

    def mark_seen(self, ids: Sequence[str], *, gone: bool = False) -> None:
        """Ids the current walk accounted for: seen in Brevo, or (`gone`) confirmed deleted
        there but not tombstoned (a run without --repair). Repeats are ignored."""
        ...

    def clear_seen(self) -> None:
        """Forget the walk's ids (the walk is complete, or a new one begins)."""
        ...

    def suspects(self, created_before: datetime, limit: int | None = None) -> list[str]:
        """Live mirrored deals created before `created_before` (or at an unknown time) that
        the current walk has not accounted for, by id."""
        ...

    def count_suspects(self, created_before: datetime) -> int: ...

    def live_deals(self) -> int:
        """How many deals the mirror holds that are not tombstones."""
        ...

    def tombstone(self, ids: Sequence[str], now: datetime) -> int:
        """Mark these deals deleted in Brevo (never removed); returns how many were live."""
        ...


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


class CommissionSource(Protocol):
    """What a commission statement reads (`service/commission.py`): won deals and their moves."""

    def won_between(
        self, won_stages: frozenset[tuple[str, str]], start: datetime, end: datetime
    ) -> list[Deal]:
        """Live deals in one of `won_stages` ((pipeline id, stage id)) that were won in
        [start, end): at their `stage_updated_at`, else the latest history move into their
        stage, else their creation. Ordered by that time, then id."""
        ...

    def histories(self, deal_ids: Sequence[str]) -> dict[str, list[StageMove]]:
        """Each deal's stage history, oldest first (a deal without one maps to [])."""
        ...


class AnalyticsQueries(Protocol):
    """Forecast and analytics summed by the mirror (`domain.forecast`, `domain.analytics`):
    groups of deals come back, never the deals. Tombstones never count."""

    def forecast_groups(self, scope: ForecastScope) -> list[ForecastGroup]:
        """Deals outside `scope.lost_stages` with a close date in the period or none."""
        ...

    def deal_groups(self, scope: AnalyticsScope) -> list[DealGroup]: ...

    def stage_stays(self, scope: AnalyticsScope) -> list[StageStays]: ...

    def losses(self, scope: AnalyticsScope, reason_attribute: str) -> list[LossGroup]: ...

    def loyalty_points(self, scope: AnalyticsScope) -> int:
        """Points the rules awarded for the deals in scope (their loyalty decisions)."""
        ...

    def month_start_groups(
        self, scope: AnalyticsScope, months: Sequence[date]
    ) -> list[MonthStartGroup]:
        """Deals of the pipelines in scope with a close date in one of `months` (first
        days), by their stage when that month began (deals without a stage then: none)."""
        ...

    def won_groups(self, scope: AnalyticsScope, months: Sequence[date]) -> list[WonGroup]:
        """Deals of the pipelines in scope that entered a Won stage in one of `months`."""
        ...


class ReportQueries(Protocol):
    """The HTML report's own question to the mirror (`service/report.py`)."""

    def closed_by_month(
        self,
        won_stages: frozenset[tuple[str, str]],
        lost_stages: frozenset[tuple[str, str]],
        pipeline_ids: frozenset[str] | None,
        start: datetime,
        end: datetime,
    ) -> list[tuple[str, int, int]]:
        """(YYYY-MM, won, lost) for each UTC month of [start, end) in which live deals (of
        `pipeline_ids`; None: all) entered a Won or Lost stage, by `stage_entry` (Brevo's
        stage_updated_at, else creation) as analytics counts them; months without any left out."""
        ...


class JobRepository(Protocol):
    """The daemon's job slots, shared by every replica on the database (`domain/jobs.py`),
    and the log of their runs."""

    def slots(self) -> list[JobSlot]: ...

    def get(self, job: str) -> JobSlot | None: ...

    def claim(self, job: str, *, replica: str, now: datetime, until: datetime) -> JobSlot | None:
        """Take the job's slot if it is due and free (or its claim expired): the slot as
        claimed (its `runs` is this run's sequence number, logged in the run log), or None
        when another replica has it or it is not due. One caller wins, however many try."""
        ...

    def extend(self, job: str, *, replica: str, until: datetime) -> bool:
        """Keep a claim alive while the run goes on; False when it is no longer ours."""
        ...

    def release(
        self, job: str, seq: int, *, replica: str, now: datetime, finished: Finished
    ) -> bool:
        """End run `seq`: log how it ended and free the slot, due again at
        `finished.next_due_at`; False when the claim was no longer ours (it expired)."""
        ...

    def hint(self, job: str, due_at: datetime) -> None:
        """Make the job due at `due_at` if it was due later (a webhook asks for a pull)."""
        ...

    def runs_since(self, since: datetime, job: str | None = None) -> list[JobRun]:
        """Runs started at or after `since`, by job and sequence."""
        ...

    def prune_runs(self, before: datetime) -> int:
        """Delete the run log's rows that ended (or, never finished, started) before
        `before`; how many. The slots, and so each job's sequence numbers, stay."""
        ...


class TokenRepository(Protocol):
    """The ops API's bearer tokens (`domain/tokens.py`), kept as SHA-256 hashes."""

    def add(self, token: ApiToken, token_hash: str) -> ApiToken:
        """Store a new token; returns it with its id."""
        ...

    def all(self) -> list[ApiToken]:
        """Every token, revoked ones too, oldest first."""
        ...

    def by_hash(self, token_hash: str) -> ApiToken | None: ...

    def revoke(self, token_id: int, now: datetime) -> bool:
        """Revoke an active token; False when there is none with that id or it was revoked."""
        ...

    def touch(self, token_id: int, now: datetime) -> None:
        """Note that the token was just used (`last_used_at`)."""
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

    @property
    def reconcile(self) -> ReconcileRepository: ...

    @property
    def outbox(self) -> OutboxRepository: ...

    @property
    def orders(self) -> OrderRepository: ...

    @property
    def inbox(self) -> InboxRepository: ...

    @property
    def commission(self) -> CommissionSource: ...

    @property
    def analytics(self) -> AnalyticsQueries: ...

    @property
    def report(self) -> ReportQueries: ...

    @property
    def tokens(self) -> TokenRepository: ...

    @property
    def jobs(self) -> JobRepository: ...

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

    def revisions(self) -> tuple[str | None, str]:
        """(the database's revision, None when it has no schema; this version's). Reaches the
        database: StoreError when it cannot."""
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
