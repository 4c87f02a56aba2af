"""`brevo-sync run [--once] [--no-http] [--host] [--port]`: the daemon."""

from __future__ import annotations

from typing import Any

import typer

from brevo_sync.domain.jobs import Finished
from brevo_sync.entrypoints.cli.common import (
    JsonOption,
    build_container,
    fmt_time,
    print_json,
    stdout,
    stop_on_signals,
)
from brevo_sync.errors import Interrupted

HELP = """Run the worker for good: pull, push, the rules sweep, the inbox, renewals and delete
detection, each on its schedule (BREVO_SYNC_*_INTERVAL_SECONDS), spending one request budget by
priority (changes sent first, pulls next, delete detection with what is left), with the HTTP
side of `serve` in the same process unless --no-http.

The pull adapts: every BREVO_SYNC_PULL_INTERVAL_SECONDS while changes come, backing off to
BREVO_SYNC_PULL_MAX_INTERVAL_SECONDS while nothing changes; with Brevo's webhooks configured
(BREVO_SYNC_BREVO_WEBHOOK_TOKEN) they pull early and the poll runs hourly as a safety net.
Several `run` processes on one PostgreSQL database share the work (each run once); a SQLite
mirror takes one. SIGTERM or Ctrl-C finishes the page or row in hand and exits 0 within
BREVO_SYNC_STOP_TIMEOUT_SECONDS; a second one stops at once.

--once runs every job that is due once and exits (for cron and tests): 1 when a job failed."""


def _row(name: str, finished: Finished | None) -> dict[str, Any]:
    if finished is None:
        return {"job": name, "outcome": "not due", "requests": 0, "detail": None, "next": None}
    return {
        "job": name,
        "outcome": finished.outcome,
        "requests": finished.requests,
        "detail": finished.detail,
        "next": finished.next_due_at,
    }


def register(app: typer.Typer) -> None:
    @app.command("run", help=HELP)
    def run_command(
        once: bool = typer.Option(False, "--once", help="Run every due job once, then exit."),
        no_http: bool = typer.Option(False, "--no-http", help="Do not serve the HTTP side."),
        host: str = typer.Option("127.0.0.1", help="Address the HTTP side listens on."),
        port: int = typer.Option(8080, min=1, max=65535, help="Port of the HTTP side."),
        as_json: bool = JsonOption,
    ) -> None:
        from brevo_sync.entrypoints.daemon import Daemon

        container = build_container()
        try:
            with container.daemon_guard():
                if once:
                    _once(Daemon(container), as_json)
                    return
                daemon = Daemon(container, http=None if no_http else (host, port))
                code = daemon.run_forever()
        finally:
            container.close()
        raise typer.Exit(code)


def _once(daemon: Any, as_json: bool) -> None:
    with stop_on_signals(daemon.container.stop):
        done = daemon.jobs.run_due()
    rows = [_row(name, finished) for name, finished in done.items()]
    if as_json:
        print_json({"database": daemon.container.context.database, "jobs": rows})
    else:
        for r in rows:
            line = f"{r['job']:<10} {r['outcome']:<11} {r['requests']:>4} requests"
            if r["next"] is not None:
                line += f"  next {fmt_time(r['next'])}"
            stdout.print(line + (f"  {r['detail']}" if r["detail"] else ""), markup=False)
    if any(r["outcome"] == "interrupted" for r in rows):
        raise Interrupted(daemon.container.stop.reason)
    if any(r["outcome"] == "failed" for r in rows):
        raise typer.Exit(1)
