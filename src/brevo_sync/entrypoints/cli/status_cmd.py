"""`brevo-sync status`: what the mirror holds and what syncing has cost. Reads only."""

from __future__ import annotations

from dataclasses import asdict

import typer

from brevo_sync.adapters.store.views import mirror_status
from brevo_sync.entrypoints.cli.common import (
    JsonOption,
    build_container,
    fmt_time,
    print_json,
    stdout,
)

HELP = """Show the mirror: deals mirrored, the sync cursor, the last sync, Brevo requests spent
and the request budget left as Brevo last reported it. Reads the local database only: no API
key needed and no Brevo request spent."""


def register(app: typer.Typer) -> None:
    @app.command("status", help=HELP)
    def status_command(as_json: bool = JsonOption) -> None:
        container = build_container()
        try:
            status = mirror_status(container.engine)
        finally:
            container.close()
        if as_json:
            print_json(asdict(status))
            return
        lines = [
            f"Deals mirrored:   {status.deals} ({status.tombstones} deleted in Brevo, "
            f"{status.quarantined} records quarantined)",
            f"Pipelines:        {status.pipelines}",
            f"Cursor:           {fmt_time(status.cursor)}",
            f"Last sync:        {fmt_time(status.last_success_at)} "
            f"(last full read {fmt_time(status.last_full_at)})",
        ]
        if status.unfinished_run:
            run = status.unfinished_run
            lines.append(
                f"Unfinished pull:  started {fmt_time(run['started_at'])}, "
                f"{run['offset']} deals read; the next `pull` resumes it"
            )
        last = status.last_run
        if last:
            lines.append(
                f"Last command:     {last['command']} {last['outcome']} at "
                f"{fmt_time(last['finished_at'])}, {last['requests_total']} requests"
            )
        lines.append(f"Requests spent:   {status.requests_total} in all")
        if status.budget:
            b = status.budget
            lines.append(
                f"Budget left:      {b['remaining']} of {b['limit']} requests, window resets "
                f"{fmt_time(b['reset_at'])}"
            )
        else:
            lines.append("Budget left:      unknown until the first request")
        stdout.print("\n".join(lines))
