"""`brevo-sync deals ...`: look at mirrored deals. Reads the local database only."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import typer
from rich.table import Table

from brevo_sync.adapters.store.views import SORTABLE, DealFilter, find_deals
from brevo_sync.entrypoints.cli.common import JsonOption, build_container, print_json, stdout

deals_app = typer.Typer(help="Mirrored deals.", no_args_is_help=True)

DAY = ["%Y-%m-%d"]


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None


def _money(row: dict[str, Any]) -> str:
    if row["amount"] is None:
        return ""
    return f"{row['amount']:,.2f} {row['currency'] or ''}".strip()


@deals_app.command(
    "list",
    help=(
        "List mirrored deals, filtered and sorted. No API key needed.\n\n"
        "Pipelines and stages can be given by id or by name (any case). Examples:\n\n"
        "    brevo-sync deals list --stage 'closed won' --sort -amount\n\n"
        "    brevo-sync deals list --owner ana@example.com --close-to 2026-12-31 --json"
    ),
)
def list_command(
    pipeline: str | None = typer.Option(None, help="Pipeline id or name."),
    stage: str | None = typer.Option(None, help="Stage id or name."),
    owner: str | None = typer.Option(None, help="Owner as Brevo reports it (id or email)."),
    min_amount: float | None = typer.Option(None, help="Amount at least this."),
    max_amount: float | None = typer.Option(None, help="Amount at most this."),
    created_from: datetime | None = typer.Option(None, formats=DAY, help="Created on/after."),
    created_to: datetime | None = typer.Option(None, formats=DAY, help="Created on/before."),
    close_from: datetime | None = typer.Option(None, formats=DAY, help="Close date on/after."),
    close_to: datetime | None = typer.Option(None, formats=DAY, help="Close date on/before."),
    sort: str = typer.Option(
        "-updated", help=f"One of {', '.join(SORTABLE)}; prefix '-' for descending."
    ),
    limit: int = typer.Option(50, min=0, help="At most this many deals; 0 for all."),
    include_deleted: bool = typer.Option(False, help="Also show deals deleted in Brevo."),
    as_json: bool = JsonOption,
) -> None:
    container = build_container()
    try:
        rows = find_deals(
            container.engine,
            DealFilter(
                pipeline=pipeline,
                stage=stage,
                owner=owner,
                min_amount=min_amount,
                max_amount=max_amount,
                created_from=_day(created_from),
                created_to=_day(created_to),
                close_from=_day(close_from),
                close_to=_day(close_to),
                include_deleted=include_deleted,
                sort=sort,
                limit=limit or None,
            ),
        )
    finally:
        container.close()
    if as_json:
        print_json(rows)
        return
    table = Table("id", "name", "pipeline", "stage", "owner", "amount", "close", "updated")
    for row in rows:
        table.add_row(
            row["id"],
            row["name"] or "",
            row["pipeline_name"] or row["pipeline_id"] or "",
            row["stage_name"] or row["stage_id"] or "",
            row["owner"] or "",
            _money(row),
            row["close_date"].isoformat() if row["close_date"] else "",
            row["updated_at"].strftime("%Y-%m-%d %H:%M") if row["updated_at"] else "",
        )
    stdout.print(table)
    stdout.print(
        f"{len(rows)} deals" + (" (limit reached)" if limit and len(rows) == limit else "")
    )


def register(app: typer.Typer) -> None:
    app.add_typer(deals_app, name="deals")
