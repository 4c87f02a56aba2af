"""`brevo-sync status`: what the mirror holds and what syncing has cost. Reads only."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import typer

from brevo_sync.domain.budget import BudgetSnapshot
from brevo_sync.domain.jobs import BUDGET_PRIORITY
from brevo_sync.entrypoints.cli.common import (
    JsonOption,
    build_container,
    fmt_time,
    plural,
    print_json,
    stdout,
)
from brevo_sync.service.daemon_status import DaemonStatus
from brevo_sync.service.status import StatusReport, mirror_status

HELP = """Show the mirror: deals mirrored, the sync cursor, the last sync, Brevo requests spent,
the request budget and which limit applies (Brevo's rate-limit headers, or the local ceiling
BREVO_SYNC_REQUESTS_PER_HOUR when Brevo sends none), open alerts and pending rule decisions.
Reads the local database only: no API key needed, no Brevo request spent, nothing created."""


def budget_line(report: StatusReport) -> str:
    budget: BudgetSnapshot | None = report.mirror.budget
    if budget is None or budget.source == "unknown":
        return "unknown until the first request"
    if budget.source == "local":
        return (
            f"{budget.remaining} of {budget.limit} requests left under the local ceiling "
            f"(Brevo sends no rate-limit headers; BREVO_SYNC_REQUESTS_PER_HOUR="
            f"{report.requests_per_hour}), next request frees up {fmt_time(budget.reset_at)}"
        )
    return (
        f"{budget.remaining} of {budget.limit} requests left as Brevo reported it, "
        f"window resets {fmt_time(budget.reset_at)}"
    )


def describe(report: StatusReport) -> str:
    s = report.mirror
    lines = [
        f"Mirror:           {report.database}",
        f"Deals mirrored:   {s.deals:,} ({s.tombstones:,} deleted in Brevo, "
        f"{plural(s.quarantined, 'record')} quarantined)",
        f"Pipelines:        {s.pipelines}",
        f"Cursor:           {fmt_time(s.cursor)}",
        f"Last sync:        {fmt_time(s.last_success_at)} "
        f"(last full read {fmt_time(s.last_full_at)})",
    ]
    if s.unfinished_run:
        lines.append(
            f"Unfinished pull:  started {fmt_time(s.unfinished_run.started_at)}, "
            f"{plural(s.unfinished_run.offset, 'deal')} read; the next `pull` resumes it"
        )
    if s.last_run:
        last = s.last_run
        lines.append(
            f"Last command:     {last.command} {last.outcome} at {fmt_time(last.finished_at)}, "
            f"{plural(last.requests_total, 'request')}"
        )
    lines.append(
        f"Requests spent:   {s.requests_total:,} in all, {s.requests_last_hour:,} in the last hour"
    )
    lines.append(f"Budget:           {budget_line(report)}")
    if s.paging.ceiling is not None:
        lines.append(
            f"Page size:        at most {s.paging.ceiling} ({s.paging.ceiling_reason} by Brevo)"
        )
    lines.append(f"Open alerts:      {s.alerts_open:,} (`brevo-sync alerts --open`)")
    lines.append(f"Outbox:           {outbox_line(report.outbox)}")
    lines.append(
        "Loyalty:          "
        + (
            "on (milestone points go to Brevo's loyalty program)"
            if report.loyalty
            else "off (set BREVO_SYNC_LOYALTY_PROGRAM_ID and BREVO_SYNC_LOYALTY_BALANCE_ID)"
        )
    )
    lines.append(
        "Conversions:      "
        + ("on (Meta Conversions API)" if report.conversions else "off (BREVO_SYNC_META_PIXEL_ID)")
    )
    if report.daemon is not None:
        lines += daemon_lines(report.daemon)
    return "\n".join(lines)


def daemon_lines(d: DaemonStatus) -> list[str]:
    """The shared budget as the daemon spends it, per job, and what it is waiting for."""
    b = d.budget
    source = "as Brevo reported it" if b.source == "brevo" else "under the local ceiling"
    frees = f", room again {fmt_time(b.frees_at)}" if b.remaining == 0 and b.frees_at else ""
    # The jobs that call Brevo, in the order the budget serves them; others only if they spent.
    rank: dict[str, int] = {job: i for i, job in enumerate(BUDGET_PRIORITY)}
    shown = [(j, n) for j, n in d.spent_by_job.items() if n or j in rank]
    shown.sort(key=lambda item: (rank.get(item[0], len(rank)), item[0]))
    spent = ", ".join(f"{job} {n}" for job, n in shown) or "nothing"
    drain = "now" if d.drain_seconds <= 0 else f"in {d.drain_seconds / 60:,.0f} min"
    fits = fmt_time(d.delete_check_at) if d.delete_check_at else "never (share 0)"
    lines = [
        f"Daemon budget:    {b.remaining} of {b.limit} requests left {source}{frees}",
        f"Spent per job:    {spent} (last hour)",
        f"Queue drains:     {drain} ({plural(d.queue_requests, 'request')} to send)",
        f"Delete check:     complete by {fits} "
        f"({plural(d.delete_check_requests, 'request')} to go)",
    ]
    for slot in d.jobs:
        interval = f", every {slot.interval_seconds:,.0f} s" if slot.interval_seconds else ""
        lines.append(
            f"  {slot.job:<10} last {slot.last_outcome or 'never'} at "
            f"{fmt_time(slot.last_finished_at)}, next {fmt_time(slot.next_due_at)}{interval}"
            + (f" (running on {slot.claimed_by})" if slot.claimed_by else "")
        )
    return lines


def outbox_line(counts: dict[str, int]) -> str:
    waiting = sum(counts.get(k, 0) for k in ("pending", "sending"))
    parts = [f"{waiting:,} to send"]
    if counts.get("unconfirmed"):
        parts.append(f"{counts['unconfirmed']:,} waiting for a pull to confirm an import")
    if counts.get("dead"):
        parts.append(f"{counts['dead']:,} dead (`brevo-sync outbox list --dead`)")
    parts.append(f"{counts.get('done', 0):,} sent")
    return ", ".join(parts) + (" (`brevo-sync plan` shows the cost)" if waiting else "")


def report_json(report: StatusReport) -> dict[str, Any]:
    return {
        "database": report.database,
        **asdict(report.mirror),
        "outbox": report.outbox,
        "loyalty": report.loyalty,
        "conversions": report.conversions,
        "daemon": asdict(report.daemon) if report.daemon is not None else None,
    }


def register(app: typer.Typer) -> None:
    @app.command("status", help=HELP)
    def status_command(as_json: bool = JsonOption) -> None:
        container = build_container(writes=False)
        try:
            settings = container.settings
            report = mirror_status(
                container.context, settings.requests_per_hour, settings.budget_reserve_requests
            )
        finally:
            container.close()
        if as_json:
            print_json(report_json(report))
        else:
            stdout.print(describe(report), markup=False)
