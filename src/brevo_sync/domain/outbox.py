"""The outbox: every effect meant for Brevo, as a row written with the decision that caused it.

A decision (a move, an order, an automation) yields domain events; `effects_of` turns each one
into the effects Brevo must see (update or create a deal, a task, a note, loyalty points, a
company update, a tier, a conversion event). The push path sends them; nothing here does I/O.

Life of a row (`state`):
- pending:     due at `next_attempt_at`; failed attempts come back here with a backoff.
- sending:     an attempt that creates something was started. If the process dies here the
               outcome is unknown: the next push looks for what the attempt may have created
               (our reference on the deal, on the task's or note's text) before sending again.
- unconfirmed: handed to Brevo's asynchronous bulk import; done once a pull shows the change,
               re-sent one by one after the confirmation timeout.
- done:        Brevo has it (`result_id`: the id of what was created).
- dead:        given up, with the reason (`last_error`); `outbox retry` puts it back.
- dropped:     an operator dropped it (`outbox drop`); kept, never deleted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from brevo_sync.domain.deal import Deal
from brevo_sync.domain.rules.events import (
    CompanySpendUpdated,
    ConversionEventRequested,
    CreateDealRequested,
    DomainEvent,
    DuplicateLeadAssigned,
    LossAnalysisRequested,
    LoyaltyPointsAwarded,
    NotificationRequested,
    OnboardingRequested,
    StageChanged,
    TaskRequested,
    UpdateDealRequested,
    event_payload,
)

EffectKind = Literal[
    "update_deal",
    "create_deal",
    "create_task",
    "create_note",
    "loyalty_credit",
    "company_update",
    "tier_assign",
    "conversion",
]
EFFECT_KINDS: tuple[EffectKind, ...] = (
    "create_deal",
    "update_deal",
    "create_task",
    "create_note",
    "loyalty_credit",
    "company_update",
    "tier_assign",
    "conversion",
)
# Order of sending: a deal must exist before its tasks, and changes to deals are what the
# team waits for; conversion events are the least urgent.
PRIORITY: Mapping[str, int] = {kind: rank for rank, kind in enumerate(EFFECT_KINDS)}

State = Literal["pending", "sending", "unconfirmed", "done", "dead", "dropped"]
STATES: tuple[State, ...] = ("pending", "sending", "unconfirmed", "done", "dead", "dropped")
OPEN_STATES: tuple[State, ...] = ("pending", "sending", "unconfirmed")

# What delivery may change on a row; its identity and the decision itself never change.
MUTABLE_FIELDS = frozenset(
    {
        "state",
        "attempts",
        "next_attempt_at",
        "last_error",
        "sent_at",
        "done_at",
        "result_id",
        "via",
        "process_id",
        "payload",
        "deal_id",
    }
)

# Retries: 30 s, 1 min, 2 min, ... capped at 6 h; dead after `max_attempts` (a setting).
FIRST_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=6)


def backoff(attempts: int, first: timedelta = FIRST_BACKOFF) -> timedelta:
    """How long a row waits after its `attempts`-th failure: `first`, doubling, capped."""
    if attempts <= 0:
        return timedelta(0)
    wait: timedelta = first * (2 ** min(attempts - 1, 20))
    return min(wait, MAX_BACKOFF)


@dataclass(frozen=True, slots=True)
class Effect:
    """One thing Brevo must be told, before it is an outbox row.

    `deal_id` is Brevo's id of the deal it concerns; `deal_ref` instead names the key of a
    `create_deal` effect whose deal does not exist yet (a task for a deal made from an order):
    the push fills `deal_id` in once that deal has its id. `base` (update_deal only): the values
    the mirror had for the fields changed, when the decision was made (the three-way check)."""

    key: str
    kind: EffectKind
    deal_id: str | None
    payload: dict[str, Any] = field(default_factory=dict, hash=False)
    deal_ref: str | None = None
    base: dict[str, Any] | None = field(default=None, hash=False)


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    key: str
    kind: EffectKind
    deal_id: str | None
    deal_ref: str | None
    payload: dict[str, Any]
    base: dict[str, Any] | None
    state: State
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    origin: str
    created_at: datetime
    sent_at: datetime | None = None
    done_at: datetime | None = None
    result_id: str | None = None
    via: str | None = None  # "single" or "import"
    process_id: int | None = None  # the bulk import that carried it

    def due(self, now: datetime) -> bool:
        return self.state == "pending" and self.next_attempt_at <= now


@dataclass(frozen=True, slots=True)
class OutboxFilter:
    states: tuple[State, ...] = (*OPEN_STATES, "dead")
    kinds: tuple[EffectKind, ...] = ()
    deal_id: str | None = None
    limit: int | None = 50


@dataclass(frozen=True, slots=True)
class Conflict:
    """A field both sides changed since the mirror last saw the deal: Brevo's value stays
    (the default policy), ours is kept here."""

    deal_id: str
    field: str
    base: Any
    ours: Any
    theirs: Any
    resolution: str  # "brevo" (their value kept) or "ours" (sent anyway)
    outbox_key: str
    detected_at: datetime
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Features:
    """Which optional targets are configured: effects for the others are not queued."""

    loyalty: bool = False
    conversions: bool = False
    tiers: bool = False


def effects_of(
    event: DomainEvent, *, features: Features, created: Iterable[str] = ()
) -> list[Effect]:
    """The effects one decision has on Brevo (none for what stays local: the stage change
    itself, commission, external actions, a reported breach).

    `created`: keys of deals being created by the same decision; an event about one of them
    waits for its id (`deal_ref`)."""
    pending_deals = set(created)

    def on_deal(deal_id: str | None) -> tuple[str | None, str | None]:
        if deal_id is not None and deal_id in pending_deals:
            return None, deal_id
        return deal_id, None

    match event:
        case UpdateDealRequested():
            attributes = dict(event.attributes)
            if not attributes:
                return []
            deal_id, ref = on_deal(event.deal_id)
            return [Effect(event.key, "update_deal", deal_id, {"attributes": attributes}, ref)]
        case CreateDealRequested():
            payload = event_payload(event)
            return [Effect(event.key, "create_deal", None, payload)]
        case TaskRequested():
            deal_id, ref = on_deal(event.deal_id)
            payload = {
                "name": event.title or event.name,
                "action": event.name,
                "due_at": event.due_at.isoformat(),
                "assignee": event.assignee,
                "task_type": event.kind,
            }
            return [Effect(event.key, "create_task", deal_id, payload, ref)]
        case OnboardingRequested():
            deal_id, ref = on_deal(event.deal_id)
            payload = {
                "name": "Onboard customer",
                "action": event.name,
                "due_at": None,
                "assignee": "seller",
                "task_type": "todo",
            }
            return [Effect(event.key, "create_task", deal_id, payload, ref)]
        case NotificationRequested():
            deal_id, ref = on_deal(event.deal_id)
            text = f"For {event.recipient.replace('_', ' ')}: {event.message}"
            payload = {"text": text, "recipient": event.recipient, "to": event.recipient_id}
            return [Effect(event.key, "create_note", deal_id, payload, ref)]
        case LossAnalysisRequested():
            deal_id, ref = on_deal(event.deal_id)
            reason = event.lost_reason or "no reason given"
            where = f" (last open stage: {event.from_stage})" if event.from_stage else ""
            text = f"Loss analysis: lost because {reason}{where}. Schedule a follow-up."
            return [Effect(event.key, "create_note", deal_id, {"text": text}, ref)]
        case DuplicateLeadAssigned():
            if event.deal_id in pending_deals:
                return []  # a deal created by the same decision carries its owner already
            deal_id, ref = on_deal(event.deal_id)
            if event.first_seller is None or event.first_seller == event.second_seller:
                return []
            attributes = {"deal_owner": event.first_seller}
            return [Effect(event.key, "update_deal", deal_id, {"attributes": attributes}, ref)]
        case LoyaltyPointsAwarded():
            if not features.loyalty or event.recipient_kind != "contact":
                return []
            deal_id, ref = on_deal(event.deal_id)
            payload = {
                "contact_id": event.recipient_id,
                "points": event.points,
                "reason": event.reason,
            }
            return [Effect(event.key, "loyalty_credit", deal_id, payload, ref)]
        case CompanySpendUpdated():
            update = Effect(
                event.key,
                "company_update",
                event.deal_id,
                {
                    "company_id": event.company_id,
                    "attributes": {
                        "annual_spend": str(event.annual_spend.amount),
                        "last_deal_closed": event.last_deal_closed.date().isoformat(),
                    },
                },
            )
            effects = [update]
            if features.tiers and event.tier:
                effects.append(
                    Effect(
                        f"{event.key}:tier",
                        "tier_assign",
                        event.deal_id,
                        {"company_id": event.company_id, "tier": event.tier},
                    )
                )
            return effects
        case ConversionEventRequested():
            if not features.conversions:
                return []
            deal_id, ref = on_deal(event.deal_id)
            return [Effect(event.key, "conversion", deal_id, {"event": event.event}, ref)]
        case _:
            return []


def coalesce_updates(rows: Sequence[OutboxRow]) -> dict[str, Any]:
    """The attributes of several pending updates of one deal as one PATCH body: later rows
    win per field (rows in the order they were decided)."""
    merged: dict[str, Any] = {}
    for row in sorted(rows, key=lambda r: r.id):
        merged.update(row.payload.get("attributes", {}))
    return merged


@dataclass(frozen=True, slots=True)
class ThreeWay:
    send: dict[str, Any]  # fields changed on our side only (or where both agree)
    conflicts: tuple[tuple[str, Any, Any, Any], ...]  # (field, base, ours, theirs)


def three_way(
    base: Mapping[str, Any], ours: Mapping[str, Any], theirs: Mapping[str, Any]
) -> ThreeWay:
    """Compare, field by field, what the mirror saw when we decided (`base`), what we want to
    send (`ours`) and what Brevo has now (`theirs`). A field Brevo did not change since
    `base` is sent; one it changed to our value needs nothing; one it changed to another
    value is a conflict (the caller applies the policy). A field without a base (the decision
    did not record one) is sent."""
    send: dict[str, Any] = {}
    conflicts: list[tuple[str, Any, Any, Any]] = []
    for name, value in ours.items():
        if name not in base:
            send[name] = value
            continue
        before, now = _same(base[name]), _same(theirs.get(name))
        if before == now:
            send[name] = value
        elif now == _same(value):
            continue  # Brevo already has what we want
        else:
            conflicts.append((name, base[name], value, theirs.get(name)))
    return ThreeWay(send, tuple(conflicts))


def _same(value: Any) -> Any:
    """Values as compared: Brevo hands numbers and dates back as text or numbers alike."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    try:
        return float(text)
    except ValueError:
        return text.lower()


