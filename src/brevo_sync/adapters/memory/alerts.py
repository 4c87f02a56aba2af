"""Alerts (the sweep and their acknowledgement), rule events and people, in memory.

The sweep is the reference semantics run deal by deal: `evaluate_time_rules` on every live
deal, each crossing raised once by its identity (anchor, deal, rule), as the SQL sweep's
unique key does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from brevo_sync.adapters.memory.mirror import Transaction
from brevo_sync.adapters.memory.rows import (
    AlertRow,
    EventRow,
    alert_view,
    deal_of,
    first_email_by_user_id,
    json_copy,
    utc,
)
from brevo_sync.domain.reports import AlertView, Person
from brevo_sync.domain.rules.events import DomainEvent, event_payload
from brevo_sync.domain.rules.timing import Alert, TimeRules, evaluate_time_rules


class MemoryAlertRepository:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def sweep(self, rules: TimeRules, now: datetime) -> dict[str, int]:
        if now.tzinfo is None:
            raise ValueError(f"the sweep needs an aware `now`, got {now!r}")
        alerts = self._tx.tables.alerts
        raised_before = {a.key for a in alerts.values()}
        crossings: list[Alert] = []
        for record in self._tx.tables.deals.values():
            if record["deleted_at"] is not None:
                continue  # tombstones raise nothing
            for alert in evaluate_time_rules(deal_of(record), rules, now):
                key = (utc(alert.anchor_at), alert.deal_id, alert.rule)
                if key not in raised_before:
                    raised_before.add(key)
                    crossings.append(alert)
        raised = dict.fromkeys(rules.rule_keys, 0)
        order = {rule: position for position, rule in enumerate(rules.rule_keys)}
        # Ids in the SQL sweep's order: rule by rule, then (here) deal by deal.
        for alert in sorted(crossings, key=lambda a: (order[a.rule], a.deal_id)):
            row_id = alerts.new_id()
            alerts.put(
                row_id,
                AlertRow(
                    id=row_id,
                    deal_id=alert.deal_id,
                    rule=alert.rule,
                    action=alert.action,
                    anchor_at=utc(alert.anchor_at),
                    due_at=utc(alert.due_at),
                    raised_at=utc(now),
                ),
            )
            raised[alert.rule] += 1
        return raised

    def acknowledge(self, alert_id: int, now: datetime) -> AlertView | None:
        alerts = self._tx.tables.alerts
        row = alerts.get(alert_id)
        if row is None:
            return None
        if row.acknowledged_at is None:  # a second acknowledgement keeps the first time
            row = replace(row, acknowledged_at=utc(now))
            alerts.put(alert_id, row)
        return alert_view(row, self._tx.tables.deals.get(row.deal_id))


class MemoryEventRepository:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def record(self, events: Sequence[DomainEvent], *, origin: str, now: datetime) -> int:
        table = self._tx.tables.events
        recorded = 0
        for event in events:
            if table.get(event.key) is not None:
                continue  # decided before (or twice in this batch): recorded once
            table.put(
                event.key,
                EventRow(
                    id=table.new_id(),
                    key=event.key,
                    deal_id=getattr(event, "deal_id", None),
                    kind=type(event).__name__,
                    payload=json_copy(event_payload(event)),
                    origin=origin,
                    state="pending",
                    decided_at=utc(now),
                ),
            )
            recorded += 1
        return recorded

    def pending(self, limit: int | None = None) -> list[tuple[str, str, str | None]]:
        rows = sorted(
            (e for e in self._tx.tables.events.values() if e.state == "pending"),
            key=lambda e: e.id,
        )
        return [(e.key, e.kind, e.deal_id) for e in rows[:limit]]


def _email(email: str) -> str:
    return email.strip().lower()


class MemoryPeopleRepository:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def get(self, email: str) -> Person | None:
        return self._tx.tables.people.get(_email(email))

    def by_user_id(self, user_ids: Sequence[str]) -> dict[str, str]:
        emails = first_email_by_user_id(self._tx.tables.people.values())
        return {uid: emails[uid] for uid in set(user_ids) if uid in emails}

    def all(self) -> list[Person]:
        return sorted(self._tx.tables.people.values(), key=lambda p: p.email)

    def put(self, person: Person) -> None:
        email = _email(person.email)
        stored = replace(person, email=email, learned_at=utc(person.learned_at))
        self._tx.tables.people.put(email, stored)
