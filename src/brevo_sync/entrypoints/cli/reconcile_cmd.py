"""`brevo-sync reconcile [--repair]`: walk Brevo's complete deal list and compare the mirror."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import typer

from brevo_sync.entrypoints.cli.common import JsonOption, fmt_time, plural
from brevo_sync.entrypoints.cli.paged_run import run_paged
from brevo_sync.service.reconcile import reconcile
from brevo_sync.service.reconcile_report import ReconcileReport

HELP = """Walk Brevo's complete deal list (`GET /crm/deals`, page by page) and compare it with
the mirror: deals missing locally, deals whose fields drifted, and deals gone from Brevo. A
deal is "gone" only after a complete walk did not see it and `GET /crm/deals/{id}` answered
404 (offset paging over a list that shrinks can skip a neighbour, so absence alone proves
nothing). With --repair the mirror is fixed: missing and drifted deals are written as Brevo
has them, gone ones become tombstones (`deals list --include-deleted` still shows them).
Without it, only the walk's own position is stored.

A run spends at most BREVO_SYNC_RECONCILE_BUDGET_SHARE of the request budget window, then
stops at a page boundary; the next run resumes the walk where this one stopped (so does a run
stopped by Ctrl-C or a failure). Needs BREVO_API_KEY. Reports the requests it spent, by
endpoint, and how much of the account the walk has covered.
"""


def report_json(report: ReconcileReport, database: str) -> dict[str, Any]:
    return {
        **asdict(report),
        "coverage": round(report.coverage, 4),
        "requests_total": report.requests_total,
        "database": database,
    }


def _walk_line(r: ReconcileReport) -> str:
    if r.phase == "complete":
        return (
            f"Walk complete: {plural(r.walk_deals, 'deal')} in "
            f"{plural(r.walk_pages, 'page')} (started {fmt_time(r.walk_started_at)}); "
            "the next run starts a new walk."
        )
    if r.phase == "confirm":
        return (
            f"Walk read every page ({plural(r.walk_deals, 'deal')} in "
            f"{plural(r.walk_pages, 'page')}); {plural(r.suspects_left, 'suspect')} still to "
            "ask Brevo about: the next run goes on."
        )
    if r.walk_started_at is None:
        return "No walk in progress: nothing could be spent on one in this budget window."
    return (
        f"Walk covered {r.walk_deals:,} of ~{r.estimated_total:,} deals ({r.coverage:.0%}; "
        f"{r.walk_pages:,} of ~{r.estimated_pages:,} pages) since "
        f"{fmt_time(r.walk_started_at)}; the next run resumes it."
    )


def describe(r: ReconcileReport) -> str:
    by_endpoint = ", ".join(f"{k} {v}" for k, v in sorted(r.requests.items()))
    cap = "unknown" if r.allowance is None else str(r.allowance)
    lines = [
        f"Reconciled {plural(r.deals_walked, 'deal')} in {plural(r.pages, 'page')}"
        f"{' (walk resumed)' if r.resumed else ''}, {plural(r.requests_total, 'Brevo request')} "
        f"(share {r.budget_share:g} of the window: at most {cap} this run).",
        f"Requests: {by_endpoint or 'none'}",
        _walk_line(r),
        f"Missing locally: {r.missing:,}; drifted: {r.drifted:,} ({r.behind:,} behind Brevo, "
        f"{r.differs:,} different at the same version); gone from Brevo: {r.gone:,}.",
    ]
    if r.drift_fields:
        top = sorted(r.drift_fields.items(), key=lambda kv: (-kv[1], kv[0]))[:6]
        lines.append("Drifted fields: " + ", ".join(f"{k} {v}" for k, v in top))
    if r.suspects_checked:
        lines.append(
            f"Asked Brevo about {plural(r.suspects_checked, 'deal')} the walk did not see: "
            f"{r.gone:,} gone (404), {r.skipped_by_paging:,} still there (skipped by paging)."
        )
    if r.pending_local:
        lines.append(f"Not drift: {r.pending_local:,} with our own changes on their way (push).")
    if r.unreadable:
        lines.append(f"Unreadable records: {r.unreadable:,} (a pull quarantines them).")
    if r.repair:
        lines.append(
            f"Repaired: {plural(r.repaired, 'deal')} written from Brevo, "
            f"{plural(r.tombstoned, 'tombstone')}."
        )
    elif r.missing or r.drifted or r.gone:
        lines.append("Nothing was changed: `brevo-sync reconcile --repair` fixes the mirror.")
    for kind in ("missing", "behind", "differs", "gone"):
        if r.examples.get(kind):
            lines.append(f"  {kind}: {', '.join(r.examples[kind])}")
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    @app.command("reconcile", help=HELP)
    def reconcile_command(
        repair: bool = typer.Option(
            False, "--repair", help="Fix the mirror (write missing/drifted, tombstone gone)."
        ),
        as_json: bool = JsonOption,
    ) -> None:
        run_paged(
            "Walking Brevo's deals",
            lambda ctx, progress: reconcile(ctx, repair=repair, progress=progress),
            as_json=as_json,
            to_json=report_json,
            describe=describe,
        )
