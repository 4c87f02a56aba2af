"""Fit what rows write to the account's attribute catalogue before anything is sent: a
single-select value Brevo would refuse (400 for the whole deal) is left out, the reason
kept in the row's payload (`left_out`), so the rest of the change still lands
(`domain.outbox.fit_to_catalogue`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from brevo_sync.domain.outbox import OutboxRow, fit_to_catalogue
from brevo_sync.service.context import ServiceContext


def fit_rows(ctx: ServiceContext, rows: Sequence[OutboxRow]) -> list[OutboxRow]:
    with ctx.uow() as uow:
        catalogue = {a.internal_name: a for a in uow.catalog.attributes()}
        out: list[OutboxRow] = []
        for row in rows:
            attributes = row.payload.get("attributes")
            if row.kind not in ("update_deal", "create_deal") or not attributes:
                out.append(row)
                continue
            fitted, problems = fit_to_catalogue(attributes, catalogue)
            if not problems:
                out.append(row)
                continue
            # Kept in the row itself (`outbox show`), which outlives its delivery.
            payload = {**row.payload, "attributes": fitted, "left_out": problems}
            uow.outbox.update(row.id, {"payload": payload})
            out.append(replace(row, payload=payload))
        uow.commit()
    return out
