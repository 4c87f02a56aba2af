"""`brevo-sync alerts [--rule R] [--owner O] [--open]` and `brevo-sync alerts ack ID`."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import typer

from brevo_sync.domain.rules.alerting import RULE_KINDS, STAGE_KINDS, rule_kind
from brevo_sync.entrypoints.cli.common import (
    JsonOption,
    build_container,
    plural,
    print_json,
    stderr,
    stdout,
)
from brevo_sync.entrypoints.cli.deals_cmd import limit_note, lookup_notes
from brevo_sync.entrypoints.cli.marked import print_marked
from brevo_sync.service.alerts import (
    HOW_ALERTS_COME,
    AlertFilter,
    AlertLine,
    AlertListing,
    acknowledge_alert,
    list_alerts,
)

HELP = f"""List what the time rules raised, newest first: each alert with its deal, the rule,
the reason in words and who is told. Reads the local mirror only.

The rules (the rules file's `time_rules` and stage limits) are swept after every
`brevo-sync pull` and by `brevo-sync rules sweep`; each crossing is raised once. `--rule`
takes a kind ({", ".join(RULE_KINDS)}) or a rule key such as `inactivity:14` or
`stage_max_days:PROPOSAL`. `--owner` takes a Brevo user id or an e-mail, like `deals list`.
Examples:

    brevo-sync alerts --open

    brevo-sync alerts --rule inactivity --owner ana@example.com

    brevo-sync alerts --rule stage_max_days:PROPOSAL --json

    brevo-sync alerts ack 42
"""

ACK_HELP = """Mark alert ID handled (the id `brevo-sync alerts` shows as #ID); it leaves
`alerts --open`. Acknowledging twice changes nothing. Example:

    brevo-sync alerts ack 42
"""


def line_json(line: AlertLine) -> dict[str, Any]:
    return {
        **asdict(line.alert),
        "reason": line.reason,
        "recipient": line.recipient,
        "owner_email": line.owner_email,
        "stage": line.stage,
    }


def describe_line(line: AlertLine) -> list[str]:
    """Four short lines per alert: they read at 80 columns and grep well in a pipe."""
    a = line.alert
    kind = rule_kind(a.rule)
    rule = kind if kind in STAGE_KINDS else a.rule
    state = f"acknowledged {a.acknowledged_at:%Y-%m-%d}" if a.acknowledged_at else "open"
    deal = f"{a.deal_id}  {a.deal_name}" if a.deal_name else f"{a.deal_id} (not in the mirror)"
    return [
        f"#{a.id}  {state}  raised {a.raised_at:%Y-%m-%d}  {rule}",
        f"  deal  {deal}",
        f"  why   {line.reason}",
        f"  tell  {line.recipient}",
    ]


def footer(listing: AlertListing, open_only: bool) -> list[str]:
    if not listing.lines:
        if not listing.mirror_has_alerts:
            return [f"No alerts in {listing.database} yet: {HOW_ALERTS_COME}."]
        which = "open alerts" if open_only else "alerts"
        return [f"No {which} match in {listing.database}."]
    open_count = sum(1 for line in listing.lines if line.alert.acknowledged_at is None)
    count = plural(len(listing.lines), "alert")
    if not open_only:
        count += f", {open_count:,} open,"
    first = f"{count} in {listing.database}{limit_note(listing.more, listing.limit)}"
    return [first, *lookup_notes(listing.looked_up, listing.requests)]


def register(app: typer.Typer) -> None:
    alerts_app = typer.Typer(
        help=HELP,
        short_help="What the time rules raised, in words; `alerts ack ID` marks one handled.",
        invoke_without_command=True,
    )

    @alerts_app.callback()
    def alerts_command(
        context: typer.Context,
        rule: list[str] = typer.Option(
            [], "--rule", help="A rule kind or key; repeat for several."
        ),
        owner: str | None = typer.Option(None, help="Owner: Brevo user id or e-mail."),
        open_only: bool = typer.Option(False, "--open", help="Only alerts not acknowledged."),
        limit: int = typer.Option(50, min=0, help="At most this many alerts; 0 for all."),
        as_json: bool = JsonOption,
    ) -> None:
        if context.invoked_subcommand is not None:
            return
        f = AlertFilter(tuple(rule), owner, open_only, limit or None)
        container = build_container(writes=False)
        try:
            listing = list_alerts(container.context, f)
        finally:
            container.close()
        if as_json:
            print_json([line_json(line) for line in listing.lines])
            for note in lookup_notes(listing.looked_up, listing.requests):
                stderr.print(note, markup=False)
            return
        for line in listing.lines:
            stdout.print("\n".join(describe_line(line)), markup=False)
        for text in footer(listing, open_only):
            stdout.print(text, markup=False)

    @alerts_app.command("ack", help=ACK_HELP, short_help="Mark one alert handled.")
    def ack_command(
        alert_id: int = typer.Argument(
            ..., metavar="ID", help="The alert's id (#ID in `brevo-sync alerts`)."
        ),
        as_json: bool = JsonOption,
    ) -> None:
        container = build_container(writes=False)  # an existing mirror: never create one
        try:
            done = acknowledge_alert(container.context, alert_id)
        finally:
            container.close()
        print_marked(
            line_json(done.line),
            already=done.already,
            subject=f"Alert #{alert_id}",
            marked="acknowledged",
            at=done.line.alert.acknowledged_at,
            details=describe_line(done.line),
            as_json=as_json,
        )

    app.add_typer(alerts_app, name="alerts")
