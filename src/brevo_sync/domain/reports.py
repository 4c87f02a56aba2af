"""What the read side of the mirror answers with, and the questions it is asked.

These are values the store builds and the services and entrypoints read; no rule lives here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from brevo_sync.domain.budget import BudgetSnapshot
from brevo_sync.domain.runs import RunInfo
from brevo_sync.domain.sync import PageSizeFacts, RunPosition

# Fields `deals list` sorts by; "-" in front for descending.
SORTABLE = ("id", "name", "amount", "owner", "stage", "pipeline", "created", "updated", "close")


@dataclass(frozen=True, slots=True)
class DealQuery:
    """A filter over mirrored deals, with names already resolved to Brevo ids."""

    pipeline_ids: frozenset[str] | None = None
    stage_keys: frozenset[tuple[str, str]] | None = None  # (pipeline id, stage id)
    owner_ids: frozenset[str] | None = None
    # Deals in this currency (compared case-insensitively); None: any currency.
    currency: str | None = None
    # Only with `currency`: also select deals that carry no currency at all (NULL), because
    # they count as being in the rules' `default_currency` and `currency` is that one. False:
    # a deal without a currency never matches a `currency` filter. Without `currency`, no
    # effect (every deal is selected whatever its currency).
    currency_default: bool = False
    min_amount: float | None = None
    max_amount: float | None = None
    created_from: date | None = None
    created_to: date | None = None
    close_from: date | None = None
    close_to: date | None = None
    include_deleted: bool = False
    sort: str = "-updated"
    limit: int | None = 50


@dataclass(frozen=True, slots=True)
class AlertQuery:
    rules: tuple[str, ...] = ()  # rule keys or kinds (`inactivity`, `stage_max_days:...`)
    owner_ids: frozenset[str] | None = None
    open_only: bool = False
    limit: int | None = 50
    deal_ids: frozenset[str] | None = None  # only alerts about these deals


@dataclass(frozen=True, slots=True)
class AlertView:
    """One raised alert with what it is about, for people."""

    id: int
    deal_id: str
    rule: str
    action: str
    anchor_at: datetime
    due_at: datetime
    raised_at: datetime
    acknowledged_at: datetime | None
    deal_name: str | None = None
    owner: str | None = None
    pipeline_id: str | None = None
    stage_id: str | None = None
    amount: float | None = None
    currency: str | None = None


@dataclass(frozen=True, slots=True)
class MirrorStatus:
    deals: int
    tombstones: int
    quarantined: int
    pipelines: int
    cursor: datetime | None
    last_success_at: datetime | None
    last_full_at: datetime | None
    unfinished_run: RunPosition | None
    last_run: RunInfo | None
    requests_total: int
    requests_last_hour: int
    budget: BudgetSnapshot | None
    paging: PageSizeFacts = field(default_factory=PageSizeFacts)
    alerts_open: int = 0
    events_pending: int = 0
    people: int = 0


PersonSource = Literal["rules", "brevo"]


@dataclass(frozen=True, slots=True)
class Person:
    """A person as the rules name them (e-mail) and as Brevo stores them on deals (user id).

    `user_id` None: Brevo had no deal of this person when we asked (asked again later)."""

    email: str
    user_id: str | None
    source: PersonSource
    learned_at: datetime


DealRow = dict[str, Any]
