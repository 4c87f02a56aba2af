"""The `brevo-sync` command line.

Exit codes: 0 success; 1 the work failed; 2 bad usage or configuration. Errors are one line
on stderr, never a traceback (set BREVO_SYNC_LOG_LEVEL=DEBUG to see one in the logs).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import structlog
import typer

from brevo_sync.adapters.store.engine import create_mirror_engine
from brevo_sync.adapters.store.views import mirror_pipelines
from brevo_sync.config import load_settings
from brevo_sync.domain.deal import Pipeline
from brevo_sync.entrypoints.cli import (
    db_cmd,
    deals_cmd,
    demo_cmd,
    pull_cmd,
    rules_cmd,
    sandbox_cmd,
    status_cmd,
)
from brevo_sync.errors import BrevoSyncError, ConfigError, UsageError

app = typer.Typer(
    name="brevo-sync",
    help=(
        "Keep Brevo CRM deals and your own systems in step.\n\n"
        "Start with `brevo-sync demo` (a local Brevo sandbox, no API key needed). Against the "
        "real Brevo set BREVO_API_KEY, then `brevo-sync pull` mirrors every deal into "
        "BREVO_SYNC_DATABASE_URL (default: ./brevo_sync.db) spending as few of Brevo's ~100 "
        "requests an hour as it can; `status` and `deals list` read the mirror offline."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="markdown",
)


def _mirror_pipelines(database_url: str) -> Sequence[Pipeline]:
    """For `rules check`: the mirror's pipelines, read without creating anything."""
    engine = create_mirror_engine(load_settings(database_url=database_url).database_url)
    try:
        return mirror_pipelines(engine)
    finally:
        engine.dispose()


for module in (pull_cmd, status_cmd, deals_cmd, db_cmd, sandbox_cmd, demo_cmd):
    module.register(app)
rules_cmd.register(app, load_pipelines=_mirror_pipelines)


def main() -> None:
    """Console script entry: run the app, turning our errors into one line and an exit code."""
    try:
        app()
    except (ConfigError, UsageError) as exc:
        typer.echo(f"brevo-sync: {exc}", err=True)
        sys.exit(2)
    except BrevoSyncError as exc:
        structlog.get_logger(__name__).debug("command failed", exc_info=True)
        typer.echo(f"brevo-sync: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        typer.echo("brevo-sync: interrupted; work done so far is saved", err=True)
        sys.exit(130)
    except Exception as exc:  # a bug: still one line for the operator, the trace in DEBUG logs
        structlog.get_logger(__name__).debug("unexpected error", exc_info=True)
        typer.echo(f"brevo-sync: internal error: {exc.__class__.__name__}: {exc}", err=True)
        sys.exit(1)
