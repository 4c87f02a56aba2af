"""The `brevo-sync` command line.

Exit codes: 0 success; 1 the work failed; 2 bad usage or configuration; 130 stopped by a
signal (the run stopped at a safe point and is recorded). Errors are one line on stderr, never
a traceback (set BREVO_SYNC_LOG_LEVEL=DEBUG to see one in the logs).
"""

from __future__ import annotations

import os
import sys

import structlog
import typer

from brevo_sync import __version__
from brevo_sync.config import unknown_variables
from brevo_sync.entrypoints.cli import (
    alerts_cmd,
    analytics_cmd,
    commission_cmd,
    db_cmd,
    deals_cmd,
    demo_cmd,
    forecast_cmd,
    inbox_cmd,
    orders_cmd,
    outbox_cmd,
    pull_cmd,
    push_cmd,
    reconcile_cmd,
    renewals_cmd,
    report_cmd,
    rules_cmd,
    run_cmd,
    sandbox_cmd,
    serve_cmd,
    stale_cmd,
    status_cmd,
    tokens_cmd,
)
from brevo_sync.errors import BrevoSyncError, ConfigError, Interrupted, UsageError

app = typer.Typer(
    name="brevo-sync",
    help=(
        "Keep Brevo CRM deals and your own systems in step.\n\n"
        "Start with `brevo-sync demo` (a local Brevo sandbox, no API key needed). Against the "
        "real Brevo set BREVO_API_KEY, then `brevo-sync pull` mirrors every deal into "
        "BREVO_SYNC_DATABASE_URL (default: ./brevo_sync.db) spending as few of Brevo's ~100 "
        "requests an hour as it can, and runs the sales rules over the mirror; `status`, "
        "`deals list`, `alerts` and `stale` read the mirror offline."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="markdown",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"brevo-sync {__version__}")
        raise typer.Exit


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Keep Brevo CRM deals and your own systems in step."""


for module in (
    serve_cmd,
    tokens_cmd,
    pull_cmd,
    push_cmd,
    outbox_cmd,
    inbox_cmd,
    orders_cmd,
    renewals_cmd,
    reconcile_cmd,
    status_cmd,
    deals_cmd,
    alerts_cmd,
    stale_cmd,
    forecast_cmd,
    analytics_cmd,
    commission_cmd,
    report_cmd,
    db_cmd,
    rules_cmd,
    run_cmd,
    sandbox_cmd,
):
    module.register(app)
demo_cmd.register(app)


def main() -> None:
    """Console script entry: run the app, turning our errors into one line and an exit code."""
    for warning in unknown_variables(os.environ):
        typer.echo(f"brevo-sync: warning: {warning}", err=True)
    try:
        app()
    except (ConfigError, UsageError) as exc:
        typer.echo(f"brevo-sync: {exc}", err=True)
        sys.exit(2)
    except Interrupted as exc:
        typer.echo(
            f"brevo-sync: {exc}: stopped at a safe point; the run is recorded and the next "
            "one resumes",
            err=True,
        )
        sys.exit(130)
    except BrevoSyncError as exc:
        structlog.get_logger(__name__).debug("command failed", exc_info=True)
        typer.echo(f"brevo-sync: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        typer.echo(
            "brevo-sync: interrupted at once; the open transaction was rolled back", err=True
        )
        sys.exit(130)
    except Exception as exc:  # a bug: still one line for the operator, the trace in DEBUG logs
        structlog.get_logger(__name__).debug("unexpected error", exc_info=True)
        typer.echo(f"brevo-sync: internal error: {exc.__class__.__name__}: {exc}", err=True)
        sys.exit(1)
