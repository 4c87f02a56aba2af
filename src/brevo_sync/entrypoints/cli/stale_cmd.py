"""`brevo-sync stale`: seed 000's stale high-value deals, biggest first."""

from __future__ import annotations

from typing import Any

import typer

from brevo_sync.domain.reports import DealRow
from brevo_sync.domain.rules.alerting import money, plural_days
from brevo_sync.entrypoints.cli.common import (
    JsonOption,
    build_container,
    plural,
    print_json,
    stdout,
)
from brevo_sync.entrypoints.cli.tables import Cell, Col, print_table
from brevo_sync.service.alerts import StaleListing, list_stale

HELP = """List open deals worth more than the rules' stale threshold that nobody has updated
for its number of days (seed 000: over 25,000 in the default currency, 14 days), biggest
first, with amount, owner, stage and days since the last update. Reads the local mirror only.

The threshold is the rules file's `time_rules: stale_high_value:`; amounts in other
currencies are never held against it (nothing converts), and a deal without a currency
counts as the default one. Examples:

    brevo-sync stale

    brevo-sync stale --json
"""

STALE_COLUMNS = (
    Col(("id", "name"), min_width=24),
    Col("amount", keep=True, right=True),
    Col("days", keep=True, right=True),
    Col(("stage", "pipeline"), min_width=10),
    Col("owner", min_width=12),
)


def stale_cells(row: DealRow, default_currency: str | None) -> list[Cell]:
    days = row["days_without_update"]
    return [
        (row["id"], row["name"] or ""),
        money(row["amount"], row["currency"] or default_currency),
        "" if days is None else str(days),
        (
            row["stage_name"] or row["stage_id"] or "",
            row["pipeline_name"] or row["pipeline_id"] or "",
        ),
        row["owner_email"] or row["owner"] or "",
    ]


def summary(listing: StaleListing) -> str:
    rule = listing.rule
    threshold = money(float(rule.min_amount), rule.currency)
    what = (
        f"open deals over {threshold} without an update for {plural_days(rule.days_without_update)}"
    )
    if not listing.rows:
        return f"No {what} in {listing.database}."
    return f"{plural(len(listing.rows), 'stale deal')}: {what}, in {listing.database}"


def register(app: typer.Typer) -> None:
    @app.command(
        "stale", help=HELP, short_help="Open high-value deals nobody updated lately (seed 000)."
    )
    def stale_command(as_json: bool = JsonOption) -> None:
        container = build_container(writes=False)
        try:
            listing = list_stale(container.context)
        finally:
            container.close()
        if as_json:
            print_json(listing.rows)
            return
        rows: list[list[Any]] = [stale_cells(r, listing.rule.currency) for r in listing.rows]
        if rows:
            print_table(stdout, STALE_COLUMNS, rows)
        stdout.print(summary(listing), markup=False)
