"""The push use case: send what the outbox holds, each change once, in the fewest requests.

    report = push_outbox(ctx)

Order of work: settle what an earlier push left unclear (`push_recover`), create the custom
attributes the rows write and the account lacks (once), then send the due rows as planned by
`domain.push_plan` (coalesced PATCHes, or bulk imports above the threshold; tasks, notes,
loyalty, companies, conversion events). Each unit commits its outcome before the next starts,
so a stop (Ctrl-C, SIGTERM) lands between units and a crash loses at most the knowledge of
one unit's outcome, which the next push recovers (see `push_send`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import structlog

from brevo_sync.domain.outbox import OutboxRow
from brevo_sync.domain.push_plan import Unit, plan_units, sendable
from brevo_sync.errors import BrevoBadRequest, BrevoError
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.push_attributes import ensure_attributes
from brevo_sync.service.push_company import send_company
from brevo_sync.service.push_fit import fit_rows
from brevo_sync.service.push_loyalty import send_conversions, send_loyalty, send_tier
from brevo_sync.service.push_recover import recover
from brevo_sync.service.push_send import (
    Outcomes,
    deal_body,
    is_unclear,
    leave_unclear,
    mark_done,
    mark_failed,
    mark_sending,
    marked,
    must_stop,
    send_task,
)
from brevo_sync.service.push_updates import send_import, send_patch
from brevo_sync.service.runs import recorded_run

log = structlog.get_logger(__name__)


class PushProgress(Protocol):
    def unit(self, done: int, total: int) -> None: ...


@dataclass
class PushReport:
    sent: int = 0  # rows Brevo has (done)
    unconfirmed: int = 0  # rows handed to a bulk import, waiting for a pull to show them
    failed: int = 0  # rows that failed and will be retried after a backoff
    dead: int = 0  # rows given up, with their reason
    unclear: int = 0  # creations whose outcome the next push looks up
    conflicts: int = 0
    waiting: int = 0  # rows whose deal is still being created, or not yet due
    stopped_early: str | None = None  # why the push stopped before the queue was empty
    units: int = 0
    requests: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def requests_total(self) -> int:
        return sum(self.requests.values())


def push_outbox(ctx: ServiceContext, progress: PushProgress | None = None) -> PushReport:
    gateway = ctx.gateway()
    report = PushReport()
    out = Outcomes()
    with recorded_run(ctx, "push", gateway) as run:
        owner = f"push run {run.id}"  # unique across replicas: the runs table is shared
        try:
            _push(ctx, gateway, out, report, progress, owner)
        finally:
            _release(ctx, owner)
            report.requests = run.requests()
            _fill(report, out)
    return report


def _release(ctx: ServiceContext, owner: str) -> None:
    """Rows this push claimed and did not finish are free for the next one at once."""
    try:
        with ctx.uow() as uow:
            uow.outbox.release_claims(owner)
            uow.commit()
    except Exception:  # their claims expire anyway
        log.warning("could not release the push's claims", exc_info=True)


def _push(
    ctx: ServiceContext,
    gateway: Any,
    out: Outcomes,
    report: PushReport,
    progress: PushProgress | None,
    owner: str,
) -> None:
    book = ctx.rules()
    reference = book.attributes.reference
    recover(ctx, gateway, reference, out)
    now = ctx.clock()
    with ctx.uow() as uow:
        # A push holds the mirror lock, so no other push runs now: claims left behind are a
        # dead push's (a replica killed mid-push) and are taken over at once. The claim
        # itself skips rows another transaction has locked (FOR UPDATE SKIP LOCKED).
        uow.outbox.release_claims()
        due = uow.outbox.claim(now, owner=owner, until=now + ctx.push.claim_ttl)
        pulled_at = uow.sync.get().last_success_at
        uow.commit()
    ready, waiting = sendable(due)
    ready = _drop_orphans(ctx, ready + waiting, out, ready)
    report.waiting = len(waiting)
    if not ready:
        return
    ensure_attributes(ctx, gateway, ready)
    ready = fit_rows(ctx, ready)
    units = plan_units(
        ready,
        import_threshold=ctx.push.import_threshold,
        batch_size=ctx.push.import_batch_size,
    )
    for done, unit in enumerate(units):
        ctx.stop.check()
        try:
            _send(ctx, gateway, unit, out, reference, pulled_at)
        except BrevoError as exc:
            if must_stop(exc):
                report.stopped_early = str(exc)
                break
            if is_unclear(exc) and unit.kind in ("create", "task", "note", "import"):
                leave_unclear(ctx, unit.rows, exc, out)
            elif unit.kind == "import" and isinstance(exc, BrevoBadRequest):
                # Brevo refuses a whole file for one bad row (a deal deleted meanwhile):
                # the rows go one by one, where each failure is the row's own.
                for single in plan_units(unit.rows, import_threshold=len(unit.rows), batch_size=1):
                    _send_safely(ctx, gateway, single, out, reference, pulled_at)
            else:
                mark_failed(ctx, unit.rows, exc, out)
        report.units += 1
        if progress is not None:
            progress.unit(done + 1, len(units))


def _send_safely(
    ctx: ServiceContext, gateway: Any, unit: Unit, out: Outcomes, reference: str, pulled_at: Any
) -> None:
    try:
        _send(ctx, gateway, unit, out, reference, pulled_at)
    except BrevoError as exc:
        if must_stop(exc):
            raise
        if is_unclear(exc) and unit.kind == "create":
            leave_unclear(ctx, unit.rows, exc, out)
        else:
            mark_failed(ctx, unit.rows, exc, out)


def _send(
    ctx: ServiceContext,
    gateway: Any,
    unit: Unit,
    out: Outcomes,
    reference: str,
    pulled_at: Any,
) -> None:
    row = unit.rows[0]
    if unit.kind == "patch":
        send_patch(ctx, gateway, unit, out, pulled_at)
    elif unit.kind == "import":
        send_import(ctx, gateway, unit, out)
    elif unit.kind == "create":
        name, attributes, contacts, companies = deal_body(row)
        attributes[reference] = row.key
        mark_sending(ctx, unit.rows)
        deal_id = gateway.create_deal(
            name=name,
            attributes=attributes,
            linked_contacts_ids=contacts or None,
            linked_companies_ids=companies or None,
        )
        mark_done(ctx, unit.rows, out, result_id=deal_id)
    elif unit.kind in ("task", "note"):
        _send_activity(ctx, gateway, unit, out)
    elif unit.kind == "company":
        send_company(ctx, gateway, row, out)
    elif unit.kind == "loyalty":
        send_loyalty(ctx, gateway, row, out)
    elif unit.kind == "tier":
        send_tier(ctx, gateway, row, out)
    elif unit.kind == "conversions":
        send_conversions(ctx, unit.rows, out)


def _send_activity(ctx: ServiceContext, gateway: Any, unit: Unit, out: Outcomes) -> None:
    row = unit.rows[0]
    owner = _owner(ctx, row.deal_id)
    mark_sending(ctx, unit.rows)
    if unit.kind == "task":
        with ctx.uow() as uow:
            types = uow.outbox.task_types()
        if not types:
            types = dict(_load_task_types(ctx, gateway))
        result = send_task(ctx, gateway, row, types, owner)
    else:
        result = gateway.create_note(
            text=marked(str(row.payload.get("text") or ""), row.key),
            deal_ids=[row.deal_id] if row.deal_id else [],
        )
    mark_done(ctx, unit.rows, out, result_id=result)


def _load_task_types(ctx: ServiceContext, gateway: Any) -> Mapping[str, str]:
    records = gateway.list_task_types()
    types = {str(r.get("title")): str(r.get("id")) for r in records if r.get("id") is not None}
    with ctx.uow() as uow:
        uow.outbox.save_task_types(types, ctx.clock())
        uow.commit()
        return uow.outbox.task_types()


def _owner(ctx: ServiceContext, deal_id: str | None) -> str | None:
    if deal_id is None:
        return None
    with ctx.uow() as uow:
        deal = uow.deals.get([deal_id]).get(deal_id)
    return deal.owner if deal is not None else None


def _drop_orphans(
    ctx: ServiceContext, rows: list[OutboxRow], out: Outcomes, ready: list[OutboxRow]
) -> list[OutboxRow]:
    """Rows waiting for a creation that is dead can never be sent: they die with it."""
    refs = {r.deal_ref for r in rows if r.deal_ref is not None and r.deal_id is None}
    if not refs:
        return ready
    with ctx.uow() as uow:
        dead = {
            ref for ref in refs if (c := uow.outbox.by_key(ref)) and c.state in ("dead", "dropped")
        }
    if dead:
        orphans = [r for r in rows if r.deal_ref in dead and r.deal_id is None]
        mark_failed(
            ctx,
            orphans,
            BrevoBadRequest("the deal this was for could not be created (its row is dead)"),
            out,
        )
    return [r for r in ready if r.deal_ref not in dead or r.deal_id is not None]


def _fill(report: PushReport, out: Outcomes) -> None:
    report.sent = out.sent
    report.failed = out.failed
    report.dead = out.dead
    report.unclear = out.unclear
    report.unconfirmed = out.unconfirmed
    report.conflicts = out.conflicts
    report.errors = out.errors
