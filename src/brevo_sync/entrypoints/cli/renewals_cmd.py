"""`brevo-sync renewals`: queue the renewal deal of every subscription whose renewal is due."""

from __future__ import annotations

from typing import Any

import typer

from brevo_sync.entrypoints.cli.common import JsonOption, build_container, plural, print_json
from brevo_sync.entrypoints.cli.common import stdout as out
from brevo_sync.entrypoints.cli.orders_cmd import OUTCOME_WORDS, describe_outcome, outcome_json
from brevo_sync.entrypoints.cli.tables import Col, print_table
from brevo_sync.service.renewals import RenewalReport, queue_renewals

HELP = """Create the renewal deal (seed 000: Renewals / Qualified, 70%, 5% loyalty bonus,
12-month contract, closing on the expiry date) of every subscription whose renewal is due,
90 days before it expires (the rules file's commerce.renewal). Each subscription gets its
renewal deal once, however often this runs; a subscription received again with a later expiry
gets the next one when that is due. Subscriptions come in with `brevo-sync orders import`
(which queues those already due at once) and the subscription webhook.

Writes the mirror only and spends no Brevo request: run `brevo-sync push` to send the deals.
"""


def report_json(report: RenewalReport) -> dict[str, Any]:
    queued = report.queued
    return {
        "dry_run": queued.dry_run,
        "renewals": [outcome_json(o) for o in queued.outcomes],
        "queued": queued.count("deal"),
        "decisions": queued.decisions,
        "outbox_rows": queued.rows,
        "upcoming": [
            {
                "shop": r.shop,
                "order_id": r.order_id,
                "expires_at": r.expires_at,
                "renewal_due_at": r.renewal_due_at,
            }
            for r in report.upcoming
        ],
    }


def register(app: typer.Typer) -> None:
    @app.command("renewals", help=HELP)
    def renewals_command(
        dry_run: bool = typer.Option(False, "--dry-run", help="Decide and report, queue nothing."),
        limit: int = typer.Option(0, min=0, help="At most this many renewals; 0 for all due."),
        as_json: bool = JsonOption,
    ) -> None:
        container = build_container(writes=not dry_run)
        try:
            report = queue_renewals(container.context, dry_run=dry_run, limit=limit or None)
        finally:
            container.close()
        if as_json:
            print_json(report_json(report))
            return
        _print_text(report)


def _print_text(report: RenewalReport) -> None:
    queued = report.queued
    rows = [
        (f"{o.shop}/{o.order_id}", OUTCOME_WORDS[o.outcome][0], describe_outcome(o))
        for o in queued.outcomes
    ]
    if rows:
        print_table(out, [Col("subscription", keep=True), Col("outcome"), Col("why")], rows)
    deals = queued.count("deal")
    if queued.dry_run:
        out.print(
            f"Dry run: {plural(deals, 'renewal deal')} would be queued "
            f"({plural(queued.rows, 'outbox row')}); nothing recorded.",
            markup=False,
        )
    elif deals:
        out.print(
            f"Queued {plural(deals, 'renewal deal')} ({plural(queued.rows, 'outbox row')}): "
            "run `brevo-sync push` to send them.",
            markup=False,
        )
    else:
        out.print("No renewal is due.", markup=False)
    if report.upcoming:
        nxt = ", ".join(
            f"{r.shop}/{r.order_id} on {r.renewal_due_at:%Y-%m-%d}"
            for r in report.upcoming
            if r.renewal_due_at is not None
        )
        out.print(f"Next renewals due: {nxt}", markup=False)
