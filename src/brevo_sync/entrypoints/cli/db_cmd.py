"""`brevo-sync db upgrade`: apply schema migrations to the mirror database."""

from __future__ import annotations

import typer

from brevo_sync.adapters.store.engine import create_mirror_engine
from brevo_sync.adapters.store.migrate import upgrade
from brevo_sync.entrypoints.cli.common import JsonOption, build_container, print_json, stdout

db_app = typer.Typer(help="The mirror database.", no_args_is_help=True)


@db_app.command(
    "upgrade",
    help="Bring BREVO_SYNC_DATABASE_URL's schema to this version's (Alembic). Safe to repeat.",
)
def upgrade_command(as_json: bool = JsonOption) -> None:
    container = build_container()
    engine = create_mirror_engine(container.settings.database_url)
    try:
        before, after = upgrade(engine)
    finally:
        engine.dispose()
    if as_json:
        print_json({"from": before, "to": after})
    elif before == after:
        stdout.print(f"Database already at {after}.")
    else:
        stdout.print(f"Database upgraded from {before or 'empty'} to {after}.")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
