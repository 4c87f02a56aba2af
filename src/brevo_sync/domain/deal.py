"""Deal, pipeline and stage values as the rest of brevo-sync sees them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any


@dataclass(frozen=True, slots=True)
class Stage:
    id: str
    name: str
    position: int


@dataclass(frozen=True, slots=True)
class Pipeline:
    id: str
    name: str
    stages: tuple[Stage, ...]
    position: int = 0

    def stage(self, stage_id: str) -> Stage | None:
        return next((s for s in self.stages if s.id == stage_id), None)


@dataclass(frozen=True, slots=True)
class DealAttribute:
    """One entry of the account's deal attribute catalogue (`GET /crm/attributes/deals`)."""

    internal_name: str
    label: str
    type: str
    options: tuple[tuple[str, str], ...] = ()
    is_required: bool = False
    is_readonly: bool = False


@dataclass(frozen=True, slots=True)
class Deal:
    """A Brevo deal with the fields rules and analytics query typed, the rest kept raw.

    `attributes` is the deal's full attribute map exactly as Brevo returned it, so nothing a
    later feature needs is lost by the typing.
    """

    id: str
    name: str | None = None
    pipeline_id: str | None = None
    stage_id: str | None = None
    owner: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    close_date: date | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    stage_updated_at: datetime | None = None
    last_activity_at: datetime | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    contact_ids: tuple[int, ...] = ()
    company_ids: tuple[str, ...] = ()
