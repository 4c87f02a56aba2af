"""`brevo-sync push` (send the outbox), `plan` (what push would send and its cost) and
`sync` (pull, rules, push in one command)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import typer

from brevo_sync.domain.push_plan import ENDPOINTS
from brevo_sync.entrypoints.cli.common import (
    JsonOption,
    build_container,
    plural,
    print_json,
    stdout,
    stop_on_signals,
)
from brevo_sync.entrypoints.cli.pull_cmd import describe as describe_pull
from brevo_sync.entrypoints.cli.pull_cmd import report_json as pull_json
from brevo_sync.service.plan import PushPlan, plan_push
from brevo_sync.service.push import PushReport
from brevo_sync.service.sync import SyncReport, sync_all

PUSH_HELP = """Send what the outbox holds to Brevo: every decision once, in the fewest requests.

Updates of one deal are coalesced into one PATCH; above BREVO_SYNC_IMPORT_THRESHOLD deals,
creations and updates go through Brevo's bulk import (one request per batch; those rows stay
"unconfirmed" until a pull shows the change). Before an update, what Brevo changed meanwhile
wins (a conflict, listed by `brevo-sync conflicts`). A deal creation carries our reference, so
after an unclear failure it is looked up, never posted twice. Failures retry with backoff and
become dead letters after BREVO_SYNC_OUTBOX_MAX_ATTEMPTS (`brevo-sync outbox list --dead`).
A spent budget waits for Brevo's window; Ctrl-C stops between two rows, safely.

