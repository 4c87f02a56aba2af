"""Brevo's bulk deal import: many creations and updates for the price of one request.

`POST /crm/deals/import` takes a multipart form: `file`, a CSV whose header row holds
attribute internal names (`deal_id` to update that deal; `associated_contact` and
`associated_company` to link), and `mapping`, JSON options. Brevo answers `{processId}` at
once and applies the rows later: nothing in the answer says which deals were created or
whether a row failed, so the rows stay unconfirmed until a pull shows them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import brevo

from brevo_sync.adapters.brevo.bodies import created_id
from brevo_sync.adapters.brevo.calls import BrevoCaller
from brevo_sync.adapters.brevo.errors import BrevoOutcomeUnknown
from brevo_sync.adapters.brevo.times import format_since

DEAL_ID = "deal_id"
NAME = "deal_name"


def cell(value: Any) -> str:
    """One CSV cell: empty for None, `true`/`false`, numbers as Python spells them, dates in
    Brevo's UTC spelling, lists (multi-choice options, linked ids) joined by commas."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_since(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ",".join(cell(v) for v in value)
    return str(value)


def deals_csv(rows: Sequence[Mapping[str, Any]], *, update_existing: bool) -> bytes:
    """The import file: one column per attribute any row names (`deal_id` first), in the
    order they first appear; a row without a column gets an empty cell, which Brevo leaves
    alone (`unset_empty_attributes` is false). UTF-8, CRLF line ends, quoted where needed.

    ValueError (before any request is spent) for no rows, a `deal_id` when not updating, and
    a new deal (no `deal_id`) without a `deal_name`."""
    if not rows:
        raise ValueError("an import needs at least one row")
    columns: dict[str, None] = {}
    for number, row in enumerate(rows, 1):
        has_id = bool(cell(row.get(DEAL_ID)))
        if has_id and not update_existing:
            raise ValueError(f"row {number} has a deal_id but update_existing is false")
        if not has_id and not cell(row.get(NAME)).strip():
            raise ValueError(f"row {number} creates a deal and needs a deal_name")
        for name in row:
            if not name or not isinstance(name, str):
                raise ValueError(f"row {number} has a column without a name")
            columns.setdefault(name, None)
    header = sorted(columns, key=lambda name: name != DEAL_ID)  # stable: deal_id first
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([cell(row.get(name)) for name in header])
    return out.getvalue().encode("utf-8")


def import_mapping(*, update_existing: bool) -> dict[str, bool]:
    return {
        "link_entities": True,
        "unlink_entities": False,
        "update_existing_records": update_existing,
        "unset_empty_attributes": False,
    }


class DealImports:
    """Needs `_sdk` and `_caller` (see SdkBrevoGateway)."""

    _sdk: brevo.Brevo
    _caller: BrevoCaller

    def import_deals(self, rows: Sequence[Mapping[str, Any]], *, update_existing: bool) -> int:
        """One `POST /crm/deals/import` carrying every row; returns Brevo's processId.

        Rows map attribute internal names to values (`deal_name`, `amount`, `pipeline`,
        `deal_stage`, custom ones...); with `update_existing`, a row with `deal_id` updates
        that deal and a row without one creates a deal; without it every row creates.
        Contacts and companies to link go in `associated_contact` / `associated_company`
        (lists are joined by commas).

        One request per call, never repeated after Brevo may have received it (5xx, lost
        answer, a 2xx without a processId): BrevoOutcomeUnknown, and the rows' fate shows
        only in a later pull (the creations carry our reference attribute)."""
        content = deals_csv(rows, update_existing=update_existing)
        raw = self._sdk.deals.with_raw_response
        response = self._caller.call(
            "POST",
            "/crm/deals/import",
            lambda: (
                raw.import_deals_creation_and_updation(
                    file=("deals.csv", content, "text/csv"),
                    mapping=import_mapping(update_existing=update_existing),
                ).response
            ),
        )
        process = created_id(response, "POST /crm/deals/import", key="processId")
        try:
            return int(process)
        except ValueError:  # documented as an integer; anything else is not ours to guess
            raise BrevoOutcomeUnknown(
                f"POST /crm/deals/import: HTTP {response.status_code} with processId "
                f"{process!r}, not a number; the import was probably accepted",
                status=response.status_code,
                endpoint="POST /crm/deals/import",
            ) from None
