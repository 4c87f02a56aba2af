"""`brevo-sync pull`: mirror Brevo deals into the local database."""

from __future__ import annotations

from dataclasses import asdict

import typer

from brevo_sync.bootstrap import Container, utc_now
from brevo_sync.entrypoints.cli.common import (
    JsonOption,
    build_container,
    fmt_time,
    page_progress,
    print_json,
    stdout,
)
from brevo_sync.errors import BrevoError
from brevo_sync.service.pull import PullReport, pull

HELP = """Mirror Brevo deals (and their pipelines and attribute catalogue) into the local database.

The first pull reads everything; later pulls read only deals modified since the last one
(`modifiedSince`, with an overlap window), so a pull with no changes costs a single request.
Progress is committed page by page: if Brevo fails, the budget runs out or the process is
killed, the next `pull` resumes exactly where this one stopped, losing and repeating nothing.

Needs BREVO_API_KEY. Reports the Brevo requests it spent, by endpoint.
"""


def run_pull(container: Container, *, full: bool, show_progress: bool) -> PullReport:
    """Pull with a run record, so `status` can report what each command spent."""
    mirror = container.mirror
    gateway = container.gateway
    run_id = mirror.start_run("pull", utc_now())
    mark = gateway.requests.snapshot()
    label = "Reading deals from Brevo"
    try:
        with page_progress(label, enabled=show_progress) as progress:
            report = pull(
                gateway,
                mirror,
                options=container.pull_options,
                clock=utc_now,
                full=full,
                progress=progress,
            )
    except BrevoError as exc:
        spent = gateway.requests.since(mark)
        mirror.finish_run(
            run_id,
            outcome="failed",
            requests=spent,
            deals_written=0,
            detail=str(exc),
            now=utc_now(),
        )
        raise BrevoError(
            f"{exc} (spent {sum(spent.values())} requests; progress is saved, run `pull` again "
            "to resume)",
            status=exc.status,
            endpoint=exc.endpoint,
        ) from exc
    mirror.finish_run(
        run_id,
        outcome="ok",
        requests=report.requests,
        deals_written=report.deals_written,
        detail=None,
        now=utc_now(),
    )
    return report


def report_json(report: PullReport) -> dict[str, object]:
    return {**asdict(report), "requests_total": report.requests_total}


def _requests(n: int) -> str:
    return f"{n} Brevo request" + ("" if n == 1 else "s")


def describe(report: PullReport) -> str:
    kind = "full read" if report.full else "incremental"
    if report.resumed:
        kind += ", resumed"
    by_endpoint = ", ".join(f"{k} {v}" for k, v in sorted(report.requests.items()))
    return (
        f"Pulled {report.deals_read} deals ({kind}) in {_requests(report.requests_total)}: "
        f"{report.deals_written} written, {report.deals_unchanged} unchanged, "
        f"{report.stage_changes} stage changes, {report.quarantined} quarantined.\n"
        f"Requests: {by_endpoint or 'none'}\n"
        f"Cursor: {fmt_time(report.cursor)}"
    )


def register(app: typer.Typer) -> None:
    @app.command("pull", help=HELP)
    def pull_command(
        full: bool = typer.Option(
            False, "--full", help="Read every deal again (also re-reads pipelines/attributes)."
        ),
        as_json: bool = JsonOption,
    ) -> None:
        container = build_container()
        try:
            report = run_pull(container, full=full, show_progress=not as_json)
        finally:
            container.close()
        if as_json:
            print_json(report_json(report))
        else:
            stdout.print(describe(report))
