"""Before a push sends anything: settle what an earlier push left unclear.

- `sending` rows: a push was stopped (killed, a dropped connection) after it may have sent
  them. What is safe to repeat (an update, a company update, a tier, a conversion event Meta
  dedupes by its id) goes back to pending. What creates something is looked up first: a deal
  by our reference among the deals created since the attempt, a task or note by the marker in
  its text among the deal's own. Found: done, with its id. Not found: pending, sent again.
  A loyalty credit needs no lookup: it is two steps, and only a transaction whose id we stored
  is ever completed (an unclear first step leaves a pending transaction that credits nothing).
- `unconfirmed` rows (a bulk import no pull has confirmed within the timeout): updates go
  back to pending to be sent one by one; creations are looked up like unclear ones.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from brevo_sync.domain.outbox import OutboxRow
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.ports import BrevoGateway
from brevo_sync.service.push_send import Outcomes, carries, mark_done

# Brevo's clock and ours may differ a little; look this far before the attempt.
LOOKUP_MARGIN = timedelta(minutes=5)
_REPEATABLE = ("update_deal", "company_update", "tier_assign", "conversion", "loyalty_credit")


def recover(ctx: ServiceContext, gateway: BrevoGateway, reference: str, out: Outcomes) -> None:
    now = ctx.clock()
    with ctx.uow() as uow:
        unclear = uow.outbox.in_state("sending")
        waiting = [
            r
            for r in uow.outbox.in_state("unconfirmed")
            if r.sent_at is None or now - r.sent_at >= ctx.push.confirm_timeout
        ]
    if not unclear and not waiting:
        return
    again = [r for r in unclear + waiting if r.kind in _REPEATABLE]
    creations = [r for r in unclear + waiting if r.kind == "create_deal"]
    others = [r for r in unclear if r.kind in ("create_task", "create_note")]
    _back_to_pending(ctx, [r for r in again if r.state == "sending"], now)
    # An import that no pull confirmed in time: those rows go one by one now.
    _back_to_pending(ctx, [r for r in again if r.state == "unconfirmed"], now, via="single")
    if creations:
        _find_deals(ctx, gateway, creations, reference, out)
    for row in others:
        ctx.stop.check()
        records = (
            gateway.deal_tasks(row.deal_id or "")
            if row.kind == "create_task"
            else gateway.deal_notes(row.deal_id or "")
        )
        found = next((r for r in records if carries(r, row.key)), None)
        if found is not None:
            mark_done(ctx, [row], out, result_id=str(found.get("id") or "") or None)
        else:
            _back_to_pending(ctx, [row], now)


def _find_deals(
    ctx: ServiceContext,
    gateway: BrevoGateway,
    rows: list[OutboxRow],
    reference: str,
    out: Outcomes,
) -> None:
    """One walk over the deals created since the earliest attempt, matched by reference."""
    wanted = {r.key: r for r in rows}
    since = min((r.sent_at or r.created_at) for r in rows) - LOOKUP_MARGIN
    limit = ctx.pull.page_size or 100
    offset = 0
    while wanted:
        ctx.stop.check()
        page = gateway.list_deals_created_since(since, offset=offset, limit=limit)
        for item in page.items:
            attributes = item.get("attributes") or {}
            row = wanted.pop(str(attributes.get(reference) or ""), None)
            if row is not None:
                mark_done(ctx, [row], out, result_id=str(item.get("id")))
        if len(page.items) < limit or not page.items:
            break
        offset += len(page.items)
    # Not in Brevo: send again (one by one when an import was what did not land).
    for row in wanted.values():
        _back_to_pending(ctx, [row], ctx.clock(), via="single" if row.via == "import" else None)


def _back_to_pending(
    ctx: ServiceContext, rows: list[OutboxRow], now: datetime, *, via: str | None = None
) -> None:
    if not rows:
        return
    with ctx.uow() as uow:
        for row in rows:
            uow.outbox.update(row.id, {"state": "pending", "next_attempt_at": now, "via": via})
        uow.commit()
