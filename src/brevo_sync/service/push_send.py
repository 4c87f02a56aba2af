"""Sending one unit of the push (domain/push_plan.py) and recording its outcome.

Every unit runs in the same shape: mark its rows as being sent (committed before the
request, for what creates something), send, then record the outcome in a new transaction.
A process killed between the two leaves the rows `sending`; `push_recover` finds out what
happened before anything is sent again. Outcomes:
- success: done (with the id of what was created, stored at once);
- Brevo refused it (400/422): dead at once, with Brevo's reason (a retry cannot help);
- the deal is gone (404): dead, "deleted in Brevo": no retry loop;
- unclear (5xx, timeout, dropped connection after a create was sent): left `sending`;
- anything else that failed: pending again after a backoff, dead after `max_attempts`.
A 429 is never an outcome: the gateway waits for the window, and a wait longer than allowed
stops the push with every unsent row still pending.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import structlog

from brevo_sync.domain.outbox import OutboxRow, backoff, reference_marker
from brevo_sync.domain.parsing import with_attributes
from brevo_sync.errors import BrevoBadRequest, BrevoError, BrevoNotFound, BrevoRateLimited
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.ports import BrevoGateway, UnitOfWork

log = structlog.get_logger(__name__)


class Outcomes:
    """What a push did, row by row (the report counts these)."""

    def __init__(self) -> None:
        self.sent = 0
        self.failed = 0
        self.dead = 0
        self.unclear = 0
        self.unconfirmed = 0
        self.conflicts = 0
        self.errors: list[str] = []


def mark_sending(ctx: ServiceContext, rows: Sequence[OutboxRow], *, via: str = "single") -> None:
    now = ctx.clock()
    with ctx.uow() as uow:
        for row in rows:
            uow.outbox.update(
                row.id,
                {"state": "sending", "sent_at": now, "attempts": row.attempts + 1, "via": via},
            )
        uow.commit()


def mark_done(
    ctx: ServiceContext,
    rows: Sequence[OutboxRow],
    out: Outcomes,
    *,
    result_id: str | None = None,
    mirror_attributes: Mapping[str, Any] | None = None,
) -> None:
    now = ctx.clock()
    with ctx.uow() as uow:
        for row in rows:
            changes: dict[str, Any] = {"state": "done", "done_at": now, "last_error": None}
            if result_id is not None:
                changes["result_id"] = result_id
            uow.outbox.update(row.id, changes)
            if row.kind == "create_deal" and result_id is not None:
                uow.outbox.resolve_ref(row.key, result_id)
        deal_id = rows[0].deal_id if rows else None
        if mirror_attributes and deal_id is not None:
            _mirror_takes(ctx, uow, deal_id, mirror_attributes, now)
        uow.commit()
    out.sent += len(rows)
    for row in rows:  # after the commit: a line per row Brevo has, with its deal
        created = result_id if row.kind == "create_deal" else None
        log.info(
            "outbox row sent",
            key=row.key,
            kind=row.kind,
            deal_id=row.deal_id or created,
            result_id=result_id,
        )


def _mirror_takes(
    ctx: ServiceContext, uow: UnitOfWork, deal_id: str, attributes: Mapping[str, Any], now: datetime
) -> None:
    """The mirror shows what Brevo now has, without waiting for the next pull."""
    deal = uow.deals.get([deal_id]).get(deal_id)
    if deal is not None:
        uow.deals.upsert([with_attributes(deal, attributes, ctx.pull.attribute_names)], now)


def mark_failed(
    ctx: ServiceContext, rows: Sequence[OutboxRow], exc: BrevoError, out: Outcomes
) -> None:
    """Record a failure: dead when retrying cannot help, else pending after a backoff."""
    now = ctx.clock()
    reason = str(exc)
    final = isinstance(exc, BrevoBadRequest | BrevoNotFound)
    if isinstance(exc, BrevoNotFound):
        reason = f"the deal was deleted in Brevo ({reason})"
    settled: list[tuple[OutboxRow, int, bool]] = []
    with ctx.uow() as uow:
        for row in rows:
            attempts = max(row.attempts, 1) if row.state == "sending" else row.attempts + 1
            dead = final or attempts >= ctx.push.max_attempts
            settled.append((row, attempts, dead))
            changes: dict[str, Any] = {
                "state": "dead" if dead else "pending",
                "attempts": attempts,
                "last_error": reason,
                "next_attempt_at": now + backoff(attempts, ctx.push.first_backoff),
            }
            uow.outbox.update(row.id, changes)
            if dead:
                out.dead += 1
            else:
                out.failed += 1
        uow.commit()
    out.errors.append(reason)
    for row, attempts, dead in settled:
        (log.warning if dead else log.info)(
            "outbox row is a dead letter" if dead else "outbox row failed; retrying later",
            key=row.key,
            kind=row.kind,
            deal_id=row.deal_id,
            attempts=attempts,
            reason=reason,
        )


def is_unclear(exc: BrevoError) -> bool:
    return bool(getattr(exc, "outcome_unknown", False))


def leave_unclear(
    ctx: ServiceContext, rows: Sequence[OutboxRow], exc: BrevoError, out: Outcomes
) -> None:
    """A create may or may not have reached Brevo: the rows stay `sending`; the next push
    looks for what it may have made before sending again."""
    with ctx.uow() as uow:
        for row in rows:
            uow.outbox.update(row.id, {"last_error": f"outcome unknown: {exc}"})
        uow.commit()
    out.unclear += len(rows)
    out.errors.append(str(exc))


def must_stop(exc: BrevoError) -> bool:
    """Failures that say nothing about the row: stop the push and keep every row as it is."""
    return isinstance(exc, BrevoRateLimited) or bool(getattr(exc, "status", None) in (401, 403))


# -- what a row becomes on the wire -------------------------------------------------------------


def deal_body(row: OutboxRow) -> tuple[str, dict[str, Any], list[int], list[str]]:
    """(name, attributes, contact ids, company ids) of a `create_deal` row; our reference is
    one of the attributes, so the deal can be found after an unclear outcome."""
    p = row.payload
    attributes: dict[str, Any] = dict(p.get("attributes") or {})
    if p.get("pipeline_id"):
        attributes["pipeline"] = p["pipeline_id"]
    if p.get("stage_id"):
        attributes["deal_stage"] = p["stage_id"]
    amount = p.get("amount")
    if isinstance(amount, Mapping):
        attributes["amount"] = float(amount["amount"])
        attributes.setdefault("deal_currency", amount.get("currency"))
    if p.get("close_date"):
        attributes["close_date"] = p["close_date"]
    if p.get("probability") is not None:
        attributes.setdefault("probability", p["probability"])
    contacts = [int(c) for c in p.get("contact_ids") or []]
    companies = [str(c) for c in p.get("company_ids") or []]
    return str(p.get("name") or row.key), attributes, contacts, companies


def task_due(row: OutboxRow, now: datetime) -> datetime:
    raw = row.payload.get("due_at")
    if not raw:
        return now + timedelta(days=1)
    return datetime.fromisoformat(str(raw))


def task_type_id(types: Mapping[str, str], wanted: str) -> str | None:
    """Brevo's id for a task kind: "todo" finds "To do", "call" finds "Call"."""
    key = _squash(wanted)
    for title, type_id in types.items():
        if _squash(title) == key:
            return type_id
    return next(iter(types.values()), None)


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def marked(text: str, key: str) -> str:
    return f"{text}\n{reference_marker(key)}"


def carries(record: Mapping[str, Any], key: str) -> bool:
    """Whether a task or note Brevo holds is the one row `key` sent."""
    marker = reference_marker(key)
    return any(marker in str(record.get(field) or "") for field in ("notes", "text", "name"))


def send_task(
    ctx: ServiceContext,
    gateway: BrevoGateway,
    row: OutboxRow,
    types: Mapping[str, str],
    owner: str | None,
) -> str:
    type_id = task_type_id(types, str(row.payload.get("task_type") or "todo"))
    if type_id is None:
        raise BrevoBadRequest("Brevo has no task types to file the task under")
    return gateway.create_task(
        name=str(row.payload.get("name") or row.payload.get("action") or "Task"),
        task_type_id=type_id,
        date=task_due(row, ctx.clock()),
        assign_to=owner,
        deal_ids=[row.deal_id] if row.deal_id else [],
        notes=marked(f"For the {row.payload.get('assignee', 'seller')}.", row.key),
    )
