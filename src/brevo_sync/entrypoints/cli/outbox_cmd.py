"""`brevo-sync outbox list|show|retry|drop` and `brevo-sync conflicts`: the write path's
queue and its conflict log, for operators. No Brevo requests."""

from __future__ import annotations

from dataclasses import asdict
from typing import get_args

import typer

from brevo_sync.domain.outbox import STATES, OutboxFilter, OutboxRow, State
from brevo_sync.entrypoints.cli.common import (
    JsonOption,
    build_container,
    fmt_time,
    plural,
    print_json,
    stdout,
)
from brevo_sync.entrypoints.cli.listing import print_listing, print_record
from brevo_sync.entrypoints.cli.tables import Col, print_table
from brevo_sync.errors import UsageError
from brevo_sync.service.outbox import drop_rows, list_rows, retry_rows, show_row
from brevo_sync.service.push_conflicts import list_conflicts

LIST_HELP = """Rows of the outbox: what push has to send, what it sent, what failed and why.
Default: the rows still to do (pending, sending, unconfirmed) and the dead ones."""


def _row_json(row: OutboxRow) -> dict[str, object]:
    return asdict(row)


def _states(values: list[str], show_all: bool, dead: bool) -> tuple[State, ...]:
    if show_all:
        return STATES
    if dead:
        return ("dead",)
    if not values:
        return ("pending", "sending", "unconfirmed", "dead")
    known = get_args(State)
    for value in values:
        if value not in known:
            raise UsageError(f"--state '{value}' is not a state; states: {', '.join(known)}")
    return tuple(values)  # type: ignore[arg-type]


def register(app: typer.Typer) -> None:
    outbox_app = typer.Typer(
        help="The write path's queue: `outbox list|show|retry|drop` (no Brevo requests).",
        no_args_is_help=True,
    )

    @outbox_app.command("list", help=LIST_HELP)
    def list_command(
        state: list[str] = typer.Option([], help="Only rows in this state (repeatable)."),
        dead: bool = typer.Option(False, "--dead", help="Only dead letters."),
        show_all: bool = typer.Option(False, "--all", help="Every row, done ones included."),
        deal: str | None = typer.Option(None, help="Only rows about this deal."),
        limit: int = typer.Option(50, min=0, help="At most this many rows; 0 for all."),
        as_json: bool = JsonOption,
    ) -> None:
        container = build_container(writes=False)
        try:
            query = OutboxFilter(
                states=_states(state, show_all, dead), deal_id=deal, limit=limit or None
            )
            rows, counts = list_rows(container.context, query)
        finally:
            container.close()
        print_listing(
            "Outbox",
            rows,
            counts,
            as_json=as_json,
            to_json=_row_json,
            columns=[
                Col("id", keep=True),
                Col("state"),
                Col("kind"),
                Col("deal"),
                Col("tries", keep=True, right=True),
                Col("next / done"),
                Col("reason"),
            ],
            cells=lambda r: [
                str(r.id),
                r.state,
                r.kind,
                r.deal_id or f"(new: {r.deal_ref})",
                str(r.attempts),
                fmt_time(r.done_at if r.state == "done" else r.next_attempt_at),
                (r.last_error or "")[:80],
            ],
        )

    @outbox_app.command("show", help="One row in full: what it sends, every field, its reason.")
    def show_command(
        row: str = typer.Argument(..., help="Row id or key."), as_json: bool = JsonOption
    ) -> None:
        container = build_container(writes=False)
        try:
            found = show_row(container.context, row)
        finally:
            container.close()
        print_record(_row_json(found), as_json=as_json)

    @outbox_app.command("retry", help="Send dead (or dropped) rows again: pending, due now.")
    def retry_command(
        rows: list[str] = typer.Argument(None, help="Row ids or keys."),
        all_dead: bool = typer.Option(False, "--all-dead", help="Every dead row."),
    ) -> None:
        if not rows and not all_dead:
            raise UsageError("name the rows to retry, or give --all-dead")
        container = build_container(writes=False)
        try:
            n = retry_rows(container.context, rows or [], all_dead=all_dead)
        finally:
            container.close()
        stdout.print(f"{plural(n, 'row')} pending again; `brevo-sync push` sends them.")

    @outbox_app.command("drop", help="Give rows up on purpose (kept as dropped, never sent).")
    def drop_command(
        rows: list[str] = typer.Argument(..., help="Row ids or keys."),
        reason: str = typer.Option(..., help="Why (kept with the row)."),
    ) -> None:
        container = build_container(writes=False)
        try:
            n = drop_rows(container.context, rows, reason=reason)
        finally:
            container.close()
        stdout.print(f"{plural(n, 'row')} dropped.")

    app.add_typer(outbox_app, name="outbox")

    @app.command(
        "conflicts",
        help="Fields changed in Brevo and by us before our update landed, and who won.",
    )
    def conflicts_command(
        deal: str | None = typer.Option(None, help="Only this deal's."),
        limit: int = typer.Option(50, min=0, help="At most this many; 0 for all."),
        as_json: bool = JsonOption,
    ) -> None:
        container = build_container(writes=False)
        try:
            found = list_conflicts(container.context, deal_id=deal, limit=limit or None)
        finally:
            container.close()
        if as_json:
            print_json([asdict(c) for c in found])
            return
        if not found:
            stdout.print("No conflicts.", markup=False)
            return
        print_table(
            stdout,
            [Col("when"), Col("deal"), Col("field"), Col("ours"), Col("Brevo's"), Col("kept")],
            [
                [
                    fmt_time(c.detected_at),
                    c.deal_id,
                    c.field,
                    str(c.ours),
                    str(c.theirs),
                    "Brevo's" if c.resolution == "brevo" else "ours",
                ]
                for c in found
            ],
        )
