"""`MemoryMirror`: everything a mirror database holds, in memory, and transactions over it.

    mirror = MemoryMirror()
    with MemoryUnitOfWork(mirror) as uow:   # a Transaction: pending writes over the tables
        uow.deals.upsert(...)
        uow.commit()                        # applied to every table at once, under one lock

Isolation is read committed, as on the SQL mirror: a transaction sees the committed rows and
its own writes, never another's pending ones. Two transactions writing one row: the later
commit wins (runs are one at a time anyway, held apart by the mirror lock).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from brevo_sync.adapters.memory.rows import (
    AlertRow,
    DealRecord,
    EventRow,
    HistoryRow,
    QuarantineRow,
    SyncRow,
    utc,
)
from brevo_sync.adapters.memory.tables import Pending, Table
from brevo_sync.domain.deal import DealAttribute, Pipeline
from brevo_sync.domain.inbox import InboxRow
from brevo_sync.domain.jobs import JobRun, JobSlot
from brevo_sync.domain.order_intake import OrderRecord
from brevo_sync.domain.outbox import Conflict, LedgerEntry, OutboxRow
from brevo_sync.domain.reconcile import ReconcileState
from brevo_sync.domain.reports import Person
from brevo_sync.domain.runs import RunInfo
from brevo_sync.domain.tokens import ApiToken

SYNC_KEY = "deals"  # the one synced resource, as the SQL sync_state row's key


@dataclass
class MirrorTables:
    """The committed tables, one per SQL table (stages live inside their Pipeline)."""

    deals: Table[str, DealRecord] = field(default_factory=Table)
    quarantine: Table[int, QuarantineRow] = field(default_factory=Table)
    pipelines: Table[str, Pipeline] = field(default_factory=Table)
    attributes: Table[str, DealAttribute] = field(default_factory=Table)
    history: Table[int, HistoryRow] = field(default_factory=Table)
    sync: Table[str, SyncRow] = field(default_factory=Table)
    runs: Table[int, RunInfo] = field(default_factory=Table)
    alerts: Table[int, AlertRow] = field(default_factory=Table)
    events: Table[str, EventRow] = field(default_factory=Table)  # by event key: once each
    people: Table[str, Person] = field(default_factory=Table)  # by lower-case e-mail
    reconcile: Table[str, ReconcileState] = field(default_factory=Table)  # one row
    reconcile_seen: Table[str, bool] = field(default_factory=Table)  # id -> gone
    outbox: Table[int, OutboxRow] = field(default_factory=Table)
    ledger: Table[str, LedgerEntry] = field(default_factory=Table)  # by outbox key
    conflicts: Table[int, Conflict] = field(default_factory=Table)
    task_types: Table[str, str] = field(default_factory=Table)  # lower-case title -> id
    orders: Table[tuple[str, str], OrderRecord] = field(default_factory=Table)  # (shop, id)
    api_tokens: Table[int, tuple[ApiToken, str]] = field(default_factory=Table)  # (token, hash)
    inbox: Table[int, InboxRow] = field(default_factory=Table)  # webhook deliveries
    job_slots: Table[str, JobSlot] = field(default_factory=Table)  # the daemon's jobs
    job_runs: Table[tuple[str, int], JobRun] = field(default_factory=Table)  # (job, seq)
    outbox_claims: Table[int, tuple[str, datetime]] = field(default_factory=Table)  # by row


@dataclass
class Changes:
    """A transaction's pending writes, one `Pending` per table of `MirrorTables`."""

    deals: Pending[str, DealRecord]
    quarantine: Pending[int, QuarantineRow]
    pipelines: Pending[str, Pipeline]
    attributes: Pending[str, DealAttribute]
    history: Pending[int, HistoryRow]
    sync: Pending[str, SyncRow]
    runs: Pending[int, RunInfo]
    alerts: Pending[int, AlertRow]
    events: Pending[str, EventRow]
    people: Pending[str, Person]
    reconcile: Pending[str, ReconcileState]
    reconcile_seen: Pending[str, bool]
    outbox: Pending[int, OutboxRow]
    ledger: Pending[str, LedgerEntry]
    conflicts: Pending[int, Conflict]
    task_types: Pending[str, str]
    orders: Pending[tuple[str, str], OrderRecord]
    api_tokens: Pending[int, tuple[ApiToken, str]]
    inbox: Pending[int, InboxRow]
    job_slots: Pending[str, JobSlot]
    job_runs: Pending[tuple[str, int], JobRun]
    outbox_claims: Pending[int, tuple[str, datetime]]

    @classmethod
    def over(cls, tables: MirrorTables, guard: threading.RLock) -> Changes:
        pending: dict[str, Any] = {
            f.name: Pending(getattr(tables, f.name), guard) for f in fields(tables)
        }
        return cls(**pending)

    def each(self) -> list[Pending[Any, Any]]:
        return [getattr(self, f.name) for f in fields(self)]


class MemoryMirror:
    """The state of one in-memory mirror. Open units of work on it with `MemoryUnitOfWork`;
    the helpers below read committed rows for tests and set up what no port writes yet."""

    def __init__(self, name: str = "memory") -> None:
        self.name = name  # how messages name it (the SQL mirror names its database)
        self.tables = MirrorTables()
        self.guard = threading.RLock()  # commits apply, and reads copy, under it
        self.run_lock = threading.Lock()  # `MemoryLock`: one run at a time on this mirror
        self.run_holder: str | None = None  # the command holding it, for MirrorBusy
        self.schema_revision: str | None = None  # `MemorySchemaAdmin`

    def begin(self) -> Transaction:
        return Transaction(self)

    # -- for tests: committed rows, and what only Brevo's deletes will write ------------------

    def tombstone(self, deal_id: str, at: datetime) -> None:
        """Mark a mirrored deal deleted in Brevo (the SQL mirror's `deleted_at`)."""
        tx = self.begin()
        record = tx.tables.deals.get(deal_id)
        if record is None:
            raise KeyError(deal_id)
        tx.tables.deals.put(deal_id, {**record, "deleted_at": utc(at)})
        tx.commit()
        tx.close()

    def quarantined(self) -> list[QuarantineRow]:
        return self._committed(self.tables.quarantine)

    def history(self) -> list[HistoryRow]:
        return self._committed(self.tables.history)

    def events(self) -> list[EventRow]:
        return sorted(self._committed(self.tables.events), key=lambda e: e.id)

    def alerts(self) -> list[AlertRow]:
        return self._committed(self.tables.alerts)

    def attributes(self) -> list[DealAttribute]:
        return self._committed(self.tables.attributes)

    def _committed(self, table: Table[Any, Any]) -> list[Any]:
        with self.guard:
            return list(table.rows.values())


class Transaction:
    """One unit of work's view of the mirror: committed rows plus its own pending writes."""

    def __init__(self, mirror: MemoryMirror) -> None:
        self._mirror = mirror
        self._changes: Changes | None = Changes.over(mirror.tables, mirror.guard)

    @property
    def tables(self) -> Changes:
        if self._changes is None:
            raise RuntimeError("the unit of work is closed: open another one")
        return self._changes

    def commit(self) -> None:
        """Apply every pending write at once; the transaction goes on, empty."""
        changes = self.tables
        with self._mirror.guard:
            for pending in changes.each():
                pending.apply()

    def rollback(self) -> None:
        if self._changes is not None:
            for pending in self._changes.each():
                pending.discard()

    def close(self) -> None:
        """Leave: whatever was not committed is dropped."""
        self.rollback()
        self._changes = None
