"""`brevo-sync deals list`: mirrored deals, filtered by names, in a table or as JSON."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import typer

from brevo_sync.domain.reports import SORTABLE, DealRow
from brevo_sync.domain.rules.alerting import money
from brevo_sync.entrypoints.cli import deal_changes_cmd
from brevo_sync.entrypoints.cli.common import (
    JsonOption,
    build_container,
    plural,
    print_json,
    stderr,
    stdout,
)
from brevo_sync.entrypoints.cli.tables import Cell, Col, print_table
from brevo_sync.service.deals import DealFilter, DealListing, list_deals

DAY = ["%Y-%m-%d"]

LIST_HELP = f"""List mirrored deals, filtered and sorted. Reads the local mirror: no API key needed,
except once per owner named by an e-mail the mirror does not know yet (one Brevo request, then
remembered).

Pipelines and stages are given by id or by name, in any case, with or without spaces and
underscores: `closed won` finds Closed Won and CLOSED_WON in every pipeline (narrow it with
`--pipeline`). A name that matches nothing is an error that suggests the close ones.

Amounts are never compared across currencies: with `--min-amount`, `--max-amount` or
`--sort amount` over deals in several currencies, choose one with `--currency`. A deal without
a currency counts as the rules' default currency.

Sort fields: {", ".join(SORTABLE)}; a minus sign in front sorts descending (-amount).
Examples:

    brevo-sync deals list --stage 'closed won' --sort -amount

    brevo-sync deals list --owner ana@example.com --sort close

    brevo-sync deals list --min-amount 25000 --currency EUR --limit 0

    brevo-sync deals list --pipeline renewals --close-to 2026-12-31 --json

    brevo-sync deals list --closing this-quarter --sort close
"""


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None


def _stamp(value: datetime | date | None) -> str:
    return f"{value:%Y-%m-%d}" if value else ""


def _amount(row: DealRow, default_currency: str | None) -> str:
    if row["currency"] is None and row["amount"] is not None and default_currency:
        return money(row["amount"], default_currency) + "*"
    return money(row["amount"], row["currency"])


def deal_cells(row: DealRow, default_currency: str | None) -> list[Cell]:
    name = row["name"] or ""
    if row.get("deleted_at"):
        name += f" (deleted in Brevo {_stamp(row['deleted_at'])})"
    return [
        (row["id"], name),
        (
            row["stage_name"] or row["stage_id"] or "",
            row["pipeline_name"] or row["pipeline_id"] or "",
        ),
        row["owner_email"] or row["owner"] or "",
        _amount(row, default_currency),
        (_stamp(row["updated_at"]), _stamp(row["close_date"])),
    ]


DEAL_COLUMNS = (
    Col(("id", "name"), min_width=24),
    Col(("stage", "pipeline"), min_width=10),
    Col("owner", min_width=12),
    Col("amount", keep=True, right=True),
    Col(("updated", "close"), keep=True),
)


def footer(listing: DealListing) -> list[str]:
    """How many, whether the limit cut the list, and which database was read."""
    count = plural(len(listing.rows), "deal")
    lines = [f"{count} in {listing.database}{limit_note(listing.more, listing.limit)}"]
    if listing.empty_mirror:
        lines.append("The mirror has no pipelines yet: run `brevo-sync pull` to fill it.")
    if listing.default_currency:
        lines.append(f"* no currency on the deal: read as the default, {listing.default_currency}")
    lines += lookup_notes(listing.looked_up, listing.requests)
    return lines


def limit_note(more: bool, limit: int | None) -> str:
    """Said when the limit cut the list (the service read one row more to know)."""
    return f" (the limit of {limit} was reached: --limit 0 lists all)" if more else ""


def lookup_notes(looked_up: list[str], requests: dict[str, int]) -> list[str]:
    if not looked_up:
        return []
    spent = plural(sum(requests.values()), "Brevo request")
    return [f"Looked up {', '.join(looked_up)} in Brevo ({spent}); remembered for next time."]


def register(app: typer.Typer) -> None:
    deals_app = typer.Typer(
        help="Mirrored deals: `deals list`, `deals advance`, `deals assign`.",
        no_args_is_help=True,
    )

    @deals_app.command("list", help=LIST_HELP)
    def list_command(
        pipeline: str | None = typer.Option(None, help="Pipeline id or name."),
        stage: str | None = typer.Option(None, help="Stage id or name (all pipelines)."),
        owner: str | None = typer.Option(
            None, help="Owner: Brevo user id (24 hex characters) or e-mail."
        ),
        currency: str | None = typer.Option(
            None, help="Only deals in this currency (EUR, USD, ...)."
        ),
        min_amount: float | None = typer.Option(None, help="Amount at least this."),
        max_amount: float | None = typer.Option(None, help="Amount at most this."),
        created_from: datetime | None = typer.Option(None, formats=DAY, help="Created on/after."),
        created_to: datetime | None = typer.Option(None, formats=DAY, help="Created on/before."),
        close_from: datetime | None = typer.Option(None, formats=DAY, help="Close date on/after."),
        close_to: datetime | None = typer.Option(None, formats=DAY, help="Close date on/before."),
        closing: str | None = typer.Option(
            None,
            help="Open deals closing this-month, this-quarter or next-quarter (seed 000).",
        ),
        sort: str = typer.Option("-updated", help="Sort field; '-' in front for descending."),
        limit: int = typer.Option(50, min=0, help="At most this many deals; 0 for all."),
        include_deleted: bool = typer.Option(
            False, "--include-deleted", help="Also deals deleted in Brevo."
        ),
        as_json: bool = JsonOption,
    ) -> None:
        f = DealFilter(
            pipeline=pipeline,
            stage=stage,
            owner=owner,
            currency=currency,
            min_amount=min_amount,
            max_amount=max_amount,
            created_from=_day(created_from),
            created_to=_day(created_to),
            close_from=_day(close_from),
            close_to=_day(close_to),
            include_deleted=include_deleted,
            sort=sort,
            limit=limit or None,
            closing=closing,
        )
        container = build_container(writes=False)
        try:
            listing = list_deals(container.context, f)
        finally:
            container.close()
        if as_json:
            print_json(listing.rows)  # a list of rows: scripts rely on the shape
            for note in lookup_notes(listing.looked_up, listing.requests):
                stderr.print(note, markup=False)
            return
        show_listing(listing)

    deal_changes_cmd.register(deals_app)
    app.add_typer(deals_app, name="deals")


def show_listing(listing: DealListing) -> None:
    rows: list[list[Any]] = [deal_cells(r, listing.default_currency) for r in listing.rows]
    if rows:
        print_table(stdout, DEAL_COLUMNS, rows)
    for line in footer(listing):
        stdout.print(line, markup=False)
