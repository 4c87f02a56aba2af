"""`brevo-sync pull`: mirror Brevo deals into the local database, then sweep the time rules."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import typer

from brevo_sync.entrypoints.cli.common import JsonOption, fmt_time, plural
from brevo_sync.entrypoints.cli.paged_run import run_paged
from brevo_sync.service.pull import PullReport, pull_deals

HELP = """Mirror Brevo deals (and their pipelines and attribute catalogue) into the local
database, then run the time rules over it (`brevo-sync alerts` lists what they raised).

The first pull reads everything; later pulls read only deals modified since the last one
(`modifiedSince`, with an overlap window), so a pull with no changes costs a single request.
Progress is committed page by page: if Brevo fails, the budget runs out or the process is
stopped (Ctrl-C and SIGTERM finish the page in hand), the next `pull` resumes exactly where
this one stopped, losing and repeating nothing. Stage moves made in Brevo land in the stage
history, and what the rules decide about them is recorded for the write path.

Needs BREVO_API_KEY. Reports the Brevo requests it spent, by endpoint.
"""


def report_json(report: PullReport, database: str) -> dict[str, Any]:
    document = {**asdict(report), "requests_total": report.requests_total, "database": database}
    if report.sweep is not None:
        document["sweep"] = {**asdict(report.sweep), "total": report.sweep.total}
    return document


def describe(report: PullReport) -> str:
    kind = "full read" if report.full else "incremental"
    if report.resumed:
        kind += ", resumed"
    by_endpoint = ", ".join(f"{k} {v}" for k, v in sorted(report.requests.items()))
    lines = [
        f"Pulled {plural(report.deals_read, 'deal')} ({kind}) in "
        f"{plural(report.requests_total, 'Brevo request')}: {report.deals_written:,} written, "
        f"{report.deals_unchanged:,} unchanged, {plural(report.stage_changes, 'stage move')}, "
        f"{report.quarantined:,} quarantined.",
        f"Requests: {by_endpoint or 'none'}",
        f"Cursor: {fmt_time(report.cursor)}",
    ]
    if report.decisions:
        lines.append(f"Rule decisions recorded for the write path: {report.decisions:,}")
    if report.page_size_learned:
        lines.append(
            f"Page size: Brevo {report.page_size_learned} deals a page; "
            f"{report.page_size} is used from now on"
        )
    if report.sweep is not None:
        lines.append(
            f"Time rules: {plural(report.sweep.total, 'new alert')} "
            "(`brevo-sync alerts --open` lists them)"
        )
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    @app.command("pull", help=HELP)
    def pull_command(
        full: bool = typer.Option(
            False, "--full", help="Read every deal again (also re-reads pipelines/attributes)."
        ),
        as_json: bool = JsonOption,
    ) -> None:
        run_paged(
            "Reading deals from Brevo",
            lambda ctx, progress: pull_deals(ctx, full=full, progress=progress),
            as_json=as_json,
            to_json=report_json,
            describe=describe,
        )
