"""`MemoryUnitOfWork`: the `UnitOfWork` port on a `MemoryMirror`, for service tests.

    with MemoryUnitOfWork(mirror) as uow:
        uow.deals.upsert(...)
        uow.commit()          # without it, leaving the block drops every write

It behaves as `SqlUnitOfWork` wherever a use case can tell: the same values back, the same
"recorded once" and "raised once" rules, the same transaction boundaries
(tests/integration/test_uow_parity.py runs one scenario on both and compares).
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Self

from brevo_sync.adapters.memory.alerts import (
    MemoryAlertRepository,
    MemoryEventRepository,
    MemoryPeopleRepository,
)
from brevo_sync.adapters.memory.analytics import MemoryAnalyticsQueries
from brevo_sync.adapters.memory.commission import MemoryCommissionSource
from brevo_sync.adapters.memory.deals import (
    MemoryCatalogRepository,
    MemoryDealRepository,
    MemoryStageHistory,
)
from brevo_sync.adapters.memory.inbox import MemoryInboxRepository
from brevo_sync.adapters.memory.jobs import MemoryJobRepository
from brevo_sync.adapters.memory.mirror import MemoryMirror, Transaction
from brevo_sync.adapters.memory.orders import MemoryOrderRepository
from brevo_sync.adapters.memory.outbox import MemoryOutboxRepository
from brevo_sync.adapters.memory.queries import MemoryMirrorQueries
from brevo_sync.adapters.memory.reconcile import MemoryReconcileRepository
from brevo_sync.adapters.memory.report import MemoryReportQueries
from brevo_sync.adapters.memory.state import MemoryRunRepository, MemorySyncStateRepository
from brevo_sync.adapters.memory.tokens import MemoryTokenRepository

if TYPE_CHECKING:
    from brevo_sync.service.ports import UnitOfWork


class MemoryUnitOfWork:
    """`UnitOfWork` on a `MemoryMirror`. Not reentrant, like the SQL one."""

    deals: MemoryDealRepository
    catalog: MemoryCatalogRepository
    history: MemoryStageHistory
    sync: MemorySyncStateRepository
    runs: MemoryRunRepository
    alerts: MemoryAlertRepository
    events: MemoryEventRepository
    people: MemoryPeopleRepository
    queries: MemoryMirrorQueries
    reconcile: MemoryReconcileRepository
    orders: MemoryOrderRepository
    inbox: MemoryInboxRepository
    commission: MemoryCommissionSource
    analytics: MemoryAnalyticsQueries
    report: MemoryReportQueries
    tokens: MemoryTokenRepository
    jobs: MemoryJobRepository

    def __init__(self, mirror: MemoryMirror) -> None:
        self._mirror = mirror
        self._tx: Transaction | None = None

    def __enter__(self) -> Self:
        if self._tx is not None:
            raise RuntimeError("a unit of work is not reentrant: open another one")
        tx = self._tx = self._mirror.begin()
        self.deals = MemoryDealRepository(tx)
        self.catalog = MemoryCatalogRepository(tx)
        self.history = MemoryStageHistory(tx)
        self.sync = MemorySyncStateRepository(tx)
        self.runs = MemoryRunRepository(tx)
        self.alerts = MemoryAlertRepository(tx)
        self.events = MemoryEventRepository(tx)
        self.people = MemoryPeopleRepository(tx)
        self.queries = MemoryMirrorQueries(tx)
        self.reconcile = MemoryReconcileRepository(tx)
        self.outbox = MemoryOutboxRepository(tx)
        self.orders = MemoryOrderRepository(tx)
        self.inbox = MemoryInboxRepository(tx)
        self.commission = MemoryCommissionSource(tx)
        self.analytics = MemoryAnalyticsQueries(tx)
        self.report = MemoryReportQueries(tx)
        self.tokens = MemoryTokenRepository(tx)
        self.jobs = MemoryJobRepository(tx)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        tx, self._tx = self._tx, None
        if tx is not None:
            tx.close()  # drops whatever was not committed; the repositories stop working

    def commit(self) -> None:
        if self._tx is None:
            raise RuntimeError("commit() outside `with uow:`")
        self._tx.commit()

    def rollback(self) -> None:
        if self._tx is not None:
            self._tx.rollback()


if TYPE_CHECKING:  # mypy holds the twin to the port: a method missing or changed fails here

    def _implements(mirror: MemoryMirror) -> UnitOfWork:
        return MemoryUnitOfWork(mirror)
