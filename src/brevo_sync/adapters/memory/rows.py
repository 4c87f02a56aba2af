"""The rows of the in-memory mirror, stored as the SQL mirror hands its rows back.

A deal is kept as the dict of its `deals` columns with the values SQLAlchemy reads from the
database (amount a float, times aware UTC, JSON columns as plain lists and dicts): reports
(`find_deals`, `stale`) return these rows, and `Deal`s are rebuilt from them exactly as the SQL
store rebuilds them, so a use case sees the same values whichever mirror it runs on.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, overload

from brevo_sync.domain.budget import BudgetSnapshot
from brevo_sync.domain.deal import Deal
from brevo_sync.domain.reports import AlertView, Person
from brevo_sync.domain.sync import SyncState

DealRecord = dict[str, Any]

# The columns of the SQL `deals` table, in its order (the parity test holds the two together).
DEAL_COLUMNS = (
    "id", "name", "pipeline_id", "stage_id", "owner", "amount", "currency", "close_date",
    "created_at", "updated_at", "stage_updated_at", "last_activity_at", "attributes",
    "contact_ids", "company_ids", "pulled_at", "deleted_at",
)  # fmt: skip


@overload
def utc(value: datetime) -> datetime: ...
@overload
def utc(value: None) -> None: ...
@overload
def utc(value: datetime | None) -> datetime | None: ...
def utc(value: datetime | None) -> datetime | None:
    """As the SQL mirror stores a time: aware, in UTC; a naive one is refused, not guessed."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError(f"naive datetime given to the mirror: {value!r}")
    return value.astimezone(UTC)


def json_copy(value: Any) -> Any:
    """What a JSON column gives back: a deep copy, tuples as lists (and unserialisable values
    refused, as the database driver would refuse them)."""
    return json.loads(json.dumps(value, ensure_ascii=False))


def deal_record(deal: Deal, pulled_at: datetime) -> DealRecord:
    """Every column of `deal` as stored, the tombstone cleared."""
    return {
        "id": deal.id,
        "name": deal.name,
        "pipeline_id": deal.pipeline_id,
        "stage_id": deal.stage_id,
        "owner": deal.owner,
        "amount": None if deal.amount is None else float(deal.amount),
        "currency": deal.currency,
        "close_date": deal.close_date,
        "created_at": utc(deal.created_at),
        "updated_at": utc(deal.updated_at),
        "stage_updated_at": utc(deal.stage_updated_at),
        "last_activity_at": utc(deal.last_activity_at),
        "attributes": json_copy(deal.attributes),
        "contact_ids": json_copy([int(c) for c in deal.contact_ids]),
        "company_ids": json_copy([str(c) for c in deal.company_ids]),
        "pulled_at": utc(pulled_at),
        "deleted_at": None,
    }


def deal_of(record: Mapping[str, Any]) -> Deal:
    """The Deal of a stored row, converted as the SQL store's `deal_from_row` does."""
    amount = record["amount"]
    return Deal(
        id=record["id"],
        name=record["name"],
        pipeline_id=record["pipeline_id"],
        stage_id=record["stage_id"],
        owner=record["owner"],
        amount=None if amount is None else Decimal(str(amount)),
        currency=record["currency"],
        close_date=record["close_date"],
        created_at=record["created_at"],
        updated_at=record["updated_at"],
        stage_updated_at=record["stage_updated_at"],
        last_activity_at=record["last_activity_at"],
        attributes=json_copy(record["attributes"] or {}),
        contact_ids=tuple(int(c) for c in record["contact_ids"] or ()),
        company_ids=tuple(str(c) for c in record["company_ids"] or ()),
    )


def copy_record(record: Mapping[str, Any]) -> DealRecord:
    """A row handed to a caller: theirs to change (the JSON columns are copied too)."""
    row = dict(record)
    for column in ("attributes", "contact_ids", "company_ids"):
        row[column] = json_copy(row[column])
    return row


@dataclass(frozen=True, slots=True)
class QuarantineRow:
    id: int
    resource: str
    record_id: str | None
    reason: str
    raw: Any
    seen_at: datetime


@dataclass(frozen=True, slots=True)
class HistoryRow:
    id: int
    deal_id: str
    pipeline_id: str | None
    from_stage_id: str | None
    to_stage_id: str
    changed_at: datetime
    source: str
    owner: str | None
    recorded_at: datetime
    left_at: datetime | None = None  # the changed_at of the deal's next row (stage_history)


@dataclass(frozen=True, slots=True)
class SyncRow:
    """The one `sync_state` row: what `save` writes, and what only its own calls write."""

    state: SyncState = field(default_factory=SyncState)  # its catalog_fetched_at unused
    catalog_fetched_at: datetime | None = None
    budget: BudgetSnapshot | None = None


@dataclass(frozen=True, slots=True)
class AlertRow:
    id: int
    deal_id: str
    rule: str
    action: str
    anchor_at: datetime
    due_at: datetime
    raised_at: datetime
    acknowledged_at: datetime | None = None

    @property
    def key(self) -> tuple[datetime, str, str]:
        """The identity of a crossing (the SQL table's unique key)."""
        return (self.anchor_at, self.deal_id, self.rule)


@dataclass(frozen=True, slots=True)
class EventRow:
    id: int
    key: str
    deal_id: str | None
    kind: str
    payload: dict[str, Any]
    origin: str
    state: str
    decided_at: datetime


def alert_view(row: AlertRow, deal: Mapping[str, Any] | None) -> AlertView:
    """An alert with what it is about (the deal may be gone: its fields are then None)."""
    return AlertView(
        id=row.id,
        deal_id=row.deal_id,
        rule=row.rule,
        action=row.action,
        anchor_at=row.anchor_at,
        due_at=row.due_at,
        raised_at=row.raised_at,
        acknowledged_at=row.acknowledged_at,
        deal_name=None if deal is None else deal["name"],
        owner=None if deal is None else deal["owner"],
        pipeline_id=None if deal is None else deal["pipeline_id"],
        stage_id=None if deal is None else deal["stage_id"],
        amount=None if deal is None else deal["amount"],
        currency=None if deal is None else deal["currency"],
    )


def day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def first_email_by_user_id(people: Iterable[Person]) -> dict[str, str]:
    """One e-mail per user id, the first in order (as the SQL mirror's MIN(email))."""
    emails: dict[str, str] = {}
    for person in sorted(people, key=lambda p: p.email):
        if person.user_id is not None:
            emails.setdefault(person.user_id, person.email)
    return emails
