"""What every use case is given: the mirror, Brevo, the rules, the clock, a stop token.

The composition root (`bootstrap.py`) builds one per command (the CLI), per request scope (the
HTTP side) or per job (the daemon); use cases take it and nothing else, so all three call the
same services the same way. Brevo, the rules and the lock are built on first use: a command
that never calls Brevo needs no API key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from brevo_sync.domain.outbox import Features
from brevo_sync.domain.parsing import TypedAttributeNames
from brevo_sync.domain.rules.config import RulesConfig
from brevo_sync.service.ports import (
    BrevoGateway,
    ConversionSink,
    MirrorLock,
    SchemaAdmin,
    UnitOfWorkFactory,
)
from brevo_sync.service.stop import StopToken

# The page size `auto` asks for first; whatever the account accepts or gives is learned.
AUTO_PAGE_SIZE = 1000


@dataclass(frozen=True, slots=True)
class PullOptions:
    page_size: int | None = 100  # None: `auto`, the largest the account gives
    overlap: timedelta = timedelta(seconds=60)
    catalog_refresh: timedelta = timedelta(hours=24)
    attribute_names: TypedAttributeNames = field(default_factory=TypedAttributeNames)

    @property
    def wanted_page_size(self) -> int:
        return AUTO_PAGE_SIZE if self.page_size is None else self.page_size


@dataclass(frozen=True, slots=True)
class PushOptions:
    """How the outbox is sent (settings `BREVO_SYNC_IMPORT_*`, `_OUTBOX_*`, `_CONFLICT_*`)."""

    import_threshold: int = 20  # more deals than this in one push: bulk import
    import_batch_size: int = 500
    confirm_timeout: timedelta = timedelta(hours=1)
    max_attempts: int = 8
    first_backoff: timedelta = timedelta(seconds=30)  # doubling after each failure, <= 6 h
    conflict_max_age: timedelta = timedelta(minutes=15)
    conflict_policy: str = "brevo"  # or "ours"
    loyalty_program_id: str | None = None
    loyalty_balance_id: str | None = None
    requests_per_hour: int = 100  # the local ceiling, for plans when Brevo said nothing
    features: Features = field(default_factory=Features)
    # How long a push (or the daemon's inbox job) holds the rows it claimed
    # (BREVO_SYNC_JOB_CLAIM_SECONDS): one that dies lets go of them when this passes.
    claim_ttl: timedelta = timedelta(minutes=5)


def _no_conversions() -> ConversionSink | None:
    return None


@dataclass(frozen=True, slots=True)
class ServiceContext:
    uow: UnitOfWorkFactory
    gateway: Callable[[], BrevoGateway]
    rules: Callable[[], RulesConfig]
    lock: Callable[[], MirrorLock]
    schema: Callable[[], SchemaAdmin]
    clock: Callable[[], datetime]
    database: str  # the mirror's URL without its password, for reports
    stop: StopToken = field(default_factory=StopToken)
    pull: PullOptions = field(default_factory=PullOptions)
    rules_file: Path | None = None
    pid: int | None = None
    brevo_configured: bool = False  # an API key is set: a use case may look things up
    # The most of the budget window one reconcile run may spend (0 to 1).
    reconcile_budget_share: float = 0.5
    push: PushOptions = field(default_factory=PushOptions)
    conversions: Callable[[], ConversionSink | None] = _no_conversions
