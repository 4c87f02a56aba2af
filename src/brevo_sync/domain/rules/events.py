"""Domain events: what the rules decided should happen, as plain frozen values.

The rules engine never performs an effect; it returns these, and the service layer turns each
one into outbox rows, ledger entries or alerts. Every event carries a `key` that is a pure
function of its inputs (deal, stage, time of the move, action index), so evaluating the same
deal twice at the same `now` yields equal events and a ledger can drop the repeat: that is how
"every award happens exactly once" (seed 000) is kept without the domain holding state.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from brevo_sync.domain.rules.actions import Recipient
from brevo_sync.domain.rules.money import Money


@dataclass(frozen=True, slots=True)
class StageChanged:
    key: str
    deal_id: str
    pipeline: str
    from_stage: str | None
    to_stage: str
    at: datetime
    by: str | None
    source: str  # "rules" for moves we made, "observed" for moves seen in Brevo


@dataclass(frozen=True, slots=True)
class TaskRequested:
    """A CRM task (follow-up, calendar entry, review) for someone, due at `due_at`."""

    key: str
    deal_id: str
    name: str
    title: str
    due_at: datetime
    assignee: Recipient
    kind: str = "todo"


@dataclass(frozen=True, slots=True)
class NotificationRequested:
    key: str
    deal_id: str
    recipient: Recipient
    message: str
    recipient_id: str | None = None  # set when the rules already know the person


@dataclass(frozen=True, slots=True)
class LossAnalysisRequested:
    """Seed 000 `analyze_loss` / seed 002 "Win/Loss Analyse": a note recording why it was lost."""

    key: str
    deal_id: str
    name: str
    lost_reason: str | None
    from_stage: str | None


@dataclass(frozen=True, slots=True)
class OnboardingRequested:
    """Seed 000 `onboard_customer` / seed 002 "Kunde erstellen"."""

    key: str
    deal_id: str
    name: str
    company_ids: tuple[str, ...]
    contact_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class LoyaltyPointsAwarded:
    """Points for a contact (seed 000 milestones) or a company (seed 000 corporate bonus)."""

    key: str
    deal_id: str
    recipient_kind: Literal["contact", "company"]
    recipient_id: str
    points: int
    reason: str


@dataclass(frozen=True, slots=True)
class CompanySpendUpdated:
    """Seed 000 on Won: the company's annual spend grows by the deal amount; tier re-checked."""

    key: str
    deal_id: str
    company_id: str
    annual_spend: Money
    last_deal_closed: datetime
    tier: str | None


@dataclass(frozen=True, slots=True)
class CommissionComputationRequested:
    key: str
    deal_id: str


@dataclass(frozen=True, slots=True)
class ExternalActionRequested:
    """Something done outside brevo-sync (open the calculator, order to Xentral, archive)."""

    key: str
    deal_id: str
    name: str
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class CreateDealRequested:
    """A deal to create (commerce, automations). `key` doubles as our reference on the deal, so
    after an unclear failure the push path can look for it before posting again."""

    key: str
    name: str
    pipeline: str
    stage: str
    pipeline_id: str | None  # Brevo ids; None when the stage is not mapped (push must refuse)
    stage_id: str | None
    amount: Money | None = None
    close_date: date | None = None
    probability: int | None = None
    attributes: dict[str, Any] = field(default_factory=dict, compare=True, hash=False)
    contact_ids: tuple[int, ...] = ()
    company_ids: tuple[str, ...] = ()
    origin_deal_id: str | None = None


@dataclass(frozen=True, slots=True)
class UpdateDealRequested:
    key: str
    deal_id: str
    attributes: dict[str, Any] = field(default_factory=dict, compare=True, hash=False)
    stage_id: str | None = None


@dataclass(frozen=True, slots=True)
class ConversionEventRequested:
    """Seed 001 Meta Conversion API: Lead, ViewContent or Purchase."""

    key: str
    deal_id: str
    event: Literal["Lead", "ViewContent", "Purchase"]


@dataclass(frozen=True, slots=True)
class DuplicateLeadAssigned:
    """Seed 002 "Doppel-Anlage": the new lead goes to the first seller."""

    key: str
    deal_id: str
    existing_deal_id: str
    first_seller: str | None
    second_seller: str | None


@dataclass(frozen=True, slots=True)
class RuleBreachObserved:
    """A move made in Brevo that our guard would have refused; we cannot undo it, we report it."""

    key: str
    deal_id: str
    from_stage: str | None
    to_stage: str
    reasons: tuple[str, ...]


DomainEvent = (
    StageChanged
    | TaskRequested
    | NotificationRequested
    | LossAnalysisRequested
    | OnboardingRequested
    | LoyaltyPointsAwarded
    | CompanySpendUpdated
    | CommissionComputationRequested
    | ExternalActionRequested
    | CreateDealRequested
    | UpdateDealRequested
    | ConversionEventRequested
    | DuplicateLeadAssigned
    | RuleBreachObserved
)


def stamp(at: datetime) -> str:
    """The time part of event keys: second precision, so a re-read timestamp gives the same key."""
    return at.strftime("%Y%m%dT%H%M%S")


def event_payload(event: DomainEvent) -> dict[str, Any]:
    """The event as a JSON document (times ISO 8601, money as {amount, currency} strings),
    for the record of pending decisions; `kind` (the class name) says how to read it."""
    return {f.name: _json_value(getattr(event, f.name)) for f in fields(event)}


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Money):
        return {"amount": str(value.amount), "currency": value.currency}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple | list):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    return value