def reference_marker(key: str) -> str:
    """The tag our tasks and notes carry so that after an unclear outcome a lookup can tell
    whether an earlier attempt reached Brevo (Brevo has no idempotency key)."""
    return f"[brevo-sync {key}]"


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One loyalty award: (deal, milestone) once, with Brevo's transaction once begun."""

    deal_id: str
    milestone: str
    contact_id: str
    points: int
    outbox_key: str
    state: str  # queued, begun, completed
    transaction_id: str | None = None
    completed_at: datetime | None = None


def fit_to_catalogue(
    attributes: Mapping[str, Any], catalogue: Mapping[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """The attributes as Brevo will take them: a single-select value must be one of the
    account's options (its key, or matched by label, which is then sent as the key). A value
    with no such option is left out, with the reason, so the rest of the change still lands.
    `catalogue`: internal name -> DealAttribute (anything with `type` and `options`)."""
    fitted: dict[str, Any] = {}
    problems: list[str] = []
    for name, value in attributes.items():
        attribute = catalogue.get(name)
        options = getattr(attribute, "options", ()) if attribute is not None else ()
        if getattr(attribute, "type", "") != "single-select" or not options or value is None:
            fitted[name] = value
            continue
        wanted = _option_key(str(value))
        match = next(
            (key for key, label in options if wanted in (_option_key(key), _option_key(label))),
            None,
        )
        if match is None:
            known = ", ".join(label for _, label in options)
            problems.append(f"{name} {value!r} is not an option in Brevo ({known}): left out")
            continue
        fitted[name] = match
    return fitted, problems


def _option_key(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def company_effects(moved: StageChanged, deal: Deal) -> list[Effect]:
    """Seed 000 on Won: each linked company's annual spend grows by the deal's amount and its
    last closed date is set; its tier is re-evaluated then. The new spend depends on what
    Brevo holds, so the push reads it once, stores the result in the row, and writes that
    absolute value: a retried PATCH never adds the amount twice."""
    if deal.amount is None or not deal.company_ids:
        return []
    return [
        Effect(
            f"{moved.key}:company:{company}",
            "company_update",
            deal.id,
            {
                "company_id": company,
                "add_spend": str(deal.amount),
                "currency": deal.currency,
                "closed_on": moved.at.date().isoformat(),
            },
        )
        for company in deal.company_ids
    ]
