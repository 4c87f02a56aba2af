"""`SqlUnitOfWork`: one connection, one transaction, every repository bound to it.

    with uow:                      # a connection from the pool; the transaction begins on use
        uow.deals.upsert(...)
        uow.sync.save(state)
        uow.commit()               # without it, leaving the block rolls everything back

A use case opens one per step it wants atomic (a pull: one per page), so the cursor never
runs ahead of (or behind) the rows it covers.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.engine import Connection, Engine

from brevo_sync.adapters.store.analytics_sql import SqlAnalyticsQueries
from brevo_sync.adapters.store.commission import SqlCommissionSource
from brevo_sync.adapters.store.deal_store import (
    SqlCatalogRepository,
    SqlDealRepository,
    SqlStageHistory,
)
from brevo_sync.adapters.store.event_store import (
    SqlAlertRepository,
    SqlEventRepository,
    SqlPeopleRepository,
)
from brevo_sync.adapters.store.inbox_store import SqlInboxRepository
from brevo_sync.adapters.store.jobs_store import SqlJobRepository
from brevo_sync.adapters.store.orders_store import SqlOrderRepository
from brevo_sync.adapters.store.outbox_store import SqlOutboxRepository
from brevo_sync.adapters.store.queries import SqlMirrorQueries
from brevo_sync.adapters.store.reconcile_store import SqlReconcileRepository
from brevo_sync.adapters.store.report_sql import SqlReportQueries
from brevo_sync.adapters.store.state_store import SqlRunRepository, SqlSyncStateRepository
from brevo_sync.adapters.store.token_store import SqlTokenRepository


class SqlUnitOfWork:
    """`UnitOfWork` on a SQLAlchemy engine (SQLite or PostgreSQL). Not reentrant."""

    deals: SqlDealRepository
    catalog: SqlCatalogRepository
    history: SqlStageHistory
    sync: SqlSyncStateRepository
    runs: SqlRunRepository
    alerts: SqlAlertRepository
    events: SqlEventRepository
    people: SqlPeopleRepository
    queries: SqlMirrorQueries
    reconcile: SqlReconcileRepository
    orders: SqlOrderRepository
    inbox: SqlInboxRepository
    commission: SqlCommissionSource
    analytics: SqlAnalyticsQueries
    report: SqlReportQueries
    tokens: SqlTokenRepository
    jobs: SqlJobRepository

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._conn: Connection | None = None

    def __enter__(self) -> Self:
        if self._conn is not None:
            raise RuntimeError("a unit of work is not reentrant: open another one")
        conn = self._conn = self._engine.connect()
        self.deals = SqlDealRepository(conn)
        self.catalog = SqlCatalogRepository(conn)
        self.history = SqlStageHistory(conn)
        self.sync = SqlSyncStateRepository(conn)
        self.runs = SqlRunRepository(conn)
        self.alerts = SqlAlertRepository(conn)
        self.events = SqlEventRepository(conn)
        self.people = SqlPeopleRepository(conn)
        self.queries = SqlMirrorQueries(conn)
        self.reconcile = SqlReconcileRepository(conn)
        self.outbox = SqlOutboxRepository(conn)
        self.orders = SqlOrderRepository(conn)
        self.inbox = SqlInboxRepository(conn)
        self.commission = SqlCommissionSource(conn)
        self.analytics = SqlAnalyticsQueries(conn)
        self.report = SqlReportQueries(conn)
        self.tokens = SqlTokenRepository(conn)
        self.jobs = SqlJobRepository(conn)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.rollback()  # a no-op after commit(); undoes everything else
        finally:
            conn.close()

    def commit(self) -> None:
        if self._conn is None:
            raise RuntimeError("commit() outside `with uow:`")
        self._conn.commit()

    def rollback(self) -> None:
        if self._conn is not None:
            self._conn.rollback()
