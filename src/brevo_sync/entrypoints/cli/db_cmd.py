"""`brevo-sync db upgrade`: apply schema migrations to the mirror database.
`brevo-sync db prune`: keep BREVO_SYNC_HISTORY_DAYS of the mirror's own history."""

from __future__ import annotations

from datetime import timedelta

import typer

from brevo_sync.entrypoints.cli.common import (
    JsonOption,
    build_container,
    fmt_time,
    plural,
    print_json,
    stdout,
)
from brevo_sync.service.retention import prune_history
from brevo_sync.service.status import upgrade_schema

PRUNE_HELP = (
    "Keep the mirror's own history short: each command's run records older than the "
    "history are folded into one row (their requests and deals summed, so `status`'s totals "
    "stay), the daemon's run log and processed webhook deliveries older than it are deleted. "
    "Deals, stage history, the outbox and dead deliveries are never touched. The daemon does "
    "this daily (BREVO_SYNC_PRUNE_INTERVAL_SECONDS). Example: `brevo-sync db prune "
    "--older-than 30 --dry-run`."
)

db_app = typer.Typer(help="The mirror database.", no_args_is_help=True)


@db_app.command(
    "upgrade",
    help="Bring BREVO_SYNC_DATABASE_URL's schema to this version's (Alembic), creating the "
    "database when it is new. Safe to repeat.",
)
def upgrade_command(as_json: bool = JsonOption) -> None:
    container = build_container()
    try:
        before, after = upgrade_schema(container.context)
    finally:
        container.close()
    database = container.context.database
    if as_json:
        print_json({"database": database, "from": before, "to": after})
    elif before == after:
        stdout.print(f"Database {database} already at {after}.", markup=False)
    else:
        stdout.print(
            f"Database {database} upgraded from {before or 'empty'} to {after}.", markup=False
        )


@db_app.command("prune", help=PRUNE_HELP)
def prune_command(
    older_than: float | None = typer.Option(
        None,
        "--older-than",
        min=1,
        metavar="DAYS",
        help="Keep this many days (default BREVO_SYNC_HISTORY_DAYS, 90).",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Count what would go; change nothing."),
    as_json: bool = JsonOption,
) -> None:
    container = build_container(writes=False)
    try:
        days = older_than if older_than is not None else container.settings.history_days
        report = prune_history(container.context, timedelta(days=days), dry_run=dry_run)
    finally:
        container.close()
    if as_json:
        print_json(
            {
                "before": report.before,
                "dry_run": report.dry_run,
                "runs_folded": report.runs_folded,
                "job_runs_deleted": report.job_runs,
                "inbox_rows_deleted": report.inbox_rows,
            }
        )
        return
    verb = "would go" if dry_run else "went"
    stdout.print(
        f"History before {fmt_time(report.before)}: {plural(report.runs_folded, 'run record')} "
        f"folded, {plural(report.job_runs, 'daemon run')} and "
        f"{plural(report.inbox_rows, 'processed delivery', 'processed deliveries')} {verb}.",
        markup=False,
    )


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
