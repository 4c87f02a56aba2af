"""`brevo-sync db upgrade`: apply schema migrations to the mirror database."""

from __future__ import annotations

import typer

from brevo_sync.entrypoints.cli.common import JsonOption, build_container, print_json, stdout
from brevo_sync.service.status import upgrade_schema

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


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
