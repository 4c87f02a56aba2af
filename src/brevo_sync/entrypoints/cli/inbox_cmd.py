"""`brevo-sync inbox list|show|retry`: the webhook deliveries received, for operators.
No Brevo requests."""

from __future__ import annotations

from dataclasses import asdict

import typer

from brevo_sync.domain.inbox import INBOX_KINDS, INBOX_STATES, InboxFilter, InboxRow
from brevo_sync.entrypoints.cli.common import (
    JsonOption,
    build_container,
    fmt_time,
    plural,
    stdout,
)
from brevo_sync.entrypoints.cli.listing import print_listing, print_record
from brevo_sync.entrypoints.cli.tables import Col
from brevo_sync.errors import UsageError
from brevo_sync.service.inbox import list_inbox, retry_inbox, show_inbox

LIST_HELP = """Webhook deliveries received: pending (to process, or waiting to be tried again),
done (with what came of them) and dead (with the reason). Default: pending and dead ones."""


def _row_json(row: InboxRow) -> dict[str, object]:
    return asdict(row)


def _choices(values: list[str], known: tuple[str, ...], option: str) -> tuple[str, ...]:
    for value in values:
        if value not in known:
            raise UsageError(f"{option} '{value}' is not one of: {', '.join(known)}")
    return tuple(values)


def _summary(row: InboxRow) -> str:
    if row.state == "done":
        return row.outcome or ""
    if row.last_error:
        return row.last_error
    payload = row.payload
    if row.kind == "brevo_hint":
        return "hint: an early pull"
    return f"{payload.get('shop')}/{payload.get('id')}"


def register(app: typer.Typer) -> None:
    inbox_app = typer.Typer(
        help="Webhook deliveries received: `inbox list|show|retry` (no Brevo requests).",
        no_args_is_help=True,
    )

    @inbox_app.command("list", help=LIST_HELP)
    def list_command(
        state: list[str] = typer.Option([], help="Only rows in this state (repeatable)."),
        kind: list[str] = typer.Option(
            [], help="Only rows of this kind: order, subscription, brevo_hint (repeatable)."
        ),
        dead: bool = typer.Option(False, "--dead", help="Only dead letters."),
        show_all: bool = typer.Option(False, "--all", help="Every row, done ones included."),
        limit: int = typer.Option(50, min=0, help="At most this many rows; 0 for all."),
        as_json: bool = JsonOption,
    ) -> None:
        if show_all:
            states: tuple[str, ...] = INBOX_STATES
        elif dead:
            states = ("dead",)
        else:
            states = _choices(state, INBOX_STATES, "--state") or ("pending", "dead")
        kinds = _choices(kind, INBOX_KINDS, "--kind")
        container = build_container(writes=False)
        try:
            query = InboxFilter(
                states=states,  # type: ignore[arg-type]
                kinds=kinds,  # type: ignore[arg-type]
                limit=limit or None,
            )
            rows, counts = list_inbox(container.context, query)
        finally:
            container.close()
        print_listing(
            "Inbox",
            rows,
            counts,
            as_json=as_json,
            to_json=_row_json,
            columns=[
                Col("id", keep=True),
                Col("state"),
                Col("route"),
                Col("kind"),
                Col("tries", keep=True, right=True),
                Col("received"),
                Col("what / why"),
            ],
            cells=lambda r: [
                str(r.id),
                r.state,
                r.route,
                r.kind,
                str(r.attempts),
                fmt_time(r.received_at),
                _summary(r)[:100],
            ],
        )

    @inbox_app.command("show", help="One delivery in full: payload, headers, outcome or error.")
    def show_command(
        row: int = typer.Argument(..., help="Row id."), as_json: bool = JsonOption
    ) -> None:
        container = build_container(writes=False)
        try:
            found = show_inbox(container.context, row)
        finally:
            container.close()
        print_record(_row_json(found), as_json=as_json)

    @inbox_app.command(
        "retry", help="Process dead (or waiting) deliveries again: pending, due now."
    )
    def retry_command(
        rows: list[int] = typer.Argument(None, help="Row ids."),
        all_dead: bool = typer.Option(False, "--all-dead", help="Every dead row."),
    ) -> None:
        if not rows and not all_dead:
            raise UsageError("name the rows to retry, or give --all-dead")
        container = build_container(writes=False)
        try:
            n = retry_inbox(container.context, rows or [], all_dead=all_dead)
        finally:
            container.close()
        stdout.print(
            f"{plural(n, 'delivery', 'deliveries')} pending again; `brevo-sync serve` "
            "processes them."
        )

    app.add_typer(inbox_app, name="inbox")