Reports rows sent, failed and dead, and the Brevo requests spent by endpoint. Exits 1 when a
row became a dead letter in this push (the rest was still sent).
"""

PLAN_HELP = """What `push` would send now, row by row, with the exact requests, their cost
against the budget left, and how long the queue takes to drain at this budget. Reads the
mirror only: no Brevo requests, no API key needed.
"""

SYNC_HELP = """Pull, then the rules, then push: the one command to run from cron until the
daemon runs it for you. Reports what changed and the requests each step spent.
"""


def push_json(report: PushReport, database: str) -> dict[str, Any]:
    return {**asdict(report), "requests_total": report.requests_total, "database": database}


def describe_push(report: PushReport) -> str:
    by_endpoint = ", ".join(f"{k} {v}" for k, v in sorted(report.requests.items()))
    lines = [
        f"Pushed: {report.sent:,} sent, {report.unconfirmed:,} handed to a bulk import "
        f"(unconfirmed), {report.failed:,} failed (will retry), {report.dead:,} dead, "
        f"{report.unclear:,} unclear (looked up next time), "
        f"{plural(report.conflicts, 'conflict')}.",
        f"Brevo requests: {report.requests_total:,} ({by_endpoint or 'none'})",
    ]
    if report.waiting:
        lines.append(f"{plural(report.waiting, 'row')} wait for a deal still being created.")
    if report.stopped_early:
        lines.append(f"Stopped early: {report.stopped_early}. What is left stays queued.")
    for error in report.errors[:5]:
        lines.append(f"  error: {error}")
    return "\n".join(lines)


def plan_json(plan: PushPlan) -> dict[str, Any]:
    return {
        "database": plan.database,
        "units": [
            {
                "kind": u.kind,
                "endpoint": u.endpoint,
                "deal_id": u.deal_id,
                "rows": [{"id": r.id, "key": r.key, "kind": r.kind} for r in u.rows],
                "crm_requests": u.crm_requests,
                "loyalty_requests": u.loyalty_requests,
            }
            for u in plan.units
        ],
        "rows": sum(len(u.rows) for u in plan.units),
        "crm_requests": plan.crm_requests,
        "loyalty_requests": plan.cost.loyalty,
        "attributes_to_create": plan.attributes_to_create,
        "task_types_needed": plan.task_types_needed,
        "lookups": plan.lookups,
        "conflict_gets": plan.conflict_gets,
        "waiting": plan.waiting,
        "later": plan.later,
        "unconfirmed": plan.unconfirmed,
        "budget": {
            "limit": plan.budget_limit,
            "remaining": plan.budget_remaining,
            "source": plan.budget_source,
            "reset_at": plan.reset_at,
        },
        "drain_seconds": plan.drain_seconds,
    }


def describe_plan(plan: PushPlan) -> str:
    rows = sum(len(u.rows) for u in plan.units)
    if not plan.units and not plan.lookups:
        extra = f"; {plan.later} not due yet" if plan.later else ""
        return f"Nothing to push{extra}. ({plan.database})"
    lines = [f"push would send {plural(rows, 'row')}, with these requests:"]
    for unit in plan.units:
        what = ", ".join(f"#{r.id} {r.kind}" for r in unit.rows[:4])
        more = f" +{len(unit.rows) - 4} more" if len(unit.rows) > 4 else ""
        deal = f" deal {unit.deal_id}" if unit.deal_id else ""
        lines.append(f"  {unit.endpoint}{deal}: {what}{more}")
    if plan.attributes_to_create:
        lines.append(
            f"  POST /crm/attributes x{len(plan.attributes_to_create)}: "
            f"{', '.join(plan.attributes_to_create)} (created once)"
        )
    if plan.task_types_needed:
        lines.append("  GET /crm/tasktypes x1 (once)")
    if plan.lookups:
        lines.append(
            f"  up to {plan.lookups} lookup(s) first: earlier attempts with unclear outcome"
        )
    if plan.conflict_gets:
        lines.append(
            f"  GET /crm/deals/{{id}} x{plan.conflict_gets}: the mirror is older than "
            "BREVO_SYNC_CONFLICT_MAX_AGE_SECONDS, so Brevo's values are read first"
        )
    remaining = "unknown" if plan.budget_remaining is None else f"{plan.budget_remaining:,}"
    lines.append(
        f"Cost: {plural(plan.crm_requests, 'CRM request')} of {remaining} left "
        f"(limit {plan.budget_limit}/hour, {plan.budget_source}); "
        f"{plural(plan.cost.loyalty, 'loyalty request')} (separate bucket)."
    )
    drain = plan.drain_seconds
    lines.append(
        "Drains within the current window."
        if drain == 0
        else f"Drains in about {drain / 3600:.1f} hours at this budget."
    )
    if plan.waiting:
        lines.append(f"{plural(plan.waiting, 'row')} wait for a deal still being created.")
    if plan.later:
        lines.append(f"{plural(plan.later, 'row')} are not due yet (retry backoff).")
    if plan.unconfirmed:
        lines.append(f"{plural(plan.unconfirmed, 'row')} wait for a pull to confirm an import.")
    return "\n".join(lines)


def describe_sync(report: SyncReport) -> str:
    parts = [f"1. pull\n{describe_pull(report.pull)}"]
    if report.sweep_alerts is not None:
        parts.append(f"2. rules: {plural(report.sweep_alerts, 'new alert')}")
    if report.push is not None:
        parts.append(f"3. push\n{describe_push(report.push)}")
    parts.append(f"Requests in all: {report.requests_total:,}")
    return "\n".join(parts)


def register(app: typer.Typer) -> None:
    @app.command("push", help=PUSH_HELP)
    def push_command(as_json: bool = JsonOption) -> None:
        from brevo_sync.service.push import push_outbox

        container = build_container()
        try:
            with stop_on_signals(container.stop):
                report = push_outbox(container.context)
        finally:
            container.close()
        if as_json:
            print_json(push_json(report, container.context.database))
        else:
            stdout.print(describe_push(report), markup=False)
        if report.dead:  # something will not reach Brevo without an operator: say so
            raise typer.Exit(1)

    @app.command("plan", help=PLAN_HELP)
    def plan_command(as_json: bool = JsonOption) -> None:
        container = build_container(writes=False)
        try:
            plan = plan_push(container.context)
        finally:
            container.close()
        if as_json:
            print_json(plan_json(plan))
        else:
            stdout.print(describe_plan(plan), markup=False)

    @app.command("sync", help=SYNC_HELP)
    def sync_command(
        full: bool = typer.Option(False, "--full", help="Pull every deal again first."),
        as_json: bool = JsonOption,
    ) -> None:
        container = build_container()
        try:
            with stop_on_signals(container.stop):
                report = sync_all(container.context, full=full)
        finally:
            container.close()
        if as_json:
            database = container.context.database
            print_json(
                {
                    "pull": pull_json(report.pull, database),
                    "sweep_alerts": report.sweep_alerts,
                    "push": push_json(report.push, database) if report.push else None,
                    "requests_total": report.requests_total,
                }
            )
        else:
            stdout.print(describe_sync(report), markup=False)


__all__ = ["ENDPOINTS", "register"]
