"""`deals list`: mirrored deals by the names operators type (placeholder while being written)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from brevo_sync.domain.reports import DealQuery, DealRow
from brevo_sync.service.context import ServiceContext


@dataclass(frozen=True, slots=True)
class DealFilter:
    pipeline: str | None = None
    stage: str | None = None
    owner: str | None = None
    currency: str | None = None
    min_amount: float | None = None
    max_amount: float | None = None
    created_from: date | None = None
    created_to: date | None = None
    close_from: date | None = None
    close_to: date | None = None
    include_deleted: bool = False
    sort: str = "-updated"
    limit: int | None = 50


@dataclass
class DealListing:
    database: str
    rows: list[DealRow]
    limit: int | None
    currency: str | None = None
    looked_up: list[str] = field(default_factory=list)
    requests: dict[str, int] = field(default_factory=dict)

    @property
    def limit_reached(self) -> bool:
        return self.limit is not None and len(self.rows) >= self.limit


def list_deals(ctx: ServiceContext, f: DealFilter) -> DealListing:
    query = DealQuery(sort=f.sort, limit=f.limit, include_deleted=f.include_deleted)
    with ctx.uow() as uow:
        return DealListing(ctx.database, uow.queries.find_deals(query), f.limit)
